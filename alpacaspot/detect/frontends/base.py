"""The front-end contract of prediction: audio file + window grid -> batches of network inputs.

A front end yields :class:`Batch` es of normalised window inputs ``(n, n_frames, bins)``, in
window order, each equal (within float rounding) to the window cut out of the recording and
transformed alone by :func:`alpacaspot.dsp.inputs.window_input`. Front ends differ in where
the work runs: ``"cpu"`` (numba + pocketfft, numpy arrays) and ``"torch"`` (torch on the
model's device, tensors already there). They are registered by name; :func:`get_frontend`
builds one and :func:`default_frontend` picks the one that suits a device.

Examples
--------
>>> sorted(FRONTENDS)  # doctest: +SKIP
['cpu', 'torch']
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from alpacaspot.dsp.config import SpectrogramConfig
from alpacaspot.dsp.grid import WindowGrid
from alpacaspot.errors import ConfigError
from alpacaspot.io.audio import DEFAULT_RESAMPLER

__all__ = ["Batch", "FrontEnd", "FRONTENDS", "register_frontend", "get_frontend",
           "default_frontend"]


@dataclass(frozen=True)
class Batch:
    """Normalised inputs ``(n, frames, bins)`` of windows ``first .. first + n - 1``.

    ``inputs`` is a numpy array (CPU front end) or a torch tensor on the model's device.
    """

    first: int
    inputs: Any


@runtime_checkable
class FrontEnd(Protocol):
    """What prediction asks of a front end."""

    name: str

    def batches(
        self,
        path: Path,
        grid: WindowGrid,
        config: SpectrogramConfig,
        n_frames: int,
        *,
        batch_size: int,
        first: int = 0,
        channel: int | None = None,
        resampler: str = DEFAULT_RESAMPLER,
        pad_short: bool = True,
    ) -> Iterator[Batch]:
        """Yield the inputs of windows ``first ..`` of ``grid``, ``batch_size`` at a time.

        ``channel`` (1-based) picks a channel, ``None`` averages them; a file at another
        rate is resampled with ``resampler``; a recording shorter than one window is one
        window, padded to ``n_frames`` when ``pad_short`` (else fed with its own frames).
        """
        ...


#: Registered front ends: name -> factory ``(device=..., **options) -> FrontEnd``.
FRONTENDS: dict[str, Callable[..., FrontEnd]] = {}


def register_frontend(name: str) -> Callable[[Callable[..., FrontEnd]], Callable[..., FrontEnd]]:
    """Class decorator registering a front end under ``name``.

    Examples
    --------
    >>> @register_frontend("toy")  # doctest: +SKIP
    ... class Toy: ...
    """
    def deco(factory: Callable[..., FrontEnd]) -> Callable[..., FrontEnd]:
        FRONTENDS[name] = factory
        return factory

    return deco


def get_frontend(name: str, *, device: Any = "cpu", **options: Any) -> FrontEnd:
    """Build the front end registered as ``name`` for ``device``.

    Raises
    ------
    ConfigError
        For a name no front end is registered under.

    Examples
    --------
    >>> from alpacaspot.detect.frontends import get_frontend
    >>> get_frontend("cpu").name
    'cpu'
    """
    if name not in FRONTENDS:
        raise ConfigError(f"frontend must be one of {tuple(sorted(FRONTENDS))}, got {name!r}")
    return FRONTENDS[name](device=device, **options)


def default_frontend(device: Any) -> str:
    """``"torch"`` when the model runs on CUDA, else ``"cpu"``.

    Examples
    --------
    >>> default_frontend("cpu"), default_frontend("cuda:0")
    ('cpu', 'torch')
    """
    return "torch" if str(device).startswith("cuda") else "cpu"
