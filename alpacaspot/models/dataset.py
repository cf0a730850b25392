"""Training clips of a dataset variant as a torch ``Dataset``, with an on-disk feature cache.

Each clip becomes exactly ``window_frames`` spectrogram frames, the frame count of one
prediction window, by the window-input recipe prediction uses too
(:mod:`alpacaspot.dsp.inputs`: dB spectrogram -> :func:`~alpacaspot.dsp.inputs.fit_frames`,
here with augmentation in between): a longer clip is cropped (at a random position when
augmenting, centred otherwise) before normalisation; a shorter one is normalised and then
padded with zeros (at a random or the centred position). Un-augmented dB spectrograms are
cached per variant under ``<cache_dir>/spec_<hash of the spectrogram config>/``, written
atomically, so that jobs sharing the folder never read half-written or stale features.
Augmentation randomness is drawn from ``(seed, epoch, index)``, so results do not depend on
worker count or start method.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch.utils.data import Dataset

from alpacaspot._atomic import atomic_path
from alpacaspot.dsp import SpectrogramConfig
from alpacaspot.dsp.inputs import fit_frames
from alpacaspot.errors import CorpusError
from alpacaspot.models._augment import augment_spectrogram

__all__ = ["ClipDataset", "read_variant", "feature_cache_dir", "fit_frames"]

_log = logging.getLogger(__name__)
_SPLITS = ("train", "val", "test")
_CACHE_VERSION = 1


def _class_from_name(name: str, path: Path, line: int) -> str:
    stem = Path(name).name
    if "-" not in stem:
        raise CorpusError(
            f"clip name {name!r} does not follow CLASS-LABEL_ID_YEAR_TAPE_START_END.wav "
            "(no '-' after the class)",
            path=path,
            line=line,
        )
    return stem.split("-", 1)[0]


def read_variant(data_dir: str | os.PathLike[str]) -> pd.DataFrame:
    """The clips of a dataset variant: columns ``clip``, ``class``, ``split``.

    Reads ``variant_index.parquet`` when present, else ``train.csv``/``val.csv``/``test.csv``
    (one clip file name per line, the class taken from the name). Rows are sorted by split
    order, then clip name.

    Raises
    ------
    CorpusError
        No index and no split lists, a malformed clip name (naming the csv and line) or a
        listed clip whose WAV is missing.

    Examples
    --------
    >>> clips = read_variant("data/corpus/dataset_v1")  # doctest: +SKIP
    >>> clips["split"].value_counts()  # doctest: +SKIP
    """
    data_dir = Path(data_dir)
    index = data_dir / "variant_index.parquet"
    if index.is_file():
        from alpacaspot.io import CLIPS, read_table

        df = read_table(index, schema=CLIPS)[["clip", "class", "split"]].copy()
        bad = ~df["split"].isin(_SPLITS)
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise CorpusError(f"split must be one of {_SPLITS}, got {df['split'].iloc[row]!r}",
                              path=index, line=row)
    else:
        rows = []
        for split in _SPLITS:
            csv = data_dir / f"{split}.csv"
            if not csv.is_file():
                continue
            for i, line in enumerate(csv.read_text().splitlines(), start=1):
                name = line.strip()
                if name:
                    rows.append((name, _class_from_name(name, csv, i), split))
        if not rows:
            raise CorpusError(
                "no variant_index.parquet and no train.csv/val.csv/test.csv in the dataset folder",
                path=data_dir,
            )
        df = pd.DataFrame(rows, columns=["clip", "class", "split"])
    df["clip"] = df["clip"].astype(str)
    df["class"] = df["class"].astype(str)
    df["split"] = df["split"].astype(str)
    order = df["split"].map({s: i for i, s in enumerate(_SPLITS)})
    df = df.assign(_o=order).sort_values(["_o", "clip"], kind="stable").drop(columns="_o")
    return df.reset_index(drop=True)


def feature_cache_dir(cache_root: str | os.PathLike[str], config: SpectrogramConfig) -> Path:
    """Cache folder of one spectrogram config: ``<root>/spec_<16 hex digits>``.

    Examples
    --------
    >>> feature_cache_dir("cache", cfg).name.startswith("spec_")  # doctest: +SKIP
    True
    """
    blob = json.dumps({"v": _CACHE_VERSION, "config": config.to_dict()}, sort_keys=True)
    return Path(cache_root) / f"spec_{hashlib.sha256(blob.encode()).hexdigest()[:16]}"


@dataclass(frozen=True)
class _Item:
    path: Path
    name: str
    label: int


class ClipDataset(Dataset):
    """Clips of one split as ``(tensor (1, window_frames, n_freq_bins), class index)``.

    Parameters
    ----------
    data_dir : path-like
        Dataset variant folder.
    clips : sequence of str
        Clip paths relative to ``data_dir``.
    labels : sequence of int
        Class index of each clip.
    config : SpectrogramConfig
        Front end.
    n_frames : int
        Frames per example (``config.window_frames(window_s)``).
    augment : bool
        Random crop/pad position, amplitude, pitch shift and time stretch.
    seed : int
        Augmentation seed; call :meth:`set_epoch` before each epoch.
    cache_root : path-like, optional
        Feature cache root; ``None`` computes every spectrogram on the fly.

    Examples
    --------
    >>> names = ["target-_1_2020_t1_0_300.wav"]
    >>> ds = ClipDataset("dataset_v1", names, [1], cfg, 17)  # doctest: +SKIP
    >>> x, y = ds[0]; x.shape  # doctest: +SKIP
    torch.Size([1, 17, 128])
    """

    def __init__(
        self,
        data_dir: str | os.PathLike[str],
        clips: list[str],
        labels: list[int],
        config: SpectrogramConfig,
        n_frames: int,
        *,
        augment: bool = False,
        seed: int = 0,
        cache_root: str | os.PathLike[str] | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.items = [
            _Item(self.data_dir / c, c, int(y)) for c, y in zip(clips, labels, strict=True)
        ]
        self.config = config
        self.n_frames = int(n_frames)
        self.augment = bool(augment)
        self.seed = int(seed)
        self.epoch = 0
        self.cache_dir = None if cache_root is None else feature_cache_dir(cache_root, config)
        self._memo: dict[int, np.ndarray] = {}  # per process; cached clips are small

    def __len__(self) -> int:
        return len(self.items)

    @property
    def labels(self) -> np.ndarray:
        """Class index of every clip."""
        return np.array([it.label for it in self.items], dtype=np.int64)

    def set_epoch(self, epoch: int) -> None:
        """Select the augmentation randomness of ``epoch``."""
        self.epoch = int(epoch)

    def _cache_file(self, item: _Item) -> Path:
        assert self.cache_dir is not None
        key = item.name.replace("/", "__")
        return self.cache_dir / f"{key}.npy"

    def _compute(self, item: _Item) -> np.ndarray:
        from alpacaspot.dsp import spectrogram
        from alpacaspot.io import read_audio

        if not item.path.is_file():
            raise CorpusError("clip WAV listed in the dataset variant is missing", path=item.path)
        x, _ = read_audio(item.path, sr=self.config.sr)
        spec = spectrogram(x, self.config, pad=True, workers=1)
        return np.asarray(spec, dtype=np.float32)

    def features(self, index: int) -> np.ndarray:
        """The un-augmented, un-normalised dB spectrogram of clip ``index`` (cached)."""
        item = self.items[index]
        if self.cache_dir is None:
            return self._compute(item)
        memo = self._memo.get(index)
        if memo is not None:
            return memo
        path = self._cache_file(item)
        spec = None
        if path.is_file():
            try:
                spec = np.load(path, allow_pickle=False)
            except (OSError, ValueError):
                _log.warning("unreadable cache file %s: recomputing", path)
        if spec is None:
            spec = self._compute(item)
            path.parent.mkdir(parents=True, exist_ok=True)
            with atomic_path(path) as tmp, open(tmp, "wb") as fh:
                np.save(fh, spec, allow_pickle=False)
        spec.setflags(write=False)
        self._memo[index] = spec
        return spec

    def example(self, index: int) -> np.ndarray:
        """The network input of clip ``index`` for the current epoch: (n_frames, bins)."""
        spec = self.features(index)
        rng = None
        if self.augment:
            rng = np.random.default_rng([self.seed, self.epoch, index])
            spec = augment_spectrogram(spec, rng)
        return fit_frames(spec, self.n_frames, self.config, rng)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        x = torch.from_numpy(self.example(index)).unsqueeze(0)
        return x, self.items[index].label
