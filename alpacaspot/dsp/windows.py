"""Model windows: the fixed-length spectrogram excerpts a detector classifies.

Two routes, one result:

* :func:`window_view` slices one long spectrogram into a strided (windows x T x F) view. It is
  exact only when the window hop is a whole number of STFT hops (e.g. 441 at 44.1 kHz with a
  0.05 s hop).
* :func:`window_spectrograms` frames every window on its own, exactly as if the window's
  samples had been cut out of the recording and transformed alone (pre-emphasis starts afresh
  at the window's first sample), in one vectorised numba pass over all frames of all windows.
  Use it when the grids do not align (0.05 s at 48 kHz with hop 1024). When they do align
  and a frame's first sample cannot matter (periodic Hann window, or no pre-emphasis), it
  computes each distinct frame once and gathers, with the same result.

Window ``i`` starts at sample ``i * ceil(hop_s * sr)`` and spans ``ceil(window_s * sr)``
samples, as ANIMAL-SPOT's prediction cuts them.
"""

from __future__ import annotations

import numpy as np

from alpacaspot.dsp.config import SpectrogramConfig, seconds_to_samples
from alpacaspot.dsp.spectrogram import compute_frames
from alpacaspot.dsp.stft import as_signal, get_window
from alpacaspot.errors import ConfigError

__all__ = ["window_view", "window_count", "window_spectrograms"]


