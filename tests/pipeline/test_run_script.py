"""``examples/run_pipeline.py``'s plan: what the command line puts into the pipeline spec."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "run_pipeline.py"


def _plan(*args: str) -> dict:
    done = subprocess.run([sys.executable, str(SCRIPT), "--dry-run", *args],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def test_dry_run_names_every_step_and_the_dataset_root(tmp_path: Path) -> None:
    plan = _plan("--out", str(tmp_path / "run"), "--budget", "small",
                 "--dataset-root", str(tmp_path / "datasets"))
    assert plan["dataset_root"] == str(tmp_path / "datasets")
    assert plan["out"] == str(tmp_path / "run")
    assert plan["train_variants"]["active_variants"] == ["calls_w8", "windows_w8"]
    steps = plan["steps"]
    assert steps.index("train") < steps.index("calibrate") < steps.index("benchmark_factory")
    assert not (tmp_path / "run").exists() and not (tmp_path / "datasets").exists()


def test_dry_run_without_dataset_root_keeps_the_default(tmp_path: Path) -> None:
    assert _plan("--out", str(tmp_path / "run"), "--budget", "small")["dataset_root"] is None
