"""The names of a training cfg that alpacaspot adds to ANIMAL-SPOT's: extra keys, and the
values its enumerated keys allow.

Torch-free, so that whatever only needs the names (the console's ``info`` and ``--help``, the
variants files, the pre-run checks) loads no training code. :mod:`alpacaspot.models.config`
validates :class:`~alpacaspot.models.TrainConfig` against these and re-exports them.

Examples
--------
>>> from alpacaspot.io.animalspot import TRAIN_EXTRA_KEYS, read_cfg
>>> "width" in TRAIN_EXTRA_KEYS and "val_metric" in TRAIN_EXTRA_KEYS
True
"""

from __future__ import annotations

__all__ = ["TRAIN_EXTRA_KEYS", "VAL_METRICS", "BALANCE_MODES"]

#: Keys a training cfg may hold beyond ANIMAL-SPOT's own.
TRAIN_EXTRA_KEYS: tuple[str, ...] = (
    "width",
    "pooling",
    "seed",
    "val_metric",
    "balance",
    "amp",
    "keep_checkpoints",
    "window_s",
    "normalization",
    "scale_lr",
    "torch_threads",
    "deterministic",
    "preemphases",
    "min_level_db",
    "ref_level_db",
    "augment_policy",
    "label_smoothing",
    "ema_decay",
)

#: Validation metrics usable for model selection, LR decay and early stopping.
VAL_METRICS: tuple[str, ...] = ("f1_target", "accuracy", "balanced_accuracy", "loss")
#: How the target/noise imbalance is handled.
BALANCE_MODES: tuple[str, ...] = ("weights", "sampler", "none")
