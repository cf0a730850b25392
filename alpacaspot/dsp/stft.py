"""Framing and the short-time Fourier transform.

:func:`frame` is a zero-copy strided view (librosa's ``util.frame`` idea, frames on the first
axis); :func:`stft` is the plain, unscaled one-sided STFT ``rfft(frame * window)`` with no
centring, as ANIMAL-SPOT computes it. A signal of ``L`` samples has
``1 + (L - n_fft) // hop_length`` frames; a signal shorter than one frame is an error.
"""

from __future__ import annotations

import os
from functools import lru_cache

import numpy as np
import scipy.fft

from alpacaspot.dsp.config import WINDOWS
from alpacaspot.dsp.grid import frame_count
from alpacaspot.errors import AudioError, ConfigError

__all__ = ["frame", "stft", "get_window", "as_signal", "default_workers"]


def default_workers() -> int:
    """CPU cores this process may use (respects affinity, e.g. a Slurm allocation).

    Examples
    --------
    >>> default_workers() >= 1
    True
    """
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - non-Linux
        return max(1, os.cpu_count() or 1)


@lru_cache(maxsize=32)
def _window_cached(name: str, n: int) -> np.ndarray:
    import scipy.signal  # imported here: it costs every command-line start about a second

    w = scipy.signal.get_window(name, n, fftbins=True).astype(np.float32)
    w.setflags(write=False)
    return w


def get_window(name: str, n: int) -> np.ndarray:
    """The periodic analysis window ``name`` of ``n`` samples, float32, read-only.

    ``"hann"`` is scipy's ``get_window("hann", n)`` and torch's ``hann_window(n)`` default:
    its first coefficient is 0.

    Raises
    ------
    ConfigError
        For an unknown window name or ``n < 1``.

    Examples
    --------
    >>> w = get_window("hann", 8)
    >>> float(w[0]), float(w[4])
    (0.0, 1.0)
    """
    if name not in WINDOWS:
        raise ConfigError(f"window must be one of {', '.join(WINDOWS)}; got {name!r}")
    if n < 1:
        raise ConfigError(f"window length must be at least 1, got {n}")
    return _window_cached(name, int(n))


def as_signal(x: object, *, what: str = "signal") -> np.ndarray:
    """Check a signal and return it as a contiguous 1-D float32 array.

    Raises
    ------
    AudioError
        If it is not 1-D numeric or holds NaN or infinity.

    Examples
    --------
    >>> as_signal([0, 1, 2]).dtype
    dtype('float32')
    """
    try:
        arr = np.asarray(x)
    except (TypeError, ValueError) as exc:
        raise AudioError(f"{what} is not an array of samples ({exc})") from None
    if arr.ndim != 1:
        raise AudioError(
            f"{what} must be 1-D mono samples, got an array of shape {arr.shape}; "
            "average or pick a channel first"
        )
    if not (np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)):
        raise AudioError(f"{what} must hold real numbers, got dtype {arr.dtype}")
    arr = np.ascontiguousarray(arr, dtype=np.float32)
    if arr.size and not np.isfinite(arr).all():
        bad = int(np.flatnonzero(~np.isfinite(arr))[0])
        raise AudioError(f"{what} holds NaN or infinity (first at sample {bad})")
    return arr


def _check_frames(n: int, frame_length: int, hop_length: int, what: str) -> int:
    if frame_length < 1 or hop_length < 1:
        raise ConfigError(
            f"frame_length and hop_length must be positive, got {frame_length}, {hop_length}"
        )
    if n < frame_length:
        raise AudioError(
            f"{what} of {n} samples is shorter than one frame of {frame_length} samples; "
            "zero-pad it or use window_spectrograms, which pads"
        )
    return frame_count(n, frame_length=frame_length, hop_length=hop_length)


def frame(x: np.ndarray, *, frame_length: int, hop_length: int) -> np.ndarray:
    """Overlapping frames of a 1-D signal as a read-only strided view (no copy).

    Parameters
    ----------
    x : numpy.ndarray
        1-D signal.
    frame_length : int
        Samples per frame.
    hop_length : int
        Samples between frame starts.

    Returns
    -------
    numpy.ndarray
        ``(1 + (len(x) - frame_length) // hop_length, frame_length)`` view of ``x``.

    Raises
    ------
    AudioError
        If ``x`` is not 1-D or shorter than one frame.

    Examples
    --------
    >>> frame(np.arange(10), frame_length=4, hop_length=3)
    array([[0, 1, 2, 3],
           [3, 4, 5, 6],
           [6, 7, 8, 9]])
    """
    x = np.asarray(x)
    if x.ndim != 1:
        raise AudioError(f"frame expects a 1-D signal, got shape {x.shape}")
    n_frames = _check_frames(x.shape[0], int(frame_length), int(hop_length), "signal")
    step = x.strides[0]
    return np.lib.stride_tricks.as_strided(
        x, shape=(n_frames, int(frame_length)), strides=(step * int(hop_length), step),
        writeable=False,
    )


def stft(
    x: np.ndarray,
    *,
    n_fft: int,
    hop_length: int,
    window: str = "hann",
    center: bool = False,
    workers: int | None = None,
) -> np.ndarray:
    """One-sided STFT ``rfft(frame * window)``, unscaled, frames on the first axis.

    Parameters
    ----------
    x : numpy.ndarray
        1-D signal (cast to float32).
    n_fft : int
        Frame length and FFT size.
    hop_length : int
        Samples between frames.
    window : str, default "hann"
        Periodic window name (see :func:`get_window`).
    center : bool, default False
        If True, reflect-pad ``n_fft // 2`` samples on both sides first (librosa's and
        torch's ``center=True``); ANIMAL-SPOT uses False.
    workers : int, optional
        Threads for the FFT; default all cores this process may use.

    Returns
    -------
    numpy.ndarray
        complex64 ``(n_frames, n_fft // 2 + 1)``.

    Raises
    ------
    AudioError
        If the signal is not 1-D, not finite, or shorter than ``n_fft``.

    Examples
    --------
    >>> s = stft(np.ones(16, dtype="float32"), n_fft=8, hop_length=4, window="boxcar")
    >>> s.shape, complex(s[0, 0])
    ((3, 5), (8+0j))
    """
    from alpacaspot.dsp._kernels import frame_kernel

    sig = as_signal(x)
    if center:
        if sig.shape[0] <= n_fft // 2:
            raise AudioError(
                f"signal of {sig.shape[0]} samples is too short for center=True with "
                f"n_fft={n_fft}"
            )
        sig = np.pad(sig, n_fft // 2, mode="reflect")
    n_frames = _check_frames(sig.shape[0], int(n_fft), int(hop_length), "signal")
    win = get_window(window, int(n_fft))
    starts = np.arange(n_frames, dtype=np.int64) * int(hop_length)
    buf = np.empty((n_frames, int(n_fft)), dtype=np.float32)
    # Pre-emphasis 0 and segment starts at every frame: plain windowed frames.
    frame_kernel(sig, starts, starts, win, 0.0, buf)
    return scipy.fft.rfft(buf, axis=1, workers=workers or default_workers())
