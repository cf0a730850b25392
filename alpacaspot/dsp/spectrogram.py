"""The spectrogram pipeline: audio samples -> dB spectrogram -> normalised CNN input.

The path is ANIMAL-SPOT's: pre-emphasis ``y[n] - a y[n-1]`` -> periodic-window STFT without
centring -> power scaled by ``1 / sum(window ** 2)`` -> frequency compression ->
``10 log10(max(S, 10 ** (min_level_db / 10)))`` -> normalisation (:func:`normalize`, applied
per window).

Frames are processed in chunks of about 1 MB by a small thread pool: a numba kernel frames,
pre-emphasises and windows a chunk, scipy's pocketfft transforms it, a second kernel takes it
to compressed power and numpy's SIMD ``log10`` to dB. Each frame's result depends only on its
own samples, so any chunking or thread count gives identical numbers.

The numba kernels are compiled on first use and cached on disk (next to the module, or under
``NUMBA_CACHE_DIR``): see :mod:`alpacaspot.dsp._kernels` for what the first call costs.
"""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.fft

from alpacaspot.dsp._kernels import frame_kernel, minmax_kernel, power_kernel
from alpacaspot.dsp.compression import compression_matrix
from alpacaspot.dsp.config import SpectrogramConfig
from alpacaspot.dsp.stft import as_signal, default_workers, get_window
from alpacaspot.errors import AudioError, ConfigError

__all__ = ["spectrogram", "normalize", "compute_frames"]

# Float32 samples per framing chunk (1 MB): one chunk and its spectrum stay in a core's L2
# cache while a thread frames, transforms and compresses it.
_CHUNK_SAMPLES = 1 << 18


