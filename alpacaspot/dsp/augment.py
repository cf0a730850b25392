"""Training-time augmentation, each step a pure function of its input and a random generator.

The steps follow ANIMAL-SPOT's (amplitude change, pitch shift, time stretch, additive noise)
with two differences: pitch and time are resampled by linear interpolation instead of
nearest-neighbour, and every random draw comes from an explicit
:class:`numpy.random.Generator`, so the same seed gives the same output. Time and frequency
masking (SpecAugment) are added. Spectrogram steps work on un-normalised dB
(frames x bins) arrays, before :func:`alpacaspot.dsp.normalize`; :func:`add_noise` works on
audio samples.

Field-audio steps, which imitate what differs between recording sites without moving a call
in time or pitch, are in :mod:`alpacaspot.dsp.field_augment`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from alpacaspot.errors import ConfigError

__all__ = [
    "amplitude_shift",
    "pitch_shift",
    "time_stretch",
    "add_noise",
    "time_mask",
    "freq_mask",
    "pad_or_crop",
    "resample_axis",
]


def _check_spec(spec: np.ndarray, name: str = "spec") -> np.ndarray:
    arr = np.asarray(spec, dtype=np.float32)
    if arr.ndim != 2 or arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ConfigError(f"{name} must be a non-empty (frames, bins) array, got {arr.shape}")
    return arr


def _check_range(low: float, high: float, name: str, *, positive: bool = False) -> None:
    if not (math.isfinite(low) and math.isfinite(high) and low <= high):
        raise ConfigError(f"{name} range must be finite with low <= high, got {low}, {high}")
    if positive and low <= 0:
        raise ConfigError(f"{name} factors must be positive, got {low}")


def _log_uniform(rng: np.random.Generator, low: float, high: float) -> float:
    return float(2.0 ** rng.uniform(math.log2(low), math.log2(high)))


def resample_axis(arr: np.ndarray, positions: np.ndarray, *, axis: int) -> np.ndarray:
    """Linearly interpolate ``arr`` at fractional ``positions`` along ``axis``.

    Positions are clipped to ``[0, n - 1]``.

    Examples
    --------
    >>> resample_axis(np.array([[0.0, 10.0]]), np.array([0.0, 0.25, 1.0]), axis=1).tolist()
    [[0.0, 2.5, 10.0]]
    """
    a = np.moveaxis(np.asarray(arr, dtype=np.float32), axis, 0)
    n = a.shape[0]
    pos = np.clip(np.asarray(positions, dtype=np.float64), 0.0, n - 1)
    i0 = np.floor(pos).astype(np.int64)
    i1 = np.minimum(i0 + 1, n - 1)
    frac = (pos - i0).astype(np.float32).reshape((-1,) + (1,) * (a.ndim - 1))
    out = a[i0] * (1 - frac) + a[i1] * frac
    return np.moveaxis(out, 0, axis).astype(np.float32, copy=False)


def amplitude_shift(
    spec: np.ndarray, rng: np.random.Generator, *, low_db: float = -6.0, high_db: float = 2.0
) -> np.ndarray:
    """Change the level by a uniform ``low_db .. high_db`` (adds that many dB).

    Note that per-window min-max normalisation undoes this; it matters with ``"ref_level"``.

    Examples
    --------
    >>> s = np.zeros((3, 2), dtype=np.float32)
    >>> out = amplitude_shift(s, np.random.default_rng(0))
    >>> bool(np.all(out == out[0, 0]) and -6 <= out[0, 0] <= 2)
    True
    """
    arr = _check_spec(spec)
    _check_range(low_db, high_db, "amplitude dB")
    return (arr + np.float32(rng.uniform(low_db, high_db))).astype(np.float32)


def pitch_shift(
    spec: np.ndarray, rng: np.random.Generator, *, low: float = 0.5, high: float = 1.5
) -> np.ndarray:
    """Scale the frequency axis by a factor ``2 ** U(log2 low, log2 high)``.

    Content at bin ``b`` moves to bin ``b * factor`` (linear interpolation); bins with no
    source (shifting down) are filled with the spectrogram's median, as ANIMAL-SPOT does.
    The shape is kept.

    Examples
    --------
    >>> s = np.random.default_rng(1).standard_normal((4, 16)).astype(np.float32)
    >>> pitch_shift(s, np.random.default_rng(0)).shape
    (4, 16)
    """
    arr = _check_spec(spec)
    _check_range(low, high, "pitch", positive=True)
    factor = _log_uniform(rng, low, high)
    n = arr.shape[1]
    src = np.arange(n, dtype=np.float64) / factor
    out = resample_axis(arr, src, axis=1)
    out[:, src > n - 1] = np.median(arr)
    return out


def time_stretch(
    spec: np.ndarray, rng: np.random.Generator, *, low: float = 0.5, high: float = 2.0
) -> np.ndarray:
    """Stretch the time axis by ``2 ** U(log2 low, log2 high)`` (linear interpolation).

    Returns ``round(frames * factor)`` frames (at least one); follow with
    :func:`pad_or_crop` to get back to a model window.

    Examples
    --------
    >>> s = np.zeros((10, 4), dtype=np.float32)
    >>> 5 <= time_stretch(s, np.random.default_rng(0)).shape[0] <= 20
    True
    """
    arr = _check_spec(spec)
    _check_range(low, high, "time stretch", positive=True)
    factor = _log_uniform(rng, low, high)
    n = arr.shape[0]
    m = max(1, int(round(n * factor)))
    src = (np.arange(m, dtype=np.float64) + 0.5) * (n / m) - 0.5
    return resample_axis(arr, src, axis=0)


def pad_or_crop(
    spec: np.ndarray,
    n_frames: int,
    *,
    rng: np.random.Generator | None = None,
    fill: float | None = None,
) -> np.ndarray:
    """Pad or crop the time axis to ``n_frames``.

    The position is random when ``rng`` is given (training) and centred otherwise, as
    ANIMAL-SPOT does. Padding uses ``fill`` (default: the spectrogram's minimum).

    Examples
    --------
    >>> pad_or_crop(np.ones((3, 2), dtype=np.float32), 5, fill=0.0)[:, 0].tolist()
    [0.0, 1.0, 1.0, 1.0, 0.0]
    """
    arr = _check_spec(spec)
    if n_frames < 1:
        raise ConfigError(f"n_frames must be positive, got {n_frames}")
    n = arr.shape[0]
    if n == n_frames:
        return arr.copy()
    room = abs(n - n_frames)
    offset = int(rng.integers(0, room + 1)) if rng is not None else room // 2
    if n > n_frames:
        return arr[offset : offset + n_frames].copy()
    value = np.float32(arr.min() if fill is None else fill)
    out = np.full((n_frames, arr.shape[1]), value, dtype=np.float32)
    out[offset : offset + n] = arr
    return out


def add_noise(
    audio: np.ndarray,
    noise: np.ndarray | Sequence[np.ndarray],
    rng: np.random.Generator,
    *,
    snr_db_low: float = -3.0,
    snr_db_high: float = 11.0,
) -> np.ndarray:
    """Add a noise excerpt at a random signal-to-noise ratio ``U(snr_db_low, snr_db_high)``.

    Parameters
    ----------
    audio : numpy.ndarray
        1-D samples.
    noise : numpy.ndarray or sequence of numpy.ndarray
        One noise clip or several (one is drawn). A clip shorter than ``audio`` is tiled, a
        longer one is cut at a random offset.
    rng : numpy.random.Generator
        Source of every random choice.
    snr_db_low, snr_db_high : float
        SNR range in dB (signal power over added noise power).

    Returns
    -------
    numpy.ndarray
        float32 ``audio + k * noise_excerpt``. Silent noise leaves the audio unchanged;
        silent audio gets noise at the power of ``10 ** (-snr / 10)``.

    Raises
    ------
    ConfigError
        Empty or non-1-D inputs, or an invalid SNR range.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = np.sin(np.arange(1000) / 5).astype(np.float32)
    >>> y = add_noise(x, rng.standard_normal(300), np.random.default_rng(1), snr_db_low=10,
    ...               snr_db_high=10)
    >>> round(float(10 * np.log10(np.mean(x ** 2) / np.mean((y - x) ** 2))), 3)
    10.0
    """
    x = np.asarray(audio, dtype=np.float32)
    if x.ndim != 1 or x.size == 0:
        raise ConfigError(f"audio must be non-empty 1-D samples, got shape {x.shape}")
    _check_range(snr_db_low, snr_db_high, "SNR dB")
    clips = [noise] if isinstance(noise, np.ndarray) else list(noise)
    if not clips:
        raise ConfigError("no noise clips given")
    clip = np.asarray(clips[int(rng.integers(0, len(clips)))], dtype=np.float32)
    if clip.ndim != 1 or clip.size == 0:
        raise ConfigError(f"noise clips must be non-empty 1-D samples, got shape {clip.shape}")
    n = x.shape[0]
    if clip.shape[0] < n:
        clip = np.tile(clip, -(-n // clip.shape[0]))[:n]
    else:
        start = int(rng.integers(0, clip.shape[0] - n + 1))
        clip = clip[start : start + n]
    snr = rng.uniform(snr_db_low, snr_db_high)
    p_noise = float(np.mean(clip.astype(np.float64) ** 2))
    if p_noise == 0.0:
        return x.copy()
    p_sig = float(np.mean(x.astype(np.float64) ** 2)) or 1.0
    k = math.sqrt(p_sig / p_noise * 10.0 ** (-snr / 10.0))
    return (x + np.float32(k) * clip).astype(np.float32)


def _mask(
    spec: np.ndarray,
    rng: np.random.Generator,
    *,
    axis: int,
    max_width: int,
    n_masks: int,
    fill: float | None,
) -> np.ndarray:
    arr = _check_spec(spec)
    if max_width < 0 or n_masks < 0:
        raise ConfigError(f"max_width and n_masks must be >= 0, got {max_width}, {n_masks}")
    out = arr.copy()
    value = np.float32(arr.mean() if fill is None else fill)
    size = arr.shape[axis]
    for _ in range(n_masks):
        width = int(rng.integers(0, min(max_width, size) + 1))
        start = int(rng.integers(0, size - width + 1))
        if axis == 0:
            out[start : start + width, :] = value
        else:
            out[:, start : start + width] = value
    return out


def time_mask(
    spec: np.ndarray,
    rng: np.random.Generator,
    *,
    max_width: int = 4,
    n_masks: int = 1,
    fill: float | None = None,
) -> np.ndarray:
    """Set ``n_masks`` random runs of up to ``max_width`` frames to ``fill`` (default: mean).

    Examples
    --------
    >>> s = np.arange(12, dtype=np.float32).reshape(6, 2)
    >>> time_mask(s, np.random.default_rng(0), max_width=2).shape
    (6, 2)
    """
    return _mask(spec, rng, axis=0, max_width=max_width, n_masks=n_masks, fill=fill)


def freq_mask(
    spec: np.ndarray,
    rng: np.random.Generator,
    *,
    max_width: int = 8,
    n_masks: int = 1,
    fill: float | None = None,
) -> np.ndarray:
    """Set ``n_masks`` random runs of up to ``max_width`` bins to ``fill`` (default: mean).

    Examples
    --------
    >>> s = np.arange(12, dtype=np.float32).reshape(2, 6)
    >>> freq_mask(s, np.random.default_rng(0), max_width=2).shape
    (2, 6)
    """
    return _mask(spec, rng, axis=1, max_width=max_width, n_masks=n_masks, fill=fill)
