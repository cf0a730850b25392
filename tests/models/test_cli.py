"""``alpacaspot train``: one line per epoch on the console and in the run's train.log."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from alpacaspot.io.animalspot import TRAIN_KEYS, write_cfg
from alpacaspot.models import TRAIN_EXTRA_KEYS, TrainConfig

REPO = Path(__file__).resolve().parents[2]
_EVAL_LINE = re.compile(r"epoch (\d)/3: train loss \d+\.\d{4}, val loss \d+\.\d{4}, "
                        r"val f1_target \d\.\d{4}( \(best\))?, \d+\.\d s")


def test_train_prints_one_line_per_epoch(tmp_path: Path, variant_dir: Path, spec_cfg) -> None:
    cfg = TrainConfig(data_dir=variant_dir, model_dir=tmp_path / "run" / "models",
                      spectrogram=spec_cfg, window_s=0.4, width=4, batch_size=8, lr=1e-3,
                      scale_lr=False, max_train_epochs=3, epochs_per_eval=2, seed=0,
                      augmentation=False, cache_dir=tmp_path / "cache", torch_threads=1)
    path = write_cfg(tmp_path / "alpaca_server.cfg", cfg.to_cfg_values(), kind="train",
                     extra_keys=TRAIN_EXTRA_KEYS)
    proc = subprocess.run([sys.executable, "-m", "alpacaspot.cli", "train", str(path)],
                          capture_output=True, text=True, cwd=REPO, check=False, timeout=300)
    assert proc.returncode == 0, proc.stderr
    console = [line for line in proc.stderr.splitlines() if ": epoch " in line]
    assert len(console) == 3, proc.stderr
    assert re.search(r"epoch 1/3: train loss \d+\.\d{4}, \d+\.\d s$", console[0])
    assert [_EVAL_LINE.search(line).group(1) for line in console[1:]] == ["2", "3"]
    logged = (tmp_path / "run" / "logs" / "train.log").read_text()
    assert [line.split(": ", 1)[1] for line in console] == [
        line.split(": ", 1)[1] for line in logged.splitlines() if ": epoch " in line]


def test_train_help_lists_every_key_once() -> None:
    proc = subprocess.run([sys.executable, "-m", "alpacaspot.cli", "train", "--help"],
                          capture_output=True, text=True, cwd=REPO, check=False)
    assert proc.returncode == 0, proc.stderr
    table = proc.stdout.split("keys of the train cfg", 1)[1].splitlines()[1:]
    keys = [line.split()[0] for line in table if line.strip()]
    assert keys == list(TRAIN_KEYS) + [k for k in TRAIN_EXTRA_KEYS if k not in TRAIN_KEYS]
    assert all(len(line.split()) > 1 and "(not described)" not in line for line in table)
