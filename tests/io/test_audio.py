"""Tests of alpacaspot.io.audio on real and generated files."""

from __future__ import annotations

import struct
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from alpacaspot.errors import AudioError
from alpacaspot.io import AudioInfo, audio_info, read_audio, write_audio


def test_real_recording_info(real_dir: Path) -> None:
    info = audio_info(real_dir / "Recording_1_Segment_07-snippet.wav")
    assert info == AudioInfo(32000, 1, 320001, 320001 / 32000, "WAV", "PCM_16")


def test_real_recording_span_equals_slice(real_dir: Path) -> None:
    path = real_dir / "Recording_1_Segment_07-snippet.wav"
    whole, sr = read_audio(path)
    part, sr2 = read_audio(path, start_s=2.5, end_s=3.75)
    assert sr == sr2 == 32000
    assert whole.dtype == np.float32 and whole.shape == (320001,)
    np.testing.assert_array_equal(part, whole[80000:120000])


def test_channels_averaged_or_chosen(stereo_wav: tuple[Path, np.ndarray]) -> None:
    path, data = stereo_wav
    mono, _ = read_audio(path)
    np.testing.assert_allclose(mono, data.mean(axis=1), atol=1e-7)
    right, _ = read_audio(path, channel=2)
    np.testing.assert_array_equal(right, data[:, 1])
    with pytest.raises(AudioError, match="stereo.wav.*1-based"):
        read_audio(path, channel=0)
    with pytest.raises(AudioError, match="1..2"):
        read_audio(path, channel=3)


def test_span_end_beyond_audio_reads_to_end(stereo_wav: tuple[Path, np.ndarray]) -> None:
    path, data = stereo_wav
    x, _ = read_audio(path, start_s=2.5, end_s=100.0, channel=1)
    np.testing.assert_array_equal(x, data[20000:, 0])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"start_s": -1.0}, "start_s must be >= 0"),
        ({"start_s": 3.0}, "beyond the end"),
        ({"start_s": 1.0, "end_s": 0.5}, "end_s must be > start_s"),
        ({"start_s": float("nan")}, "finite"),
        ({"sr": 0}, "positive integer"),
        ({"sr": 22050.5}, "positive integer"),
    ],
)
def test_bad_arguments(stereo_wav: tuple[Path, np.ndarray], kwargs: dict, match: str) -> None:
    path, _ = stereo_wav
    with pytest.raises(AudioError, match=match) as info:
        read_audio(path, **kwargs)
    assert "stereo.wav" in str(info.value)


def test_resample_whole_and_span_agree(tmp_path: Path) -> None:
    sr = 48000
    t = np.arange(2 * sr) / sr
    write_audio(tmp_path / "tone.wav", 0.5 * np.sin(2 * np.pi * 1000 * t), sr, subtype="FLOAT")
    whole, out_sr = read_audio(tmp_path / "tone.wav", sr=44100)
    assert out_sr == 44100 and whole.shape == (88200,) and whole.dtype == np.float32
    part, _ = read_audio(tmp_path / "tone.wav", start_s=0.5, end_s=1.5, sr=44100)
    assert part.shape == (44100,)
    np.testing.assert_allclose(part, whole[22050:66150], atol=1e-6)
    # the 1 kHz tone survives resampling: compare against the analytic tone away from edges
    expected = 0.5 * np.sin(2 * np.pi * 1000 * np.arange(88200) / 44100)
    np.testing.assert_allclose(whole[1000:-1000], expected[1000:-1000], atol=2e-3)


def test_upsample(stereo_wav: tuple[Path, np.ndarray]) -> None:
    x, sr = read_audio(stereo_wav[0], sr=16000)
    assert sr == 16000 and x.shape == (48000,)


