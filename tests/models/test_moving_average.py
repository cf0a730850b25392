"""Training with an exponential moving average of the weights (``ema_decay``)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from alpacaspot.dsp import SpectrogramConfig
from alpacaspot.errors import ConfigError
from alpacaspot.io.animalspot import write_cfg
from alpacaspot.models import TRAIN_EXTRA_KEYS, TrainConfig, list_checkpoints, load_model, train

from .conftest import tiny_config


def _config(data_dir: Path, run: Path, spec_cfg, **kw) -> TrainConfig:
    return tiny_config(data_dir, run, spec_cfg, **{"max_train_epochs": 2, "augmentation": False,
                                                   "ema_decay": 0.9, **kw})


def _weights(path: Path) -> dict[str, torch.Tensor]:
    return load_model(path).network.state_dict()


def _same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_the_saved_model_is_the_average_not_the_last_step(tmp_path: Path, variant_dir: Path,
                                                          spec_cfg) -> None:
    cfg = _config(variant_dir, tmp_path / "run", spec_cfg, max_train_epochs=1)
    saved = _weights(train(cfg).model_path)
    ckpt = torch.load(list_checkpoints(tmp_path / "run" / "checkpoints")[-1],
                      weights_only=True)
    average = {k.removeprefix("module."): v for k, v in ckpt["ema"].items()
               if k.startswith("module.")}
    assert _same(saved, average)
    assert not _same(saved, ckpt["model"])
    assert int(ckpt["ema"]["n_averaged"]) > 1
    plain = train(_config(variant_dir, tmp_path / "plain", spec_cfg, max_train_epochs=1,
                          ema_decay=0.0))
    assert _same(_weights(plain.model_path), ckpt["model"])


def test_resume_keeps_the_average(tmp_path: Path, variant_dir: Path, spec_cfg) -> None:
    full = train(_config(variant_dir, tmp_path / "full", spec_cfg, max_train_epochs=3))
    cfg = _config(variant_dir, tmp_path / "run", spec_cfg, max_train_epochs=3)
    train(cfg)
    cfg.model_path.unlink()
    list_checkpoints(tmp_path / "run" / "checkpoints")[-1].unlink()
    resumed = train(cfg)
    assert resumed.epochs_run == 3 and not resumed.skipped
    assert _same(_weights(full.model_path), _weights(resumed.model_path))


def test_cfg_round_trip_and_old_fingerprints(tmp_path: Path, spec_cfg) -> None:
    cfg = _config(tmp_path, tmp_path / "run", spec_cfg, ema_decay=0.995)
    path = write_cfg(tmp_path / "alpaca_server.cfg", cfg.to_cfg_values(), kind="train",
                     extra_keys=TRAIN_EXTRA_KEYS)
    assert "ema_decay=0.995" in path.read_text()
    back = TrainConfig.from_cfg(path)
    assert back.ema_decay == 0.995 and back.fingerprint() == cfg.fingerprint()
    off = _config(tmp_path, tmp_path / "run", spec_cfg, ema_decay=0.0)
    assert "ema_decay" not in off.to_cfg_values()
    assert off.fingerprint() != cfg.fingerprint()
    # written before ema_decay existed: models and checkpoints of older runs stay valid
    old = TrainConfig(data_dir=Path("/data/dataset_windows"), model_dir=Path("/runs/models"),
                      spectrogram=SpectrogramConfig(sr=48000, n_fft=2048, hop_length=1024,
                                                    fmin=0, fmax=4000, n_freq_bins=128),
                      seed=3)
    assert old.fingerprint() == "721b3e48f60376f3"


@pytest.mark.parametrize("decay", [1.0, -0.1, 1.5])
def test_bad_decay(tmp_path: Path, spec_cfg, decay: float) -> None:
    with pytest.raises(ConfigError, match="ema_decay"):
        _config(tmp_path, tmp_path / "run", spec_cfg, ema_decay=decay)
