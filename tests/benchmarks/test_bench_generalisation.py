"""The domain-shift benchmark's command line (a real run takes minutes: not run here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_generalisation.py"


def test_help_lists_the_size_options() -> None:
    out = subprocess.run([sys.executable, str(SCRIPT), "--help"], capture_output=True,
                         text=True, check=True, timeout=120).stdout
    for option in ("--tapes", "--minutes", "--width", "--epochs", "--seeds", "--recipes",
                   "--out", "--test-site", "--calibration-splits", "--calibration-search"):
        assert option in out


def test_unknown_recipe_is_refused(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, str(SCRIPT), "--recipes", "warp", "--out",
                          str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and "unknown recipes ['warp']" in run.stderr
    assert not any(tmp_path.iterdir())


def test_training_tapes_never_calibrate(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, str(SCRIPT), "--calibration-splits", "val,train",
                          "--out", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and "calibration splits must be" in run.stderr
    assert not any(tmp_path.iterdir())