def _chunk_frames(n_fft: int) -> int:
    return max(16, _CHUNK_SAMPLES // n_fft)


def compute_frames(
    x: np.ndarray,
    starts: np.ndarray,
    seg_starts: np.ndarray,
    config: SpectrogramConfig,
    *,
    out: np.ndarray | None = None,
    workers: int | None = None,
) -> np.ndarray:
    """dB spectrum of frames starting at arbitrary samples (the engine behind the public API).

    Parameters
    ----------
    x : numpy.ndarray
        Contiguous 1-D float32 signal (already checked).
    starts : numpy.ndarray
        int64 first sample of each frame (``>= 0``); samples past the end are zeros.
    seg_starts : numpy.ndarray
        int64 first sample of each frame's segment: pre-emphasis does not reach back past it.
    config : SpectrogramConfig
        The front end.
    out : numpy.ndarray, optional
        float32 ``(len(starts), n_freq_bins)`` C-contiguous buffer to fill.
    workers : int, optional
        Threads, each processing whole chunks of frames (default: all cores this process may
        use).

    Returns
    -------
    numpy.ndarray
        float32 ``(len(starts), n_freq_bins)`` un-normalised dB.

    Examples
    --------
    >>> cfg = SpectrogramConfig(sr=8000, n_fft=256, hop_length=128, fmin=0, fmax=4000,
    ...                         n_freq_bins=32)
    >>> x = np.random.default_rng(0).standard_normal(1024).astype("float32")
    >>> starts = np.array([0, 128], dtype=np.int64)
    >>> compute_frames(x, starts, np.zeros(2, dtype=np.int64), cfg).shape
    (2, 32)
    """
    starts = np.ascontiguousarray(starts, dtype=np.int64)
    seg_starts = np.ascontiguousarray(seg_starts, dtype=np.int64)
    n = int(starts.shape[0])
    if starts.ndim != 1 or seg_starts.shape != starts.shape:
        raise ConfigError(
            f"starts and seg_starts must be 1-D of one length, got {starts.shape}, "
            f"{seg_starts.shape}"
        )
    if out is None:
        out = np.empty((n, config.n_freq_bins), dtype=np.float32)
    elif (
        out.shape != (n, config.n_freq_bins)
        or out.dtype != np.float32
        or not out.flags.c_contiguous
    ):
        raise ConfigError(
            f"out must be a C-contiguous float32 array of shape {(n, config.n_freq_bins)}, "
            f"got {out.dtype} {out.shape}"
        )
    if n == 0:
        return out
    if int(starts.min()) < 0 or int(seg_starts.min()) < 0:
        raise ConfigError("frame and segment starts must be >= 0")
    win = get_window(config.window, config.n_fft)
    scale = 1.0 / float(np.sum(win.astype(np.float64) ** 2))
    floor = 10.0 ** (config.min_level_db / 10.0)
    comp = compression_matrix(config)
    chunk = _chunk_frames(config.n_fft)
    n_chunks = -(-n // chunk)
    counter = itertools.count()  # next() on it is atomic under the GIL

    def work() -> None:
        buf = np.empty((min(chunk, n), config.n_fft), dtype=np.float32)
        while (c := next(counter)) < n_chunks:
            lo, hi = c * chunk, min(n, (c + 1) * chunk)
            b = buf[: hi - lo]
            frame_kernel(x, starts[lo:hi], seg_starts[lo:hi], win, config.preemphasis, b)
            spec = scipy.fft.rfft(b, axis=1, workers=1)
            rows = out[lo:hi]
            power_kernel(spec, scale, comp.offsets, comp.indices, comp.weights, floor, rows)
            np.log10(rows, out=rows)
            rows *= np.float32(10.0)

    n_threads = min(workers or default_workers(), n_chunks)
    if n_threads <= 1:
        work()
    else:
        with ThreadPoolExecutor(max_workers=n_threads) as pool:
            for future in [pool.submit(work) for _ in range(n_threads)]:
                future.result()
    return out


def spectrogram(
    x: np.ndarray,
    config: SpectrogramConfig,
    *,
    pad: bool = False,
    workers: int | None = None,
) -> np.ndarray:
    """dB spectrogram of a whole signal, frames x ``n_freq_bins``, not normalised.

    Pre-emphasis runs over the whole signal (its first sample is kept as is), then frame
    ``i`` covers samples ``i * hop_length .. i * hop_length + n_fft - 1``.

    Parameters
    ----------
    x : numpy.ndarray
        1-D mono samples at ``config.sr``.
    config : SpectrogramConfig
        The front end.
    pad : bool, default False
        Zero-pad a signal shorter than ``n_fft`` to one frame instead of raising.
    workers : int, optional
        Threads (default: all cores this process may use).

    Returns
    -------
    numpy.ndarray
        float32 ``(1 + (len(x) - n_fft) // hop_length, n_freq_bins)``.

    Raises
    ------
    AudioError
        If ``x`` is not 1-D, holds NaN or infinity, or (without ``pad``) is shorter than
        ``n_fft``.

    Examples
    --------
    >>> cfg = SpectrogramConfig(sr=48000, n_fft=2048, hop_length=1024, fmin=0, fmax=4000,
    ...                         n_freq_bins=128)
    >>> x = np.random.default_rng(0).standard_normal(48000).astype("float32")
    >>> spectrogram(x, cfg).shape
    (45, 128)
    """
    sig = as_signal(x)
    n_frames = config.n_frames(sig.shape[0])
    if n_frames == 0:
        if not pad:
            raise AudioError(
                f"signal of {sig.shape[0]} samples is shorter than one STFT frame "
                f"(n_fft={config.n_fft}); pass pad=True to zero-pad it"
            )
        n_frames = 1
    starts = np.arange(n_frames, dtype=np.int64) * config.hop_length
    return compute_frames(
        sig, starts, np.zeros(n_frames, dtype=np.int64), config, workers=workers
    )


def normalize(
    spec: np.ndarray, config: SpectrogramConfig, *, out: np.ndarray | None = None
) -> np.ndarray:
    """Apply the config's normalisation to one window or to each window of a batch.

    Parameters
    ----------
    spec : numpy.ndarray
        dB values, ``(frames, bins)`` (one window) or ``(windows, frames, bins)``.
    config : SpectrogramConfig
        ``normalization``: ``"minmax"`` scales each window to [0, 1] (a constant window
        becomes 0, as in ANIMAL-SPOT); ``"ref_level"`` is
        ``clip((dB - ref_level_db - min_level_db) / -min_level_db, 0, 1)``; ``"none"``
        returns a float32 copy.

    out : numpy.ndarray, optional
        C-contiguous float32 array of the same shape to write into; pass ``spec`` itself to
        normalise in place (no second full-size array for a long recording).

    Returns
    -------
    numpy.ndarray
        float32 array of the same shape: ``out`` if given, else a new array (the input is
        then not modified).

    Raises
    ------
    ConfigError
        If ``spec`` is not 2-D or 3-D or is empty.

    Examples
    --------
    >>> cfg = SpectrogramConfig(sr=8000, n_fft=256, hop_length=128, fmin=0, fmax=4000,
    ...                         n_freq_bins=2)
    >>> normalize(np.array([[-50.0, -30.0], [-40.0, -10.0]]), cfg).tolist()
    [[0.0, 0.5], [0.25, 1.0]]
    """
    arr = np.asarray(spec)
    if arr.ndim not in (2, 3):
        raise ConfigError(
            f"normalize expects (frames, bins) or (windows, frames, bins), got shape {arr.shape}"
        )
    if arr.size == 0:
        if arr.ndim == 3 and arr.shape[0] == 0:
            return np.zeros(arr.shape, dtype=np.float32)
        raise ConfigError(f"cannot normalise an empty spectrogram of shape {arr.shape}")
    arr32 = np.ascontiguousarray(arr, dtype=np.float32)
    if out is None:
        out = np.empty(arr32.shape, dtype=np.float32)
    elif out.shape != arr32.shape or out.dtype != np.float32 or not out.flags.c_contiguous:
        raise ConfigError(
            f"out must be a C-contiguous float32 array of shape {arr32.shape}, "
            f"got {out.dtype} {out.shape}"
        )
    if config.normalization == "none":
        if out is not arr32:
            out[...] = arr32
        return out
    if config.normalization == "ref_level":
        ref = np.float32(config.ref_level_db)
        lvl = np.float32(config.min_level_db)
        np.subtract(arr32, ref + lvl, out=out)
        np.divide(out, -lvl, out=out)
        return np.clip(out, 0.0, 1.0, out=out)
    if arr32.ndim == 3:
        minmax_kernel(arr32, out)
    else:
        minmax_kernel(arr32[None], out[None])
    return out
