"""Model windows: strided views (aligned grids) and exact per-window spectrograms."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alpacaspot.dsp import (
    SpectrogramConfig,
    normalize,
    spectrogram,
    window_count,
    window_spectrograms,
    window_view,
)
from alpacaspot.dsp.spectrogram import compute_frames
from alpacaspot.errors import ConfigError


def test_window_view_aligned_grid_equals_cut_audio(chirp) -> None:
    # 8 kHz, hop 40 samples; window hop 0.025 s = 200 samples = 5 STFT hops.
    cfg = SpectrogramConfig(sr=8000, n_fft=256, hop_length=40, fmin=0, fmax=4000,
                            n_freq_bins=64)
    x = chirp(8000, cfg.sr)
    spec = spectrogram(x, cfg)
    t = cfg.window_frames(0.2)
    views = window_view(spec, n_frames=t, hop_frames=5)
    assert np.shares_memory(views, spec) and not views.flags.writeable
    for i in (0, 3, len(views) - 1):
        cut = x[i * 200 : i * 200 + 1600]
        # The periodic Hann window's first coefficient is 0, so whole-file and per-window
        # pre-emphasis agree exactly.
        np.testing.assert_array_equal(views[i], spectrogram(cut, cfg))
    exact = window_spectrograms(x, cfg, window_s=0.2, hop_s=0.025)
    np.testing.assert_array_equal(exact[: len(views)], views[: len(exact)])


def test_window_view_errors() -> None:
    with pytest.raises(ConfigError, match="shorter than one window"):
        window_view(np.zeros((3, 4)), n_frames=5, hop_frames=1)
    with pytest.raises(ConfigError, match="frames, bins"):
        window_view(np.zeros(10), n_frames=5, hop_frames=1)


def test_window_count_is_animalspot_formula() -> None:
    for n in range(0, 60):
        for length, hop in [(10, 3), (10, 10), (7, 1)]:
            want = max(int(np.ceil((n + 1 - length) / hop)), 1)
            assert window_count(n, window_samples=length, hop_samples=hop) == want


def test_fork_grid_windows_equal_cut_audio(fork_config, chirp) -> None:
    cfg = fork_config  # 0.05 s hop = 2400 samples, not a multiple of 1024
    x = chirp(2 * cfg.sr, cfg.sr)
    w = window_spectrograms(x, cfg, window_s=0.4, hop_s=0.05)
    assert w.shape == (window_count(len(x), window_samples=19200, hop_samples=2400), 17, 128)
    for i in (0, 1, 7, len(w) - 1):
        np.testing.assert_array_equal(w[i], spectrogram(x[i * 2400 : i * 2400 + 19200], cfg))


def test_nonzero_first_window_coefficient_uses_per_window_preemphasis(chirp) -> None:
    cfg = SpectrogramConfig(sr=8000, n_fft=128, hop_length=64, fmin=0, fmax=4000,
                            n_freq_bins=32, window="hamming")
    x = chirp(4000, cfg.sr)
    w = window_spectrograms(x, cfg, window_s=0.05, hop_s=0.0123)
    hop = int(np.ceil(0.0123 * 8000))
    for i in range(len(w)):
        np.testing.assert_array_equal(w[i], spectrogram(x[i * hop : i * hop + 400], cfg))
    # Whole-file pre-emphasis would differ in each window's first frame.
    starts = np.array([hop], dtype=np.int64)
    whole = compute_frames(x, starts, np.zeros(1, dtype=np.int64), cfg)
    assert not np.allclose(whole[0], w[1][0], atol=1e-3)


def test_tail_windows_are_zero_padded_before_preemphasis(small_config, chirp) -> None:
    cfg = small_config
    x = chirp(3000, cfg.sr)
    w = window_spectrograms(x, cfg, window_s=0.1, hop_s=0.05, start=4, count=4)
    assert w.shape == (4, cfg.window_frames(0.1), cfg.n_freq_bins)
    padded = np.concatenate([x, np.zeros(2000, dtype=np.float32)])
    for k, i in enumerate(range(4, 8)):
        np.testing.assert_array_equal(w[k], spectrogram(padded[i * 400 : i * 400 + 800], cfg))
    # Entirely past the end: silence at the dB floor.
    far = window_spectrograms(x, cfg, window_s=0.1, hop_s=0.05, start=100, count=1)
    np.testing.assert_allclose(far, cfg.min_level_db, atol=1e-4)


def test_short_signal_gives_one_padded_window(small_config) -> None:
    x = np.ones(50, dtype=np.float32)
    w = window_spectrograms(x, small_config, window_s=0.1, hop_s=0.05)
    assert w.shape[0] == 1
    padded = np.concatenate([x, np.zeros(750, dtype=np.float32)])
    np.testing.assert_array_equal(w[0], spectrogram(padded, small_config))


def test_start_count_batches_concatenate(small_config, chirp) -> None:
    x = chirp(6000, small_config.sr)
    full = window_spectrograms(x, small_config, window_s=0.1, hop_s=0.0137)
    parts = [window_spectrograms(x, small_config, window_s=0.1, hop_s=0.0137, start=s,
                                 count=min(7, len(full) - s)) for s in range(0, len(full), 7)]
    np.testing.assert_array_equal(np.concatenate(parts), full)
    assert window_spectrograms(x, small_config, window_s=0.1, hop_s=0.0137,
                               count=0).shape == (0, 6, 40)
    assert normalize(full, small_config).shape == full.shape


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [({"window_s": 0.01, "hop_s": 0.05}, "shorter than one STFT frame"),
     ({"window_s": 0.1, "hop_s": 0.0}, "hop_s"),
     ({"window_s": 0.1, "hop_s": 0.05, "start": -1}, "start"),
     ({"window_s": 0.1, "hop_s": 0.05, "count": -2}, "count")],
)
def test_window_spectrogram_errors(small_config, kwargs, needle) -> None:
    with pytest.raises(ConfigError, match=needle):
        window_spectrograms(np.zeros(4000, dtype=np.float32), small_config, **kwargs)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 3000),
    window_ms=st.integers(33, 200),
    hop_ms=st.integers(1, 120),
    start=st.integers(0, 5),
    seed=st.integers(0, 1000),
)
def test_any_grid_equals_cut_and_padded_audio(n, window_ms, hop_ms, start, seed) -> None:
    cfg = SpectrogramConfig(sr=8000, n_fft=256, hop_length=77, fmin=50, fmax=3900,
                            n_freq_bins=24)
    x = np.random.default_rng(seed).standard_normal(n).astype(np.float32)
    w = window_spectrograms(x, cfg, window_s=window_ms / 1000, hop_s=hop_ms / 1000,
                            start=start, count=3)
    length, hop = cfg.window_samples(window_ms / 1000), int(np.ceil(hop_ms * 8))
    padded = np.concatenate([x, np.zeros((start + 3) * hop + length, dtype=np.float32)])
    for k in range(3):
        s = (start + k) * hop
        np.testing.assert_array_equal(w[k], spectrogram(padded[s : s + length], cfg))


@pytest.mark.parametrize(("window", "preemphasis"),
                         [("hann", 0.98), ("hamming", 0.98), ("hamming", 0.0)])
def test_aligned_grid_fast_path_equals_cut_audio(window, preemphasis, chirp) -> None:
    cfg = SpectrogramConfig(sr=8000, n_fft=128, hop_length=40, fmin=0, fmax=4000,
                            n_freq_bins=16, window=window, preemphasis=preemphasis)
    x = chirp(3000, cfg.sr)
    w = window_spectrograms(x, cfg, window_s=0.05, hop_s=0.02, start=2, count=6)
    padded = np.concatenate([x, np.zeros(2000, dtype=np.float32)])
    for k in range(6):
        s = (2 + k) * 160
        np.testing.assert_array_equal(w[k], spectrogram(padded[s : s + 400], cfg))
