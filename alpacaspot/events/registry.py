"""The contract every post-processing method and score curve implements, and their registries.

A post-processing method turns one recording's window scores into events. It is registered
under a name with :func:`register_postprocessor` as a *factory*: a callable that takes the
validated :class:`~alpacaspot.events.config.PostprocessConfig` and returns a
:class:`Postprocessor`. :func:`build_postprocessor` looks the factory up by
``config.method``. Adding a method is one new module that defines its factory and registers
it; the config's ``method`` field, eval.cfg parsing and :func:`scores_to_events` accept it
from then on.

Score curves (how the ``refined`` method turns overlapping windows into one value per hop)
are registered the same way with :func:`register_curve`. Torch-free.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, NamedTuple, Protocol, TypeVar

import numpy as np

from alpacaspot.errors import ConfigError

if TYPE_CHECKING:
    from alpacaspot.events.config import PostprocessConfig

__all__ = [
    "Detection",
    "Postprocessor",
    "PostprocessorFactory",
    "CurveFunction",
    "register_postprocessor",
    "unregister_postprocessor",
    "build_postprocessor",
    "postprocessor_names",
    "register_curve",
    "unregister_curve",
    "get_curve",
    "curve_names",
]


class Detection(NamedTuple):
    """One detected event of a recording (times in seconds from the recording's start)."""

    begin_s: float
    end_s: float
    score: float
    extra: Mapping[str, float] = {}


class Postprocessor(Protocol):
    """Window scores of one recording -> its detections.

    ``extra_columns`` names the columns every :class:`Detection`'s ``extra`` holds (they are
    added to the events table, also when it is empty).
    """

    extra_columns: tuple[str, ...]

    def __call__(
        self, begin_s: np.ndarray, end_s: np.ndarray, p: np.ndarray
    ) -> list[Detection]:
        """Detections of one recording from its windows (sorted by ``begin_s``)."""
        ...


PostprocessorFactory = Callable[["PostprocessConfig"], Postprocessor]
CurveFunction = Callable[[np.ndarray, np.ndarray, float, float], np.ndarray]
"""``curve(centres, p, hop, width) -> values``: the step centres (seconds from the first
window's start), the window scores, the hop and the window length."""

_METHODS: dict[str, PostprocessorFactory] = {}
_CURVES: dict[str, CurveFunction] = {}

_F = TypeVar("_F")


def _register(table: dict[str, _F], what: str, name: str, item: _F, replace: bool) -> _F:
    if not isinstance(name, str) or not name or not name.replace("_", "").isalnum():
        raise ConfigError(f"{what} name must be letters, digits and '_', got {name!r}")
    if name in table and not replace:
        raise ConfigError(f"a {what} named {name!r} is already registered; pass replace=True")
    if not callable(item):
        raise ConfigError(f"{what} {name!r}: expected a callable, got {item!r}")
    table[name] = item
    return item


def register_postprocessor(
    name: str, factory: PostprocessorFactory, *, replace: bool = False
) -> PostprocessorFactory:
    """Register a post-processing method under ``name``.

    Parameters
    ----------
    name : str
        The ``method`` value that selects it (letters, digits, ``_``).
    factory : callable
        ``factory(config) -> Postprocessor``.
    replace : bool
        Allow replacing a method registered under the same name.

    Returns
    -------
    callable
        ``factory``, unchanged.

    Examples
    --------
    >>> from alpacaspot.events import Detection
    >>> class Peaks:
    ...     extra_columns = ()
    ...     def __init__(self, config):
    ...         self.threshold = config.threshold
    ...     def __call__(self, begin_s, end_s, p):
    ...         return [Detection(float(b), float(e), float(x))
    ...                 for b, e, x in zip(begin_s, end_s, p) if x >= self.threshold]
    >>> _ = register_postprocessor("peaks_doc", Peaks)
    >>> "peaks_doc" in postprocessor_names()
    True
    >>> unregister_postprocessor("peaks_doc")
    """
    return _register(_METHODS, "post-processing method", name, factory, replace)


def unregister_postprocessor(name: str) -> None:
    """Remove a registered post-processing method (no error when absent).

    Examples
    --------
    >>> unregister_postprocessor("never_registered")
    """
    _METHODS.pop(name, None)


def postprocessor_names() -> tuple[str, ...]:
    """Registered post-processing methods, sorted.

    Examples
    --------
    >>> postprocessor_names()
    ('animalspot', 'refined')
    """
    return tuple(sorted(_METHODS))


def build_postprocessor(config: PostprocessConfig) -> Postprocessor:
    """The post-processor ``config.method`` names, built from ``config``.

    Examples
    --------
    >>> from alpacaspot.events import PostprocessConfig
    >>> post = build_postprocessor(PostprocessConfig(method="animalspot", threshold=0.5))
    >>> post.extra_columns
    ('cnn_logit_mean',)
    """
    factory = _METHODS.get(config.method)
    if factory is None:
        raise ConfigError(f"method must be one of {list(postprocessor_names())}, got "
                          f"{config.method!r}")
    return factory(config)


def register_curve(name: str, curve: CurveFunction, *, replace: bool = False) -> CurveFunction:
    """Register a score curve for the ``refined`` method under ``name``.

    Examples
    --------
    >>> import numpy as np
    >>> _ = register_curve("max_doc", lambda centres, p, hop, width: np.full(len(centres),
    ...                                                                        p.max()))
    >>> "max_doc" in curve_names()
    True
    >>> unregister_curve("max_doc")
    """
    return _register(_CURVES, "score curve", name, curve, replace)


def unregister_curve(name: str) -> None:
    """Remove a registered score curve (no error when absent).

    Examples
    --------
    >>> unregister_curve("never_registered")
    """
    _CURVES.pop(name, None)


def curve_names() -> tuple[str, ...]:
    """Registered score curves, sorted.

    Examples
    --------
    >>> curve_names()
    ('centre', 'mean')
    """
    return tuple(sorted(_CURVES))


def get_curve(name: str) -> CurveFunction:
    """The score curve registered under ``name``.

    Examples
    --------
    >>> callable(get_curve("mean"))
    True
    """
    curve = _CURVES.get(name)
    if curve is None:
        raise ConfigError(f"curve must be one of {list(curve_names())}, got {name!r}")
    return curve
