"""``PostprocessConfig``: the one owner of the settings that turn window scores into events.

Every place that names a post-processing setting derives it from here: the eval.cfg keys and
their help lines (field metadata ``cfg`` and ``help``), the benchmark variants file's
``postprocess`` block, the keyword arguments of :func:`~alpacaspot.events.scores_to_events`,
and (later) a model's stored operating point, which is this config serialised as JSON
(:meth:`PostprocessConfig.to_json`) in the window scores' metadata under
:data:`OPERATING_POINT_KEY`. Values are validated once, when the config is made; every
problem is a :class:`~alpacaspot.errors.ConfigError`. Torch-free.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from alpacaspot.errors import ConfigError
from alpacaspot.events.registry import curve_names, postprocessor_names

__all__ = ["PostprocessConfig", "OPERATING_POINT_KEY", "format_cfg_number"]

OPERATING_POINT_KEY = "operating_point"
"""Key of a :class:`PostprocessConfig` (JSON) in window scores' ``attrs``/table metadata."""


def _meta(cfg: str | None, kind: str, help: str) -> dict[str, Any]:
    # "method": the one method a setting applies to (from its help line's "<method>: " prefix)
    method = help.split(":", 1)[0] if help.startswith(("refined:", "animalspot:")) else None
    return {"cfg": cfg, "kind": kind, "help": help, "method": method}


