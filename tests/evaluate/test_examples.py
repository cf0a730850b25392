"""The evaluation examples run headless end to end on a small synthetic benchmark."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(args, **env):
    full_env = {**os.environ, "MPLBACKEND": "Agg", **env}
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=full_env, capture_output=True,
                          text=True, timeout=240, check=False)


@pytest.mark.slow
def test_evaluate_then_notebook(benchmark, tmp_path):
    out = tmp_path / "metrics.csv"
    r = _run([str(ROOT / "examples" / "evaluate_benchmark.py"), "--gt",
              str(benchmark.parent / "corpus"), "--runs", str(benchmark / "runs"), "--out",
              str(out), "--iou", "0.3"])
    assert r.returncode == 0, r.stderr
    assert out.is_file() and (tmp_path / "metrics_per_tape.csv").is_file()
    assert "modelA" in r.stdout
    figures = tmp_path / "figures"
    r = _run([str(ROOT / "examples" / "metrics_analysis.py")], ALPACASPOT_METRICS=str(out),
             ALPACASPOT_FIGURES=str(figures))
    assert r.returncode == 0, r.stderr
    for name in ("leaderboard", "threshold_curves", "pr_curves", "tape_recall",
                 "boundary_errors"):
        png = figures / f"{name}.png"
        assert png.is_file() and png.stat().st_size > 2000, name


def test_evaluate_example_reports_bad_input(tmp_path):
    r = _run([str(ROOT / "examples" / "evaluate_benchmark.py"), "--gt",
              str(tmp_path / "missing.json"), "--runs", str(tmp_path)])
    assert r.returncode == 2 and "missing.json" in r.stderr
