"""The predict.cfg / eval.cfg values the benchmark factory writes for one tag."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from alpacaspot.io.animalspot import write_cfg
from alpacaspot.pipeline.variants import BenchmarkVariant

__all__ = ["predict_values", "eval_values", "predict_extra_keys", "eval_extra_keys"]

_PREDICT_EXTRA_FALLBACK: tuple[str, ...] = ("scores_dir", "input_root")
_EVAL_EXTRA_FALLBACK: tuple[str, ...] = ("scores_dir", "corpus_root", "sequence_len", "hop")


def _detect_keys(name: str, fallback: tuple[str, ...]) -> tuple[str, ...]:
    """Extra cfg keys as the detection layer defines them (torch-free module), else fallback."""
    for module in ("alpacaspot.detect.cfg",):
        try:
            mod = importlib.import_module(module)
        except ImportError:
            continue
        keys = getattr(mod, name, None)
        if keys is not None:
            return tuple(keys)
    return fallback


def predict_extra_keys() -> tuple[str, ...]:
    """Keys a predict.cfg may hold beyond ANIMAL-SPOT's."""
    return _detect_keys("PREDICT_EXTRA_KEYS", _PREDICT_EXTRA_FALLBACK)


def eval_extra_keys() -> tuple[str, ...]:
    """Keys an eval.cfg may hold beyond ANIMAL-SPOT's."""
    return _detect_keys("EVALUATE_EXTRA_KEYS", _EVAL_EXTRA_FALLBACK)


def _num(x: float) -> str:
    return f"{x:.6f}".rstrip("0").rstrip(".")


def predict_values(path: Path, *, model_path: Path, corpus_root: Path, run_dir: Path,
                   scores_dir: Path, variant: BenchmarkVariant) -> Path:
    """Write one tag's predict.cfg (ANIMAL-SPOT keys, seconds) and return its path."""
    extra = predict_extra_keys()
    values: dict[str, str | bool | None] = {
        "model_path": str(model_path),
        "input_file": str(corpus_root),
        "output_dir": str(run_dir / "prediction"),
        "log_dir": str(run_dir / "prediction"),
        "sequence_len": _num(variant.seq_len),
        "hop": _num(variant.hop),
        "threshold": _num(variant.threshold),
    }
    optional = {"input_root": str(corpus_root), "scores_dir": str(scores_dir)}
    values.update({k: v for k, v in optional.items() if k in extra})
    write_cfg(path, values, kind="predict", extra_keys=extra)
    return path


def eval_values(path: Path, *, corpus_root: Path, run_dir: Path, scores_dir: Path,
                variant: BenchmarkVariant, postprocess: dict[str, Any] | None = None) -> Path:
    """Write one tag's eval.cfg (with the variants file's post-processing) and return it."""
    extra = eval_extra_keys()
    values: dict[str, str | bool | None] = {
        "prediction_dir": str(run_dir / "prediction"),
        "output_dir": str(run_dir / "evaluation"),
        "threshold": _num(variant.threshold),
    }
    optional = {"scores_dir": str(scores_dir), "corpus_root": str(corpus_root),
                "sequence_len": _num(variant.seq_len), "hop": _num(variant.hop)}
    for key, value in (postprocess or {}).items():
        optional[key] = value if isinstance(value, str) else _num(float(value))
    values.update({k: v for k, v in optional.items() if k in extra})
    write_cfg(path, values, kind="evaluate", extra_keys=extra)
    return path