@dataclass(frozen=True)
class PostprocessConfig:
    """How window scores become events (validated on construction).

    Parameters
    ----------
    method : str
        A registered method: ``"refined"`` (hysteresis runs on a score curve, hop
        resolution) or ``"animalspot"`` (ANIMAL-SPOT's merging of whole windows).
    threshold : float, optional
        Detection threshold on the target probability (``p >= threshold``), in [0, 1]. None
        leaves it to the caller (or, later, to a model's stored operating point).
    curve : str
        ``refined``: registered score curve, ``"mean"`` or ``"centre"``.
    low_threshold : float, optional
        ``refined``: hysteresis threshold at which a run ends (default ``threshold``).
    min_duration_s, merge_gap_s : float
        ``refined``: drop shorter events; merge events separated by at most this gap.
    max_duration_s : float, optional
        ``refined``: split longer events at their weakest step (None or 0: never).
    target : str, optional
        Target class (default ``"target"``, else the only non-``noise`` class); the events'
        ``label``. Its cfg key is ``target_class``.
    low_hz, high_hz : float, optional
        Frequency band written to every event.
    hop_s, window_s : float, optional
        ``refined``: window step and length; inferred from the scores when omitted.
    decimals : int or None
        ``animalspot``: round window times like ANIMAL-SPOT's log (3); None keeps them.
    sr : int, optional
        ``animalspot``: sample rate of the scored audio; window ends are then taken as
        ANIMAL-SPOT logs them (the last sample). Leave None for scores read from its logs.

    Examples
    --------
    >>> c = PostprocessConfig(threshold=0.9, curve="centre", merge_gap_s=0.1)
    >>> c.replace(threshold=0.5).threshold
    0.5
    >>> c.to_cfg_items()
    {'method': 'refined', 'threshold': '0.9', 'curve': 'centre', 'merge_gap_s': '0.1'}
    >>> PostprocessConfig.from_mapping({"method": "animalspot", "threshold": "0.75"}).method
    'animalspot'
    >>> PostprocessConfig.from_json(c.to_json()) == c
    True
    """

    method: str = field(default="refined", metadata=_meta(
        "method", "choice", "post-processing method (refined: hop-resolution runs with "
        "hysteresis; animalspot: ANIMAL-SPOT's merging of whole windows, what an eval.cfg "
        "without method= gets)"))
    threshold: float | None = field(default=None, metadata=_meta(
        "threshold", "probability", "detection threshold on the target probability"))
    curve: str = field(default="mean", metadata=_meta(
        "curve", "choice", "refined: score curve per hop (mean of covering windows, or the "
        "centred window)"))
    low_threshold: float | None = field(default=None, metadata=_meta(
        "low_threshold", "probability", "refined: hysteresis threshold at which an event "
        "ends (default: threshold)"))
    min_duration_s: float = field(default=0.0, metadata=_meta(
        "min_duration_s", "seconds", "refined: drop events shorter than this"))
    merge_gap_s: float = field(default=0.0, metadata=_meta(
        "merge_gap_s", "seconds", "refined: merge events separated by at most this gap"))
    max_duration_s: float | None = field(default=None, metadata=_meta(
        "max_duration_s", "seconds", "refined: split longer events at their weakest step"))
    target: str | None = field(default=None, metadata=_meta(
        "target_class", "text", "class whose probability is the detection score"))
    low_hz: float | None = field(default=None, metadata=_meta(
        "low_hz", "hz", "lower band edge written to every event (Hz)"))
    high_hz: float | None = field(default=None, metadata=_meta(
        "high_hz", "hz", "upper band edge written to every event (Hz)"))
    hop_s: float | None = field(default=None, metadata=_meta(
        None, "seconds", "refined: window step (default: from the scores)"))
    window_s: float | None = field(default=None, metadata=_meta(
        None, "seconds", "refined: window length (default: from the scores)"))
    decimals: int | None = field(default=3, metadata=_meta(
        None, "count", "animalspot: decimals of the window times (None: exact)"))
    sr: int | None = field(default=None, metadata=_meta(
        None, "rate", "animalspot: sample rate of the scored audio (log end times)"))

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            object.__setattr__(self, f.name, _check(f.name, getattr(self, f.name)))
        if (self.threshold is not None and self.low_threshold is not None
                and self.low_threshold > self.threshold):
            raise ConfigError(f"low_threshold ({self.low_threshold}) must not exceed "
                              f"threshold ({self.threshold})")

    # -- derived views ---------------------------------------------------------------------

    @classmethod
    def cfg_keys(cls) -> tuple[str, ...]:
        """The cfg keys of the settings, in field order.

        Examples
        --------
        >>> PostprocessConfig.cfg_keys()[:3]
        ('method', 'threshold', 'curve')
        """
        return tuple(k for k in _CFG_TO_FIELD)

    @classmethod
    def cfg_help(cls) -> dict[str, str]:
        """One help line per cfg key.

        Examples
        --------
        >>> PostprocessConfig.cfg_help()["merge_gap_s"]
        'refined: merge events separated by at most this gap'
        """
        return {key: _FIELDS[name].metadata["help"] for key, name in _CFG_TO_FIELD.items()}

    def unused_cfg_keys(self, keys: Iterable[str]) -> list[str]:
        """The cfg keys among ``keys`` that only another method reads (e.g. ``curve`` with
        ``method=animalspot``).

        Examples
        --------
        >>> PostprocessConfig(method="animalspot").unused_cfg_keys(["threshold", "curve"])
        ['curve']
        """
        out = []
        for key in keys:
            name = _CFG_TO_FIELD.get(key)
            only = None if name is None else _FIELDS[name].metadata["method"]
            if only is not None and only != self.method:
                out.append(key)
        return out

    def replace(self, **changes: Any) -> PostprocessConfig:
        """A copy with some settings changed (field names, validated).

        Examples
        --------
        >>> PostprocessConfig().replace(method="animalspot", threshold=0.9).method
        'animalspot'
        """
        unknown = sorted(set(changes) - set(_FIELDS))
        if unknown:
            raise ConfigError(f"unknown post-processing settings {unknown}; allowed: "
                              f"{', '.join(_FIELDS)}")
        return dataclasses.replace(self, **changes)

    def to_cfg_items(self) -> dict[str, str]:
        """The cfg lines of this config: ``method`` always, the others when not default.

        Examples
        --------
        >>> PostprocessConfig(method="animalspot", threshold=0.9).to_cfg_items()
        {'method': 'animalspot', 'threshold': '0.9'}
        """
        out: dict[str, str] = {}
        for key, name in _CFG_TO_FIELD.items():
            value = getattr(self, name)
            if key != "method" and (value is None or value == _FIELDS[name].default):
                continue
            out[key] = value if isinstance(value, str) else format_cfg_number(value)
        return out

    def to_json(self) -> str:
        """This config as a JSON object (every field, sorted keys).

        Examples
        --------
        >>> PostprocessConfig(threshold=0.5).to_json()[:40]
        '{"curve": "mean", "decimals": 3, "high_h'
        """
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    # -- constructors ----------------------------------------------------------------------

    @classmethod
    def from_json(cls, text: str | Mapping[str, Any]) -> PostprocessConfig:
        """A config from :meth:`to_json`'s text (or the parsed object).

        Examples
        --------
        >>> PostprocessConfig.from_json('{"threshold": 0.8}').threshold
        0.8
        """
        try:
            doc = json.loads(text) if isinstance(text, str) else dict(text)
        except (json.JSONDecodeError, TypeError, ValueError):
            raise ConfigError(f"a post-processing config must be a JSON object, got "
                              f"{str(text)[:80]!r}") from None
        if not isinstance(doc, dict):
            raise ConfigError(f"a post-processing config must be a JSON object, got {doc!r}")
        unknown = sorted(set(doc) - set(_FIELDS))
        if unknown:
            raise ConfigError(f"unknown post-processing settings {unknown}; allowed: "
                              f"{', '.join(_FIELDS)}")
        return cls(**doc)

    @classmethod
    def from_mapping(
        cls,
        values: Mapping[str, Any],
        *,
        base: PostprocessConfig | None = None,
        path: str | os.PathLike[str] | None = None,
        line_of: Callable[[str], int | None] | None = None,
    ) -> PostprocessConfig:
        """A config from cfg keys: cfg text values or JSON scalars, parsed and validated.

        Parameters
        ----------
        values : mapping
            cfg key (see :meth:`cfg_keys`) -> value (``str`` as read from a cfg file, or a
            number/string from JSON).
        base : PostprocessConfig, optional
            Settings the mapping does not name (default: the defaults).
        path : path-like, optional
            File the values come from, named in errors.
        line_of : callable, optional
            ``line_of(key)`` -> the line of ``key`` in ``path``, named in errors.

        Raises
        ------
        ConfigError
            Unknown keys, values of the wrong type, out of range or not registered.

        Examples
        --------
        >>> PostprocessConfig.from_mapping({"threshold": "0.9", "merge_gap_s": 0.1}).merge_gap_s
        0.1
        >>> PostprocessConfig.from_mapping({"curve": "wiggly"})
        Traceback (most recent call last):
        alpacaspot.errors.ConfigError: curve: must be one of ['centre', 'mean'], got 'wiggly'
        """
        where = (lambda key: None) if line_of is None else line_of
        unknown = sorted(set(values) - set(_CFG_TO_FIELD))
        if unknown:
            raise ConfigError(f"unknown post-processing keys {unknown}; allowed: "
                              f"{', '.join(_CFG_TO_FIELD)}", path=path)
        changes: dict[str, Any] = {}
        for key, raw in values.items():
            name = _CFG_TO_FIELD[key]
            try:
                changes[name] = _check(name, _parse(name, raw))
            except _FieldError as exc:
                raise ConfigError(f"{key}: {exc.what}", path=path, line=where(key)) from None
            except ConfigError as exc:
                raise ConfigError(f"{key}: {exc.message}", path=path, line=where(key)) from None
        try:
            return (base or cls()).replace(**changes)
        except ConfigError as exc:
            key = "low_threshold" if "low_threshold" in values else "threshold"
            raise ConfigError(exc.message, path=path, line=where(key)) from None


