"""The spectrogram pipeline against a numpy restatement, ANIMAL-SPOT's torch path and
librosa, plus normalisation and compression."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from alpacaspot.dsp import SpectrogramConfig, compression_matrix, normalize, spectrogram
from alpacaspot.dsp.compression import mel_filterbank
from alpacaspot.errors import AudioError, ConfigError


@pytest.mark.parametrize("which", ["fork_config", "animalspot_config", "small_config"])
def test_matches_numpy_restatement(which, request, chirp, reference) -> None:
    cfg: SpectrogramConfig = request.getfixturevalue(which)
    x = chirp(cfg.sr // 2 + 777, cfg.sr)
    got = spectrogram(x, cfg)
    ref = reference(x, cfg)
    assert got.shape == ref.shape and got.dtype == np.float32
    # dB agrees closely except in deep spectral nulls, where float32 FFT rounding shows.
    assert np.median(np.abs(got - ref)) < 1e-4
    np.testing.assert_allclose(got, ref, atol=2e-2)
    # The network's input (min-max normalised) agrees within 1e-4.
    want = (ref - ref.min()) / (ref.max() - ref.min())
    np.testing.assert_allclose(normalize(got, cfg), want, atol=1e-4)


def test_matches_animalspot_torch_path(fork_config, chirp) -> None:
    torch = pytest.importorskip("torch")
    functional = pytest.importorskip("torch.nn.functional")
    cfg = fork_config
    x = chirp(cfg.sr, cfg.sr)
    y = torch.from_numpy(x)[None]
    y = torch.cat((y[:, :1], y[:, 1:] - cfg.preemphasis * y[:, :-1]), dim=-1)
    win = torch.hann_window(cfg.n_fft)
    s = torch.stft(y, cfg.n_fft, cfg.hop_length, window=win, center=False, onesided=True,
                   return_complex=True).transpose(1, 2)
    s = (s / win.pow(2).sum().sqrt()).abs().pow(2)
    lo, hi = cfg.bin_range
    s = functional.interpolate(s[:, :, lo:hi].unsqueeze(0), size=(s.size(1), cfg.n_freq_bins),
                               mode="nearest").squeeze(0)
    db = (10 * torch.log10(torch.clamp(s, min=1e-10)))[0].numpy()
    got = spectrogram(x, cfg)
    np.testing.assert_allclose(got, db, atol=2e-2)
    a, b = normalize(got, cfg), (db - db.min()) / (db.max() - db.min())
    np.testing.assert_allclose(a, b, atol=1e-4)


def test_nearest_indices_match_torch_interpolate() -> None:
    torch = pytest.importorskip("torch")
    functional = pytest.importorskip("torch.nn.functional")
    for n_in, n_out in [(171, 128), (930, 256), (7, 128), (100, 50), (64, 128), (33, 33)]:
        cfg = SpectrogramConfig(sr=2 * n_in + 2, n_fft=2 * n_in + 2, hop_length=10, fmin=0,
                                fmax=n_in, n_freq_bins=n_out)
        assert cfg.bin_range == (0, n_in)
        src = torch.arange(n_in, dtype=torch.float32)[None, None, None]
        want = functional.interpolate(src, size=(1, n_out), mode="nearest")[0, 0, 0]
        np.testing.assert_array_equal(compression_matrix(cfg).indices, want.numpy())


def test_mel_filterbank_matches_librosa() -> None:
    librosa = pytest.importorskip("librosa")
    for sr, n_fft, n_mels, fmin, fmax in [(48000, 2048, 128, 0, 4000),
                                          (44100, 4096, 64, 500, 10000),
                                          (16000, 512, 40, 0, 8000)]:
        ours = mel_filterbank(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax)
        ref = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax)
        np.testing.assert_allclose(ours, ref, atol=1e-5, rtol=1e-5)


def test_mel_spectrogram_matches_librosa_power(small_config, chirp) -> None:
    librosa = pytest.importorskip("librosa")
    cfg = SpectrogramConfig(**{**small_config.to_dict(), "compression": "mel", "preemphasis": 0})
    x = chirp(4000, cfg.sr)
    power = np.abs(librosa.stft(x.astype(float), n_fft=cfg.n_fft, hop_length=cfg.hop_length,
                                center=False, window="hann")) ** 2
    power /= np.sum(np.hanning(cfg.n_fft + 1)[:-1] ** 2)
    mel = librosa.feature.melspectrogram(S=power, sr=cfg.sr, n_mels=cfg.n_freq_bins,
                                         fmin=cfg.fmin, fmax=cfg.fmax)
    want = 10 * np.log10(np.maximum(mel, 1e-10)).T
    np.testing.assert_allclose(spectrogram(x, cfg), want, atol=1e-3)


def test_linear_interp_keeps_every_bin(fork_config) -> None:
    for n_bins in (16, 128, 400):
        cfg = SpectrogramConfig(**{**fork_config.to_dict(), "compression": "linear_interp",
                                   "n_freq_bins": n_bins})
        dense = compression_matrix(cfg).to_dense()
        np.testing.assert_allclose(dense.sum(axis=1), 1.0, rtol=1e-5)
        lo, hi = cfg.bin_range
        assert (dense[:, lo:hi].sum(axis=0) > 0).all()  # no bin in range dropped
    # Upsampling: exact linear interpolation of a linear ramp.
    cfg = SpectrogramConfig(sr=8000, n_fft=16, hop_length=8, fmin=0, fmax=4000,
                            n_freq_bins=17, compression="linear_interp")
    ramp = np.arange(9, dtype=np.float32)
    np.testing.assert_allclose(compression_matrix(cfg).to_dense() @ ramp,
                               np.linspace(0, 8, 17), atol=1e-5)


def test_normalize_variants(small_config) -> None:
    spec = np.array([[-120.0, -50.0], [-30.0, 40.0]], dtype=np.float32)
    mm = normalize(spec, small_config)
    assert mm.min() == 0.0 and mm.max() == 1.0
    ref = normalize(spec, SpectrogramConfig(**{**small_config.to_dict(),
                                               "normalization": "ref_level"}))
    np.testing.assert_allclose(ref, [[0.0, 0.3], [0.5, 1.0]], atol=1e-6)
    none = normalize(spec, SpectrogramConfig(**{**small_config.to_dict(),
                                                "normalization": "none"}))
    np.testing.assert_array_equal(none, spec)
    assert none is not spec
    batch = np.stack([spec, spec + 7, np.full_like(spec, 3.0)])
    out = normalize(batch, small_config)
    np.testing.assert_allclose(out[0], mm)
    np.testing.assert_allclose(out[1], mm, atol=1e-6)
    np.testing.assert_array_equal(out[2], 0.0)  # constant window -> zeros, no NaN
    np.testing.assert_array_equal(batch[0], spec)  # input untouched
    with pytest.raises(ConfigError, match="shape"):
        normalize(np.zeros(5), small_config)


def test_floor_and_silence(small_config) -> None:
    out = spectrogram(np.zeros(1000, dtype=np.float32), small_config)
    np.testing.assert_allclose(out, -100.0, atol=1e-4)


def test_short_signal_and_pad(small_config) -> None:
    x = np.ones(100, dtype=np.float32)
    with pytest.raises(AudioError, match="shorter than one STFT frame.*pad=True"):
        spectrogram(x, small_config)
    padded = spectrogram(x, small_config, pad=True)
    full = np.concatenate([x, np.zeros(156, dtype=np.float32)])
    np.testing.assert_array_equal(padded, spectrogram(full, small_config))


@pytest.mark.parametrize(
    "bad", [np.zeros((2, 5000)), np.array([0.0, np.inf] * 500), np.array([1j] * 500)]
)
def test_bad_input_raises_audio_error(bad, small_config) -> None:
    with pytest.raises(AudioError):
        spectrogram(bad, small_config)


def test_deterministic_and_thread_independent(fork_config, chirp) -> None:
    x = chirp(100000, fork_config.sr)
    a = spectrogram(x, fork_config, workers=1)
    b = spectrogram(x, fork_config, workers=2)
    np.testing.assert_array_equal(a, b)


def test_dsp_does_not_import_torch() -> None:
    code = (
        "import sys, numpy as np\n"
        "import alpacaspot.dsp as d\n"
        "c = d.SpectrogramConfig(sr=8000, n_fft=64, hop_length=16, fmin=0, fmax=4000,"
        " n_freq_bins=8)\n"
        "d.window_spectrograms(np.ones(800, 'float32'), c, window_s=0.05, hop_s=0.01)\n"
        "assert 'torch' not in sys.modules, 'torch imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_compute_frames_checks_its_arguments(small_config) -> None:
    from alpacaspot.dsp.spectrogram import compute_frames

    x = np.zeros(1000, dtype=np.float32)
    one = np.zeros(1, dtype=np.int64)
    with pytest.raises(ConfigError, match=">= 0"):
        compute_frames(x, one - 5, one, small_config)
    with pytest.raises(ConfigError, match="one length"):
        compute_frames(x, one, np.zeros(2, dtype=np.int64), small_config)
    with pytest.raises(ConfigError, match="C-contiguous float32"):
        compute_frames(x, one, one, small_config, out=np.zeros((1, 40)))
    out = np.empty((1, 40), dtype=np.float32)
    assert compute_frames(x, one, one, small_config, out=out) is out


@pytest.mark.parametrize("norm", ["minmax", "ref_level", "none"])
def test_normalize_in_place_equals_copy(norm, small_config, chirp) -> None:
    cfg = SpectrogramConfig(**{**small_config.to_dict(), "normalization": norm})
    spec = spectrogram(chirp(4000, cfg.sr), cfg)
    want = normalize(spec, cfg)
    same = normalize(spec, cfg, out=spec)
    assert same is spec
    np.testing.assert_array_equal(same, want)
    with pytest.raises(ConfigError, match="C-contiguous float32"):
        normalize(spec, cfg, out=np.empty((2, 2), dtype=np.float32))