def test_seek_reads_only_requested_frames(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "long.wav"
    write_audio(path, np.zeros(8000 * 60, dtype=np.float32), 8000)
    calls = []
    real_read = sf.read

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return real_read(*args, **kwargs)

    monkeypatch.setattr(sf, "read", spy)
    x, _ = read_audio(path, start_s=30.0, end_s=31.0)
    assert x.shape == (8000,)
    assert calls == [{"start": 240000, "stop": 248000, "dtype": "float32", "always_2d": True}]


def _corrupt(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _wav_bytes(tmp_path: Path, n: int = 8000) -> bytes:
    path = tmp_path / "src.wav"
    write_audio(path, np.full(n, 0.1), 8000)
    return path.read_bytes()


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match="nope.wav: audio file does not exist"):
        read_audio(tmp_path / "nope.wav")
    with pytest.raises(AudioError, match="does not exist"):
        audio_info(tmp_path / "nope.wav")


def test_empty_file(tmp_path: Path) -> None:
    path = _corrupt(tmp_path, "empty.wav", b"")
    with pytest.raises(AudioError, match="empty.wav: audio file is empty"):
        read_audio(path)


def test_non_audio_file(tmp_path: Path) -> None:
    path = _corrupt(tmp_path, "notes.wav", b"this is a text file, not audio\n" * 10)
    with pytest.raises(AudioError, match="notes.wav: not a readable audio file"):
        audio_info(path)


def test_truncated_file(tmp_path: Path) -> None:
    data = _wav_bytes(tmp_path)
    path = _corrupt(tmp_path, "cut.wav", data[: len(data) // 2])
    with pytest.raises(AudioError, match="cut.wav: audio file is truncated"):
        read_audio(path)
    with pytest.raises(AudioError, match="truncated"):
        audio_info(path)


def test_header_only_file_is_truncated(tmp_path: Path) -> None:
    data = _wav_bytes(tmp_path)
    path = _corrupt(tmp_path, "hdr.wav", data[:44])
    with pytest.raises(AudioError, match="hdr.wav: audio file is truncated"):
        read_audio(path)


def test_zero_frame_file(tmp_path: Path) -> None:
    data = bytearray(_wav_bytes(tmp_path)[:44])
    data[40:44] = struct.pack("<I", 0)  # data chunk of size 0
    data[4:8] = struct.pack("<I", 36)
    path = _corrupt(tmp_path, "zero.wav", bytes(data))
    with pytest.raises(AudioError, match="zero.wav: audio file holds no samples"):
        read_audio(path)


def test_nan_samples(tmp_path: Path) -> None:
    path = tmp_path / "nan.wav"
    data = np.zeros(1000, dtype=np.float32)
    data[500] = np.nan
    sf.write(path, data, 8000, subtype="FLOAT")
    with pytest.raises(AudioError, match="nan.wav: audio holds NaN.*frame 500"):
        read_audio(path)
    x, _ = read_audio(path, end_s=0.05)  # the NaN lies outside this span
    assert x.shape == (400,)


def test_write_rejects_bad_samples(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match="bad.wav: samples hold NaN"):
        write_audio(tmp_path / "bad.wav", np.array([0.0, np.nan]), 8000)
    with pytest.raises(AudioError, match="non-empty"):
        write_audio(tmp_path / "bad.wav", np.array([]), 8000)
    with pytest.raises(AudioError, match="positive integer"):
        write_audio(tmp_path / "bad.wav", np.zeros(10), -5)
    assert not (tmp_path / "bad.wav").exists()
    assert list(tmp_path.iterdir()) == []  # no temporary files left behind


def test_write_clips_and_is_deterministic(tmp_path: Path) -> None:
    x = np.linspace(-2, 2, 1000)
    write_audio(tmp_path / "a.wav", x, 8000)
    write_audio(tmp_path / "b.wav", x, 8000)
    assert (tmp_path / "a.wav").read_bytes() == (tmp_path / "b.wav").read_bytes()
    y, _ = read_audio(tmp_path / "a.wav")
    assert y.min() >= -1.0 and y.max() <= 1.0


def test_write_flac_by_extension(tmp_path: Path) -> None:
    write_audio(tmp_path / "a.flac", np.zeros(800), 8000, subtype="PCM_16")
    assert audio_info(tmp_path / "a.flac").format == "FLAC"


def test_io_does_not_import_torch() -> None:
    import subprocess

    code = (
        "import alpacaspot.io, alpacaspot.io.animalspot, alpacaspot.io.raven, sys; "
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
