"""Augmentation: pure functions of (input, Generator), reproducible and shape-safe."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alpacaspot.dsp import augment
from alpacaspot.errors import ConfigError


@pytest.fixture
def spec() -> np.ndarray:
    return np.random.default_rng(5).uniform(-90, -10, size=(17, 32)).astype(np.float32)


STEPS = [
    lambda s, r: augment.amplitude_shift(s, r),
    lambda s, r: augment.pitch_shift(s, r),
    lambda s, r: augment.time_stretch(s, r),
    lambda s, r: augment.time_mask(s, r, max_width=3, n_masks=2),
    lambda s, r: augment.freq_mask(s, r, max_width=5, n_masks=2),
    lambda s, r: augment.pad_or_crop(s, 12, rng=r),
]


@pytest.mark.parametrize("step", STEPS)
def test_same_seed_same_output_and_input_untouched(spec, step) -> None:
    before = spec.copy()
    a = step(spec, np.random.default_rng(7))
    b = step(spec, np.random.default_rng(7))
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(spec, before)
    assert a.dtype == np.float32 and np.isfinite(a).all()


def test_amplitude_shift_range(spec) -> None:
    out = augment.amplitude_shift(spec, np.random.default_rng(0), low_db=-6, high_db=2)
    d = out - spec
    assert np.allclose(d, d[0, 0], atol=1e-4) and -6 <= d[0, 0] <= 2


def test_pitch_shift_moves_a_tone_with_interpolation() -> None:
    s = np.full((4, 64), -80.0, dtype=np.float32)
    s[:, 20] = -10.0
    rng = np.random.default_rng(3)
    out = augment.pitch_shift(s, rng, low=1.5, high=1.5)
    peak = out[0].argmax()
    assert peak == 30
    half = augment.pitch_shift(s, rng, low=0.5, high=0.5)
    assert half[0].argmax() == 10
    assert (half[:, 32:] == np.median(s)).all()  # no source above: the median


def test_time_stretch_length_and_linear_values() -> None:
    ramp = np.tile(np.arange(10, dtype=np.float32)[:, None], (1, 3))
    out = augment.time_stretch(ramp, np.random.default_rng(0), low=2.0, high=2.0)
    assert out.shape == (20, 3)
    assert np.all(np.diff(out[:, 0]) >= 0) and out[0, 0] == 0 and out[-1, 0] == 9
    assert len(np.unique(out[:, 0])) > 10  # interpolated, not repeated nearest values


def test_pad_or_crop_centred_and_random() -> None:
    s = np.arange(10, dtype=np.float32)[:, None]
    assert augment.pad_or_crop(s, 4)[:, 0].tolist() == [3, 4, 5, 6]
    padded = augment.pad_or_crop(s, 14)
    assert padded[:2, 0].tolist() == [0, 0] and padded[2:12, 0].tolist() == list(range(10))
    offsets = {augment.pad_or_crop(s, 4, rng=np.random.default_rng(i))[0, 0] for i in range(40)}
    assert len(offsets) > 3


@settings(max_examples=50, deadline=None)
@given(snr=st.floats(-5, 20), n=st.integers(10, 500), m=st.integers(1, 900),
       seed=st.integers(0, 10000))
def test_add_noise_hits_the_snr(snr, n, m, seed) -> None:
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(n) + 0.1).astype(np.float32)
    noise = [rng.standard_normal(m).astype(np.float32) + 1e-3 for _ in range(3)]
    y = augment.add_noise(x, noise, np.random.default_rng(seed), snr_db_low=snr,
                          snr_db_high=snr)
    added = (y - x).astype(np.float64)
    got = 10 * np.log10(np.mean(x.astype(np.float64) ** 2) / np.mean(added**2))
    assert abs(got - snr) < 1e-2
    y2 = augment.add_noise(x, noise, np.random.default_rng(seed), snr_db_low=snr,
                           snr_db_high=snr)
    np.testing.assert_array_equal(y, y2)


def test_add_noise_edge_cases() -> None:
    x = np.ones(10, dtype=np.float32)
    out = augment.add_noise(x, np.zeros(5), np.random.default_rng(0))
    np.testing.assert_array_equal(out, x)
    with pytest.raises(ConfigError, match="no noise clips"):
        augment.add_noise(x, [], np.random.default_rng(0))
    with pytest.raises(ConfigError, match="1-D"):
        augment.add_noise(np.zeros((2, 2)), np.ones(3), np.random.default_rng(0))


def test_masks_fill_runs(spec) -> None:
    out = augment.time_mask(spec, np.random.default_rng(1), max_width=17, n_masks=1, fill=0.0)
    rows = np.flatnonzero((out == 0).all(axis=1))
    assert len(rows) == 0 or np.all(np.diff(rows) == 1)
    with pytest.raises(ConfigError):
        augment.freq_mask(spec, np.random.default_rng(1), max_width=-1)
    with pytest.raises(ConfigError, match="frames, bins"):
        augment.pitch_shift(np.zeros(4), np.random.default_rng(0))
