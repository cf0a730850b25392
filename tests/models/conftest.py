"""Fixtures of the models tests: a tiny real dataset variant of WAV clips."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alpacaspot.dsp import SpectrogramConfig
from alpacaspot.io import CLIPS, write_audio, write_table
from alpacaspot.models import TrainConfig

SR = 8000


def spec_config(**kw: object) -> SpectrogramConfig:
    base = dict(sr=SR, n_fft=256, hop_length=128, fmin=0, fmax=4000, n_freq_bins=32)
    base.update(kw)
    return SpectrogramConfig(**base)


def tiny_config(data_dir: Path, run: Path, spec: SpectrogramConfig, **kw: object) -> TrainConfig:
    """A width-4 ResNet trained for one epoch at a high learning rate (settings in ``kw``)."""
    base: dict[str, object] = dict(window_s=0.4, width=4, batch_size=8, lr=1e-3,
                                   scale_lr=False, max_train_epochs=1, epochs_per_eval=1,
                                   augmentation=True, seed=0, cache_dir=run.parent / "cache",
                                   torch_threads=1)
    base.update(kw)
    return TrainConfig(data_dir=data_dir, model_dir=run / "models", spectrogram=spec, **base)


def _clip(kind: str, rng: np.random.Generator) -> np.ndarray:
    dur = rng.uniform(0.15, 0.6)
    n = int(dur * SR)
    t = np.arange(n) / SR
    noise = rng.standard_normal(n) * rng.uniform(0.02, 0.1)
    if kind == "target":
        f0 = rng.uniform(250, 500) * (1 + 0.1 * np.sin(2 * np.pi * rng.uniform(1, 4) * t))
        phase = 2 * np.pi * np.cumsum(f0) / SR
        tone = sum(np.sin(k * phase) / k for k in (1, 2, 3))
        x = 0.3 * tone * np.hanning(n) + noise
    else:
        x = noise * rng.uniform(1, 3)
        if rng.random() < 0.5:  # a click train as a decoy
            x[:: int(rng.integers(200, 800))] += 0.3
    return x.astype(np.float32)


def make_variant(root: Path, *, n_per_split: dict[str, int] | None = None, seed: int = 0,
                 parquet: bool = False) -> Path:
    """Write ``root`` as a dataset variant folder; return it."""
    n_per_split = n_per_split or {"train": 24, "val": 8, "test": 8}
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True, exist_ok=True)
    rows = []
    uid = 0
    for split, n in n_per_split.items():
        names = []
        for i in range(n):
            for cls in ("target", "noise"):
                uid += 1
                tape = f"{split}{i % 2}"
                start = 1000 * i
                x = _clip(cls, rng)
                end = start + int(1000 * len(x) / SR)
                label = "hum" if cls == "target" else ""
                name = f"{cls}-{label}_{uid}_2020_{tape}_{start}_{end}.wav"
                write_audio(root / name, x, SR)
                names.append(name)
                rows.append(dict(clip=name, **{"class": cls}, label="hum" if cls == "target"
                                 else "", recording=f"{tape}.wav", tape=tape,
                                 begin_s=start / 1000, end_s=end / 1000, split=split,
                                 source="annotation" if cls == "target" else "noise",
                                 quality=pd.NA))
        (root / f"{split}.csv").write_text("\n".join(names) + "\n")
    if parquet:
        write_table(pd.DataFrame(rows), root / "variant_index.parquet", schema=CLIPS)
    return root


@pytest.fixture(scope="session")
def variant_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_variant(tmp_path_factory.mktemp("variant") / "dataset_tiny")


@pytest.fixture()
def spec_cfg() -> SpectrogramConfig:
    return spec_config()


@pytest.fixture()
def variant_factory():
    """``make_variant(root, *, n_per_split=None, seed=0, parquet=False) -> Path``."""
    return make_variant


@pytest.fixture(scope="session", autouse=True)
def _one_thread():
    """The test machine is shared: one torch thread is faster than two contended ones."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
