"""Numba kernels of the spectrogram front end (compiled once, cached on disk).

Two fused passes surround the FFT (which is scipy's pocketfft, not ours):

* :func:`frame_kernel` cuts frames at arbitrary start samples, applies pre-emphasis with a
  per-frame segment start (the first sample of a segment has no predecessor, as when a window
  is cut out of a recording and pre-emphasised on its own), zero-pads past the end of the
  signal and multiplies by the analysis window;
* :func:`power_kernel` takes the complex spectrum to scaled power, applies a sparse
  (CSR) frequency compression and clamps at the dB floor (numpy's SIMD ``log10`` then
  converts the chunk to dB in place).

Both are serial, release the GIL and write into caller-owned buffers: the caller runs them
on chunks of frames from a small thread pool (one chunk per thread at a time, FFT included),
which keeps each chunk in cache, needs no full-size intermediate, and degrades gracefully on
a busy machine, where numba's ``parallel=True`` barriers measured several times slower.

First-call cost: the kernels are compiled with ``cache=True``, so only the first process
after an install (or a change of this file) compiles them; later processes load them from the
disk cache (``__pycache__`` beside this file, or ``NUMBA_CACHE_DIR`` where that is not
writable). Measured on the project's shared 2-core machine, import plus the first
``window_spectrograms`` + ``normalize`` call in a fresh process took 1.6-3.7 s with an empty
cache and 1.0-1.7 s with a warm one, most of it importing numpy, scipy and numba
(``benchmarks/bench_spectrogram.py`` re-measures it).
"""

from __future__ import annotations

import numba as nb
import numpy as np

__all__ = ["frame_kernel", "power_kernel", "minmax_kernel"]


@nb.njit(cache=True, nogil=True)
def frame_kernel(
    x: np.ndarray,
    starts: np.ndarray,
    seg_starts: np.ndarray,
    window: np.ndarray,
    preemphasis: float,
    out: np.ndarray,
) -> None:  # pragma: no cover - compiled
    """Fill ``out[i] = window * preemph(x)[starts[i] : starts[i] + n_fft]``.

    Samples at or past ``len(x)`` are zero; pre-emphasis ``y[p] = x[p] - a * x[p-1]`` applies
    for ``p > seg_starts[i]`` and leaves ``y[seg_starts[i]] = x[seg_starts[i]]``.
    """
    n = x.shape[0]
    n_fft = window.shape[0]
    a = np.float32(preemphasis)
    for i in range(starts.shape[0]):
        s = starts[i]
        g = seg_starts[i]
        for k in range(n_fft):
            p = s + k
            v = x[p] if p < n else np.float32(0.0)
            if p > g and p - 1 < n:
                v = v - a * x[p - 1]
            out[i, k] = v * window[k]


@nb.njit(cache=True, nogil=True)
def power_kernel(
    spec: np.ndarray,
    scale: float,
    offsets: np.ndarray,
    indices: np.ndarray,
    weights: np.ndarray,
    floor: float,
    out: np.ndarray,
) -> None:  # pragma: no cover - compiled
    """``out[i, k] = max(scale * sum_j w_kj |spec[i, j]|^2, floor)`` (dB is taken by numpy's
    SIMD ``log10`` afterwards: numba's scalar ``log10`` is many times slower)."""
    n_out = offsets.shape[0] - 1
    for i in range(spec.shape[0]):
        for k in range(n_out):
            acc = 0.0
            for t in range(offsets[k], offsets[k + 1]):
                c = spec[i, indices[t]]
                p = np.float32(c.real * c.real + c.imag * c.imag)
                acc += weights[t] * p
            acc = acc * scale
            if acc < floor:
                acc = floor
            out[i, k] = acc


@nb.njit(cache=True, nogil=True)
def minmax_kernel(spec: np.ndarray, out: np.ndarray) -> None:  # pragma: no cover - compiled
    """Per-window min-max to [0, 1] of a (windows x frames x bins) batch; constant -> 0."""
    for w in range(spec.shape[0]):
        lo = spec[w, 0, 0]
        hi = spec[w, 0, 0]
        for i in range(spec.shape[1]):
            for j in range(spec.shape[2]):
                v = spec[w, i, j]
                if v < lo:
                    lo = v
                if v > hi:
                    hi = v
        rng = np.float32(hi - lo)
        for i in range(spec.shape[1]):
            for j in range(spec.shape[2]):
                d = np.float32(spec[w, i, j] - lo)
                out[w, i, j] = d / rng if rng > 0 else np.float32(0.0)
