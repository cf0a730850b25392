"""Model windows: the fixed-length spectrogram excerpts a detector classifies.

Two routes, one result:

* :func:`window_view` slices one long spectrogram into a strided (windows x T x F) view. It is
  exact only when the window hop is a whole number of STFT hops (e.g. 441 at 44.1 kHz with a
  0.05 s hop).
* :func:`frame_windows` (behind :func:`window_spectrograms` and prediction's CPU front end)
  frames every window exactly as if the window's samples had been cut out of the recording and
  transformed alone (pre-emphasis starts afresh at the window's first sample), in one
  vectorised numba pass over all frames of all windows. When the window hop is a whole number
  of STFT hops it computes each distinct frame once and gathers, recomputing only each
  window's first frame (and not even that when a frame's first sample cannot matter: a
  periodic Hann window, or no pre-emphasis), with the same result bit for bit.

Where window ``i`` lies is :mod:`alpacaspot.dsp.grid`'s: it starts at sample
``i * ceil(hop_s * sr)`` and spans ``ceil(window_s * sr)`` samples, as ANIMAL-SPOT's
prediction cuts them.
"""

from __future__ import annotations

import numpy as np

from alpacaspot.dsp.config import SpectrogramConfig
from alpacaspot.dsp.grid import frame_starts, seconds_to_samples, window_count
from alpacaspot.dsp.spectrogram import compute_frames
from alpacaspot.dsp.stft import as_signal, get_window
from alpacaspot.errors import ConfigError

__all__ = ["window_view", "window_count", "window_spectrograms", "frame_windows",
           "first_sample_ignored"]


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
    starts = (start + np.arange(count, dtype=np.int64)) * hop
    return frame_windows(sig, starts, config, n_win_frames, workers=workers)


def frame_windows(
    x: np.ndarray,
    window_starts: np.ndarray,
    config: SpectrogramConfig,
    n_frames: int,
    *,
    slicing: bool | None = None,
    workers: int | None = None,
) -> np.ndarray:
    """Un-normalised dB spectrograms of windows starting at arbitrary samples of ``x``.

    Window ``i`` has ``n_frames`` frames, frame ``k`` starting at
    ``window_starts[i] + k * hop_length``, and equals the spectrogram of the window's own
    samples (pre-emphasis restarts at ``window_starts[i]``); samples past the end of ``x`` are
    zeros.

    Parameters
    ----------
    x : numpy.ndarray
        Contiguous 1-D float32 samples (already checked).
    window_starts : numpy.ndarray
        First sample of each window (int64, ascending).
    config : SpectrogramConfig
        The front end.
    n_frames : int
        Frames per window.
    slicing : bool, optional
        Compute each distinct frame once and gather. Default (None): when the windows are
        evenly spaced by a whole number of STFT hops. ``False`` frames every window on its
        own; ``True`` slices where the spacing allows it. Results are identical either way.
    workers : int, optional
        Threads (default: all cores this process may use).

    Returns
    -------
    numpy.ndarray
        float32 ``(len(window_starts), n_frames, n_freq_bins)``.

    Examples
    --------
    >>> cfg = SpectrogramConfig(sr=8000, n_fft=256, hop_length=128, fmin=0, fmax=4000,
    ...                         n_freq_bins=16)
    >>> x = np.random.default_rng(0).standard_normal(4000).astype("float32")
    >>> a = frame_windows(x, np.array([0, 256, 512]), cfg, 5)
    >>> b = frame_windows(x, np.array([0, 256, 512]), cfg, 5, slicing=False)
    >>> a.shape, bool(np.array_equal(a, b))
    ((3, 5, 16), True)
    """
    ws = np.ascontiguousarray(window_starts, dtype=np.int64)
    count = int(ws.shape[0])
    step = _even_step(ws, config.hop_length) if slicing is not False else None
    if count and step is not None:
        return _sliced(x, ws, config, n_frames, step, workers)
    starts, segs = frame_starts(ws, n_frames=n_frames, hop_length=config.hop_length)
    out = compute_frames(x, starts, segs, config, workers=workers)
    return out.reshape(count, n_frames, config.n_freq_bins)


def _even_step(ws: np.ndarray, hop_length: int) -> int | None:
    """The spacing of ``ws`` in STFT frames when it is even and a whole number of them."""
    if ws.shape[0] < 2:
        return 1 if ws.shape[0] == 1 else None
    d = np.diff(ws)
    step, rest = divmod(int(d[0]), int(hop_length))
    if rest or step < 1 or not bool(np.all(d == d[0])):
        return None
    return step


def first_sample_ignored(config: SpectrogramConfig) -> bool:
    """True when a frame's first sample has no effect (zero window coefficient or no
    pre-emphasis), so a window's own pre-emphasis equals the whole signal's.

    Examples
    --------
    >>> kw = dict(sr=8000, n_fft=256, hop_length=128, fmin=0, fmax=4000, n_freq_bins=16)
    >>> first_sample_ignored(SpectrogramConfig(**kw, window="hann"))
    True
    >>> first_sample_ignored(SpectrogramConfig(**kw, window="hamming"))
    False
    """
    return config.preemphasis == 0.0 or float(get_window(config.window, config.n_fft)[0]) == 0.0


def _sliced(
    x: np.ndarray,
    ws: np.ndarray,
    config: SpectrogramConfig,
    n_frames: int,
    step: int,
    workers: int | None,
) -> np.ndarray:
    """Windows on the frame grid: compute each distinct frame once, then gather."""
    n_unique = (len(ws) - 1) * step + n_frames
    starts = ws[0] + np.arange(n_unique, dtype=np.int64) * config.hop_length
    frames = compute_frames(x, starts, np.zeros_like(starts), config, workers=workers)
    out = window_view(frames, n_frames=n_frames, hop_frames=step).copy(order="C")
    if not first_sample_ignored(config):
        # a window's first frame without pre-emphasis reaching back before the window
        out[:, 0, :] = compute_frames(x, ws, ws, config, workers=workers)
    return out
