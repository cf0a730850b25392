"""The domain-shift benchmark's command line (a real run takes minutes: not run here)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_generalisation.py"


def test_help_lists_the_size_options() -> None:
    out = subprocess.run([sys.executable, str(SCRIPT), "--help"], capture_output=True,
                         text=True, check=True, timeout=120).stdout
    for option in ("--tapes", "--minutes", "--width", "--epochs", "--seeds", "--recipes",
                   "--out", "--test-site", "--calibration-splits", "--calibration-search",
                   "--window", "--extra-tapes", "--split-fractions", "--ensemble"):
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


@pytest.mark.parametrize(("option", "value", "message"), [
    ("--split-fractions", "0.5,0.5", "three positive fractions"),
    ("--split-fractions", "0.6,0.3,0.3", "three positive fractions"),
    ("--window", "0", "a positive number"),
    ("--window", "inf", "a positive number"),
    ("--extra-tapes", "-1", "--extra-tapes must be >= 0"),
    ("--first-seed", "4", "no seeds from 4 to 3"),
    ("--ensemble", "2", "--ensemble must be >= 1 and divide the 3 seeds 1-3"),
    ("--ensemble", "0", "--ensemble must be >= 1"),
])
def test_bad_sizes_are_refused(tmp_path: Path, option: str, value: str, message: str) -> None:
    run = subprocess.run([sys.executable, str(SCRIPT), option, value, "--out", str(tmp_path)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and message in run.stderr
    assert not any(tmp_path.iterdir())


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_generalisation", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_extra_training_tapes_join_the_training_corpus(tmp_path: Path) -> None:
    first, extra = tmp_path / "train", tmp_path / "train_extra"
    for root, tapes in ((first, ("S1T01", "S1T02")), (extra, ("S1T05",))):
        for tape in tapes:
            (root / tape).mkdir(parents=True)
            (root / tape / f"{tape}_x.wav").write_bytes(tape.encode())
        (root / "dataset_windows").mkdir()
        (root / "site_corpus.json").write_text("{}")
    bench = _script()
    joined = bench._joined(tmp_path / "joined", [first, extra])
    assert sorted(p.name for p in joined.iterdir()) == ["S1T01", "S1T02", "S1T05"]
    assert (joined / "S1T05" / "S1T05_x.wav").read_bytes() == b"S1T05"
    assert bench._joined(tmp_path / "joined", [first, extra]) == joined  # again: no error


def test_ensembles_group_consecutive_seeds() -> None:
    bench = _script()
    assert bench.ensemble_groups(range(1, 7), 3) == [[1, 2, 3], [4, 5, 6]]
    assert bench.ensemble_groups(range(4, 6), 2) == [[4, 5]]
    assert bench.ensemble_name("field_ema_interp", [4, 5, 6]) == "field_ema_interp_ens3_s4-6"
