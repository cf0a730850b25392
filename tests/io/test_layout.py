import numpy as np
import pytest
import soundfile as sf
from hypothesis import given
from hypothesis import strategies as st

from alpacaspot.errors import ConfigError
from alpacaspot.io import read_audio
from alpacaspot.io.layout import (
    AUDIO_SUFFIXES,
    default_tape,
    format_tag,
    parse_tag,
    scores_key,
    scores_path,
)

# libsndfile's major format for each audio suffix (aif/aifc are AIFF containers)
_FORMATS = {".wav": "WAV", ".flac": "FLAC", ".ogg": "OGG", ".aif": "AIFF", ".aiff": "AIFF",
            ".aifc": "AIFF", ".w64": "W64", ".rf64": "RF64", ".caf": "CAF", ".mp3": "MP3"}


@pytest.mark.parametrize(
    ("threshold", "tag"),
    [(0.9, "th90"), (0.57, "th57"), (0.5, "th50"), (0.05, "th05"), (0.975, "th975"),
     (0.005, "th005"), (0.99, "th99"), (1.0, "th100")],
)
def test_tags_are_rounded_not_truncated(threshold, tag):
    assert format_tag(0.4, 0.05, threshold) == f"len400_hop050_{tag}"


@given(st.integers(1, 999), st.integers(1, 999), st.integers(1, 1000))
def test_tag_round_trip(seq_ms, hop_ms, th_milli):
    th = th_milli / 1000
    assert parse_tag(format_tag(seq_ms / 1000, hop_ms / 1000, th)) == (
        seq_ms / 1000, hop_ms / 1000, th)


def test_bad_tags_and_thresholds():
    with pytest.raises(ConfigError, match="not a benchmark tag"):
        parse_tag("len400_hop50")
    with pytest.raises(ConfigError, match=r"\(0, 1\]"):
        format_tag(0.4, 0.05, 1.5)


def test_names_keep_dots():
    assert scores_key(0.4, 0.05) == "len400_hop050"
    assert scores_path("s", "tape1/a.b.wav").as_posix() == "s/tape1/a.b.wav.parquet"
    assert default_tape("tape.07.wav") == "tape.07"
    assert default_tape("x/tape.07.wav") == "x"  # the first folder is the tape


@pytest.mark.parametrize("suffix", sorted(AUDIO_SUFFIXES))
def test_every_audio_suffix_is_read_by_read_audio(tmp_path, suffix):
    assert suffix == suffix.lower()
    sr = 16000
    samples = (0.3 * np.sin(2 * np.pi * 440 * np.arange(sr // 4) / sr)).astype(np.float32)
    path = tmp_path / f"tone{suffix}"
    sf.write(path, samples, sr, format=_FORMATS[suffix])
    audio, rate = read_audio(path)
    assert rate == sr
    assert audio.shape[0] == pytest.approx(samples.shape[0], abs=2000)  # mp3 pads frames
    assert float(np.abs(audio).max()) > 0.1


# The one default-tape rule, pinned on the names of tests/data/real, the shared real data and
# the synthetic corpora (raven and alpaca layouts). Before it was unified, evaluation used the
# file stem as it was (``T01_20190614_0930``) and the corpus the first folder, cleaned.
@pytest.mark.parametrize(("recording", "tape"), [
    # synthetic raven layout: <tape>/<tape>_<YYYYMMDD>_<HHMM>.wav
    ("T01/T01_20190614_0930.wav", "T01"),
    ("T02/T02_20190615_1100.wav", "T02"),
    # synthetic alpaca layout: raw recordings and labelled clips of the fork
    ("raw_recordings/t01_20190614_r1_cut.wav", "t01-20190614"),
    ("labelled_recordings/t01_20190614_r1_cut.wav_10.000_20.000.wav", "t01-20190614"),
    ("alp03_20210905_morning_cut.wav", "alp03-20210905"),
    # real recordings and tables (tests/data/real, /work/shared/data/real)
    ("Recording_1_Segment_07-snippet.wav", "Recording-1-Segment-07-snippet"),
    ("Recording_1_Segment_02.wav", "Recording-1-Segment-02"),
    ("MSD-0003_20180427_2minstart00.wav", "MSD-0003-20180427-2minstart00"),
    ("RR48_2013_D151.wav", "RR48-2013-D151"),
    ("chronister2021_crowsetta/Recording_1_Segment_07-snippet.wav", "chronister2021-crowsetta"),
    # names kept whole: dots, spaces, nested folders, absolute paths
    ("a.2019.wav", "a.2019"),
    ("tape1/a.2019.wav", "tape1"),
    ("site A/deep/x.wav", "site-A"),
    ("/data/T01/x.wav", "x"),
])
def test_default_tape_rule(recording, tape):
    assert default_tape(recording) == tape
    assert "_" not in default_tape(recording) and "/" not in default_tape(recording)
