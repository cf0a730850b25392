"""The corpus index on real third-party Raven tables and a real recording (tests/data/real)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from alpacaspot.data import build_corpus_index, prepare_datasets
from alpacaspot.errors import AudioError, CorpusError
from alpacaspot.io import read_raven, write_audio

REAL = Path(__file__).parent / "real"
SNIPPET = REAL / "Recording_1_Segment_07-snippet.wav"
TABLE = REAL / "Recording_1_Segment_07.Table.1.selections.txt"  # 279 rows over 300 s


@pytest.mark.parametrize("audio_name", ["Recording_1_Segment_07-snippet.wav",
                                        "Recording_1_Segment_07.wav"])
def test_events_beyond_the_audio_one_rule_whatever_the_name(tmp_path: Path,
                                                            audio_name: str) -> None:
    shutil.copy(SNIPPET, tmp_path / audio_name)
    shutil.copy(TABLE, tmp_path / TABLE.name)
    with pytest.raises(CorpusError) as err:
        build_corpus_index(tmp_path)
    text = str(err.value)
    assert "270 of 279 events lie beyond the audio's 10.0 s" in text
    assert TABLE.name in text and "Selection" in text and text.count("lie beyond") == 1
    lenient = build_corpus_index(tmp_path, strict=False)
    assert len(lenient.events) == 9
    assert len(lenient.warnings) == 1 and "270 of 279" in lenient.warnings[0]


def _multi_file_table(rows: list[tuple[str, int, str]]) -> str:
    """A Raven multi-file table (warbleR-style) of (file, selection line, label) rows taken
    from the real crowsetta table's first selections."""
    src = TABLE.read_text().splitlines()
    header = src[0].split("\t")
    out = ["\t".join([*header, "Begin File", "Begin Path", "File Offset (s)"])]
    for k, (name, line, _) in enumerate(rows, start=1):
        cells = src[line - 1].split("\t")
        cells[0] = str(k)
        out.append("\t".join([*cells, name, f"C:\\\\old\\\\{name}", cells[3]]))
    return "\n".join(out) + "\n"


def test_multi_file_table_of_any_name_is_indexed(tmp_path: Path) -> None:
    shutil.copy(SNIPPET, tmp_path / "Recording_1_Segment_07-snippet.wav")
    write_audio(tmp_path / "other.wav", np.zeros(32000 * 10, dtype=np.float32), 32000)
    # no per-file table: only the multi-file one, whose name matches no audio
    rows = [("Recording_1_Segment_07-snippet.wav", line, "") for line in (2, 3, 4)]
    rows += [("other.wav", line, "") for line in (5, 6)]
    (tmp_path / "LBH multiple selection table warbleR.txt").write_text(_multi_file_table(rows))
    (tmp_path / "notes.txt").write_text("field notes, not a table\n")
    corpus = build_corpus_index(tmp_path)
    assert corpus.events.groupby("recording").size().to_dict() == {
        "Recording_1_Segment_07-snippet.wav": 3, "other.wav": 2}
    # the same selections in a per-file table as well: counted once, with a warning
    shutil.copy(TABLE, tmp_path / "Recording_1_Segment_07-snippet.Table.1.selections.txt")
    lines = TABLE.read_text().splitlines()
    (tmp_path / "Recording_1_Segment_07-snippet.Table.1.selections.txt").write_text(
        "\n".join(lines[:4]) + "\n")
    (tmp_path / "other.Table.1.selections.txt").write_text(
        "\n".join([lines[0], lines[4], lines[5]]) + "\n")
    again = build_corpus_index(tmp_path)
    assert len(again.events) == 5
    repeats = [w for w in again.warnings if "counted once" in w]
    assert len(repeats) == 2 and all("LBH multiple selection table warbleR.txt" in w
                                     for w in repeats)


def test_multi_file_table_naming_absent_audio_is_a_problem(tmp_path: Path) -> None:
    shutil.copy(SNIPPET, tmp_path / "Recording_1_Segment_07-snippet.wav")
    rows = [("Recording_1_Segment_07-snippet.wav", 2, ""), ("gone.wav", 3, ""),
            ("gone.wav", 4, "")]
    (tmp_path / "all tapes.txt").write_text(_multi_file_table(rows))
    with pytest.raises(CorpusError, match="2 selection\\(s\\) name audio that is not in the "
                       "corpus.*'gone.wav'") as err:
        build_corpus_index(tmp_path)
    assert "all tapes.txt, line 3" in str(err.value)
    assert len(build_corpus_index(tmp_path, strict=False).events) == 1
    # a table without file columns whose name matches no audio is reported, never ignored
    shutil.copy(TABLE.with_name("Recording_1_Segment_02.Table.1.selections.txt"), tmp_path)
    lenient = build_corpus_index(tmp_path, strict=False)
    assert any("Recording_1_Segment_02.Table.1.selections.txt" in w
               and "names no audio" in w for w in lenient.warnings)


