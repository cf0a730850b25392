"""Blocked spectrograms of arrays and audio files equal the one-shot result."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from alpacaspot.dsp import SpectrogramConfig, spectrogram, spectrogram_blocks
from alpacaspot.errors import AudioError, ConfigError
from alpacaspot.io import AudioSource, read_audio


@pytest.mark.parametrize("block_s", [0.013, 0.1, 0.37, 5.0])
def test_array_blocks_concatenate_to_one_shot(small_config, chirp, block_s) -> None:
    x = chirp(12345, small_config.sr)
    blocks = list(spectrogram_blocks(x, small_config, block_s=block_s))
    firsts = [f for f, _ in blocks]
    sizes = [b.shape[0] for _, b in blocks]
    assert firsts == list(np.cumsum([0] + sizes[:-1]))
    np.testing.assert_array_equal(np.concatenate([b for _, b in blocks]),
                                  spectrogram(x, small_config))


def test_file_blocks_equal_one_shot(tmp_path, fork_config, chirp) -> None:
    x = chirp(5 * fork_config.sr + 333, fork_config.sr)
    path = tmp_path / "tape 1.wav"
    sf.write(path, np.stack([x, 0.5 * x], axis=1), fork_config.sr, subtype="FLOAT")
    mono = (x + 0.5 * x) / 2  # channels averaged
    want = spectrogram(sf.read(path, dtype="float32")[0].mean(axis=1), fork_config)
    got = list(spectrogram_blocks(AudioSource(path, sr=fork_config.sr), fork_config,
                                    block_s=1.1))
    assert len(got) == 5
    np.testing.assert_array_equal(np.concatenate([b for _, b in got]), want)
    np.testing.assert_allclose(want, spectrogram(mono, fork_config), atol=1e-3)


def test_resampled_file_blocks_are_close(tmp_path, chirp) -> None:
    cfg = SpectrogramConfig(sr=8000, n_fft=256, hop_length=128, fmin=0, fmax=3500,
                            n_freq_bins=32)
    path = tmp_path / "a.wav"
    sf.write(path, chirp(16000 * 3, 16000), 16000, subtype="FLOAT")
    from alpacaspot.io import read_audio

    whole = spectrogram(read_audio(path, sr=8000)[0], cfg)
    source = AudioSource(path, sr=8000)
    got = np.concatenate([b for _, b in spectrogram_blocks(source, cfg, block_s=0.7)])
    assert got.shape == whole.shape
    np.testing.assert_allclose(got, whole, atol=0.05)


def test_errors_name_the_file(tmp_path, small_config) -> None:
    short = tmp_path / "short.wav"
    sf.write(short, np.zeros(100, dtype=np.float32), small_config.sr)
    with pytest.raises(AudioError, match="shorter than one STFT frame") as err:
        spectrogram_blocks(AudioSource(short, sr=small_config.sr), small_config)
    assert "short.wav" in str(err.value)
    missing = tmp_path / "missing.wav"
    with pytest.raises(AudioError) as err:
        spectrogram_blocks(AudioSource(missing, sr=small_config.sr), small_config)
    assert "missing.wav" in str(err.value)
    with pytest.raises(ConfigError, match="block_s"):
        spectrogram_blocks(np.zeros(1000, dtype=np.float32), small_config, block_s=0)


def test_kaiser_best_source_equals_the_whole_file(tmp_path, chirp) -> None:
    cfg = SpectrogramConfig(sr=8000, n_fft=256, hop_length=128, fmin=0, fmax=3500,
                            n_freq_bins=32)
    path = tmp_path / "a.wav"
    sf.write(path, chirp(22050 * 3 + 7, 22050), 22050, subtype="FLOAT")
    whole = spectrogram(read_audio(path, sr=8000, resampler="kaiser_best")[0], cfg)
    source = AudioSource(path, sr=8000, resampler="kaiser_best")
    assert source.n_samples == int((22050 * 3 + 7) * 8000 / 22050)
    got = np.concatenate([b for _, b in spectrogram_blocks(source, cfg, block_s=0.7)])
    np.testing.assert_array_equal(got, whole)


def test_paths_and_other_rates_are_refused(tmp_path, small_config) -> None:
    path = tmp_path / "b.wav"
    sf.write(path, np.zeros(4000, dtype=np.float32), small_config.sr)
    with pytest.raises(ConfigError, match="AudioSource"):
        spectrogram_blocks(path, small_config)
    with pytest.raises(ConfigError, match="b.wav.*Hz") as err:
        spectrogram_blocks(AudioSource(path, sr=2 * small_config.sr), small_config)
    assert "b.wav" in str(err.value)
