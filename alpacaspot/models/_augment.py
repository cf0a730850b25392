"""Spectrogram augmentation of ANIMAL-SPOT (training only), on dB spectrograms.

Amplitude change of -6..+2 dB, pitch shift by a factor in 0.5..1.5 and time stretch by a
factor in 0.5..2, both nearest-neighbour on the spectrogram. Under per-window min-max
normalisation the amplitude change has no effect, as in ANIMAL-SPOT.
"""

from __future__ import annotations

import numpy as np

__all__: list[str] = []


def _pitch_shift(spec: np.ndarray, factor: float) -> np.ndarray:
    n_bins = spec.shape[1]
    src = np.floor(np.arange(n_bins) / factor).astype(np.int64)
    out = np.full_like(spec, spec.min() if spec.size else 0.0)
    valid = src < n_bins
    out[:, valid] = spec[:, src[valid]]
    return out


def _time_stretch(spec: np.ndarray, factor: float) -> np.ndarray:
    n = spec.shape[0]
    new_n = max(1, int(round(n * factor)))
    src = np.minimum((np.arange(new_n) / factor).astype(np.int64), n - 1)
    return spec[src]


def augment_spectrogram(spec: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Randomly amplitude-shift, pitch-shift and time-stretch a (frames, bins) dB spectrogram."""
    gain_db = rng.uniform(-6.0, 2.0)
    pitch = rng.uniform(0.5, 1.5)
    stretch = rng.uniform(0.5, 2.0)
    out = spec.astype(np.float32, copy=True) + np.float32(gain_db)
    out = _pitch_shift(out, pitch)
    return np.ascontiguousarray(_time_stretch(out, stretch), dtype=np.float32)
