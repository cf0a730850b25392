from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alpacaspot.data import build_corpus_index, prepare_datasets
from alpacaspot.errors import CorpusError
from alpacaspot.io import audio_info, read_table, write_audio
from alpacaspot.io.animalspot import parse_clip_name

STRATEGIES = {
    "active_strategies": ["tape", "win"],
    "strategies": {
        "tape": {"split_strategy": "by_tape", "seed": 4, "noise_per_hum": 1.5,
                 "noise_mining": {"margin_s": 0.3, "fallback_raw": True}, "context_s": 0.05},
        "win": {"split_strategy": "by_tape", "seed": 2, "sampling": "windows",
                "window_s": 0.4, "hop_s": 0.1, "noise_ratio": 1.0},
        "off": {"split_strategy": "random"},
    },
}


def _snapshot(folder: Path) -> dict[str, bytes]:
    out = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            data = p.read_bytes()
            if p.name == "variant_index.json":
                view = json.loads(data)
                assert view["meta"].pop("created_at")
                view["meta"]["corpus"] = "x"
                data = json.dumps(view).encode()
            out[p.relative_to(folder).as_posix()] = data
    return out


def test_calls_dataset(raven_corpus: Path) -> None:
    out = prepare_datasets(raven_corpus, STRATEGIES, workers=2)
    assert sorted(out) == ["tape", "win"]
    d = out["tape"]
    assert (raven_corpus / "corpus_index.parquet").is_file()
    table = read_table(d / "variant_index.parquet", schema="clips")
    wavs = sorted(p.name for p in d.glob("*.wav"))
    assert sorted(table["clip"]) == wavs
    listed = []
    for split in ("train", "val", "test"):
        names = (d / f"{split}.csv").read_text().splitlines()
        assert names and set(table.loc[table["split"] == split, "clip"]) == set(names)
        listed += names
    assert sorted(listed) == wavs
    # whole tapes per split
    assert (table.groupby("tape")["split"].nunique() == 1).all()
    # names carry the real year and tape; durations match the table
    corpus = build_corpus_index(raven_corpus)
    years = dict(zip(corpus.recordings["tape"], corpus.recordings["year"], strict=False))
    for row in table.head(20).itertuples(index=False):
        name = parse_clip_name(row.clip)
        assert name.year == years[row.tape] and name.tape == row.tape
        assert name.class_name == row._1
        info = audio_info(d / row.clip)
        assert info.duration_s == pytest.approx(row.end_s - row.begin_s, abs=1.5e-3)
    # noise avoids every annotation of its recording by the margin
    noise = table[table["class"] == "noise"]
    assert len(noise) > 0
    ev = corpus.events
    for row in noise.itertuples(index=False):
        same = ev[ev["recording"] == row.recording]
        clear = (same["end_s"] + 0.3 <= row.begin_s + 1e-3) | (
            same["begin_s"] - 0.3 >= row.end_s - 1e-3)
        assert clear.all()
    for _rec, grp in noise.groupby("recording"):
        spans = grp.sort_values("begin_s")[["begin_s", "end_s"]].to_numpy()
        assert (spans[1:, 0] >= spans[:-1, 1] - 1e-9).all()
    view = json.loads((d / "variant_index.json").read_text())
    meta = view["meta"]
    assert meta["n_total"] == len(table) and meta["seed"] == 4
    assert len(meta["corpus_hash"]) == 64 and meta["package_version"]
    assert {"uid", "fn", "class", "label", "tape_key", "quality", "source", "start_ms",
            "end_ms", "start_s", "end_s", "split"} <= set(view["entries"][0])
    tables = sorted((d / "selection_tables").rglob("*.selections.txt"))
    assert len(tables) == table.loc[table["class"] == "target", "recording"].nunique()


def test_windows_dataset(raven_corpus: Path) -> None:
    d = prepare_datasets(raven_corpus, STRATEGIES, workers=1)["win"]
    table = read_table(d / "variant_index.parquet", schema="clips")
    corpus = build_corpus_index(raven_corpus)
    hums = corpus.events[corpus.events["label"] == "hum"]
    assert (table["end_s"] - table["begin_s"]).round(3).eq(0.4).all()
    n_target = (table["class"] == "target").sum()
    assert (table["class"] == "noise").sum() == n_target
    for row in table.sample(60, random_state=0).itertuples(index=False):
        c = (row.begin_s + row.end_s) / 2
        same = hums[hums["recording"] == row.recording]
        inside = ((same["begin_s"] <= c) & (c < same["end_s"])).any()
        assert inside == (row._1 == "target")


def test_byte_identical_reruns(copy_raven) -> None:
    a, b = copy_raven("a"), copy_raven("b")
    strat = {"strategies": {"v": STRATEGIES["strategies"]["tape"]}}
    prepare_datasets(a, strat, workers=2)
    prepare_datasets(b, strat, workers=1)
    sa, sb = _snapshot(a / "dataset_v"), _snapshot(b / "dataset_v")
    assert sa.keys() == sb.keys() and sa == sb
    wav = next((a / "dataset_v").glob("*.wav"))
    before = wav.stat().st_mtime_ns
    prepare_datasets(a, strat, workers=1)
    assert wav.stat().st_mtime_ns == before
    assert _snapshot(a / "dataset_v") == sa


