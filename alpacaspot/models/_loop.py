"""Pieces of the training loop: datasets of a variant, data loaders, evaluation of a split."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, WeightedRandomSampler
from tqdm.auto import tqdm

from alpacaspot.errors import ConfigError, CorpusError
from alpacaspot.models import dataset as _dataset
from alpacaspot.models._augment import FieldAugmenter, clip_tapes
from alpacaspot.models._metrics import clip_metrics
from alpacaspot.models.config import TrainConfig
from alpacaspot.models.dataset import ClipDataset, read_variant

__all__ = ["class_names", "make_datasets", "warm_cache", "loader", "evaluate_split"]


def class_names(classes_in_data: set[str], num_classes: int) -> tuple[str, ...]:
    """Ordered class names: ``("noise", "target")`` for binary data, else sorted names.

    Examples
    --------
    >>> class_names({"target", "noise"}, 2)
    ('noise', 'target')
    """
    if num_classes == 2 and classes_in_data <= {"noise", "target"}:
        return ("noise", "target")
    names = tuple(sorted(classes_in_data))
    if len(names) != num_classes:
        raise ConfigError(f"num_classes={num_classes} but the data holds classes {list(names)}")
    return names


class FieldClipDataset(ClipDataset):
    """A training split augmented by :class:`FieldAugmenter` (backgrounds of its noise clips).

    Examples
    --------
    >>> ds = FieldClipDataset("dataset_v1", names, [0, 1], cfg, 17)  # doctest: +SKIP
    """

    def __init__(self, *args: object, noise_label: int = 0, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        noise = np.flatnonzero(self.labels == noise_label)
        self.augmenter = FieldAugmenter(self.features, noise.tolist(),
                                        clip_tapes([it.name for it in self.items]))

    def example(self, index: int) -> np.ndarray:
        """The augmented network input of clip ``index`` for the current epoch."""
        spec = self.features(index)
        if not self.augment:
            return _dataset.fit_frames(spec, self.n_frames, self.config, None)
        rng = np.random.default_rng([self.seed, self.epoch, index])
        spec = self.augmenter(spec, rng, index)
        return _dataset.fit_frames(spec, self.n_frames, self.config, rng)


def make_datasets(config: TrainConfig) -> tuple[dict[str, ClipDataset], tuple[str, ...]]:
    clips = read_variant(config.data_dir)
    classes = class_names(set(clips["class"]), config.num_classes)
    unknown = sorted(set(clips["class"]) - set(classes))
    if unknown:
        raise CorpusError(f"clip classes {unknown} are not among {list(classes)}",
                          path=config.data_dir)
    cache = config.resolved_dir("cache") if config.use_cache else None
    out = {}
    for split in ("train", "val", "test"):
        part = clips[clips["split"] == split]
        field = config.augmentation and config.augment_policy == "field" and split == "train"
        extra = {"noise_label": classes.index("noise") if "noise" in classes else 0} \
            if field else {}
        out[split] = (FieldClipDataset if field else ClipDataset)(
            config.data_dir,
            part["clip"].tolist(),
            [classes.index(c) for c in part["class"]],
            config.spectrogram,
            config.window_frames,
            augment=config.augmentation and split == "train",
            seed=config.seed,
            cache_root=cache,
            **extra,
        )
    for split in ("train", "val"):
        if len(out[split]) == 0:
            raise CorpusError(f"the {split} split is empty", path=config.data_dir)
    return out, classes


def warm_cache(datasets: dict[str, ClipDataset]) -> None:
    for split, ds in datasets.items():
        if ds.cache_dir is None:
            continue
        for i in tqdm(range(len(ds)), desc=f"features {split}", disable=None, leave=False):
            ds.features(i)


def loader(ds: ClipDataset, config: TrainConfig, *, epoch: int, train: bool) -> DataLoader:
    g = torch.Generator().manual_seed(config.seed * 1_000_003 + epoch)
    sampler = None
    shuffle = train
    if train and config.balance == "sampler":
        counts = np.bincount(ds.labels, minlength=config.num_classes).astype(np.float64)
        w = 1.0 / np.maximum(counts, 1.0)
        sampler = WeightedRandomSampler(torch.from_numpy(w[ds.labels]), len(ds),
                                        replacement=True, generator=g)
        shuffle = False
    context = None
    if config.num_workers and ds.cache_dir is None:
        # workers then compute spectrograms with numba's thread pool, which a forked child
        # of a process that already used it must not enter
        context = "spawn"
    return DataLoader(ds, batch_size=config.batch_size, shuffle=shuffle, sampler=sampler,
                      num_workers=config.num_workers, generator=g, drop_last=False,
                      multiprocessing_context=context)


def evaluate_split(net: nn.Module, ds: ClipDataset, config: TrainConfig, device: torch.device,
              classes: tuple[str, ...], target: int) -> dict[str, float]:
    net.eval()
    ys, ps, loss_sum = [], [], 0.0
    with torch.no_grad():
        for x, y in loader(ds, config, epoch=0, train=False):
            logits = net(x.to(device)).float()
            loss_sum += float(nn.functional.cross_entropy(logits, y.to(device), reduction="sum"))
            ys.append(y.numpy())
            ps.append(logits.argmax(1).cpu().numpy())
    if not ys:
        return {}
    m = clip_metrics(np.concatenate(ys), np.concatenate(ps), classes, target)
    m["loss"] = loss_sum / max(1, len(ds))
    return m
