"""The window grid: one owner of window counts, positions and samples-to-frames."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alpacaspot.detect.windows import WindowGrid as OldWindowGrid
from alpacaspot.detect.windows import window_grid as old_window_grid
from alpacaspot.dsp import SpectrogramConfig, window_count
from alpacaspot.dsp.grid import (
    WindowGrid,
    frame_count,
    frame_starts,
    seconds_to_samples,
    window_grid,
)
from alpacaspot.errors import ConfigError


def test_old_home_reexports_the_same_objects() -> None:
    assert OldWindowGrid is WindowGrid and old_window_grid is window_grid


@settings(max_examples=200, deadline=None)
@given(n=st.integers(0, 200_000), sr=st.sampled_from([8000, 22050, 44100, 48000, 96000]),
       window_ms=st.integers(20, 2000), hop_ms=st.integers(1, 500))
def test_grid_agrees_with_ceil_formulas(n: int, sr: int, window_ms: int, hop_ms: int) -> None:
    g = window_grid(n, sr, window_s=window_ms / 1000, hop_s=hop_ms / 1000)
    assert g.length == math.ceil(window_ms / 1000 * sr) == seconds_to_samples(window_ms / 1000,
                                                                                sr)
    assert g.hop == math.ceil(hop_ms / 1000 * sr)
    assert g.count == max(math.ceil((n + 1 - g.length) / g.hop), 1)
    assert g.count == window_count(n, window_samples=g.length, hop_samples=g.hop)
    # every window but a short recording's lies entirely inside the recording
    if not g.short:
        assert g.begin(g.count - 1) + g.length <= n < g.begin(g.count) + g.length
    assert g.span(0, g.count) == (0, min((g.count - 1) * g.hop + g.length, n))
    np.testing.assert_array_equal(g.starts, [g.begin(i) for i in range(g.count)])
    assert g.end_s[-1] == pytest.approx(g.end(g.count - 1) / sr)


def test_frame_step_only_for_whole_numbers_of_stft_hops() -> None:
    g44 = window_grid(44100, 44100, window_s=0.4, hop_s=0.05)
    g48 = window_grid(48000, 48000, window_s=0.4, hop_s=0.05)
    assert g44.frame_step(441) == 5
    assert g48.frame_step(1024) is None
    assert g48.frame_step(4800) is None  # larger than the window hop


def test_samples_to_frames_is_one_rule() -> None:
    cfg = SpectrogramConfig(sr=44100, n_fft=4096, hop_length=441, fmin=500, fmax=10000,
                            n_freq_bins=256)
    assert frame_count(17640, frame_length=4096, hop_length=441) == cfg.window_frames(0.4) == 31
    assert cfg.n_frames(4095) == frame_count(4095, frame_length=4096, hop_length=441) == 0
    assert cfg.n_frames(4096) == 1


def test_frame_starts_are_window_major() -> None:
    starts, segs = frame_starts(np.array([0, 2400]), n_frames=3, hop_length=1024)
    assert starts.tolist() == [0, 1024, 2048, 2400, 3424, 4448]
    assert segs.tolist() == [0, 0, 0, 2400, 2400, 2400]
    assert starts.dtype == segs.dtype == np.int64


def test_bad_sizes_raise_config_error() -> None:
    with pytest.raises(ConfigError, match="positive"):
        window_count(100, window_samples=0, hop_samples=10)
    with pytest.raises(ConfigError, match="negative"):
        window_grid(-1, 48000, window_s=0.4, hop_s=0.05)