def window_count(n_samples: int, *, window_samples: int, hop_samples: int) -> int:
    """ANIMAL-SPOT's number of windows over a signal: ``max(ceil((N + 1 - L) / H), 1)``.

    That is every window that fits entirely, and at least one (zero-padded) for a signal
    shorter than a window.

    Examples
    --------
    >>> window_count(48000, window_samples=19200, hop_samples=2400)
    13
    >>> window_count(100, window_samples=19200, hop_samples=2400)
    1
    """
    if window_samples < 1 or hop_samples < 1:
        raise ConfigError(
            f"window and hop must be positive, got {window_samples}, {hop_samples} samples"
        )
    m = n_samples + 1 - window_samples
    return max(-(-m // hop_samples), 1)


def window_view(spec: np.ndarray, *, n_frames: int, hop_frames: int) -> np.ndarray:
    """Windows of ``n_frames`` frames every ``hop_frames`` frames, as a read-only view.

    Parameters
    ----------
    spec : numpy.ndarray
        ``(frames, bins)`` spectrogram.
    n_frames : int
        Frames per window.
    hop_frames : int
        Frames between window starts.

    Returns
    -------
    numpy.ndarray
        ``(1 + (frames - n_frames) // hop_frames, n_frames, bins)`` view (no copy).

    Raises
    ------
    ConfigError
        If ``spec`` is not 2-D, the sizes are not positive, or it has fewer than ``n_frames``
        frames.

    Examples
    --------
    >>> s = np.arange(20, dtype=np.float32).reshape(10, 2)
    >>> v = window_view(s, n_frames=4, hop_frames=3)
    >>> v.shape, v[1, 0].tolist()
    ((3, 4, 2), [6.0, 7.0])
    """
    arr = np.asarray(spec)
    if arr.ndim != 2:
        raise ConfigError(f"window_view expects a (frames, bins) array, got shape {arr.shape}")
    if n_frames < 1 or hop_frames < 1:
        raise ConfigError(
            f"n_frames and hop_frames must be positive, got {n_frames}, {hop_frames}"
        )
    if arr.shape[0] < n_frames:
        raise ConfigError(
            f"spectrogram of {arr.shape[0]} frames is shorter than one window of {n_frames}"
        )
    count = 1 + (arr.shape[0] - n_frames) // hop_frames
    s0, s1 = arr.strides
    return np.lib.stride_tricks.as_strided(
        arr, shape=(count, int(n_frames), arr.shape[1]), strides=(s0 * hop_frames, s0, s1),
        writeable=False,
    )


def window_spectrograms(
    x: np.ndarray,
    config: SpectrogramConfig,
    *,
    window_s: float,
    hop_s: float,
    start: int = 0,
    count: int | None = None,
    workers: int | None = None,
) -> np.ndarray:
    """Exact dB spectrograms of sliding windows, computed in one vectorised pass.

    Window ``i`` (for ``i = start .. start + count - 1``) covers samples
    ``i * H .. i * H + L - 1`` with ``L = ceil(window_s * sr)``, ``H = ceil(hop_s * sr)``.
    Its spectrogram equals ``spectrogram(x[i*H : i*H + L], config)``: pre-emphasis starts
    afresh at the window's first sample. A window running past the end of the signal is
    zero-padded: the missing samples are zeros *before* pre-emphasis (as if the recording
    went on in silence), so its spectrogram equals that of the cut samples followed by zeros.

    Parameters
    ----------
    x : numpy.ndarray
        1-D mono samples at ``config.sr``.
    config : SpectrogramConfig
        The front end.
    window_s : float
        Window length in seconds (at least ``n_fft`` samples).
    hop_s : float
        Window hop in seconds.
    start : int, default 0
        Index of the first window to compute (for batching a long recording).
    count : int, optional
        Number of windows; default all remaining of ``window_count(len(x), ...)``, i.e. every
        window that fits entirely, at least one.
    workers : int, optional
        Threads (default: all cores this process may use).

    Returns
    -------
    numpy.ndarray
        float32 ``(count, config.window_frames(window_s), n_freq_bins)``, un-normalised dB;
        pass it to :func:`normalize` for the network input.

    Raises
    ------
    ConfigError
        For a window shorter than ``n_fft``, a non-positive hop, a negative ``start`` or
        ``count``.
    AudioError
        If ``x`` is not 1-D finite samples.

    Examples
    --------
    >>> cfg = SpectrogramConfig(sr=48000, n_fft=2048, hop_length=1024, fmin=0, fmax=4000,
    ...                         n_freq_bins=128)
    >>> x = np.random.default_rng(0).standard_normal(48000).astype("float32")
    >>> window_spectrograms(x, cfg, window_s=0.4, hop_s=0.05).shape
    (13, 17, 128)
    """
    sig = as_signal(x)
    n_win_frames = config.window_frames(window_s)
    length = config.window_samples(window_s)
    if not hop_s > 0:
        raise ConfigError(f"hop_s must be positive, got {hop_s!r}")
    hop = seconds_to_samples(hop_s, config.sr)
    total = window_count(sig.shape[0], window_samples=length, hop_samples=hop)
    if start < 0:
        raise ConfigError(f"start must be >= 0, got {start}")
    if count is None:
        count = max(total - start, 0)
    if count < 0:
        raise ConfigError(f"count must be >= 0, got {count}")
    if count and hop % config.hop_length == 0 and _first_sample_ignored(config):
        return _aligned_windows(sig, config, start, count, hop, n_win_frames, workers)
    seg = (np.arange(start, start + count, dtype=np.int64) * hop)[:, None]
    offs = np.arange(n_win_frames, dtype=np.int64)[None, :] * config.hop_length
    starts = (seg + offs).reshape(-1)
    seg_starts = np.broadcast_to(seg, (count, n_win_frames)).reshape(-1)
    out = compute_frames(
        sig, starts, np.ascontiguousarray(seg_starts), config, workers=workers
    )
    return out.reshape(count, n_win_frames, config.n_freq_bins)


def _first_sample_ignored(config: SpectrogramConfig) -> bool:
    """True when a frame's first sample has no effect (zero window coefficient or no
    pre-emphasis), so a window's own pre-emphasis equals the whole signal's."""
    return config.preemphasis == 0.0 or float(get_window(config.window, config.n_fft)[0]) == 0.0


def _aligned_windows(
    sig: np.ndarray,
    config: SpectrogramConfig,
    start: int,
    count: int,
    hop: int,
    n_win_frames: int,
    workers: int | None,
) -> np.ndarray:
    """Windows on the frame grid: compute each distinct frame once, then gather."""
    step = hop // config.hop_length
    f0 = start * step
    n_unique = (count - 1) * step + n_win_frames
    starts = (f0 + np.arange(n_unique, dtype=np.int64)) * config.hop_length
    frames = compute_frames(sig, starts, np.zeros_like(starts), config, workers=workers)
    return np.ascontiguousarray(window_view(frames, n_frames=n_win_frames, hop_frames=step))
