"""Tests of alpacaspot.models.dataset (variant reading, feature cache, padding, workers)."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from torch.utils.data import DataLoader

from alpacaspot.errors import CorpusError
from alpacaspot.models import ClipDataset, read_variant
from alpacaspot.models.dataset import feature_cache_dir, fit_frames


def test_read_variant_csv_and_parquet(tmp_path: Path, variant_dir: Path,
                                      variant_factory) -> None:
    from_csv = read_variant(variant_dir)
    assert list(from_csv.columns) == ["clip", "class", "split"]
    assert from_csv["split"].tolist() == sorted(from_csv["split"], key=["train", "val",
                                                                         "test"].index)
    assert set(from_csv["class"]) == {"target", "noise"}
    with_index = variant_factory(tmp_path / "ds", parquet=True)
    pd.testing.assert_frame_equal(read_variant(with_index), from_csv)


def test_read_variant_errors(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="empty_ds"):
        read_variant((tmp_path / "empty_ds").mkdir() or tmp_path / "empty_ds")
    bad = tmp_path / "bad_ds"
    bad.mkdir()
    (bad / "train.csv").write_text("target-_1_2020_t_0_10.wav\nnoclass_2_2020_t_0_10.wav\n")
    with pytest.raises(CorpusError, match=r"train.csv, line 2"):
        read_variant(bad)


def _dataset(variant_dir: Path, spec_cfg, **kw) -> ClipDataset:
    clips = read_variant(variant_dir)
    labels = [int(c == "target") for c in clips["class"]]
    return ClipDataset(variant_dir, clips["clip"].tolist(), labels, spec_cfg,
                       spec_cfg.window_frames(0.4), **kw)


def test_items_have_window_frames(variant_dir: Path, spec_cfg) -> None:
    ds = _dataset(variant_dir, spec_cfg)
    lengths = set()
    for i in range(len(ds)):
        x, y = ds[i]
        assert x.shape == (1, 24, 32) and x.dtype == torch.float32
        assert y in (0, 1)
        lengths.add(ds.features(i).shape[0])
    assert min(lengths) < 24 < max(lengths)  # both padding and cropping happen


def test_fit_frames_centres_and_normalises(spec_cfg) -> None:
    spec = np.linspace(-80, 0, 10 * 32, dtype=np.float32).reshape(10, 32)
    out = fit_frames(spec, 24, spec_cfg, None)
    assert out.shape == (24, 32)
    assert np.all(out[:7] == 0) and np.all(out[17:] == 0)
    assert out[7:17].min() == 0 and out[7:17].max() == 1
    long = np.linspace(-80, 0, 40 * 32, dtype=np.float32).reshape(40, 32)
    cropped = fit_frames(long, 24, spec_cfg, None)
    assert cropped.shape == (24, 32) and cropped.max() == 1 and cropped.min() == 0


@pytest.mark.parametrize("norm", ["minmax", "ref_level", "none"])
def test_normalisation_matches_dsp(spec_cfg, norm: str) -> None:
    from alpacaspot.dsp import normalize

    cfg = dataclasses.replace(spec_cfg, normalization=norm)
    spec = np.random.default_rng(0).uniform(-120, 30, (24, 32)).astype(np.float32)
    np.testing.assert_array_equal(fit_frames(spec, 24, cfg, None), normalize(spec, cfg))
    const = np.full((24, 32), -40.0, np.float32)
    np.testing.assert_array_equal(fit_frames(const, 24, cfg, None), normalize(const, cfg))


def test_cache(tmp_path: Path, variant_dir: Path, spec_cfg) -> None:
    plain = _dataset(variant_dir, spec_cfg)
    cached = _dataset(variant_dir, spec_cfg, cache_root=tmp_path / "cache")
    for i in range(3):
        np.testing.assert_array_equal(cached.features(i), plain.features(i))
    files = sorted(cached.cache_dir.glob("*.npy"))
    assert len(files) == 3
    again = _dataset(variant_dir, spec_cfg, cache_root=tmp_path / "cache")
    np.testing.assert_array_equal(again.features(0), plain.features(0))
    other = dataclasses.replace(spec_cfg, hop_length=64)
    assert feature_cache_dir(tmp_path, other) != feature_cache_dir(tmp_path, spec_cfg)
    files[0].write_bytes(b"torn")  # a corrupt entry is recomputed, not trusted
    fresh = _dataset(variant_dir, spec_cfg, cache_root=tmp_path / "cache")
    np.testing.assert_array_equal(fresh.features(0), plain.features(0))
    assert np.load(files[0]).shape == plain.features(0).shape


def test_augmentation_is_seeded(variant_dir: Path, spec_cfg) -> None:
    a = _dataset(variant_dir, spec_cfg, augment=True, seed=1)
    b = _dataset(variant_dir, spec_cfg, augment=True, seed=1)
    assert torch.equal(a[3][0], b[3][0])
    a.set_epoch(1)
    assert not torch.equal(a[3][0], b[3][0])
    plain = _dataset(variant_dir, spec_cfg)
    assert not torch.equal(plain[3][0], b[3][0])


def test_missing_wav(tmp_path: Path, variant_dir: Path, spec_cfg) -> None:
    ds_dir = tmp_path / "ds"
    shutil.copytree(variant_dir, ds_dir)
    ds = _dataset(ds_dir, spec_cfg)
    ds.items[0].path.unlink()
    with pytest.raises(CorpusError, match=ds.items[0].name):
        ds[0]


def _batches(ds: ClipDataset, workers: int, context: str | None) -> list[torch.Tensor]:
    loader = DataLoader(ds, batch_size=8, shuffle=True, num_workers=workers,
                        generator=torch.Generator().manual_seed(5),
                        multiprocessing_context=context if workers else None)
    return [x for x, _ in loader]


@pytest.mark.parametrize("context", ["fork", pytest.param("spawn", marks=pytest.mark.slow)])
def test_workers_match_main_process(tmp_path: Path, variant_dir: Path, spec_cfg,
                                    context: str) -> None:
    ds = _dataset(variant_dir, spec_cfg, augment=True, seed=2, cache_root=tmp_path / "c")
    ds.set_epoch(4)
    expected = _batches(ds, 0, None)
    got = _batches(ds, 2, context)
    assert len(got) == len(expected)
    for a, b in zip(expected, got, strict=True):
        assert torch.equal(a, b)
