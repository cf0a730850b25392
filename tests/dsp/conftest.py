"""Shared fixtures of the DSP tests: configs, signals and a plain numpy restatement of
ANIMAL-SPOT's front end to compare against."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
import scipy.signal

from alpacaspot.dsp import SpectrogramConfig


@pytest.fixture
def fork_config() -> SpectrogramConfig:
    """The alpaca fork's settings (48 kHz, 2048/1024, 0..4 kHz in 128 bins)."""
    return SpectrogramConfig(
        sr=48000, n_fft=2048, hop_length=1024, fmin=0, fmax=4000, n_freq_bins=128
    )


@pytest.fixture
def animalspot_config() -> SpectrogramConfig:
    """ANIMAL-SPOT's defaults (44.1 kHz, 4096/441, 0.5..10 kHz in 256 bins)."""
    return SpectrogramConfig(
        sr=44100, n_fft=4096, hop_length=441, fmin=500, fmax=10000, n_freq_bins=256
    )


@pytest.fixture
def small_config() -> SpectrogramConfig:
    """A tiny config for fast exhaustive checks."""
    return SpectrogramConfig(
        sr=8000, n_fft=256, hop_length=100, fmin=100, fmax=3000, n_freq_bins=40
    )


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


@pytest.fixture
def chirp() -> Callable[[int, int], np.ndarray]:
    """A noisy chirp of n samples at sr: tonal content plus a noise floor."""

    def make(n: int, sr: int) -> np.ndarray:
        t = np.arange(n) / sr
        tone = 0.5 * scipy.signal.chirp(t, f0=200, f1=3000, t1=max(t[-1], 1e-3))
        noise = 0.05 * np.random.default_rng(n).standard_normal(n)
        return (tone + noise).astype(np.float32)

    return make


def reference_db(x: np.ndarray, cfg: SpectrogramConfig) -> np.ndarray:
    """REFERENCE.md's signal path, step by step in float64 numpy (linear compression)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.concatenate([x[:1], x[1:] - cfg.preemphasis * x[:-1]])
    w = scipy.signal.get_window(cfg.window, cfg.n_fft)
    n_frames = 1 + (len(y) - cfg.n_fft) // cfg.hop_length
    frames = np.stack(
        [y[i * cfg.hop_length : i * cfg.hop_length + cfg.n_fft] for i in range(n_frames)]
    )
    power = np.abs(np.fft.rfft(frames * w, axis=1)) ** 2 / np.sum(w**2)
    n = (power.shape[1] - 1) * 2
    lo = max(0, math.floor(n * cfg.fmin / cfg.sr))
    hi = min(n - 1, math.ceil(n * cfg.fmax / cfg.sr))
    power = power[:, lo:hi]
    n_in, n_out = power.shape[1], cfg.n_freq_bins
    scale = np.float32(n_in) / np.float32(n_out)
    idx = np.minimum(np.floor(np.arange(n_out, dtype=np.float32) * scale).astype(int), n_in - 1)
    power = power[:, idx]
    return 10 * np.log10(np.maximum(power, 10 ** (cfg.min_level_db / 10)))


@pytest.fixture
def reference() -> Callable[[np.ndarray, SpectrogramConfig], np.ndarray]:
    return reference_db