_FIELDS = {f.name: f for f in dataclasses.fields(PostprocessConfig)}
_CFG_TO_FIELD = {f.metadata["cfg"]: f.name for f in _FIELDS.values() if f.metadata["cfg"]}


def format_cfg_number(x: float | int) -> str:
    """A number as a cfg value: the shortest text that reads back as the same float.

    Examples
    --------
    >>> format_cfg_number(0.9), format_cfg_number(3.0), format_cfg_number(48000)
    ('0.9', '3', '48000')
    """
    if isinstance(x, int):
        return str(x)
    text = repr(float(x))
    return text[:-2] if text.endswith(".0") else text


def _parse(name: str, raw: Any) -> Any:
    """A cfg/JSON value as the field's type (text is converted, other values are checked)."""
    kind = _FIELDS[name].metadata["kind"]
    if raw is True or raw is False:
        raise ConfigError(f"expected a value (key=value), not a flag, got {raw!r}")
    if not isinstance(raw, str) or kind in ("choice", "text"):
        return raw
    text = raw.strip()
    if text.lower() in ("none", ""):
        return None
    try:
        return int(text) if kind in ("count", "rate") else float(text)
    except ValueError:
        expected = "a whole number" if kind in ("count", "rate") else "a number"
        raise ConfigError(f"expected {expected}, got {raw!r}") from None


class _FieldError(ConfigError):
    """A bad value of one field; ``what`` is the message without the field's name."""

    def __init__(self, name: str, what: str) -> None:
        self.what = what
        super().__init__(f"{name} {what}")


def _number(name: str, value: Any, *, whole: bool = False) -> float | int:
    ok = (isinstance(value, int) if whole else isinstance(value, (int, float)))
    if not ok or isinstance(value, bool) or not math.isfinite(value):
        kind = "a whole number" if whole else "a finite number"
        raise _FieldError(name, f"must be {kind}, got {value!r}")
    return int(value) if whole else float(value)


def _check(name: str, value: Any) -> Any:
    """The field's value, normalised (ints to floats), or a ConfigError naming the field."""
    if name in ("method", "curve"):
        names = postprocessor_names() if name == "method" else curve_names()
        if value not in names:
            raise _FieldError(name, f"must be one of {list(names)}, got {value!r}")
        return value
    if value is None:
        if name in ("min_duration_s", "merge_gap_s"):
            raise _FieldError(name, "must be a number >= 0, got None")
        return None
    if name == "target":
        if not isinstance(value, str) or not value:
            raise _FieldError(name, f"must be a class name, got {value!r}")
        return value
    kind = _FIELDS[name].metadata["kind"]
    x = _number(name, value, whole=kind in ("count", "rate"))
    if kind == "probability" and not 0.0 <= x <= 1.0:
        raise _FieldError(name, f"must lie in [0, 1], got {value!r}")
    if kind == "rate" and x <= 0:
        raise _FieldError(name, f"must be a positive sample rate, got {value!r}")
    if x < 0:
        raise _FieldError(name, f"must be >= 0, got {value!r}")
    return x
