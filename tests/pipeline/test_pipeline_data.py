"""The pipeline's data steps on a user's corpus: read only, overlapping calls kept."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import stat
from pathlib import Path

import numpy as np
import pytest

from alpacaspot.data import Corpus
from alpacaspot.errors import ConfigError
from alpacaspot.evaluate import load_ground_truth
from alpacaspot.io import read_table, write_audio
from alpacaspot.pipeline.run import PipelineSpec, pipeline_data

SR = 8000
HEADER = ("Selection\tView\tChannel\tBegin Time (s)\tEnd Time (s)\tLow Freq (Hz)\t"
          "High Freq (Hz)\tAnnotation")
# a second animal humming inside the first one's hum (different frequency box): two calls
OVERLAP = [(12.377, 12.908, 308.0, 1279.0), (12.577, 12.727, 380.0, 2736.0)]


def _user_corpus(root: Path) -> Path:
    """Four tapes of 20 s; each table holds the overlapping pair and one more hum; tape 1's
    table also repeats a hum 3 ms off (a near-identical duplicate)."""
    rng = np.random.default_rng(0)
    for k in range(1, 5):
        wav = root / f"T{k}" / f"T{k}_2021050{k}.wav"
        write_audio(wav, (0.05 * rng.standard_normal(20 * SR)).astype(np.float32), SR)
        calls = [*OVERLAP, (3.0 + k, 3.4 + k, 400.0, 1200.0)]
        rows = [f"{i}\tSpectrogram 1\t1\t{b}\t{e}\t{lo}\t{hi}\thum"
                for i, (b, e, lo, hi) in enumerate(calls, start=1)]
        if k == 1:
            rows.append(f"9\tSpectrogram 1\t1\t{OVERLAP[0][0] + 0.003}\t{OVERLAP[0][1]}\t"
                        f"{OVERLAP[0][2]}\t{OVERLAP[0][3]}\thum")
        wav.with_name(f"{wav.stem}.Table.1.selections.txt").write_text(
            "\n".join([HEADER, *rows]) + "\n")
    return root


def _snapshot(root: Path) -> dict[str, tuple[int, int, str]]:
    """Every file and folder under ``root``: size, mtime and content hash (files)."""
    return {p.relative_to(root).as_posix(): (
        p.stat().st_size, p.stat().st_mtime_ns,
        hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir")
        for p in sorted(root.rglob("*"))}


def _read_only(root: Path) -> None:
    for p in sorted(root.rglob("*"), reverse=True) + [root]:
        mode = stat.S_IMODE(p.stat().st_mode)
        p.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def _writable(root: Path) -> None:
    for p in [root, *sorted(root.rglob("*"))]:
        p.chmod(stat.S_IMODE(p.stat().st_mode) | stat.S_IWUSR)


def _spec(out: Path, train: Path, bench: Path, **kw: object) -> PipelineSpec:
    strategies = {"strategies": {
        "calls": {"split_strategy": "by_tape", "seed": 1, "noise_per_hum": 1.0,
                  "noise_mining": {"margin_s": 0.2}},
        "windows": {"split_strategy": "by_tape", "seed": 1, "sampling": "windows",
                    "window_s": 0.4, "hop_s": 0.1, "noise_ratio": 1.0}}}
    return PipelineSpec(out=out, training_corpus={}, benchmark_corpus={},
                        strategies=strategies, train_variants={}, benchmark_variants=[],
                        training_corpus_root=train, benchmark_corpus_root=bench, **kw)


@pytest.fixture
def corpora(tmp_path: Path):
    train = _user_corpus(tmp_path / "user" / "train")
    bench = _user_corpus(tmp_path / "user" / "bench")
    _read_only(tmp_path / "user")
    yield train, bench
    _writable(tmp_path / "user")


def test_read_only_corpus_and_overlapping_calls(corpora, tmp_path: Path) -> None:
    train, bench = corpora
    before = _snapshot(tmp_path / "user")
    out = tmp_path / "run"
    data = pipeline_data(_spec(out, train, bench))  # strict: overlapping calls are no error
    # nothing under the user's folders changed, and every write target lies in the run
    assert _snapshot(tmp_path / "user") == before
    assert data.train_root == out / "data" / "training_corpus"
    for folder in data.datasets.values():
        assert out in folder.parents
        assert not any(p.is_symlink() for p in folder.rglob("*"))
    written = [p for p in out.rglob("*") if p.is_file() and not p.is_symlink()]
    assert written and all(out in p.resolve().parents for p in written)

    # the corpus keeps both overlapping calls, drops the duplicate with one warning
    corpus = Corpus.load(data.train_root)
    t1 = corpus.events[corpus.events["recording"] == "T1/T1_20210501.wav"]
    assert len(t1) == 3 and len(corpus.events) == 12
    spans = t1[["begin_s", "end_s"]].to_numpy().round(3).tolist()
    assert [OVERLAP[0][0], OVERLAP[0][1]] in spans and [OVERLAP[1][0], OVERLAP[1][1]] in spans
    dup = [w for w in data.problems if "near-identical duplicate" in w
           and str(data.train_root) in w]
    assert len(dup) == 1 and "T1_20210501.Table.1.selections.txt" in dup[0]

    # ground truth and the calls dataset keep both calls
    truth = load_ground_truth(data.bench_root, labels=["hum"])
    assert len(truth) == 12
    clips = read_table(data.datasets["calls"] / "variant_index.parquet", schema="clips")
    targets = clips[clips["class"] == "target"]
    assert len(targets) == 12
    # a window holding both calls is one target window, not two
    wins = read_table(data.datasets["windows"] / "variant_index.parquet", schema="clips")
    wt = wins[(wins["class"] == "target") & (wins["recording"] == "T1/T1_20210501.wav")]
    centres = ((wt["begin_s"] + wt["end_s"]) / 2).round(3)
    assert not centres.duplicated().any()
    inside = (centres >= OVERLAP[0][0]) & (centres < OVERLAP[0][1])
    assert int(inside.sum()) == 6  # centres 12.4, 12.5, .., 12.9 s


def test_dataset_root_outside_the_corpus(corpora, tmp_path: Path) -> None:
    train, bench = corpora
    named = tmp_path / "datasets"
    data = pipeline_data(_spec(tmp_path / "run", train, bench, dataset_root=named))
    assert data.datasets["calls"] == named / "dataset_calls"
    assert (named / "dataset_calls" / "train.csv").is_file()
    with pytest.raises(ConfigError, match="never writes into a user's corpus"):
        pipeline_data(_spec(tmp_path / "run2", train, bench, dataset_root=train / "ds"))
    assert not os.path.exists(train / "ds")


@pytest.mark.parametrize(("post", "message"), [({"bogus": 1}, "bogus"),
                                                ({"merge_gap_s": -1.0}, "merge_gap_s")])
def test_bad_post_processing_is_refused_before_any_work(tmp_path: Path, post, message) -> None:
    from alpacaspot.pipeline.demo import demo_spec
    from alpacaspot.pipeline.run import run_pipeline

    spec = demo_spec(tmp_path / "run", budget="small")
    bad = PipelineSpec(**{**spec.__dict__, "post": post})
    with pytest.raises(ConfigError, match=message):
        run_pipeline(bad)
    assert not (tmp_path / "run").exists()


def test_post_processing_may_be_given_as_a_config(tmp_path: Path) -> None:
    import pandas as pd

    from alpacaspot.events import PostprocessConfig
    from alpacaspot.pipeline.demo import POSTPROCESS, demo_spec
    from alpacaspot.pipeline.run import _post

    spec = demo_spec(tmp_path / "run", budget="small")
    typed = PipelineSpec(**{**spec.__dict__, "post": PostprocessConfig().replace(**POSTPROCESS)})
    p = np.r_[np.full(10, 0.1), np.full(8, 0.95), np.full(2, 0.2), np.full(6, 0.9), 0.1]
    i = np.arange(len(p))
    scores = pd.DataFrame({"recording": "a.wav", "window": i, "begin_s": i * 0.05,
                           "end_s": i * 0.05 + 0.4, "p_noise": 1 - p, "p_target": p})
    from_config = _post(typed.post)(scores, 0.5)
    assert len(from_config) == 1  # the gap of 0.1 s is merged, as the demo's settings say
    pd.testing.assert_frame_equal(from_config, _post(POSTPROCESS)(scores, 0.5))


def test_a_changed_corpus_is_indexed_again_and_an_unchanged_one_is_not(tmp_path: Path) -> None:
    spec = dataclasses.replace(
        _spec(tmp_path / "run", None, None),  # type: ignore[arg-type]
        training_corpus={"n_tapes": 3, "minutes_per_tape": 0.2, "seed": 11},
        benchmark_corpus={"n_tapes": 1, "minutes_per_tape": 0.2, "seed": 5})
    bench_index = tmp_path / "run" / "data" / "benchmark_corpus" / "corpus_recordings.parquet"
    pipeline_data(spec)
    assert len(Corpus.load(bench_index.parent).recordings) == 1
    built = bench_index.stat().st_mtime_ns
    pipeline_data(spec)
    assert bench_index.stat().st_mtime_ns == built  # nothing changed: not rebuilt

    bigger = dataclasses.replace(spec, benchmark_corpus={**spec.benchmark_corpus, "n_tapes": 2})
    data = pipeline_data(bigger)
    recordings = Corpus.load(data.bench_root).recordings["recording"].tolist()
    assert [r.split("/")[0] for r in recordings] == ["T01", "T02"]
    assert load_ground_truth(data.bench_root)["recording"].str.startswith("T02/").any()
