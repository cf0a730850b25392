"""Tests of alpacaspot.models.trainer and the ``alpacaspot train`` console command."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import torch

from alpacaspot.cli import main
from alpacaspot.io.animalspot import write_cfg
from alpacaspot.models import (
    REQUEUE_EXIT_STATUS,
    TRAIN_EXTRA_KEYS,
    TrainConfig,
    list_checkpoints,
    load_model,
    train,
)

REPO = Path(__file__).resolve().parents[2]


def _config(data_dir: Path, run: Path, spec_cfg, **kw) -> TrainConfig:
    base = dict(window_s=0.4, width=4, batch_size=8, lr=1e-3, scale_lr=False,
                max_train_epochs=2, epochs_per_eval=1, augmentation=True, seed=0,
                cache_dir=run.parent / "cache")
    base.update(kw)
    return TrainConfig(data_dir=data_dir, model_dir=run / "models", spectrogram=spec_cfg,
                       **base)


def _weights(path: Path) -> dict[str, torch.Tensor]:
    return load_model(path).network.state_dict()


def _assert_same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> None:
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k


def test_train_outputs_and_rerun(tmp_path: Path, variant_dir: Path, spec_cfg) -> None:
    cfg = _config(variant_dir, tmp_path / "run", spec_cfg)
    result = train(cfg)
    assert result.model_path == cfg.model_path and not result.skipped
    assert result.epochs_run == 2 and 1 <= result.best_epoch <= 2
    assert 0 <= result.test_metrics["f1_target"] <= 1
    bundle = load_model(cfg.model_path)
    assert bundle.classes == ("noise", "target") and bundle.window_frames == 24
    assert bundle.spectrogram_config == spec_cfg
    assert bundle.provenance["completed"] and bundle.provenance["config"]["width"] == 4
    history = pd.read_csv(tmp_path / "run" / "logs" / "metrics.csv")
    assert history["epoch"].tolist() == [1, 2]
    assert {"val_f1_target", "val_loss", "train_loss", "lr", "data_s", "net_s"} <= set(history)
    assert [p.name for p in list_checkpoints(tmp_path / "run" / "checkpoints")] == [
        "checkpoint_e0001.pt", "checkpoint_e0002.pt"]
    assert (cfg.model_dir / "test_metrics.json").is_file()
    assert (tmp_path / "run" / "summaries" / "summary.json").is_file()
    again = train(cfg)
    assert again.skipped and again.best_epoch == result.best_epoch


def test_same_seed_same_weights(tmp_path: Path, variant_dir: Path, spec_cfg) -> None:
    a = train(_config(variant_dir, tmp_path / "a", spec_cfg, balance="sampler"))
    b = train(_config(variant_dir, tmp_path / "b", spec_cfg, balance="sampler"))
    _assert_same(_weights(a.model_path), _weights(b.model_path))
    c = train(_config(variant_dir, tmp_path / "c", spec_cfg, balance="sampler", seed=1))
    assert not torch.equal(_weights(a.model_path)["classifier.linear.weight"],
                           _weights(c.model_path)["classifier.linear.weight"])


def test_workers_give_the_same_weights(tmp_path: Path, variant_dir: Path, spec_cfg) -> None:
    a = train(_config(variant_dir, tmp_path / "a", spec_cfg, max_train_epochs=1))
    b = train(_config(variant_dir, tmp_path / "b", spec_cfg, max_train_epochs=1, num_workers=2))
    _assert_same(_weights(a.model_path), _weights(b.model_path))


def test_resume_and_config_guard(tmp_path: Path, variant_dir: Path, spec_cfg) -> None:
    cfg = _config(variant_dir, tmp_path / "run", spec_cfg, max_train_epochs=3, keep_checkpoints=2)
    full = train(_config(variant_dir, tmp_path / "full", spec_cfg, max_train_epochs=3))
    train(cfg)
    # drop the model and the last checkpoint: the re-run resumes from epoch 2
    cfg.model_path.unlink()
    ckpts = list_checkpoints(tmp_path / "run" / "checkpoints")
    assert [p.name for p in ckpts] == ["checkpoint_e0002.pt", "checkpoint_e0003.pt"]
    ckpts[-1].unlink()
    resumed = train(cfg)
    assert resumed.epochs_run == 3
    _assert_same(_weights(full.model_path), _weights(resumed.model_path))
    from alpacaspot.errors import ModelError

    cfg.model_path.unlink()
    with pytest.raises(ModelError, match="checkpoint_e0003.pt"):
        train(dataclasses.replace(cfg, seed=9))
    assert not train(dataclasses.replace(cfg, seed=9, start_from_scratch=True)).skipped


def _write_cfg(cfg: TrainConfig, path: Path) -> Path:
    return write_cfg(path, cfg.to_cfg_values(), kind="train", extra_keys=TRAIN_EXTRA_KEYS)


def test_cli(tmp_path: Path, variant_dir: Path, spec_cfg) -> None:
    cfg = _config(variant_dir, tmp_path / "run", spec_cfg, max_train_epochs=1)
    path = _write_cfg(cfg, tmp_path / "cfg" / "alpaca_server.cfg")
    assert main(["train", str(path)]) == 0
    assert cfg.model_path.is_file()
    assert (tmp_path / "run" / "logs" / "metrics.csv").is_file()
    assert list_checkpoints(tmp_path / "run" / "checkpoints")
    bad = tmp_path / "bad.cfg"
    bad.write_text(path.read_text() + "colour=red\n")
    assert main(["train", str(bad)]) == 2
    missing = tmp_path / "missing.cfg"
    missing.write_text(path.read_text().replace(variant_dir.as_posix(), "/nonexistent/ds"))
    assert main(["train", str(missing)]) == 2


def _spawn(cfg_path: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-m", "alpacaspot.cli", "train", str(cfg_path)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _wait_for(path: Path, proc: subprocess.Popen, timeout: float = 120.0) -> None:
    end = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        assert time.monotonic() < end, f"{path} never appeared"
        time.sleep(0.02)


@pytest.mark.slow
def test_sigkill_then_resume_equals_uninterrupted(tmp_path: Path, variant_factory,
                                                  spec_cfg) -> None:
    data = variant_factory(tmp_path / "ds", n_per_split={"train": 60, "val": 8, "test": 8})
    cfg = _config(data, tmp_path / "run", spec_cfg, max_train_epochs=6, torch_threads=1)
    path = _write_cfg(cfg, tmp_path / "train.cfg")
    proc = _spawn(path)
    _wait_for(tmp_path / "run" / "checkpoints" / "checkpoint_e0002.pt", proc)
    assert proc.poll() is None, "training ended before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not cfg.model_path.exists()
    assert subprocess.run([sys.executable, "-m", "alpacaspot.cli", "train", str(path)],
                          env={**os.environ, "PYTHONPATH": str(REPO)},
                          capture_output=True).returncode == 0
    reference = train(dataclasses.replace(cfg, model_dir=tmp_path / "ref" / "models"))
    _assert_same(_weights(reference.model_path), _weights(cfg.model_path))


@pytest.mark.slow
def test_sigterm_checkpoints_and_requeues(tmp_path: Path, variant_factory, spec_cfg) -> None:
    data = variant_factory(tmp_path / "ds", n_per_split={"train": 60, "val": 8, "test": 8})
    cfg = _config(data, tmp_path / "run", spec_cfg, max_train_epochs=12, epochs_per_eval=4,
                  torch_threads=1)
    path = _write_cfg(cfg, tmp_path / "train.cfg")
    proc = _spawn(path)
    # the signal arrives between evaluations: the state at the current epoch's start is saved
    _wait_for(cfg.resolved_dir("checkpoint") / "checkpoint_e0004.pt", proc)
    time.sleep(0.5)
    assert proc.poll() is None, "training ended before the signal"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=120) == REQUEUE_EXIT_STATUS
    ckpts = list_checkpoints(cfg.resolved_dir("checkpoint"))
    assert ckpts[0].name == "checkpoint_e0004.pt", ckpts  # e0004 plus e0005.. if mid-epoch
    assert not cfg.model_path.exists()
    assert main(["train", str(path)]) == 0
    reference = train(dataclasses.replace(cfg, model_dir=tmp_path / "ref" / "models"))
    _assert_same(_weights(reference.model_path), _weights(cfg.model_path))


@pytest.mark.slow
def test_small_resnet_reaches_clip_f1(tmp_path: Path, variant_factory, spec_cfg) -> None:
    """A width-8 ResNet learns harmonic calls against noise and clicks, over three seeds.

    torch picks kernels per processor and thread count, so one seed's F1 moves from machine
    to machine. Measured on an AVX2 EPYC (Zen 3; test F1 of 40 clips): seeds 0-4 with 1
    thread 0.95, 0.97, 1.00, 0.88, 1.00; seeds 0-2 with 2 threads 1.00, 0.92, 0.95. On an
    AVX-512 EPYC with native bfloat16 (Zen 4), seeds 0-2: 1.00, 0.97, 0.98 with 1 thread,
    0.97, 0.97, 0.98 with 2. The mean of seeds 0-2 (0.96-0.98) must reach 0.9 and each seed
    0.8.
    """
    data = variant_factory(tmp_path / "ds", n_per_split={"train": 60, "val": 15, "test": 20},
                           seed=11)
    f1 = []
    for seed in (0, 1, 2):
        cfg = _config(data, tmp_path / f"run{seed}", spec_cfg, width=8, batch_size=16,
                      max_train_epochs=20, epochs_per_eval=1, seed=seed)
        f1.append(train(cfg).test_metrics["f1_target"])
    assert sum(f1) / len(f1) >= 0.9, f1
    assert min(f1) >= 0.8, f1