def test_read_raven_folder_counts_repeated_selections_once(tmp_path: Path, caplog) -> None:
    lines = TABLE.read_text().splitlines()
    per_file = tmp_path / "Recording_1_Segment_07.Table.1.selections.txt"
    per_file.write_text("\n".join(lines[:12]) + "\n")  # 11 selections
    rows = [("Recording_1_Segment_07.wav", line, "") for line in range(2, 13)]
    (tmp_path / "multi.txt").write_text(_multi_file_table(rows))
    with caplog.at_level("WARNING", logger="alpacaspot.io.raven"):
        events = read_raven(tmp_path)
    assert len(events) == 11
    assert "11 selection(s) repeat those of" in caplog.text


def test_zero_length_selection_names_table_line_and_selection(tmp_path: Path) -> None:
    shutil.copy(SNIPPET, tmp_path / "rec.wav")
    (tmp_path / "rec.Table.1.selections.txt").write_text(
        "Selection\tBegin Time (s)\tEnd Time (s)\tSpecies\n"
        "4\t1.0\t2.0\tNOCA\n"
        "17\t3.0\t3.0\tNOCA\n")
    with pytest.raises(CorpusError, match="rec.Table.1.selections.txt, line 3: Selection 17"):
        build_corpus_index(tmp_path)


def test_nan_samples_refused_before_any_dataset(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    for k in range(3):
        x = (0.05 * rng.standard_normal(8000 * 6)).astype(np.float32)
        if k == 1:
            x[12345:13345] = np.nan
        path = tmp_path / f"T{k}" / f"T{k}_2021010{k + 1}.wav"
        path.parent.mkdir()
        sf.write(path, x, 8000, subtype="FLOAT")
        path.with_name(path.stem + ".selections.txt").write_text(
            "Selection\tBegin Time (s)\tEnd Time (s)\tAnnotation\n1\t1.5\t1.9\thum\n")
    with pytest.raises(AudioError, match="NaN or infinite sample \\(first at frame 12345") \
            as err:
        build_corpus_index(tmp_path)
    assert "T1_20210102.wav" in str(err.value)
    with pytest.raises(AudioError, match="frame 12345"):
        prepare_datasets(tmp_path, {"strategies": {"v": {}}}, workers=1)
    assert not list(tmp_path.glob("dataset_*/*.wav"))


def test_plain_raven_corpus_trains_without_quality_or_dates(tmp_path: Path) -> None:
    """Real crowsetta-style tables: no Quality column, no date in the names."""
    rng = np.random.default_rng(1)
    for k in range(3):
        path = tmp_path / f"site{k}" / "rec.wav"
        write_audio(path, (0.05 * rng.standard_normal(8000 * 8)).astype(np.float32), 8000)
        path.with_name("rec.Table.1.selections.txt").write_text(
            "Selection\tView\tChannel\tBegin Time (s)\tEnd Time (s)\tSpecies\n"
            "1\tSpectrogram 1\t1\t1.0\t1.4\tNOCA\n2\tSpectrogram 1\t1\t5.0\t5.3\tNOCA\n")
    corpus = build_corpus_index(tmp_path)
    assert corpus.recordings["year"].isna().all() and corpus.events["quality"].isna().all()
    base = {"target_label": "NOCA", "seed": 1}
    out = prepare_datasets(tmp_path, {"strategies": {
        "q2": {**base, "min_quality": 2}, "q0": {**base, "min_quality": 0},
    }}, workers=1)
    for name in ("q2", "q0"):
        train = (out[name] / "train.csv").read_text().splitlines()
        assert sum(n.startswith("target-") for n in train) >= 2
    with pytest.raises(CorpusError, match="no 'NOCA' event"):
        prepare_datasets(tmp_path, {"strategies": {"d": {**base, "min_quality": 2,
                                                         "drop_unknown_quality": True}}},
                         workers=1)
