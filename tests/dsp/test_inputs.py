"""Window inputs: one recipe from samples to the normalised arrays a network sees."""

from __future__ import annotations

import numpy as np
import pytest

from alpacaspot.dsp import SpectrogramConfig, normalize, spectrogram
from alpacaspot.dsp.grid import window_grid
from alpacaspot.dsp.inputs import fit_frames, window_input, window_inputs
from alpacaspot.dsp.windows import frame_windows


def _signal(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n) / 8000
    x = 0.1 * rng.standard_normal(n) + np.sin(2 * np.pi * 700 * t) * (t % 0.3 < 0.1)
    return x.astype(np.float32)


@pytest.mark.parametrize("window", ["hann", "hamming"])
@pytest.mark.parametrize("hop_s", [0.05, 0.0137])
def test_batched_inputs_equal_each_window_alone(window: str, hop_s: float) -> None:
    # hop_length 100: 0.05 s (400 samples) is 4 STFT hops (sliced), 0.0137 s is not (framed)
    cfg = SpectrogramConfig(sr=8000, n_fft=256, hop_length=100, fmin=100, fmax=3000,
                            n_freq_bins=40, window=window, preemphasis=0.97)
    x = _signal(12000)
    grid = window_grid(len(x), cfg.sr, window_s=0.25, hop_s=hop_s)
    n_frames = cfg.window_frames(0.25)
    batch = window_inputs(x, grid.starts, cfg, n_frames)
    assert batch.shape == (grid.count, n_frames, 40)
    for i in (0, 1, grid.count // 2, grid.count - 1):
        alone = window_input(x[grid.begin(i):grid.end(i)], cfg, n_frames)
        np.testing.assert_array_equal(batch[i], alone)
    framed = window_inputs(x, grid.starts, cfg, n_frames, slicing=False)
    np.testing.assert_array_equal(batch, framed)


def test_uneven_starts_are_framed_one_by_one() -> None:
    cfg = SpectrogramConfig(sr=8000, n_fft=256, hop_length=100, fmin=0, fmax=4000,
                            n_freq_bins=32, window="hamming")
    x = _signal(6000, seed=2)
    starts = np.array([0, 400, 1000, 1100])
    out = frame_windows(x, starts, cfg, 10)
    for i, s in enumerate(starts):
        np.testing.assert_array_equal(out[i], spectrogram(x[s:s + 1156], cfg))


def test_training_and_prediction_fit_clips_alike() -> None:
    cfg = SpectrogramConfig(sr=8000, n_fft=256, hop_length=100, fmin=0, fmax=4000,
                            n_freq_bins=32)
    short = _signal(900, seed=3)
    out = window_input(short, cfg, 20)
    inner = normalize(spectrogram(short, cfg), cfg)  # 7 frames, centred among 20
    assert out.shape == (20, 32)
    np.testing.assert_array_equal(out[6:13], inner)
    assert not out[:6].any() and not out[13:].any()
    np.testing.assert_array_equal(window_input(short, cfg, 20, pad=False), inner)
    # a longer clip is cropped (centred) before it is normalised
    long = _signal(4000, seed=4)
    spec = spectrogram(long, cfg)
    np.testing.assert_array_equal(window_input(long, cfg, 20),
                                  fit_frames(spec, 20, cfg, None))
    mid = (spec.shape[0] - 20) // 2
    np.testing.assert_array_equal(window_input(long, cfg, 20),
                                  normalize(spec[mid:mid + 20], cfg))


def test_augment_hook_runs_on_db_before_fitting() -> None:
    cfg = SpectrogramConfig(sr=8000, n_fft=256, hop_length=100, fmin=0, fmax=4000,
                            n_freq_bins=32)
    x = _signal(3000, seed=5)
    seen = []

    def flip(spec: np.ndarray) -> np.ndarray:
        seen.append(spec.shape)
        return spec[::-1]

    out = window_input(x, cfg, 20, augment=flip)
    assert seen == [spectrogram(x, cfg).shape]
    np.testing.assert_array_equal(out, fit_frames(spectrogram(x, cfg)[::-1], 20, cfg))