def test_alpaca_layout_dataset(alpaca_corpus: Path, tmp_path: Path) -> None:
    strat = {"strategies": {"q": {"split_strategy": "by_tape", "seed": 1, "min_quality": 2,
                                  "noise_per_hum": 0.5}}}
    d = prepare_datasets(alpaca_corpus, strat, workers=1)["q"]
    table = read_table(d / "variant_index.parquet", schema="clips")
    targets = table[table["class"] == "target"]
    assert targets["quality"].min() >= 2
    assert table["recording"].str.startswith("raw_recordings/").all()
    first = _snapshot(d)
    other = tmp_path / "again"
    import shutil

    shutil.rmtree(d)
    shutil.copytree(alpaca_corpus, other)
    d2 = prepare_datasets(other, strat, workers=2)["q"]
    assert _snapshot(d2) == first


def test_tape_without_free_gap(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    for i, tape in enumerate(["A", "B", "C"]):
        wav = tmp_path / tape / f"{tape}_2020010{i + 1}.wav"
        write_audio(wav, 0.1 * rng.standard_normal(8000 * 4), 8000)
        rows = ["Selection\tBegin Time (s)\tEnd Time (s)\tAnnotation\tQuality"]
        if tape == "B":  # wall-to-wall annotations: no room for noise
            labels = ["alarm", "hum"] * 4
            rows += [f"{k + 1}\t{k * 0.5:.1f}\t{k * 0.5 + 0.5:.1f}\t{labels[k]}\t2"
                     for k in range(8)]
        else:
            rows += ["1\t1.0\t1.3\thum\t1"]
        wav.with_name(wav.stem + ".selections.txt").write_text("\n".join(rows) + "\n")
    with pytest.raises(CorpusError, match=r"\['B'\].*no free gap") as err:
        prepare_datasets(tmp_path, {"strategies": {"v": {}}}, workers=1)
    assert str(tmp_path) in str(err.value)


def test_missing_year_and_no_targets(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    for tape in ["A", "B", "C"]:
        wav = tmp_path / tape / "rec.wav"
        write_audio(wav, 0.1 * rng.standard_normal(8000 * 4), 8000)
        wav.with_name("rec.selections.txt").write_text(
            "Selection\tBegin Time (s)\tEnd Time (s)\tAnnotation\n1\t1.0\t1.3\thum\n")
    with pytest.raises(CorpusError, match="no year.*require_year") as err:
        prepare_datasets(tmp_path, {"strategies": {"v": {"require_year": True}}}, workers=1)
    assert "rec.wav" in str(err.value)
    # without require_year the year is unknown (null), and the clip names carry 0000
    d = prepare_datasets(tmp_path, {"strategies": {"v": {"noise_per_hum": 0}}}, workers=1)["v"]
    table = read_table(d / "variant_index.parquet", schema="clips")
    assert len(table) == 3 and table["year"].isna().all()
    assert all("_0000_" in name for name in table["clip"])
    with pytest.raises(CorpusError, match="no 'bark' event"):
        prepare_datasets(tmp_path, {"strategies": {"v": {"target_label": "bark"}}}, workers=1)


def test_split_that_cannot_be_filled(copy_raven) -> None:
    root = copy_raven("two")
    for p in sorted(root.glob("T03")) + sorted(root.glob("T04")):
        import shutil

        shutil.rmtree(p)
    with pytest.raises(CorpusError, match="at least 3 tapes"):
        prepare_datasets(root, {"strategies": {"v": {}}}, workers=1)
    assert pd.read_parquet(root / "corpus_recordings.parquet").shape[0] == 2


@pytest.mark.slow
def test_spectrograms_in_worker_processes(alpaca_corpus: Path, tmp_path: Path) -> None:
    strat = {"strategies": {"s": {"seed": 1, "min_quality": 2, "noise_per_hum": 0.5}}}
    d = prepare_datasets(alpaca_corpus, strat, workers=2, generate_spectrograms=True)["s"]
    pngs = sorted(p.name[:-4] for p in (d / "spectrograms").glob("*.png"))
    assert pngs == sorted(p.name[:-4] for p in d.glob("*.wav"))
    first = _snapshot(d)
    import shutil

    shutil.rmtree(d / "spectrograms")
    prepare_datasets(alpaca_corpus, strat, workers=1, generate_spectrograms=True)
    assert _snapshot(d) == first


def test_context_and_noise_shortfall(raven_corpus: Path) -> None:
    strat = {"strategies": {"ctx": {"seed": 0, "context_s": 0.2, "noise_per_hum": 6,
                                    "noise_mining": {"margin_s": 1.5}}}}
    d = prepare_datasets(raven_corpus, strat, workers=2)["ctx"]
    table = read_table(d / "variant_index.parquet", schema="clips")
    corpus = build_corpus_index(raven_corpus)
    hums = corpus.events[corpus.events["label"] == "hum"]
    targets = table[table["class"] == "target"].sort_values(["recording", "begin_s"])
    assert len(targets) == len(hums)
    widths = (targets["end_s"] - targets["begin_s"]).to_numpy()
    hum_w = (hums.sort_values(["recording", "begin_s"])["end_s"]
             - hums.sort_values(["recording", "begin_s"])["begin_s"]).to_numpy()
    inner = (targets["begin_s"] > 0.2).to_numpy() & (targets["end_s"] < 29.8).to_numpy()
    assert np.allclose(widths[inner], hum_w[inner] + 0.4, atol=2e-3)
    meta = json.loads((d / "variant_index.json").read_text())["meta"]
    short = meta["noise_shortfall"]
    assert short and all(s["found"] < s["wanted"] == 6 for s in short)
    assert meta["n_noise"] == 6 * len(hums) - sum(6 - s["found"] for s in short)
