"""What prediction does to its inputs: channels, resampling, recordings shorter than a window
or than an STFT frame, and calls whose every input fails."""

from __future__ import annotations

import dataclasses
import logging

import numpy as np
import pytest
import resampy
import torch

from alpacaspot.detect import predict_scores
from alpacaspot.detect.inference import recording_grid, reference_scores
from alpacaspot.dsp import normalize, spectrogram
from alpacaspot.errors import AudioError, ConfigError
from alpacaspot.io import read_audio, write_audio

from .conftest import SR, structured_signal

KW = dict(hop_s=0.05, device="cpu", compile=False, progress=False)


def _imported(bundle):
    """The test model as an ANIMAL-SPOT import would give it."""
    return dataclasses.replace(bundle, provenance={"source": "animalspot"},
                               resampler="kaiser_best")


def test_channel_is_scored_alone_and_averaging_is_logged(bundle, tmp_path, caplog):
    left, right = structured_signal(2.0, seed=1), structured_signal(2.0, seed=2)
    stereo = tmp_path / "stereo.wav"
    write_audio(stereo, np.stack([left, right], axis=1), SR, subtype="FLOAT")
    write_audio(tmp_path / "mono" / "right.wav", right, SR, subtype="FLOAT")
    with caplog.at_level(logging.INFO, logger="alpacaspot.detect.inference"):
        mixed = predict_scores(bundle, stereo, **KW)
    assert caplog.text.count("stereo.wav: averaging its 2 channels") == 1
    second = predict_scores(bundle, stereo, channel=2, **KW)
    alone = predict_scores(bundle, tmp_path / "mono" / "right.wav", **KW)
    np.testing.assert_allclose(second["p_target"], alone["p_target"], atol=1e-6)
    assert np.abs(second["p_target"] - mixed["p_target"]).max() > 1e-3
    with pytest.raises(AudioError, match=r"every input failed: stereo.wav: .*channel 3"):
        predict_scores(bundle, stereo, channel=3, **KW)
    with pytest.raises(ConfigError, match="channel"):
        predict_scores(bundle, stereo, channel=0, **KW)


def test_resampling_is_logged_with_both_rates(bundle, tmp_path, caplog):
    path = tmp_path / "r8k.wav"
    write_audio(path, structured_signal(1.0, seed=3, sr=8000), 8000)
    with caplog.at_level(logging.INFO, logger="alpacaspot.detect.inference"):
        predict_scores(bundle, path, **KW)
    assert caplog.text.count("r8k.wav: resampling from 8000 Hz to 16000 Hz (polyphase)") == 1


def test_grid_takes_the_floor_length(bundle, tmp_path):
    path = tmp_path / "r32k.wav"
    frames = 2 * 40000 - 1  # 39999.5 samples at 16 kHz: 39999 exist
    write_audio(path, np.zeros(frames, dtype=np.float32), 32000)
    grid = recording_grid(path, bundle, 0.05)
    assert grid.n_samples == 39999
    assert grid.count == int(np.ceil((39999 + 1 - 4000) / 800))


def test_imported_models_resample_as_animalspot(bundle, tmp_path):
    x = structured_signal(2.0, seed=4, sr=22050)
    path = tmp_path / "r22k.wav"
    write_audio(path, x, 22050, subtype="FLOAT")
    stored, _ = read_audio(path)
    done = tmp_path / "done.wav"
    y = resampy.resample(stored.astype(np.float64), 22050, SR, filter="kaiser_best")
    write_audio(done, y, SR, subtype="FLOAT")
    imported = _imported(bundle)
    got = predict_scores(imported, path, **KW)
    expected = predict_scores(imported, done, **KW)
    assert len(got) == len(expected)
    np.testing.assert_allclose(got["p_target"], expected["p_target"], atol=1e-5)
    # the same file through the polyphase filter differs: the choice matters
    poly = predict_scores(bundle, path, **KW)
    assert np.abs(poly["p_target"] - got["p_target"]).max() > 1e-6
    asked = predict_scores(bundle, path, resampler="kaiser_best", **KW)
    np.testing.assert_allclose(asked["p_target"], got["p_target"], atol=1e-6)


def test_shorter_than_a_window(bundle, tmp_path, caplog):
    x = structured_signal(0.15, seed=5)  # 2400 samples, the window is 4000 (0.25 s)
    path = tmp_path / "short.wav"
    write_audio(path, x, SR, subtype="FLOAT")
    with caplog.at_level(logging.INFO, logger="alpacaspot.detect.inference"):
        native = predict_scores(bundle, path, **KW)
    assert len(native) == 1
    assert "short.wav: 0.150 s is shorter than one window (0.250 s)" in caplog.text
    assert "zero-padded" in caplog.text
    # an imported model sees the short spectrogram as it is (8 frames, not 14), as there
    imported = _imported(bundle)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="alpacaspot.detect.inference"):
        as_is = predict_scores(imported, path, hop_s=0.05, device="cpu", progress=False)
    assert "fed with its own 8 frames" in caplog.text
    stored, _ = read_audio(path)
    spec = normalize(spectrogram(stored, bundle.spectrogram_config), bundle.spectrogram_config)
    assert spec.shape[0] == 8 < bundle.window_frames
    with torch.inference_mode():
        p = torch.softmax(bundle.network(torch.from_numpy(spec)[None, None]), 1)[0, 1].item()
    assert as_is["p_target"].iloc[0] == pytest.approx(p, abs=1e-5)
    assert abs(as_is["p_target"].iloc[0] - native["p_target"].iloc[0]) > 1e-4
    ref = reference_scores(imported, path, hop_s=0.05)
    assert ref["p_target"].iloc[0] == pytest.approx(p, abs=1e-5)


def test_shorter_than_an_stft_frame_fails_and_all_failed_raises(bundle, tmp_path):
    tiny = tmp_path / "in" / "tiny.wav"
    write_audio(tiny, structured_signal(0.02, seed=6), SR)  # 320 samples < n_fft 512
    write_audio(tmp_path / "in" / "good.wav", structured_signal(1.0, seed=7), SR)
    scores = predict_scores(bundle, tmp_path / "in", **KW)
    assert set(scores["recording"]) == {"good.wav"}
    assert "shorter than one STFT frame (512 samples)" in scores.attrs["failed"]["tiny.wav"]
    corrupt = tmp_path / "in" / "corrupt.wav"
    corrupt.write_bytes(b"RIFF....WAVEnot audio")
    with pytest.raises(AudioError) as info:
        predict_scores(bundle, [tiny, corrupt], **KW)
    text = str(info.value)
    assert "corrupt.wav: " in text and "tiny.wav: " in text and "STFT frame" in text


def test_shared_mode_names_what_it_cannot_do(bundle, tmp_path, caplog):
    path = tmp_path / "r22k.wav"
    write_audio(path, structured_signal(2.0, seed=8, sr=22050), 22050)
    with caplog.at_level(logging.INFO, logger="alpacaspot.detect.inference"):
        scores = predict_scores(_imported(bundle), path, mode="shared", **KW)
    assert len(scores) > 0
    assert "r22k.wav: mode='shared' resamples with polyphase, not kaiser_best" in caplog.text
    with pytest.raises(ConfigError, match="channel="):
        predict_scores(bundle, path, mode="shared", channel=1, **KW)
