"""Training configuration: :class:`TrainConfig` from Python or an ANIMAL-SPOT training cfg.

ANIMAL-SPOT's training keys keep their meaning (``sequence_len`` in milliseconds, ``lr`` scaled
by ``batch_size`` as ANIMAL-SPOT does, ...). :data:`TRAIN_EXTRA_KEYS` are the keys we add; pass
them as ``extra_keys`` to :func:`alpacaspot.io.animalspot.write_cfg` when generating cfgs.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alpacaspot.errors import ConfigError
from alpacaspot.io.animalspot.train_keys import BALANCE_MODES, TRAIN_EXTRA_KEYS, VAL_METRICS
from alpacaspot.models._cfgfile import config_from_values

if TYPE_CHECKING:  # pragma: no cover
    from alpacaspot.dsp import SpectrogramConfig

__all__ = ["TrainConfig", "TRAIN_EXTRA_KEYS", "VAL_METRICS", "BALANCE_MODES"]



@dataclass(frozen=True, kw_only=True)
class TrainConfig:
    """Everything one training run needs.

    Parameters
    ----------
    data_dir : Path
        Dataset variant folder (``dataset_<variant>/``).
    model_dir : Path
        The best model goes to ``<model_dir>/model.pt``.
    spectrogram : SpectrogramConfig
        Front end (normalisation included); stored in the model file.
    window_s : float
        Window length in seconds (ANIMAL-SPOT's ``sequence_len`` / 1000).
    checkpoint_dir, log_dir, summary_dir, cache_dir : Path, optional
        Default to ``<model_dir>/../checkpoints``, ``../logs``, ``../summaries`` and
        ``<data_dir>/cache``.
    resnet, conv_kernel_size, max_pool, num_classes, width, pooling
        :func:`build_model` arguments.
    batch_size, lr, beta1, scale_lr
        Adam with ``lr * batch_size`` when ``scale_lr`` (ANIMAL-SPOT), betas (beta1, 0.999).
    max_train_epochs, epochs_per_eval, lr_patience_epochs, lr_decay_factor,
    early_stopping_patience_epochs
        Loop control, in epochs, as in ANIMAL-SPOT.
    augmentation : bool
        Augment the training clips (random crop position plus ``augment_policy``).
    augment_policy : str
        ``animalspot`` (pitch shift, time stretch, amplitude change) or ``field``
        (background of other tapes mixed in, random recorder response, small time shifts,
        time and frequency masks).
    label_smoothing : float
        Label smoothing of the cross-entropy loss, in [0, 1).
    ema_decay : float
        Exponential moving average of the weights (and batch-norm statistics) after every
        step, in [0, 1): validation, the best-epoch choice and the saved model use the
        average. 0 (the default) trains without one.
    val_metric : str
        One of :data:`VAL_METRICS` (default ``f1_target``: F1 of the target class).
    balance : str
        ``weights`` (class-weighted loss), ``sampler`` (balanced sampling) or ``none``.
    seed : int
        Seeds weights, sampling and augmentation; same seed, same weights on CPU.
    keep_checkpoints : int
        Newest checkpoints kept.
    amp : bool
        Mixed precision on CUDA (ignored on CPU).

    Examples
    --------
    >>> cfg = TrainConfig.from_cfg("TRAINING/cfg/v1/alpaca_server.cfg")  # doctest: +SKIP
    >>> cfg.window_frames  # doctest: +SKIP
    17
    """

    data_dir: Path
    model_dir: Path
    spectrogram: SpectrogramConfig
    window_s: float = 0.4
    checkpoint_dir: Path | None = None
    log_dir: Path | None = None
    summary_dir: Path | None = None
    cache_dir: Path | None = None
    use_cache: bool = True
    resnet: int = 18
    conv_kernel_size: int = 7
    max_pool: int = 2
    num_classes: int = 2
    width: int = 64
    pooling: str = "avg"
    batch_size: int = 16
    lr: float = 1e-5
    beta1: float = 0.5
    scale_lr: bool = True
    max_train_epochs: int = 40
    epochs_per_eval: int = 2
    lr_patience_epochs: int = 8
    lr_decay_factor: float = 0.5
    early_stopping_patience_epochs: int = 10
    augmentation: bool = True
    augment_policy: str = "animalspot"
    label_smoothing: float = 0.0
    ema_decay: float = 0.0
    val_metric: str = "f1_target"
    balance: str = "weights"
    seed: int = 0
    keep_checkpoints: int = 5
    num_workers: int = 0
    no_cuda: bool = False
    amp: bool = False
    start_from_scratch: bool = False
    deterministic: bool = True
    torch_threads: int | None = None
    debug: bool = False

    def __post_init__(self) -> None:
        for name in ("data_dir", "model_dir", "checkpoint_dir", "log_dir", "summary_dir",
                     "cache_dir"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, Path):
                object.__setattr__(self, name, Path(value))
        positive = ("batch_size", "max_train_epochs", "epochs_per_eval", "keep_checkpoints",
                    "width", "num_classes")
        for name in positive:
            if int(getattr(self, name)) < 1:
                raise ConfigError(f"{name} must be >= 1, got {getattr(self, name)!r}")
        if self.window_s <= 0:
            raise ConfigError(f"window_s must be > 0, got {self.window_s!r}")
        if self.lr <= 0 or not 0 <= self.beta1 < 1:
            raise ConfigError(f"need lr > 0 and 0 <= beta1 < 1, got {self.lr!r}, {self.beta1!r}")
        if not 0 < self.lr_decay_factor <= 1:
            raise ConfigError(f"lr_decay_factor must be in (0, 1], got {self.lr_decay_factor!r}")
        if self.val_metric not in VAL_METRICS:
            raise ConfigError(f"val_metric must be one of {list(VAL_METRICS)}, "
                              f"got {self.val_metric!r}")
        if self.balance not in BALANCE_MODES:
            raise ConfigError(f"balance must be one of {list(BALANCE_MODES)}, "
                              f"got {self.balance!r}")
        from alpacaspot.models._augment import AUGMENT_POLICIES

        if self.augment_policy not in AUGMENT_POLICIES:
            raise ConfigError(f"augment_policy must be one of {list(AUGMENT_POLICIES)}, "
                              f"got {self.augment_policy!r}")
        if not 0.0 <= self.label_smoothing < 1.0:
            raise ConfigError(f"label_smoothing must be in [0, 1), got {self.label_smoothing!r}")
        if not 0.0 <= self.ema_decay < 1.0:
            raise ConfigError(f"ema_decay must be in [0, 1), got {self.ema_decay!r}")
        if self.num_workers < 0:
            raise ConfigError(f"num_workers must be >= 0, got {self.num_workers!r}")
        if self.spectrogram.window_frames(self.window_s) < 1:
            raise ConfigError(
                f"window_s={self.window_s} is shorter than one STFT frame "
                f"(n_fft={self.spectrogram.n_fft} at sr={self.spectrogram.sr})"
            )

    # ---- derived values -------------------------------------------------------------
    @property
    def window_frames(self) -> int:
        """Frames of one training/prediction window."""
        return int(self.spectrogram.window_frames(self.window_s))

    @property
    def model_path(self) -> Path:
        """``<model_dir>/model.pt``."""
        return self.model_dir / "model.pt"

    def resolved_dir(self, kind: str) -> Path:
        """The checkpoint, log, summary or cache folder, defaults applied.

        Examples
        --------
        >>> cfg.resolved_dir("log")  # doctest: +SKIP
        PosixPath('runs/v1/logs')
        """
        explicit = getattr(self, f"{kind}_dir")
        if explicit is not None:
            return explicit
        if kind == "cache":
            return self.data_dir / "cache"
        return self.model_dir.parent / {"checkpoint": "checkpoints", "log": "logs",
                                         "summary": "summaries"}[kind]

    @property
    def architecture(self) -> dict[str, Any]:
        """The :func:`build_model` keyword arguments."""
        return {
            "resnet": self.resnet,
            "num_classes": self.num_classes,
            "conv_kernel_size": self.conv_kernel_size,
            "max_pool": self.max_pool,
            "in_channels": 1,
            "width": self.width,
            "pooling": self.pooling,
        }

    def to_dict(self) -> dict[str, Any]:
        """Primitives only (paths as strings, the spectrogram config as a dict).

        Examples
        --------
        >>> TrainConfig.from_dict(cfg.to_dict()) == cfg  # doctest: +SKIP
        True
        """
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "spectrogram":
                value = value.to_dict()
            elif isinstance(value, Path):
                value = value.as_posix()
            out[f.name] = value
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TrainConfig:
        """Inverse of :meth:`to_dict`.

        Examples
        --------
        >>> TrainConfig.from_dict(cfg.to_dict())  # doctest: +SKIP
        """
        from alpacaspot.dsp import SpectrogramConfig

        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ConfigError(f"unknown TrainConfig keys {unknown}; allowed: {sorted(known)}")
        values = dict(d)
        spec = values.get("spectrogram")
        if isinstance(spec, Mapping):
            values["spectrogram"] = SpectrogramConfig.from_dict(dict(spec))
        return cls(**values)

    def fingerprint(self) -> str:
        """Hash of every setting that changes the trained weights (not folders or workers).

        A checkpoint written under another fingerprint is not resumed from.

        Examples
        --------
        >>> len(cfg.fingerprint())  # doctest: +SKIP
        16
        """
        d = self.to_dict()
        for k in ("model_dir", "checkpoint_dir", "log_dir", "summary_dir", "cache_dir",
                  "use_cache", "num_workers", "no_cuda", "start_from_scratch", "debug",
                  "keep_checkpoints", "torch_threads"):
            d.pop(k, None)
        # settings added later leave the fingerprints of configs that keep their defaults
        for k, default in (("augment_policy", "animalspot"), ("label_smoothing", 0.0),
                           ("ema_decay", 0.0)):
            if d.get(k) == default:
                d.pop(k)
        blob = json.dumps(d, sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:16]

    # ---- cfg files ------------------------------------------------------------------
    def to_cfg_values(self) -> dict[str, Any]:
        """The values of an equivalent training cfg, for :func:`write_cfg`.

        Write them with ``write_cfg(path, values, kind="train", extra_keys=TRAIN_EXTRA_KEYS)``;
        :meth:`from_cfg` reads the file back to an equal config (folders as written).

        Raises
        ------
        ConfigError
            When a setting has no cfg key (an analysis window other than Hann).

        Examples
        --------
        >>> values = cfg.to_cfg_values()  # doctest: +SKIP
        >>> write_cfg("alpaca_server.cfg", values, kind="train",
        ...           extra_keys=TRAIN_EXTRA_KEYS)  # doctest: +SKIP
        """
        spec = self.spectrogram
        if spec.window != "hann":
            raise ConfigError(f"window={spec.window!r} cannot be written to a training cfg")

        def p(value: Path | None) -> str | None:
            return None if value is None else value.as_posix()

        values: dict[str, Any] = {
            "data_dir": p(self.data_dir), "model_dir": p(self.model_dir),
            "checkpoint_dir": p(self.resolved_dir("checkpoint")),
            "log_dir": p(self.resolved_dir("log")), "summary_dir": p(self.resolved_dir("summary")),
            "cache_dir": p(self.resolved_dir("cache")), "noise_dir": None,
            "start_from_scratch": self.start_from_scratch, "debug": self.debug,
            "max_train_epochs": self.max_train_epochs, "epochs_per_eval": self.epochs_per_eval,
            "batch_size": self.batch_size, "num_workers": self.num_workers,
            "no_cuda": self.no_cuda, "lr": repr(self.lr), "beta1": repr(self.beta1),
            "lr_patience_epochs": self.lr_patience_epochs,
            "lr_decay_factor": repr(self.lr_decay_factor),
            "early_stopping_patience_epochs": self.early_stopping_patience_epochs,
            "sequence_len": f"{self.window_s * 1000:g}", "window_s": repr(self.window_s),
            "freq_compression": spec.compression, "n_freq_bins": spec.n_freq_bins,
            "n_fft": spec.n_fft, "hop_length": spec.hop_length, "sr": spec.sr,
            "fmin": repr(float(spec.fmin)), "fmax": repr(float(spec.fmax)),
            "preemphases": repr(float(spec.preemphasis)),
            "min_level_db": repr(float(spec.min_level_db)),
            "ref_level_db": repr(float(spec.ref_level_db)),
            "min_max_norm": spec.normalization == "minmax",
            "normalization": spec.normalization,
            "augmentation": self.augmentation, "resnet": self.resnet,
            "conv_kernel_size": self.conv_kernel_size, "num_classes": self.num_classes,
            "max_pool": self.max_pool, "width": self.width, "pooling": self.pooling,
            "seed": self.seed, "val_metric": self.val_metric, "balance": self.balance,
            "amp": "true" if self.amp else "false",
            "scale_lr": "true" if self.scale_lr else "false",
            "keep_checkpoints": self.keep_checkpoints,
            "deterministic": "true" if self.deterministic else "false",
        }
        if self.torch_threads is not None:
            values["torch_threads"] = self.torch_threads
        if self.augment_policy != "animalspot":
            values["augment_policy"] = self.augment_policy
        if self.label_smoothing:
            values["label_smoothing"] = repr(float(self.label_smoothing))
        if self.ema_decay:
            values["ema_decay"] = repr(float(self.ema_decay))
        return values

    @classmethod
    def from_cfg(cls, path: str | os.PathLike[str], **overrides: Any) -> TrainConfig:
        """Read an ANIMAL-SPOT-style training cfg (plus :data:`TRAIN_EXTRA_KEYS`).

        Relative folders are taken relative to the cfg file's folder.

        Raises
        ------
        ConfigError
            Unknown key (listing the allowed ones), bad value or missing required key,
            naming the file and the key.

        Examples
        --------
        >>> cfg = TrainConfig.from_cfg("alpaca_server.cfg", num_workers=0)  # doctest: +SKIP
        """
        from alpacaspot.io.animalspot import read_cfg

        path = Path(path)
        values = read_cfg(path, kind="train", extra_keys=TRAIN_EXTRA_KEYS)
        return config_from_values(cls, values, path, overrides)
