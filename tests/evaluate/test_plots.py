"""Tests of alpacaspot.evaluate.plots: every plot returns a Figure and saves a PNG."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from alpacaspot.errors import SchemaError
from alpacaspot.evaluate import evaluate_benchmark, plots
from alpacaspot.io import write_audio

from .conftest import post_threshold


@pytest.fixture()
def tables(benchmark, tmp_path):
    out = tmp_path / "out" / "metrics.csv"
    evaluate_benchmark(benchmark.parent / "corpus", benchmark / "runs", labels=("hum",),
                       post=post_threshold, thresholds=[0.5, 0.9], out=out, progress=False)
    return {name: pd.read_csv(out.with_name(name)) for name in
            ("metrics.csv", "metrics_per_tape.csv", "metrics_sweep.csv")} | {
        "pairs": pd.read_parquet(out.with_name("metrics_pairs.parquet"))}


def _png(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 2000


def test_summary_plots(tables, tmp_path):
    calls = [
        (plots.plot_leaderboard, tables["metrics.csv"]),
        (plots.plot_threshold_curves, tables["metrics_sweep.csv"]),
        (plots.plot_pr_curves, tables["metrics.csv"]),
        (plots.plot_tape_heatmap, tables["metrics_per_tape.csv"]),
        (plots.plot_boundary_errors, tables["pairs"]),
    ]
    for i, (func, table) in enumerate(calls):
        path = tmp_path / f"{i}.png"
        fig = func(table, path=path)
        assert isinstance(fig, Figure)
        _png(path)


def test_detection_view_from_file(tmp_path, truth):
    sr = 8000
    t = np.arange(10 * sr) / sr
    x = (0.01 * np.random.default_rng(0).normal(size=t.size)).astype(np.float32)
    rec = truth[truth.recording == "2020/tapeA.wav"]
    for b, e in zip(rec.begin_s, rec.end_s, strict=True):
        if e < 10:
            sel = (t >= b) & (t < e)
            x[sel] += 0.3 * np.sin(2 * np.pi * 600 * t[sel]).astype(np.float32)
    write_audio(tmp_path / "a.wav", x, sr)
    pred = rec.assign(begin_s=rec.begin_s + 0.05)
    fig = plots.plot_detections(tmp_path / "a.wav", truth, pred, start_s=0, end_s=10,
                                recording="2020/tapeA.wav", path=tmp_path / "det.png")
    n_visible = int((rec.begin_s < 10).sum())
    assert len(fig.axes[0].patches) == 2 * n_visible
    _png(tmp_path / "det.png")


def test_missing_columns_raise_schema_error():
    with pytest.raises(SchemaError, match="f1"):
        plots.plot_leaderboard(pd.DataFrame({"model": ["a"], "tag": ["t"]}))
