"""Window inputs: audio -> the normalised ``(n_frames, n_freq_bins)`` arrays a network sees.

One recipe for training and prediction alike: a window's samples -> dB spectrogram
(:func:`alpacaspot.dsp.spectrogram`, zero-padded to one frame when shorter than ``n_fft``)
-> fitted to ``n_frames`` by :func:`fit_frames` (a longer spectrogram is cropped *before*
normalisation, a shorter one normalised and then placed between zero frames).

* :func:`window_input` is the recipe for one window or clip (the training dataset runs its two
  stages apart, to cache the dB spectrogram and augment it in between; the per-window
  reference path and short recordings run it whole);
* :func:`window_inputs` is the same for many windows of one signal at once, in one vectorised
  pass (prediction's CPU front end): its result equals :func:`window_input` of each window's
  own samples.

Torch-free.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from alpacaspot.dsp.config import SpectrogramConfig
from alpacaspot.dsp.spectrogram import normalize, spectrogram
from alpacaspot.dsp.windows import frame_windows

__all__ = ["fit_frames", "window_input", "window_inputs"]


def fit_frames(
    spec: np.ndarray,
    n_frames: int,
    config: SpectrogramConfig,
    rng: np.random.Generator | None = None,
    *,
    pad: bool = True,
) -> np.ndarray:
    """Crop or pad a (frames, bins) dB spectrogram to ``n_frames`` and normalise it.

    Cropping happens before normalisation (as prediction normalises each window); padding
    is zeros after it. ``rng`` picks the position; ``None`` centres.

    Parameters
    ----------
    spec : numpy.ndarray
        ``(frames, bins)`` un-normalised dB.
    n_frames : int
        Frames the network expects.
    config : SpectrogramConfig
        Its normalisation is applied.
    rng : numpy.random.Generator, optional
        Random crop/pad position (training augmentation); ``None`` centres.
    pad : bool, default True
        Pad a shorter spectrogram; ``False`` returns it normalised with its own frames (as
        ANIMAL-SPOT feeds a recording shorter than one window to its globally pooled network).

    Returns
    -------
    numpy.ndarray
        float32 ``(n_frames, bins)`` (or ``(frames, bins)`` when short and not ``pad``).

    Examples
    --------
    >>> cfg = SpectrogramConfig(sr=8000, n_fft=256, hop_length=128, fmin=0, fmax=4000,
    ...                         n_freq_bins=4)
    >>> spec = np.arange(12, dtype=np.float32).reshape(3, 4)
    >>> out = fit_frames(spec, 5, cfg)
    >>> out.shape, out[0].tolist(), float(out[1, 0]), float(out[3, 3])
    ((5, 4), [0.0, 0.0, 0.0, 0.0], 0.0, 1.0)
    >>> fit_frames(spec, 5, cfg, pad=False).shape
    (3, 4)
    """
    t = spec.shape[0]
    if t > n_frames:
        start = int(rng.integers(0, t - n_frames + 1)) if rng is not None else (t - n_frames) // 2
        spec = spec[start:start + n_frames]
    out = normalize(np.ascontiguousarray(spec, dtype=np.float32), config)
    if t < n_frames and pad:
        extra = n_frames - t
        before = int(rng.integers(0, extra + 1)) if rng is not None else extra // 2
        padded = np.zeros((n_frames, out.shape[1]), dtype=np.float32)
        padded[before:before + t] = out
        out = padded
    return out


def window_input(
    x: np.ndarray,
    config: SpectrogramConfig,
    n_frames: int,
    *,
    rng: np.random.Generator | None = None,
    pad: bool = True,
    augment: Callable[[np.ndarray], np.ndarray] | None = None,
    workers: int | None = None,
) -> np.ndarray:
    """The network input of one window (or clip) from its own samples.

    Parameters
    ----------
    x : numpy.ndarray
        1-D samples at ``config.sr`` (a signal shorter than ``n_fft`` is zero-padded to one
        frame).
    config : SpectrogramConfig
        The front end.
    n_frames : int
        Frames the network expects.
    rng : numpy.random.Generator, optional
        Random crop/pad position (:func:`fit_frames`); ``None`` centres.
    pad : bool, default True
        See :func:`fit_frames`.
    augment : callable, optional
        Applied to the dB spectrogram before it is fitted (training augmentation).
    workers : int, optional
        Threads of the spectrogram.

    Returns
    -------
    numpy.ndarray
        float32 ``(n_frames, n_freq_bins)``, normalised.

    Examples
    --------
    >>> cfg = SpectrogramConfig(sr=8000, n_fft=256, hop_length=128, fmin=0, fmax=4000,
    ...                         n_freq_bins=16)
    >>> x = np.random.default_rng(0).standard_normal(2000).astype("float32")
    >>> window_input(x, cfg, 14).shape, window_input(x[:500], cfg, 14).shape
    ((14, 16), (14, 16))
    """
    spec = spectrogram(x, config, pad=True, workers=workers)
    if augment is not None:
        spec = augment(spec)
    return fit_frames(spec, n_frames, config, rng, pad=pad)


def window_inputs(
    x: np.ndarray,
    window_starts: np.ndarray,
    config: SpectrogramConfig,
    n_frames: int,
    *,
    slicing: bool | None = None,
    workers: int | None = None,
) -> np.ndarray:
    """Network inputs of many windows of one signal, each as if cut out and transformed alone.

    Parameters
    ----------
    x : numpy.ndarray
        Contiguous 1-D float32 samples at ``config.sr`` (samples past its end are zeros).
    window_starts : numpy.ndarray
        First sample of each window in ``x`` (the grid of :mod:`alpacaspot.dsp.grid`).
    config : SpectrogramConfig
        The front end.
    n_frames : int
        Frames per window (``config.window_frames(window_s)``).
    slicing : bool, optional
        See :func:`alpacaspot.dsp.windows.frame_windows` (same numbers either way).
    workers : int, optional
        Threads.

    Returns
    -------
    numpy.ndarray
        float32 ``(len(window_starts), n_frames, n_freq_bins)``, normalised per window.

    Examples
    --------
    >>> cfg = SpectrogramConfig(sr=8000, n_fft=256, hop_length=128, fmin=0, fmax=4000,
    ...                         n_freq_bins=16)
    >>> x = np.random.default_rng(0).standard_normal(8000).astype("float32")
    >>> w = window_inputs(x, np.array([0, 400, 800]), cfg, 14)
    >>> w.shape, bool(np.array_equal(w[1], window_input(x[400:400 + 1920], cfg, 14)))
    ((3, 14, 16), True)
    """
    spec = frame_windows(x, window_starts, config, n_frames, slicing=slicing, workers=workers)
    return normalize(spec, config, out=spec)
