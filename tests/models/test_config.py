"""Tests of alpacaspot.models.config (TrainConfig and training cfg files)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from alpacaspot.errors import ConfigError
from alpacaspot.io.animalspot import write_cfg
from alpacaspot.models import TRAIN_EXTRA_KEYS, TrainConfig


def _config(tmp_path: Path, spec_cfg, **kw) -> TrainConfig:
    kw = {"window_s": 0.4, **kw}
    return TrainConfig(data_dir=tmp_path / "ds", model_dir=tmp_path / "run" / "models",
                       spectrogram=spec_cfg, **kw)


def test_defaults_follow_animalspot(tmp_path: Path, spec_cfg) -> None:
    cfg = _config(tmp_path, spec_cfg)
    assert (cfg.batch_size, cfg.lr, cfg.beta1, cfg.max_train_epochs, cfg.epochs_per_eval) == (
        16, 1e-5, 0.5, 40, 2)
    assert cfg.window_frames == 24
    assert cfg.model_path == tmp_path / "run" / "models" / "model.pt"
    assert cfg.resolved_dir("checkpoint") == tmp_path / "run" / "checkpoints"
    assert cfg.resolved_dir("cache") == tmp_path / "ds" / "cache"
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.lr = 1.0  # type: ignore[misc]


def test_dict_round_trip_and_fingerprint(tmp_path: Path, spec_cfg) -> None:
    cfg = _config(tmp_path, spec_cfg, width=16, seed=3)
    assert TrainConfig.from_dict(cfg.to_dict()) == cfg
    assert dataclasses.replace(cfg, num_workers=4).fingerprint() == cfg.fingerprint()
    assert dataclasses.replace(cfg, seed=4).fingerprint() != cfg.fingerprint()
    other_spec = dataclasses.replace(spec_cfg, hop_length=64)
    assert dataclasses.replace(cfg, spectrogram=other_spec).fingerprint() != cfg.fingerprint()
    with pytest.raises(ConfigError, match="bogus"):
        TrainConfig.from_dict({**cfg.to_dict(), "bogus": 1})


def test_cfg_round_trip(tmp_path: Path, spec_cfg) -> None:
    cfg = _config(tmp_path, dataclasses.replace(spec_cfg, normalization="ref_level"),
                  width=16, seed=7, lr=3e-4, augmentation=False, val_metric="accuracy",
                  balance="sampler", window_s=0.25)
    path = write_cfg(tmp_path / "alpaca_server.cfg", cfg.to_cfg_values(), kind="train",
                     extra_keys=TRAIN_EXTRA_KEYS)
    back = TrainConfig.from_cfg(path)
    assert back.fingerprint() == cfg.fingerprint()
    assert back.spectrogram == cfg.spectrogram
    assert back.resolved_dir("log") == cfg.resolved_dir("log")


def test_animalspot_cfg(tmp_path: Path) -> None:
    path = tmp_path / "alpaca_server.cfg"
    path.write_text("\n".join([
        "# the fork's settings", "data_dir=ds", "model_dir=runs/models", "noise_dir=None",
        "sr=48000", "n_fft=2048", "hop_length=1024", "n_freq_bins=128", "fmin=0", "fmax=4000",
        "sequence_len=400", "freq_compression=linear", "min_max_norm", "resnet=18",
        "conv_kernel_size=7", "max_pool=2", "num_classes=2", "batch_size=16", "lr=1e-5",
        "beta1=0.5", "max_train_epochs=40", "epochs_per_eval=2", "lr_patience_epochs=8",
        "lr_decay_factor=0.5", "early_stopping_patience_epochs=10", "augmentation",
    ]) + "\n")
    cfg = TrainConfig.from_cfg(path)
    assert cfg.data_dir == tmp_path / "ds"
    assert cfg.window_s == 0.4 and cfg.window_frames == 17
    assert cfg.spectrogram.normalization == "minmax" and cfg.augmentation
    assert cfg.width == 64 and cfg.val_metric == "f1_target"


@pytest.mark.parametrize("line, match", [
    ("colour=red", "colour"),
    ("batch_size=many", "batch_size"),
    ("val_metric=auc", "val_metric"),
    ("n_fft=abc", "n_fft"),
    ("noise_dir=/data/noise", "noise_dir"),
])
def test_bad_cfg(tmp_path: Path, line: str, match: str) -> None:
    path = tmp_path / "bad.cfg"
    path.write_text(f"data_dir=ds\nmodel_dir=m\n{line}\n")
    with pytest.raises(ConfigError, match=match) as info:
        TrainConfig.from_cfg(path)
    assert "bad.cfg" in str(info.value)


def test_missing_required(tmp_path: Path) -> None:
    path = tmp_path / "short.cfg"
    path.write_text("data_dir=ds\n")
    with pytest.raises(ConfigError, match="short.cfg.*model_dir"):
        TrainConfig.from_cfg(path)


@pytest.mark.parametrize("kw", [{"batch_size": 0}, {"window_s": 0.01}, {"balance": "x"},
                                {"lr_decay_factor": 2.0}])
def test_invalid_values(tmp_path: Path, spec_cfg, kw: dict) -> None:
    with pytest.raises(ConfigError):
        _config(tmp_path, spec_cfg, **kw)


def test_key_names_are_the_torch_free_ones(tmp_path: Path, spec_cfg) -> None:
    """The training cfg's key names are defined once, in io.animalspot (torch-free); every
    key a TrainConfig writes is one a training cfg may hold."""
    from alpacaspot.io import animalspot
    from alpacaspot.models import config

    assert config.TRAIN_EXTRA_KEYS is animalspot.TRAIN_EXTRA_KEYS is TRAIN_EXTRA_KEYS
    assert config.VAL_METRICS is animalspot.VAL_METRICS
    assert config.BALANCE_MODES is animalspot.BALANCE_MODES
    values = _config(tmp_path, spec_cfg, torch_threads=2).to_cfg_values()
    allowed = set(animalspot.TRAIN_KEYS) | set(animalspot.TRAIN_EXTRA_KEYS)
    assert set(values) <= allowed, sorted(set(values) - allowed)
