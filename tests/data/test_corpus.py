from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from alpacaspot.data import Corpus, build_corpus_index
from alpacaspot.errors import AudioError, ConfigError, CorpusError
from alpacaspot.io import write_audio


def test_raven_index(raven_corpus: Path) -> None:
    corpus = build_corpus_index(raven_corpus)
    rec = corpus.recordings
    assert rec["tape"].tolist() == ["T01", "T02", "T03", "T04"]
    assert rec["recording"].str.match(r"T0[1-4]/T0[1-4]_\d{8}_\d{4}\.wav").all()
    assert rec["year"].between(2017, 2023).all()
    assert (rec["duration_s"] == 30.0).all()
    ev = corpus.events
    assert set(ev["recording"]) <= set(rec["recording"])
    assert {"tape", "year"} <= set(ev.columns)
    assert (ev["label"] == "hum").sum() > 10
    assert ev.equals(ev.sort_values(["recording", "begin_s"], kind="stable").reset_index(
        drop=True))
    corpus.save()
    loaded = Corpus.load(raven_corpus)
    assert loaded.events["begin_s"].tolist() == ev["begin_s"].tolist()
    assert loaded.recordings["tape"].tolist() == rec["tape"].tolist()
    view = json.loads((raven_corpus / "corpus_index.json").read_text())
    assert set(view) == {"meta", "distribution", "entries"}
    keys = {"uid", "corpus_name", "hum_path", "clip_path", "raw_path", "quality", "dur_s",
            "clip_dur_s", "clip_start_s", "clip_end_s", "raw_start_s", "raw_end_s",
            "clip_uid", "raw_uid"}
    assert keys <= set(view["entries"][0])
    assert view["meta"]["n_events"] == len(ev)


def test_save_is_deterministic(copy_raven) -> None:
    a, b = copy_raven("a"), copy_raven("b")
    build_corpus_index(a).save()
    build_corpus_index(b).save()
    for name in ("corpus_index.parquet", "corpus_recordings.parquet", "corpus_index.json"):
        left = (a / name).read_bytes()
        right = (b / name).read_bytes().replace(b'"b"', b'"a"')
        assert left == right, name


def test_alpaca_index(alpaca_corpus: Path) -> None:
    corpus = build_corpus_index(alpaca_corpus)
    assert corpus.layout == "alpaca"
    rec = corpus.recordings
    assert rec["recording"].str.startswith("raw_recordings/").all()
    assert rec["tape"].str.match(r"t0[1-3]-\d{8}$").all()
    hums = sorted(alpaca_corpus.glob("segmented_hums/*.wav"))
    assert len(corpus.events) == len(hums)
    assert (corpus.events["label"] == "hum").all()
    assert corpus.regions is not None and len(corpus.regions) > 0
    for row in corpus.events.itertuples(index=False):
        reg = corpus.regions[corpus.regions["clip"] == row.clip].iloc[0]
        assert reg["begin_s"] - 1e-6 <= row.begin_s < row.end_s <= reg["end_s"] + 1e-3
    corpus.save()
    assert Corpus.load(alpaca_corpus).regions is not None


def test_alpaca_time_unit_is_explicit(alpaca_corpus: Path) -> None:
    (alpaca_corpus / "corpus_layout.json").unlink()
    with pytest.raises(ConfigError, match="clip_time_unit"):
        build_corpus_index(alpaca_corpus)
    seconds = build_corpus_index(alpaca_corpus, clip_time_unit="s")
    with pytest.raises(CorpusError, match="after the audio"):
        build_corpus_index(alpaca_corpus, clip_time_unit="min")
    assert len(seconds.events) > 0


def test_tape_fn(raven_corpus: Path) -> None:
    corpus = build_corpus_index(raven_corpus, tape_fn=lambda rec: ("site_" + rec[:3], 1999))
    assert corpus.recordings["tape"].tolist()[0] == "site-T01"
    assert (corpus.events["year"] == 1999).all()


