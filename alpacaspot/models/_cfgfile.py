"""Typed values of an ANIMAL-SPOT-style training cfg -> :class:`TrainConfig`."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from alpacaspot.errors import ConfigError
from alpacaspot.io.animalspot.train_keys import BALANCE_MODES, VAL_METRICS

_C = TypeVar("_C")

__all__ = ["config_from_values"]


def _parse(values: Mapping[str, Any], key: str, conv: Callable[[str], Any], default: Any,
           path: Path, expected: str) -> Any:
    raw = values.get(key)
    if raw is None:
        return default
    if isinstance(raw, bool):
        if conv is _to_bool:
            return raw
        raise ConfigError(f"{key} needs a value ({expected}), got a bare flag", path=path)
    try:
        return conv(str(raw).strip())
    except (ValueError, TypeError):
        raise ConfigError(f"{key}={raw!r}: expected {expected}", path=path) from None


def _to_bool(s: str) -> bool:
    low = s.lower()
    if low in ("true", "1", "yes"):
        return True
    if low in ("false", "0", "no"):
        return False
    raise ValueError(s)


def config_from_values(
    make: Callable[..., _C], values: Mapping[str, Any], path: Path, overrides: Mapping[str, Any]
) -> _C:
    """``make(**settings)`` (the :class:`~alpacaspot.models.TrainConfig` class) from the
    :func:`~alpacaspot.io.animalspot.read_cfg` values of the cfg at ``path``."""
    from alpacaspot.dsp import SpectrogramConfig

    base = path.parent

    def _path(key: str, required: bool = False) -> Path | None:
        raw = values.get(key)
        if raw is None or isinstance(raw, bool):
            if required:
                raise ConfigError(f"missing required key {key!r}", path=path)
            return None
        p = Path(str(raw).strip()).expanduser()
        return p if p.is_absolute() else base / p

    def P(key: str, conv: Callable[[str], Any], default: Any, expected: str) -> Any:  # noqa: N802
        return _parse(values, key, conv, default, path, expected)

    try:
        spec = SpectrogramConfig.from_animalspot_cfg(dict(values), path=path)
    except ConfigError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise ConfigError(f"bad spectrogram settings: {exc}", path=path) from None
    norm = values.get("normalization")
    if isinstance(norm, str):
        spec = dataclasses.replace(spec, normalization=norm.strip())
    window_s = P("window_s", float, None, "seconds")
    if window_s is None:
        window_s = P("sequence_len", float, 400.0, "milliseconds") / 1000.0
    noise_dir = _path("noise_dir")
    if noise_dir is not None:
        raise ConfigError("noise_dir (additive noise augmentation) is not supported; "
                          "set noise_dir=None", path=path)
    kwargs: dict[str, Any] = dict(
        data_dir=_path("data_dir", required=True),
        model_dir=_path("model_dir", required=True),
        checkpoint_dir=_path("checkpoint_dir"),
        log_dir=_path("log_dir"),
        summary_dir=_path("summary_dir"),
        cache_dir=_path("cache_dir"),
        spectrogram=spec,
        window_s=window_s,
        resnet=P("resnet", int, 18, "18, 34 or 50"),
        conv_kernel_size=P("conv_kernel_size", int, 7, "an integer"),
        max_pool=P("max_pool", int, 2, "0, 1 or 2"),
        num_classes=P("num_classes", int, 2, "an integer"),
        width=P("width", int, 64, "an integer"),
        pooling=P("pooling", str, "avg", "avg or max"),
        batch_size=P("batch_size", int, 16, "an integer"),
        lr=P("lr", float, 1e-5, "a number"),
        beta1=P("beta1", float, 0.5, "a number"),
        scale_lr=P("scale_lr", _to_bool, True, "true/false"),
        max_train_epochs=P("max_train_epochs", int, 40, "an integer"),
        epochs_per_eval=P("epochs_per_eval", int, 2, "an integer"),
        lr_patience_epochs=P("lr_patience_epochs", int, 8, "an integer"),
        lr_decay_factor=P("lr_decay_factor", float, 0.5, "a number"),
        early_stopping_patience_epochs=P("early_stopping_patience_epochs", int, 10,
                                         "an integer"),
        augmentation=P("augmentation", _to_bool, False, "true/false"),
        augment_policy=P("augment_policy", str, "animalspot", "animalspot or field"),
        label_smoothing=P("label_smoothing", float, 0.0, "a number in [0, 1)"),
        ema_decay=P("ema_decay", float, 0.0, "a number in [0, 1)"),
        val_metric=P("val_metric", str, "f1_target", f"one of {list(VAL_METRICS)}"),
        balance=P("balance", str, "weights", f"one of {list(BALANCE_MODES)}"),
        seed=P("seed", int, 0, "an integer"),
        keep_checkpoints=P("keep_checkpoints", int, 5, "an integer"),
        num_workers=P("num_workers", int, 0, "an integer"),
        no_cuda=P("no_cuda", _to_bool, False, "true/false"),
        amp=P("amp", _to_bool, False, "true/false"),
        start_from_scratch=P("start_from_scratch", _to_bool, False, "true/false"),
        deterministic=P("deterministic", _to_bool, True, "true/false"),
        torch_threads=P("torch_threads", int, None, "an integer"),
        debug=P("debug", _to_bool, False, "true/false"),
    )
    kwargs.update(overrides)
    try:
        return make(**kwargs)
    except ConfigError as exc:
        raise ConfigError(exc.message, path=path) from None
