"""Sample-rate conversion: the resamplers, and the one rule for a resampled signal's length.

Two resamplers, named in model files:

* ``"polyphase"``: :func:`scipy.signal.resample_poly` with its default Kaiser filter.
  alpacaspot's own models use it (fast: 600-1,600x realtime on one core).
* ``"kaiser_best"``: resampy's ``kaiser_best`` band-limited sinc interpolation, as
  ANIMAL-SPOT resamples every file whose rate differs from the model's. Models imported from
  ANIMAL-SPOT use it, so that they see the samples they saw there (25-50x realtime).

Either way a signal of ``n`` samples at ``sr_from`` becomes :func:`resampled_length` samples
at ``sr_to``: ``int(n * sr_to / sr_from)`` (floor), resampy's and so ANIMAL-SPOT's length.
"""

from __future__ import annotations

import functools
import math

import numpy as np

__all__ = ["RESAMPLERS", "DEFAULT_RESAMPLER", "resampled_length", "check_resampler",
           "kaiser_best_at"]

RESAMPLERS: tuple[str, ...] = ("polyphase", "kaiser_best")
"""Resampler names a model file may state."""

DEFAULT_RESAMPLER = "polyphase"
"""The resampler of alpacaspot's own models (and of model files that state none)."""


def check_resampler(name: object) -> str:
    """``name`` when it is one of :data:`RESAMPLERS`, else ``ValueError`` naming them.

    Examples
    --------
    >>> check_resampler("kaiser_best")
    'kaiser_best'
    """
    if not isinstance(name, str) or name not in RESAMPLERS:
        raise ValueError(f"resampler must be one of {RESAMPLERS}, got {name!r}")
    return name


def resampled_length(n: int, sr_from: int, sr_to: int) -> int:
    """Samples of a signal of ``n`` samples at ``sr_from`` once resampled to ``sr_to``.

    ``int(n * sr_to / sr_from)`` in floating point, exactly as resampy (and so ANIMAL-SPOT)
    computes it; ``n`` when the rates are equal. This is the only place the length is
    computed: reading audio, the window grid and the block spectrogram all call it.

    Examples
    --------
    >>> resampled_length(518399, 96000, 48000)
    259199
    >>> resampled_length(44100, 44100, 48000)
    48000
    >>> resampled_length(10, 48000, 48000)
    10
    """
    n, sr_from, sr_to = int(n), int(sr_from), int(sr_to)
    if sr_from == sr_to:
        return n
    return int(n * float(sr_to) / float(sr_from))


@functools.lru_cache(maxsize=16)
def _kaiser_best_filter(sr_from: int, sr_to: int) -> tuple[np.ndarray, np.ndarray, int, float,
                                                            int]:
    from resampy.filters import get_filter

    ratio = float(sr_to) / sr_from
    win, precision, _ = get_filter("kaiser_best")
    if ratio < 1:
        win = ratio * win
    delta = np.diff(win, append=win[-1])
    scale = min(1.0, ratio)
    step = int(scale * precision)
    reach = len(win) // max(step, 1) + 2
    return win, delta, int(precision), scale, reach


def kaiser_best_at(
    read: object, n_in: int, sr_from: int, sr_to: int, first: int, stop: int
) -> np.ndarray:
    """Samples ``first .. stop - 1`` of ``resampy.resample(x, sr_from, sr_to, "kaiser_best")``.

    Computes only the requested output samples, reading only the input they depend on, with
    resampy's own interpolation kernel at the same output times: the result equals the same
    slice of a whole-signal resample (to float rounding of the sums).

    Parameters
    ----------
    read : callable
        ``read(a, b)`` returns input samples ``a .. b - 1`` as a 1-D float array.
    n_in : int
        Length of the whole input signal.
    sr_from, sr_to : int
        Input and output rates.
    first, stop : int
        Output sample range (``0 <= first < stop <= resampled_length(n_in, ...)``).

    Examples
    --------
    >>> import resampy
    >>> x = np.random.default_rng(0).standard_normal(4410)
    >>> y = resampy.resample(x, 44100, 48000, filter="kaiser_best")
    >>> part = kaiser_best_at(lambda a, b: x[a:b], len(x), 44100, 48000, 1000, 1200)
    >>> bool(np.allclose(part, y[1000:1200], atol=1e-12))
    True
    """
    from resampy.interpn import resample_f_s

    win, delta, precision, scale, reach = _kaiser_best_filter(int(sr_from), int(sr_to))
    increment = 1.0 / (float(sr_to) / sr_from)
    t = np.arange(first, stop, dtype=np.int64) * increment
    a = max(0, int(t[0]) - reach)
    b = min(int(n_in), int(math.floor(t[-1])) + reach + 1)
    x = np.ascontiguousarray(read(a, b), dtype=np.float64)  # type: ignore[operator]
    y = np.zeros(len(t), dtype=np.float64)
    # subtracting an integer from the times is exact, so the kernel sees the same fractions
    resample_f_s(x, t - a, win, delta, precision, scale, y)
    return y
