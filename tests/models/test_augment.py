"""Training augmentation policies: the field policy from a cfg key to the training examples."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from alpacaspot.errors import ConfigError
from alpacaspot.io.animalspot import write_cfg
from alpacaspot.models import TRAIN_EXTRA_KEYS, TrainConfig, load_model, train
from alpacaspot.models._augment import FieldAugmenter, clip_tapes
from alpacaspot.models._loop import FieldClipDataset, make_datasets

from .conftest import tiny_config


def _config(data_dir: Path, run: Path, spec_cfg, **kw) -> TrainConfig:
    return tiny_config(data_dir, run, spec_cfg, **kw)


def test_cfg_key_turns_the_field_policy_on(tmp_path: Path, variant_dir: Path,
                                           spec_cfg) -> None:
    cfg = _config(variant_dir, tmp_path / "run", spec_cfg, augment_policy="field",
                  label_smoothing=0.1)
    path = write_cfg(tmp_path / "alpaca_server.cfg", cfg.to_cfg_values(), kind="train",
                     extra_keys=TRAIN_EXTRA_KEYS)
    text = path.read_text()
    assert "augment_policy=field" in text and "label_smoothing=0.1" in text
    back = TrainConfig.from_cfg(path)
    assert back.augment_policy == "field" and back.label_smoothing == 0.1
    assert back.fingerprint() == cfg.fingerprint()
    datasets, _ = make_datasets(back)
    train_ds = datasets["train"]
    assert isinstance(train_ds, FieldClipDataset)
    assert not isinstance(datasets["val"], FieldClipDataset)
    # seeded by (seed, epoch, index): the same epoch repeats, another epoch differs
    train_ds.set_epoch(0)
    a = train_ds.example(3)
    assert np.array_equal(a, train_ds.example(3))
    train_ds.set_epoch(1)
    assert not np.array_equal(a, train_ds.example(3))
    assert a.shape == (cfg.window_frames, spec_cfg.n_freq_bins)
    # without augmentation the split is the plain one
    plain, _ = make_datasets(_config(variant_dir, tmp_path / "run", spec_cfg,
                                     augmentation=False, augment_policy="field"))
    assert not isinstance(plain["train"], FieldClipDataset)


def test_field_training_runs_and_records_its_settings(tmp_path: Path, variant_dir: Path,
                                                      spec_cfg) -> None:
    cfg = _config(variant_dir, tmp_path / "run", spec_cfg, augment_policy="field",
                  label_smoothing=0.05)
    result = train(cfg)
    config = load_model(result.model_path).provenance["config"]
    assert config["augment_policy"] == "field" and config["label_smoothing"] == 0.05


def test_defaults_keep_old_fingerprints(tmp_path: Path, spec_cfg) -> None:
    cfg = _config(tmp_path, tmp_path / "run", spec_cfg)
    assert cfg.augment_policy == "animalspot" and cfg.label_smoothing == 0.0
    assert "augment_policy" not in cfg.to_cfg_values()
    assert cfg.fingerprint() != _config(tmp_path, tmp_path / "run", spec_cfg,
                                        augment_policy="field").fingerprint()


@pytest.mark.parametrize("kw, match", [({"augment_policy": "warp"}, "augment_policy"),
                                       ({"label_smoothing": 1.0}, "label_smoothing"),
                                       ({"label_smoothing": -0.1}, "label_smoothing")])
def test_bad_settings(tmp_path: Path, spec_cfg, kw: dict, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        _config(tmp_path, tmp_path / "run", spec_cfg, **kw)


def test_field_augmenter_mixes_backgrounds_of_other_tapes() -> None:
    specs = [np.full((6, 4), -20.0, np.float32), np.full((6, 4), -30.0, np.float32),
             np.full((6, 4), -90.0, np.float32)]
    # clip 0 is on tape a; the only noise clip of another tape is 2 (very quiet)
    aug = FieldAugmenter(specs.__getitem__, [1, 2], ["a", "a", "b"])
    for seed in range(20):
        bg = aug._background(0, np.random.default_rng(seed))
        assert bg is specs[2]
    alone = FieldAugmenter(specs.__getitem__, [1], ["a", "a", "b"])
    assert alone._background(0, np.random.default_rng(0)) is specs[1]
    assert FieldAugmenter(specs.__getitem__, [], [None] * 3)._background(
        0, np.random.default_rng(0)) is None
    out = aug(specs[0], np.random.default_rng(0), 0)
    assert out.shape == (6, 4) and np.isfinite(out).all()


def test_clip_tapes() -> None:
    assert clip_tapes(["sub/target-hum_1_2021_T03_0_400.wav", "junk.wav"]) == ["T03", None]


def test_variants_file_sets_augmentation_per_variant(tmp_path: Path) -> None:
    import json

    from alpacaspot.pipeline import training_factory

    doc = {"globals": {"data_root": "data", "sr": 8000, "fmax": 3000, "n_fft": 256,
                       "hop_length": 128, "augmentation": False},
           "calls": {"dataset": "dataset_calls", "augmentation": True,
                     "augment_policy": "field", "label_smoothing": 0.1},
           "windows": {"dataset": "dataset_windows"},
           "active_variants": ["calls", "windows"]}
    src = tmp_path / "train_variants.json"
    src.write_text(json.dumps(doc))
    plan = training_factory(src, root=tmp_path, check_datasets=False, check=False)
    calls = TrainConfig.from_cfg(plan.cfg_paths["calls"])
    windows = TrainConfig.from_cfg(plan.cfg_paths["windows"])
    assert (calls.augmentation, calls.augment_policy, calls.label_smoothing) == (
        True, "field", 0.1)
    assert (windows.augmentation, windows.augment_policy, windows.label_smoothing) == (
        False, "animalspot", 0.0)
