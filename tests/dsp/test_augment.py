"""Augmentation: pure functions of (input, Generator), reproducible and shape-safe."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alpacaspot.dsp import augment, field_augment
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


FIELD_STEPS = [
    lambda s, r: field_augment.mix_background(s, s[::-1] - 10.0, r),
    lambda s, r: field_augment.random_eq(s, r),
    lambda s, r: field_augment.time_shift(s, r, max_frames=2),
]


@pytest.mark.parametrize("step", FIELD_STEPS)
def test_field_steps_seeded_and_shape_safe(spec, step) -> None:
    before = spec.copy()
    a = step(spec, np.random.default_rng(7))
    b = step(spec, np.random.default_rng(7))
    c = step(spec, np.random.default_rng(8))
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(spec, before)
    assert a.shape == spec.shape and a.dtype == np.float32 and np.isfinite(a).all()
    assert not np.array_equal(a, c) or not np.array_equal(a, spec)


def test_mix_background_reaches_the_snr() -> None:
    sig = np.full((8, 4), -20.0, np.float32)
    bg = np.full((3, 4), -50.0, np.float32)  # shorter: tiled
    out = field_augment.mix_background(sig, bg, np.random.default_rng(0), snr_db_low=6.0,
                                 snr_db_high=6.0)
    added = 10 ** (out / 10) - 10 ** (sig / 10)
    snr = 10 * np.log10(np.mean(10 ** (sig / 10)) / np.mean(added))
    assert snr == pytest.approx(6.0, abs=1e-3)
    assert (out >= sig).all()


def test_random_eq_is_a_smooth_response_added_to_every_frame(spec) -> None:
    out = field_augment.random_eq(spec, np.random.default_rng(1), max_tilt_db=6.0, max_bell_db=6.0)
    d = out - spec
    np.testing.assert_allclose(d, np.broadcast_to(d[0], d.shape), atol=1e-4)
    assert np.abs(d).max() <= 6.0 + 1e-4 and np.abs(d).max() > 0
    flat = field_augment.random_eq(spec, np.random.default_rng(1), max_tilt_db=0.0, max_bell_db=0.0)
    np.testing.assert_array_equal(flat, spec)


def test_time_shift_moves_by_at_most_max_frames() -> None:
    s = np.arange(10, dtype=np.float32)[:, None]
    shifts = set()
    for i in range(40):
        out = field_augment.time_shift(s, np.random.default_rng(i), max_frames=2)[:, 0]
        shifts.add(int(out[5] - s[5, 0]))
    assert shifts == {-2, -1, 0, 1, 2}


@pytest.mark.parametrize("call, match", [
    (lambda s: field_augment.mix_background(s, s[:, :3], np.random.default_rng(0)), "bins"),
    (lambda s: field_augment.mix_background(s, s, np.random.default_rng(0), snr_db_low=5,
                                      snr_db_high=1), "SNR"),
    (lambda s: field_augment.mix_background(s, np.zeros((0, 32)), np.random.default_rng(0)),
     "background"),
    (lambda s: field_augment.random_eq(s, np.random.default_rng(0), max_tilt_db=-1), "max_tilt"),
    (lambda s: field_augment.time_shift(s, np.random.default_rng(0), max_frames=-1), "max_frames"),
    (lambda s: field_augment.time_shift(s[0], np.random.default_rng(0)), "frames, bins"),
])
def test_field_steps_reject_bad_arguments(spec, call, match) -> None:
    with pytest.raises(ConfigError, match=match):
        call(spec)
