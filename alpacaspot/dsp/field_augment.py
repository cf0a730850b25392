"""Field-audio augmentation: what differs between recording sites, without moving a call.

A call is neither moved in time by more than a frame or two nor shifted in pitch, so a
window's label stays true: :func:`mix_background` adds another recording's background at a
random SNR (in power, on dB spectrograms), :func:`random_eq` applies a random recorder
response (a tilt and a bell), :func:`time_shift` moves the content by a frame or two.
Spectrograms are un-normalised dB (frames x bins), as in :mod:`alpacaspot.dsp.augment`, which
re-exports these steps.
"""

from __future__ import annotations

import numpy as np

from alpacaspot.dsp.augment import _check_range, _check_spec
from alpacaspot.errors import ConfigError

__all__ = ["mix_background", "random_eq", "time_shift"]


def _fit_length(arr: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Tile (shorter) or cut at a random offset (longer) along the time axis to ``n`` frames."""
    if arr.shape[0] < n:
        arr = np.concatenate([arr] * -(-n // arr.shape[0]), axis=0)
    start = int(rng.integers(0, arr.shape[0] - n + 1))
    return arr[start:start + n]


def mix_background(
    spec: np.ndarray,
    background: np.ndarray,
    rng: np.random.Generator,
    *,
    snr_db_low: float = 0.0,
    snr_db_high: float = 15.0,
) -> np.ndarray:
    """Add a background excerpt at a random SNR, in power, to a dB spectrogram.

    ``10 log10(10^(spec/10) + k 10^(background/10))``, with ``k`` such that the mean power
    of ``spec`` over that of the added background is ``U(snr_db_low, snr_db_high)`` dB. A
    background with another frame count is tiled or cut at a random offset.

    Parameters
    ----------
    spec, background : numpy.ndarray
        (frames, bins) dB spectrograms with the same number of bins.
    rng : numpy.random.Generator
    snr_db_low, snr_db_high : float
        SNR range in dB.

    Returns
    -------
    numpy.ndarray
        float32, the shape of ``spec``; never quieter than ``spec`` anywhere.

    Raises
    ------
    ConfigError
        Empty or mismatched spectrograms, or an invalid SNR range.

    Examples
    --------
    >>> s = np.full((4, 3), -20.0, np.float32)
    >>> out = mix_background(s, np.full((2, 3), -20.0, np.float32), np.random.default_rng(0),
    ...                      snr_db_low=0.0, snr_db_high=0.0)
    >>> [round(float(v), 2) for v in out[0]]
    [-16.99, -16.99, -16.99]
    """
    arr = _check_spec(spec)
    bg = _check_spec(background, "background")
    if bg.shape[1] != arr.shape[1]:
        raise ConfigError(f"background has {bg.shape[1]} bins, the spectrogram {arr.shape[1]}")
    _check_range(snr_db_low, snr_db_high, "SNR dB")
    bg = _fit_length(bg, arr.shape[0], rng)
    p_sig = np.power(10.0, arr.astype(np.float64) / 10.0)
    p_bg = np.power(10.0, bg.astype(np.float64) / 10.0)
    snr = rng.uniform(snr_db_low, snr_db_high)
    k = float(p_sig.mean()) / max(float(p_bg.mean()), 1e-30) * 10.0 ** (-snr / 10.0)
    return (10.0 * np.log10(p_sig + k * p_bg)).astype(np.float32)


def random_eq(
    spec: np.ndarray,
    rng: np.random.Generator,
    *,
    max_tilt_db: float = 6.0,
    max_bell_db: float = 6.0,
) -> np.ndarray:
    """Apply a random recorder response: a tilt across the bins and one bell (peak or dip).

    The tilt runs from ``-t/2`` dB at the lowest bin to ``+t/2`` at the highest, with
    ``t ~ U(-max_tilt_db, max_tilt_db)``; the bell is a Gaussian in bins with random centre,
    width (2..25 % of the bins) and gain ``U(-max_bell_db, max_bell_db)``.

    Examples
    --------
    >>> s = np.zeros((2, 8), np.float32)
    >>> out = random_eq(s, np.random.default_rng(0), max_bell_db=0.0)
    >>> bool(np.all(np.diff(out[0]) > 0) or np.all(np.diff(out[0]) < 0))
    True
    """
    arr = _check_spec(spec)
    if not (max_tilt_db >= 0 and max_bell_db >= 0):
        raise ConfigError(f"max_tilt_db and max_bell_db must be >= 0, got {max_tilt_db}, "
                          f"{max_bell_db}")
    n = arr.shape[1]
    u = np.linspace(-0.5, 0.5, n)
    db = rng.uniform(-max_tilt_db, max_tilt_db) * u
    centre = rng.uniform(-0.5, 0.5)
    width = rng.uniform(0.02, 0.25)
    db = db + rng.uniform(-max_bell_db, max_bell_db) * np.exp(-0.5 * ((u - centre) / width) ** 2)
    return (arr + db.astype(np.float32)[None, :]).astype(np.float32)


def time_shift(spec: np.ndarray, rng: np.random.Generator, *, max_frames: int = 1) -> np.ndarray:
    """Move the content by ``U{-max_frames..max_frames}`` frames, repeating the edge frame.

    Examples
    --------
    >>> s = np.arange(5, dtype=np.float32)[:, None]
    >>> sorted({tuple(time_shift(s, np.random.default_rng(i))[:, 0].tolist())
    ...         for i in range(20)})
    [(0.0, 0.0, 1.0, 2.0, 3.0), (0.0, 1.0, 2.0, 3.0, 4.0), (1.0, 2.0, 3.0, 4.0, 4.0)]
    """
    arr = _check_spec(spec)
    if max_frames < 0:
        raise ConfigError(f"max_frames must be >= 0, got {max_frames}")
    k = int(rng.integers(-max_frames, max_frames + 1))
    n = arr.shape[0]
    if k == 0 or n == 1:
        return arr.copy()
    src = np.clip(np.arange(n) - k, 0, n - 1)
    return arr[src].copy()
