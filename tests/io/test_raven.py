"""Tests of alpacaspot.io.raven on every real table and on the known field quirks."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alpacaspot.errors import AnnotationError
from alpacaspot.io import EVENTS, read_raven, write_audio, write_raven

HEADER = "Selection\tView\tChannel\tBegin Time (s)\tEnd Time (s)\tLow Freq (Hz)\tHigh Freq (Hz)"


def _write(path: Path, text: str, *, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


# --------------------------------------------------------------------------- real tables


def test_chronister_full_table(real_dir: Path) -> None:
    ev = read_raven(real_dir / "Recording_1_Segment_07.Table.1.selections.txt")
    assert len(ev) == 279
    assert set(ev["recording"]) == {"Recording_1_Segment_07.wav"}
    assert ev["label"].value_counts().to_dict() == {
        "WOTH": 67,
        "EATO": 63,
        "TUTI": 54,
        "NOCA": 37,
        "BCCH": 34,
        "OVEN": 14,
        "BAWW": 8,
        "WITU": 2,
    }
    assert sorted(ev["selection"]) == list(range(1, 280))
    assert ev["begin_s"].is_monotonic_increasing
    assert ev["begin_s"].iloc[0] == pytest.approx(0.178095911)
    assert ev["quality"].isna().all() and ev["score"].isna().all()
    assert (ev["channel"] == 1).all()
    assert list(ev.columns) == EVENTS.names + ["View"]


def test_chronister_snippet_with_audio_root(
    real_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        ev = read_raven(
            real_dir / "Recording_1_Segment_07.Table.1.selections.txt", audio_root=real_dir
        )
    assert len(ev) == 9
    assert set(ev["recording"]) == {"Recording_1_Segment_07-snippet.wav"}
    assert ev["end_s"].max() < 10.0
    assert ev["label"].tolist() == [
        "NOCA",
        "WOTH",
        "EATO",
        "WOTH",
        "BCCH",
        "NOCA",
        "EATO",
        "BCCH",
        "WOTH",
    ]
    assert "dropped 270 of 279 events" in caplog.text


def test_msd_table_with_empty_label_and_short_rows(real_dir: Path) -> None:
    ev = read_raven(real_dir / "MSD-0003_20180427_2minstart00.Table.1.selections.txt")
    assert len(ev) == 10
    assert ev["label"].tolist().count("") == 1
    assert ev["label"].value_counts().to_dict() == {"WOTH": 4, "EATO": 4, "LOWA": 1, "": 1}
    assert ev["recording"].unique().tolist() == ["MSD-0003_20180427_2minstart00.wav"]
    assert (ev["distance"] == "").all() and (ev["type"] == "").all()
    assert ev["low_hz"].iloc[0] == pytest.approx(1326.3)
    assert ev["high_hz"].iloc[0] == pytest.approx(3266.5)


def test_empty_example_header_only(real_dir: Path) -> None:
    ev = read_raven(real_dir / "EmptyExample.Table.1.selections.txt")
    assert len(ev) == 0
    assert list(ev.columns)[:10] == EVENTS.names


def test_annotation_column_without_final_newline(real_dir: Path) -> None:
    ev = read_raven(real_dir / "raven_with_Annotation_col.txt")
    assert ev[["recording", "label"]].values.tolist() == [["raven_with_Annotation_col.wav", "CSWA"]]
    assert ev["end_s"].iloc[0] == pytest.approx(4.110570810999974)


def test_segment_02_crlf(real_dir: Path) -> None:
    ev = read_raven(real_dir / "Recording_1_Segment_02.Table.1.selections.txt")
    assert len(ev) == 6
    assert set(ev["label"]) == {"EATO"}
    assert ev["end_s"].iloc[-1] == pytest.approx(296.110168316)


def test_description_file_is_not_a_table(real_dir: Path) -> None:
    path = real_dir / "Recording_1_Segment_02.Table.1.selections-description.txt"
    with pytest.raises(AnnotationError, match="selections-description.txt, line 1: expected a tab"):
        read_raven(path)


def test_blue_whale_ground_truth(real_dir: Path) -> None:
    ev = read_raven(real_dir / "RR48_2013_D151.ABW.selections.txt")
    assert len(ev) == 853
    assert set(ev["label"]) == {"ABW"}
    assert set(ev["recording"]) == {"RR48_2013_D151.wav"}
    assert ev["begin_s"].min() == pytest.approx(42.236765074)
    assert ev["end_s"].max() == pytest.approx(83638.704816603)
    assert ev["Begin Path"].iloc[0].endswith("ModelPerformanceEvaluation/RR48_2013_D151.wav")


def test_blue_whale_detections_score(real_dir: Path) -> None:
    ev = read_raven(real_dir / "RR48_2013_D151.ABW.learning_detector.txt")
    assert len(ev) == 51
    assert ev["score"].notna().all()
    assert float(ev["score"].sum()) == pytest.approx(36.23)
    assert ev["score"].min() == pytest.approx(0.10)


def test_folder_of_tables(real_dir: Path, tmp_path: Path) -> None:
    for name in (
        "MSD-0003_20180427_2minstart00.Table.1.selections.txt",
        "Recording_1_Segment_02.Table.1.selections.txt",
        "EmptyExample.Table.1.selections.txt",
    ):
        shutil.copy(real_dir / name, tmp_path / name)
    ev = read_raven(tmp_path)
    assert len(ev) == 16
    assert ev["recording"].unique().tolist() == [
        "MSD-0003_20180427_2minstart00.wav",
        "Recording_1_Segment_02.wav",
    ]


def test_label_column_by_name(real_dir: Path) -> None:
    ev = read_raven(
        real_dir / "MSD-0003_20180427_2minstart00.Table.1.selections.txt", label_column="view"
    )
    assert set(ev["label"]) == {"Spectrogram 1"}
    with pytest.raises(AnnotationError, match="label column 'Call' not found"):
        read_raven(real_dir / "raven_with_Annotation_col.txt", label_column="Call")


# --------------------------------------------------------------------------- quirks


def test_bom_crlf_trailing_tabs(tmp_path: Path) -> None:
    text = f"{HEADER}\tSound type\t\r\n1\tSpectrogram 1\t1\t0.5\t0.9\t100\t900\thum\t\r\n"
    path = _write(tmp_path / "t.selections.txt", "\ufeff" + text)
    ev = read_raven(path)
    assert ev[["recording", "begin_s", "end_s", "label"]].values.tolist() == [
        ["t.wav", 0.5, 0.9, "hum"]
    ]


def test_latin1_fallback(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "x.txt", f"{HEADER}\tLabel\n1\tS\t1\t0\t1\t\t\tcrié\n", encoding="latin-1"
    )
    assert read_raven(path)["label"].tolist() == ["crié"]


def test_views_deduplicated(tmp_path: Path) -> None:
    text = (
        f"{HEADER}\tAnnotation\n"
        "1\tWaveform 1\t1\t1.0\t1.3\t\t\thum\n"
        "1\tSpectrogram 1\t1\t1.0\t1.3\t200\t900\thum\n"
        "2\tWaveform 1\t1\t2.0\t2.3\t\t\thum\n"
        "2\tSpectrogram 1\t1\t2.0\t2.3\t250\t950\thum\n"
    )
    ev = read_raven(_write(tmp_path / "v.Table.1.selections.txt", text))
    assert ev["selection"].tolist() == [1, 2]
    assert ev["low_hz"].tolist() == [200.0, 250.0]  # the spectrogram view's row is kept


def test_multi_file_table_with_offsets(tmp_path: Path) -> None:
    text = (
        f"{HEADER}\tBegin File\tFile Offset (s)\tSpecies\n"
        "1\tSpectrogram 1\t1\t5.0\t5.5\t0\t100\ta.wav\t5.0\tx\n"
        "2\tSpectrogram 1\t1\t65.0\t65.25\t0\t100\tb.wav\t5.0\ty\n"
    )
    ev = read_raven(_write(tmp_path / "multi.txt", text))
    assert ev[["recording", "begin_s", "end_s", "label"]].values.tolist() == [
        ["a.wav", 5.0, 5.5, "x"],
        ["b.wav", 5.0, 5.25, "y"],
    ]
    alt = read_raven(
        _write(tmp_path / "multi2.txt", text.replace("File Offset (s)", "File Offset"))
    )
    assert alt["end_s"].tolist() == [5.5, 5.25]


def test_begin_path_windows_and_posix(tmp_path: Path) -> None:
    text = (
        f"{HEADER}\tBegin Path\tTags\n"
        "1\tSpectrogram 1\t1\t1\t2\t\t\tC:\\old disk\\tapes\\tape one.wav\tq\n"
        "2\tSpectrogram 1\t2\t3\t4\t\t\t/gone/away/tape two.wav\tr\n"
    )
    ev = read_raven(_write(tmp_path / "p.txt", text))
    assert ev[["recording", "channel", "label"]].values.tolist() == [
        ["tape one.wav", 1, "q"],
        ["tape two.wav", 2, "r"],
    ]


def test_animalspot_spelling_and_lowercase_channel(tmp_path: Path) -> None:
    text = (
        "Selection\tView\tchannel\tBegin time (s)\tEnd time (s)\tLow Freq (Hz)\tHigh Freq (Hz)"
        "\tSound type\tComments\tCNN logit (mean)\n"
        "1\tSpectrogram_1\t1\t0.0\t0.4\t0\t4000\ttarget\t\t3.2\n"
    )
    path = _write(tmp_path / "rec_predict_output.log.annotation.result.txt", text)
    ev = read_raven(path)
    assert ev[["recording", "end_s", "label"]].values.tolist() == [["rec.wav", 0.4, "target"]]
    assert ev["CNN logit (mean)"].tolist() == ["3.2"]


def test_semicolon_lists_and_unsorted_rows(tmp_path: Path) -> None:
    text = (
        f"{HEADER}\tPeak Freq Contour (Hz)\tQuality\tAnnotation\n"
        "2\tSpectrogram 1\t1\t7.0\t7.5\t\t\t300;310;320\t2\thum\n"
        "1\tSpectrogram 1\t1\t1.0\t1.5\t\t\t\t\thum\n"
    )
    ev = read_raven(_write(tmp_path / "s.txt", text))
    assert ev["selection"].tolist() == [1, 2]
    assert ev["Peak Freq Contour (Hz)"].tolist() == ["", "300;310;320"]
    assert ev["quality"].tolist()[1] == 2 and pd.isna(ev["quality"].iloc[0])


def test_stem_resolution_under_audio_root(tmp_path: Path) -> None:
    audio = tmp_path / "audio"
    write_audio(audio / "sub" / "X.wav", np.zeros(8000), 8000)
    write_audio(audio / "Y-long name.flac", np.zeros(8000), 8000)
    tables = tmp_path / "tables"
    tables.mkdir()
    row = "1\tSpectrogram 1\t1\t0.1\t0.2\t\t\n"
    write_audio(audio / "a.b.wav", np.zeros(8000), 8000)
    write_audio(audio / "a.b.wav.flac", np.zeros(8000), 8000)
    for name in ("X.Table.1.selections.txt", "Y.selections.txt", "a.b.wav.selections.txt"):
        _write(tables / name, f"{HEADER}\n{row}")
    ev = read_raven(tables, audio_root=audio)
    assert ev["recording"].tolist() == ["Y-long name.flac", "a.b.wav", "sub/X.wav"]
    assert read_raven(tables / "a.b.wav.selections.txt")["recording"].tolist() == ["a.b.wav"]
    _write(tables / "Z.txt", f"{HEADER}\n{row}")
    with pytest.raises(AnnotationError, match="Z.txt: table has no 'Begin File' column and no"):
        read_raven(tables / "Z.txt", audio_root=audio)
    write_audio(audio / "Y2.wav", np.zeros(800), 8000)
    with pytest.raises(AnnotationError, match="several audio files"):
        read_raven(tables / "Y.selections.txt", audio_root=audio)


def test_named_file_resolution_and_clipping(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write_audio(tmp_path / "t1" / "a.wav", np.zeros(16000), 8000)  # 2 s
    text = (
        f"{HEADER}\tBegin File\n"
        "1\tSpectrogram 1\t1\t0.5\t1.0\t\t\ta.wav\n"
        "2\tSpectrogram 1\t1\t1.5\t2.5\t\t\ta.wav\n"
        "3\tSpectrogram 1\t1\t2.5\t3.0\t\t\ta.wav\n"
    )
    path = _write(tmp_path / "t.txt", text)
    with caplog.at_level(logging.WARNING):
        ev = read_raven(path, audio_root=tmp_path)
    assert ev[["recording", "begin_s", "end_s"]].values.tolist() == [
        ["t1/a.wav", 0.5, 1.0],
        ["t1/a.wav", 1.5, 2.0],
    ]
    assert "dropped 1 of 3 events" in caplog.text and "cut 1 events" in caplog.text
    _write(path, text.replace("a.wav", "missing.wav"))
    with pytest.raises(AnnotationError, match="t.txt, line 2: audio file 'missing.wav'"):
        read_raven(path, audio_root=tmp_path)


@pytest.mark.parametrize(
    ("row", "line", "match"),
    [
        ("1\tS\t1\t2.0\t1.0\t\t", 2, "begin time 2.0 is after end time 1.0"),
        ("1\tS\t1\t-1.0\t1.0\t\t", 2, "negative time"),
        ("1\tS\t1\tabc\t1.0\t\t", 2, "'Begin Time \\(s\\)' holds 'abc'; expected a number"),
        ("1\tS\t1\t\t1.0\t\t", 2, "empty 'Begin Time \\(s\\)' cell"),
        ("1\tS\t1\t0\t1.0\tlow\t", 2, "'Low Freq \\(Hz\\)' holds 'low'"),
        ("1\tS\tone\t0\t1.0\t\t", 2, "'Channel' holds 'one'"),
        ("1\tS\t1\t0\t1.0\t\t\textra", 2, "row has 8 cells, the header has 7"),
        ("1\tS\t1\t0\tinf\t\t", 2, "finite"),
    ],
)
def test_bad_rows_name_file_and_line(tmp_path: Path, row: str, line: int, match: str) -> None:
    path = _write(tmp_path / "bad.selections.txt", f"{HEADER}\n{row}\n")
    with pytest.raises(AnnotationError, match=match) as info:
        read_raven(path)
    assert str(info.value).startswith(f"{path}, line {line}: ")


def test_bad_files(tmp_path: Path) -> None:
    with pytest.raises(AnnotationError, match="none.txt: selection table does not exist"):
        read_raven(tmp_path / "none.txt")
    with pytest.raises(AnnotationError, match="empty.txt: selection table is empty"):
        read_raven(_write(tmp_path / "empty.txt", "\n\n"))
    with pytest.raises(AnnotationError, match="notimes.txt, line 1: table lacks a 'Begin Time"):
        read_raven(_write(tmp_path / "notimes.txt", "Selection\tView\n1\tS\n"))


# --------------------------------------------------------------------------- writing


def test_write_header_and_extras(tmp_path: Path) -> None:
    ev = pd.DataFrame(
        {
            "recording": ["t/a.wav", "b.wav"],
            "begin_s": [1.0, 2.0],
            "end_s": [1.5, 2.5],
            "label": ["hum", "alarm"],
            "quality": [2, None],
            "tape": ["t", "b"],
            "View": ["Waveform 1", "Waveform 1"],
        }
    )
    path = write_raven(ev, tmp_path / "out" / "all.selections.txt")
    lines = path.read_text().splitlines()
    assert lines[0].split("\t") == [
        "Selection",
        "View",
        "Channel",
        "Begin Time (s)",
        "End Time (s)",
        "Low Freq (Hz)",
        "High Freq (Hz)",
        "Begin File",
        "Begin Path",
        "File Offset (s)",
        "Annotation",
        "Quality",
        "tape",
    ]
    assert lines[1].split("\t") == [
        "1",
        "Spectrogram 1",
        "1",
        "1.0",
        "1.5",
        "",
        "",
        "a.wav",
        "t/a.wav",
        "1.0",
        "hum",
        "2",
        "t",
    ]
    back = read_raven(path)
    assert back[["recording", "tape"]].values.tolist() == [["a.wav", "t"], ["b.wav", "b"]]
    with pytest.raises(AnnotationError, match="tab or line break"):
        write_raven(ev.assign(label=["a\tb", "c"]), tmp_path / "x.txt")


def test_write_concatenated_timeline(tmp_path: Path) -> None:
    ev = pd.DataFrame(
        {"recording": ["b.wav", "a.wav"], "begin_s": [1.0, 2.0], "end_s": [1.5, 2.25]}
    )
    path = write_raven(ev, tmp_path / "m.txt", durations={"a.wav": 60.0, "b.wav": 30.0})
    rows = [line.split("\t") for line in path.read_text().splitlines()[1:]]
    assert [r[3] for r in rows] == ["61.0", "2.0"]  # b.wav follows a.wav on the timeline
    back = read_raven(path)
    assert back[["recording", "begin_s"]].values.tolist() == [["a.wav", 2.0], ["b.wav", 1.0]]
    np.testing.assert_allclose(back["end_s"], [2.25, 1.5])
    with pytest.raises(AnnotationError, match="durations lack recording 'b.wav'"):
        write_raven(ev, tmp_path / "m.txt", durations={"a.wav": 60.0})


_name = (
    st.text(
        alphabet=st.characters(
            blacklist_characters="\t\n\r/\\", blacklist_categories=("Cs", "Cc", "Zl", "Zp")
        ),
        min_size=1,
        max_size=10,
    )
    .map(str.strip)
    .filter(bool)
)
_time = st.floats(0, 1e5, allow_nan=False, allow_infinity=False)


@st.composite
def _events(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(0, 12))
    recs = draw(st.lists(_name.map(lambda s: s + ".wav"), min_size=1, max_size=3, unique=True))
    rows = []
    for _ in range(n):
        b, d = draw(_time), draw(st.floats(0, 100, allow_nan=False))
        low = draw(st.one_of(st.none(), st.floats(0, 24000, allow_nan=False)))
        rows.append(
            {
                "recording": draw(st.sampled_from(recs)),
                "begin_s": b,
                "end_s": b + d,
                "low_hz": low,
                "high_hz": draw(st.one_of(st.none(), st.floats(0, 24000, allow_nan=False))),
                "label": draw(st.one_of(st.just(""), _name)),
                "quality": draw(st.one_of(st.none(), st.integers(1, 4))),
                "channel": draw(st.integers(1, 4)),
                "score": draw(st.one_of(st.none(), st.floats(0, 1))),
            }
        )
    frame = pd.DataFrame(rows, columns=[c for c in EVENTS.names if c != "selection"])
    frame["selection"] = np.arange(1, n + 1)
    return EVENTS.validate(frame)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(_events())
def test_write_read_round_trip(tmp_path: Path, events: pd.DataFrame) -> None:
    path = write_raven(events, tmp_path / "rt.selections.txt")
    back = read_raven(path)
    expected = events.sort_values(
        ["recording", "begin_s", "end_s", "channel", "selection"], kind="mergesort"
    ).reset_index(drop=True)
    if not expected["quality"].notna().any():
        assert "Quality" not in path.read_text().splitlines()[0]
    pd.testing.assert_frame_equal(back[EVENTS.names], expected[EVENTS.names])


def test_channel_and_lowercase_channel_columns(tmp_path: Path) -> None:
    text = f"{HEADER}\tchannel\tLabel\n1\tSpectrogram 1\t2\t0\t1\t\t\t1\thum\n"
    ev = read_raven(_write(tmp_path / "file with spaces.txt", text))
    assert ev[["recording", "channel", "raven_channel", "label"]].values.tolist() == [
        ["file with spaces.wav", 2, "1", "hum"]
    ]