def test_missing_table(raven_corpus: Path) -> None:
    table = sorted(raven_corpus.rglob("*.selections.txt"))[1]
    table.unlink()
    with pytest.raises(CorpusError, match="no selection table") as err:
        build_corpus_index(raven_corpus)
    assert "T02" in str(err.value)
    lenient = build_corpus_index(raven_corpus, strict=False)
    assert len(lenient.recordings) == 3 and len(lenient.warnings) == 1


def test_unreadable_wav(raven_corpus: Path) -> None:
    bad = raven_corpus / "T02" / "broken_20200101.wav"
    bad.write_bytes(b"RIFF\x00\x00garbage")
    bad.with_name("broken_20200101.selections.txt").write_text(
        "Selection\tBegin Time (s)\tEnd Time (s)\tAnnotation\n1\t0.1\t0.2\thum\n")
    with pytest.raises(AudioError) as err:
        build_corpus_index(raven_corpus)
    assert "broken_20200101.wav" in str(err.value)
    lenient = build_corpus_index(raven_corpus, strict=False)
    assert len(lenient.recordings) == 4 and len(lenient.warnings) == 1


def _append_row(table: Path, begin: float, end: float, label: str = "hum") -> None:
    lines = table.read_text().splitlines()
    header = lines[0].split("\t")
    row = dict(zip(header, lines[-1].split("\t"), strict=False))
    row["Selection"] = "999"
    for key in ("Begin Time (s)", "File Offset (s)"):
        row[key] = str(begin)
    row["End Time (s)"] = str(end)
    row["Annotation"] = label
    table.write_text("\n".join([*lines, "\t".join(row.get(h, "") for h in header)]) + "\n")


def test_event_past_the_end(raven_corpus: Path) -> None:
    table = sorted(raven_corpus.rglob("*.selections.txt"))[0]
    _append_row(table, 29.9, 31.5)
    with pytest.raises(CorpusError, match=r"1 of 6 events lie beyond the audio's 30.0 s") as err:
        build_corpus_index(raven_corpus)
    assert "T01" in str(err.value) and "Selection 999" in str(err.value)
    assert f"{table.name}, line 7" in str(err.value)
    assert len(build_corpus_index(raven_corpus, strict=False).warnings) == 1


def test_duplicate_events(raven_corpus: Path) -> None:
    """A near-identical copy of a selection (2 ms off, same box) is dropped with a warning."""
    table = sorted(raven_corpus.rglob("*.selections.txt"))[0]
    before = build_corpus_index(raven_corpus).events
    lines = table.read_text().splitlines()
    header = lines[0].split("\t")
    row = dict(zip(header, lines[1].split("\t"), strict=True))
    row["Selection"] = "999"
    for key in ("Begin Time (s)", "End Time (s)", "File Offset (s)"):
        row[key] = str(float(row[key]) + 0.002)
    table.write_text("\n".join([*lines, "\t".join(row[h] for h in header)]) + "\n")
    corpus = build_corpus_index(raven_corpus)  # strict: a duplicate is no error
    assert len(corpus.events) == len(before)
    assert len(corpus.warnings) == 1
    assert table.name in corpus.warnings[0] and "1 near-identical duplicate" in corpus.warnings[0]


def test_multi_file_table_naming_missing_audio(tmp_path: Path) -> None:
    write_audio(tmp_path / "a_20190101.wav", np.zeros(8000), 8000)
    (tmp_path / "a_20190101.selections.txt").write_text(
        "Selection\tBegin Time (s)\tEnd Time (s)\tAnnotation\n1\t0.1\t0.2\thum\n")
    (tmp_path / "all.selections.txt").write_text(
        "Selection\tBegin Time (s)\tEnd Time (s)\tBegin File\tAnnotation\n"
        "1\t0.1\t0.2\tmissing.wav\thum\n")
    with pytest.raises(CorpusError) as err:
        build_corpus_index(tmp_path)
    assert "all.selections.txt" in str(err.value)


def test_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="no audio"):
        build_corpus_index(tmp_path)
    with pytest.raises(CorpusError):
        Corpus.load(tmp_path)
