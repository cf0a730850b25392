from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from alpacaspot.data.clips import extract_clips
from alpacaspot.errors import AudioError
from alpacaspot.io import read_audio, write_audio


@pytest.fixture
def recordings(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    write_audio(tmp_path / "a.wav", 0.3 * rng.uniform(-1, 1, 16000 * 5), 16000)
    write_audio(tmp_path / "sub" / "b.v2.wav", 0.3 * rng.uniform(-1, 1, (16000 * 3, 2)), 16000)
    return tmp_path


def _clips() -> pd.DataFrame:
    return pd.DataFrame({
        "clip": ["c1.wav", "c2.wav", "c3.wav", "c4.wav"],
        "recording": ["a.wav", "a.wav", "sub/b.v2.wav", "a.wav"],
        "begin_s": [0.5, 4.0, 1.25, 0.0],
        "end_s": [0.75, 5.0, 2.0, 0.1],
    })


def test_clips_equal_source_frames(recordings: Path) -> None:
    out = recordings / "out"
    assert extract_clips(recordings, _clips(), out, workers=1) == 4
    src, sr = read_audio(recordings / "a.wav")
    clip, sr2 = read_audio(out / "c1.wav")
    assert sr2 == sr and np.array_equal(clip, src[8000:12000])
    stereo, _ = sf.read(recordings / "sub" / "b.v2.wav", dtype="float32")
    c3, _ = read_audio(out / "c3.wav")
    expected = stereo[20000:32000].mean(axis=1)
    assert np.abs(c3 - expected).max() <= 1 / 32768 + 1e-7


def test_parallel_same_bytes_and_resume(recordings: Path) -> None:
    extract_clips(recordings, _clips(), recordings / "one", workers=1)
    extract_clips(recordings, _clips(), recordings / "two", workers=2)
    for name in _clips()["clip"]:
        assert (recordings / "one" / name).read_bytes() == (recordings / "two" / name).read_bytes()
    assert extract_clips(recordings, _clips(), recordings / "two", workers=2) == 0


def test_spectrogram_pngs(recordings: Path) -> None:
    out = recordings / "out"
    extract_clips(recordings, _clips().iloc[:2], out, workers=1, png_dir=out / "spectrograms")
    pngs = sorted((out / "spectrograms").glob("*.png"))
    assert [p.name for p in pngs] == ["c1.png", "c2.png"]
    assert pngs[0].read_bytes()[:4] == b"\x89PNG"


def test_clip_outside_audio(recordings: Path) -> None:
    bad = pd.DataFrame({"clip": ["x.wav"], "recording": ["a.wav"], "begin_s": [6.0],
                        "end_s": [6.5]})
    with pytest.raises(AudioError) as err:
        extract_clips(recordings, bad, recordings / "out", workers=1)
    assert "a.wav" in str(err.value)
    missing = bad.assign(recording="nope.wav", begin_s=0.0)
    with pytest.raises(AudioError, match="nope.wav"):
        extract_clips(recordings, missing, recordings / "out", workers=1)
