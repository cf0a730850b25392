"""Tests of alpacaspot.evaluate.report: the results table and the figures from metric files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alpacaspot.errors import SchemaError
from alpacaspot.evaluate import evaluate_benchmark
from alpacaspot.evaluate.report import (
    FIGURE_NAMES,
    DetectionView,
    benchmark_report,
    results_table,
)
from alpacaspot.io import write_audio

from .conftest import post_threshold


@pytest.fixture()
def metrics_csv(benchmark: Path, tmp_path: Path) -> Path:
    out = tmp_path / "out" / "metrics.csv"
    evaluate_benchmark(benchmark.parent / "corpus", benchmark / "runs", labels=("hum",),
                       post=post_threshold, thresholds=[0.5, 0.9], out=out, progress=False)
    return out


def test_report_draws_every_figure_and_ranks_by_f1(metrics_csv: Path, tmp_path: Path) -> None:
    figures = tmp_path / "figs"
    report = benchmark_report(metrics_csv, figures)
    names = [p.stem for p in report.figures]
    assert names == sorted(n for n in FIGURE_NAMES if n != "detections")
    for p in report.figures:
        assert p.parent == figures and p.read_bytes()[:4] == b"\x89PNG"
    lines = report.table.splitlines()
    assert lines[0].split()[:3] == ["model", "tag", "criterion"]
    f1 = pd.read_csv(metrics_csv)["f1"].sort_values(ascending=False).head(15)
    col = lines[0].split().index("f1")
    assert [float(line.split()[col]) for line in lines[1:]] == pytest.approx(f1.to_list(),
                                                                              abs=5e-7)


def test_report_without_side_tables_and_with_a_view(metrics_csv: Path, tmp_path: Path,
                                                    benchmark: Path) -> None:
    for name in ("metrics_per_tape.csv", "metrics_pairs.parquet", "metrics_sweep.csv"):
        metrics_csv.with_name(name).unlink()
    audio = tmp_path / "rec.wav"
    write_audio(audio, np.random.default_rng(0).normal(0, 0.1, 16000).astype("float32"), 8000)
    gt = pd.DataFrame({"recording": ["rec.wav"], "begin_s": [0.2], "end_s": [0.6],
                       "label": ["hum"]})
    run = next(p for p in sorted((benchmark / "runs").rglob("evaluation")))
    view = DetectionView(audio, gt, run.parent, recording="rec.wav", end_s=2.0)
    report = benchmark_report(metrics_csv, tmp_path / "figs", view=view)
    assert [p.stem for p in report.figures] == ["detections", "leaderboard", "pr_curves",
                                                "threshold_curves"]


def test_bad_metrics_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(SchemaError, match="metrics file does not exist"):
        benchmark_report(tmp_path / "missing.csv", tmp_path / "figs")
    bad = tmp_path / "metrics.csv"
    bad.write_text("model,tag\na,b\n")
    with pytest.raises(SchemaError, match=r"metrics\.csv.*needs an 'f1' column"):
        benchmark_report(bad, tmp_path / "figs")


def test_results_table_keeps_the_top_rows() -> None:
    m = pd.DataFrame({"model": list("abc"), "f1": [0.1, 0.3, 0.2], "extra": [1, 2, 3]})
    assert results_table(m, top=2).split() == ["model", "f1", "b", "0.3", "c", "0.2"]
