"""frame and stft against numpy / scipy.signal.ShortTimeFFT."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal
from hypothesis import given, settings
from hypothesis import strategies as st

from alpacaspot.dsp import frame, get_window, stft
from alpacaspot.errors import AlpacaspotError, AudioError


def test_frame_is_a_read_only_view() -> None:
    x = np.arange(20, dtype=np.float32)
    f = frame(x, frame_length=8, hop_length=5)
    assert f.shape == (3, 8)
    assert np.shares_memory(f, x)
    assert not f.flags.writeable
    np.testing.assert_array_equal(f[2], x[10:18])


def test_frame_errors() -> None:
    with pytest.raises(AudioError, match="shorter than one frame"):
        frame(np.zeros(5), frame_length=8, hop_length=2)
    with pytest.raises(AudioError, match="1-D"):
        frame(np.zeros((2, 20)), frame_length=8, hop_length=2)


def test_hann_is_periodic_and_starts_at_zero() -> None:
    w = get_window("hann", 2048)
    assert w[0] == 0.0
    np.testing.assert_allclose(w, 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(2048) / 2048),
                               atol=1e-7)


def _scipy_stft(x: np.ndarray, n_fft: int, hop: int, window: str, n_frames: int) -> np.ndarray:
    """Frames starting at i * hop via ShortTimeFFT (slice p is centred at p * hop)."""
    win = scipy.signal.get_window(window, n_fft)
    sft = scipy.signal.ShortTimeFFT(win, hop=hop, fs=1.0, fft_mode="onesided", phase_shift=None)
    p0 = sft.m_num_mid // hop  # first slice starting at sample 0
    return sft.stft(x.astype(np.float64), p0=p0, p1=p0 + n_frames).T


@settings(max_examples=60, deadline=None)
@given(
    n_fft=st.sampled_from([2, 8, 16, 64, 100, 256]),
    hop_div=st.integers(1, 4),
    extra=st.integers(0, 700),
    window=st.sampled_from(["hann", "hamming", "boxcar"]),
    seed=st.integers(0, 2**16),
)
def test_stft_matches_numpy_and_scipy(n_fft, hop_div, extra, window, seed) -> None:
    hop = max(1, n_fft // hop_div)
    x = np.random.default_rng(seed).standard_normal(n_fft + extra).astype(np.float32)
    got = stft(x, n_fft=n_fft, hop_length=hop, window=window)
    n_frames = 1 + extra // hop
    assert got.shape == (n_frames, n_fft // 2 + 1) and got.dtype == np.complex64
    w = scipy.signal.get_window(window, n_fft)
    frames = np.stack([x[i * hop : i * hop + n_fft] for i in range(n_frames)]).astype(float)
    ref = np.fft.rfft(frames * w, axis=1)
    scale = np.abs(ref).max() + 1e-12
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-5 * scale)
    if n_fft % 2 == 0 and (n_fft // 2) % hop == 0:
        sp = _scipy_stft(x, n_fft, hop, window, n_frames)
        np.testing.assert_allclose(got, sp, rtol=1e-5, atol=1e-5 * scale)


def test_stft_center_matches_librosa_convention() -> None:
    x = np.random.default_rng(0).standard_normal(1000).astype(np.float32)
    got = stft(x, n_fft=128, hop_length=32, center=True)
    padded = np.pad(x, 64, mode="reflect")
    np.testing.assert_allclose(got, stft(padded, n_fft=128, hop_length=32), rtol=1e-6)
    assert got.shape[0] == 1 + 1000 // 32


@pytest.mark.parametrize("n", [0, 1, 63])
def test_short_signal_is_a_clear_error(n: int) -> None:
    with pytest.raises(AudioError, match="shorter than one frame of 64"):
        stft(np.zeros(n, dtype=np.float32), n_fft=64, hop_length=16)


@pytest.mark.parametrize(
    "bad", [np.zeros((10, 2)), np.array([0.0, np.nan] * 64), np.array(["a"] * 128)]
)
def test_bad_signals_raise_alpacaspot_errors(bad: np.ndarray) -> None:
    with pytest.raises(AlpacaspotError):
        stft(bad, n_fft=64, hop_length=16)
