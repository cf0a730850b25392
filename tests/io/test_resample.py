"""Resampling as ANIMAL-SPOT does it (resampy kaiser_best, floor length) and the length rule."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import resampy
import soundfile as sf

from alpacaspot.errors import AudioError
from alpacaspot.io import audio_info, read_audio, write_audio
from alpacaspot.io.audio import resampled_length


@pytest.mark.parametrize(
    ("n", "sr_from", "sr_to", "expected"),
    [(518399, 96000, 48000, 259199), (44100, 44100, 48000, 48000), (1001, 44100, 48000, 1089),
     (7, 48000, 48000, 7), (1, 96000, 48000, 0)],
)
def test_resampled_length_is_resampys_floor(n: int, sr_from: int, sr_to: int,
                                            expected: int) -> None:
    assert resampled_length(n, sr_from, sr_to) == expected
    if expected:
        assert len(resampy.resample(np.zeros(n), sr_from, sr_to)) == expected


@pytest.mark.parametrize("sr_file", [44100, 96000, 22050])
def test_kaiser_best_equals_resampy_on_the_whole_file(tmp_path: Path, sr_file: int) -> None:
    rng = np.random.default_rng(sr_file)
    x = (0.3 * rng.standard_normal((sr_file + 123, 2))).clip(-1, 1)
    path = tmp_path / "a.wav"
    write_audio(path, x, sr_file, subtype="FLOAT")
    stored = sf.read(path, dtype="float64")[0]
    expected = resampy.resample(stored.mean(axis=1), sr_file, 48000, filter="kaiser_best")
    got, sr = read_audio(path, sr=48000, resampler="kaiser_best")
    assert sr == 48000 and got.dtype == np.float32
    assert len(got) == len(expected) == resampled_length(audio_info(path).frames, sr_file, 48000)
    np.testing.assert_allclose(got, expected, atol=1e-6)
    # a span is the same slice of the whole-file resample
    part, _ = read_audio(path, start_s=0.25, end_s=0.5, sr=48000, resampler="kaiser_best")
    np.testing.assert_array_equal(part, got[12000:24000])
    # a channel
    one, _ = read_audio(path, sr=48000, resampler="kaiser_best", channel=2)
    ref = resampy.resample(stored[:, 1], sr_file, 48000, filter="kaiser_best")
    np.testing.assert_allclose(one, ref, atol=1e-6)


def test_polyphase_takes_the_floor_length(tmp_path: Path) -> None:
    path = tmp_path / "b.wav"
    write_audio(path, np.zeros(518399, dtype=np.float32), 96000)
    x, _ = read_audio(path, sr=48000)
    assert len(x) == 259199  # not 259200: the last half sample does not exist


def test_unknown_resampler_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.wav"
    write_audio(path, np.zeros(1000, dtype=np.float32), 8000)
    with pytest.raises(AudioError, match="resampler must be one of") as info:
        read_audio(path, sr=16000, resampler="sinc")
    assert "c.wav" in str(info.value)
