"""The predict.cfg / eval.cfg values the benchmark factory writes for one tag.

The keys come from their owners: :mod:`alpacaspot.detect.cfg` (torch-free) for the cfg kinds,
:class:`~alpacaspot.events.PostprocessConfig` for every post-processing line of an eval.cfg.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from alpacaspot.detect.cfg import EVALUATE_EXTRA_KEYS, PREDICT_EXTRA_KEYS
from alpacaspot.events import PostprocessConfig
from alpacaspot.io.animalspot import write_cfg
from alpacaspot.pipeline.variants import BenchmarkVariant

__all__ = ["predict_values", "eval_values", "predict_extra_keys", "eval_extra_keys"]


def predict_extra_keys() -> tuple[str, ...]:
    """Keys a predict.cfg may hold beyond ANIMAL-SPOT's.

    Examples
    --------
    >>> "scores_dir" in predict_extra_keys()
    True
    """
    return PREDICT_EXTRA_KEYS


def eval_extra_keys() -> tuple[str, ...]:
    """Keys an eval.cfg may hold beyond ANIMAL-SPOT's.

    Examples
    --------
    >>> "method" in eval_extra_keys()
    True
    """
    return EVALUATE_EXTRA_KEYS


def _num(x: float) -> str:
    return f"{x:.6f}".rstrip("0").rstrip(".")


def predict_values(path: Path, *, model_path: Path, corpus_root: Path, run_dir: Path,
                   scores_dir: Path, variant: BenchmarkVariant) -> Path:
    """Write one tag's predict.cfg (ANIMAL-SPOT keys, seconds) and return its path.

    A shared-mode variant adds ``mode=shared``; ``model_path`` is then the fitted model.
    """
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
    values.update({"input_root": str(corpus_root), "scores_dir": str(scores_dir)})
    if variant.mode != "exact":
        values["mode"] = variant.mode
    write_cfg(path, values, kind="predict", extra_keys=extra)
    return path


def eval_values(path: Path, *, corpus_root: Path, run_dir: Path, scores_dir: Path,
                variant: BenchmarkVariant,
                postprocess: PostprocessConfig | Mapping[str, Any] | None = None) -> Path:
    """Write one tag's eval.cfg and return its path.

    The post-processing lines come from ``postprocess`` (a config, or the variants file's
    block of cfg keys) with the variant's threshold; ``method=`` is always written, so the cfg
    never falls back to ANIMAL-SPOT's default.
    """
    if postprocess is None or isinstance(postprocess, PostprocessConfig):
        config = postprocess or PostprocessConfig()
    else:
        config = PostprocessConfig.from_mapping(postprocess)
    post = config.replace(threshold=variant.threshold).to_cfg_items()
    values: dict[str, str | bool | None] = {
        "prediction_dir": str(run_dir / "prediction"),
        "output_dir": str(run_dir / "evaluation"),
        "threshold": post.pop("threshold"),
        "scores_dir": str(scores_dir),
        "corpus_root": str(corpus_root),
        "sequence_len": _num(variant.seq_len),
        "hop": _num(variant.hop),
        **post,
    }
    write_cfg(path, values, kind="evaluate", extra_keys=eval_extra_keys())
    return path
