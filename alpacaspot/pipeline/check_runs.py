"""Pre-run checks per stage: which inputs each stage needs and where they live.

Used by :func:`alpacaspot.pipeline.check`. :func:`locate` finds the variants files and the
benchmark corpus, :func:`present_stages` picks the stages worth checking when none is named,
and :func:`check_stage` runs one stage's checks, each guarded so that a raised
:class:`~alpacaspot.errors.AlpacaspotError` becomes one reported problem and the other checks
still run. torch is imported only to load models for the benchmark stage.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alpacaspot.errors import AlpacaspotError
from alpacaspot.io.layout import CORPUS_INDEX_FILE, CORPUS_RECORDINGS_FILE
from alpacaspot.pipeline import check_data, check_models, check_slurm
from alpacaspot.pipeline.check_variants import (
    find_variants_file,
    load_benchmark,
    load_train,
    slurm_dict,
    train_extra_keys,
    variant_settings,
)
from alpacaspot.pipeline.problems import Collector
from alpacaspot.pipeline.variants import BenchmarkVariants, TrainVariants

__all__ = ["Context", "locate", "present_stages", "check_stage"]

# Rough output sizes for the free-disk check.
_PARAMS = {18: 11.2e6, 34: 21.3e6, 50: 23.5e6}
_CHECKPOINTS_KEPT = 5
_BYTES_PER_WINDOW = 64  # one window-score row (Parquet, uncompressed upper bound)
_BYTES_PER_DETECTION_FILE = 64 * 1024


@dataclass(frozen=True)
class Context:
    """Where a pipeline root's inputs are (found by :func:`locate`) and how to check them.

    Attributes
    ----------
    root : Path
        The pipeline root.
    train_variants : Path or None
        The training variants file.
    benchmark_variants : Path, list, dict or None
        The benchmark variants file (or its already loaded content).
    corpus_root : Path or None
        The benchmark corpus, when given.
    models : dict or None
        Model name -> model file the benchmark will use, when given.
    generated : bool
        Check the stage's generated cfgs and job scripts (False before its factory ran).
    pending : bool
        Earlier stages' outputs (models, window scores) may still be in the making: their
        absence is a warning.
    run_sbatch : bool
        Hand generated job scripts to ``sbatch --test-only`` where it exists.
    slurm : bool or None
        The stages run on Slurm (incomplete settings are errors); None: when a Slurm
        controller answers here.
    """

    root: Path
    train_variants: Path | None
    benchmark_variants: Path | list[Any] | dict[str, Any] | None
    corpus_root: Path | None
    models: dict[str, Path] | None = None
    generated: bool = True
    pending: bool = False
    run_sbatch: bool = True
    slurm: bool | None = None


def locate(
    root: Path,
    *,
    train_variants: str | os.PathLike[str] | None = None,
    benchmark_variants: str | os.PathLike[str] | list[Any] | dict[str, Any] | None = None,
    corpus_root: str | os.PathLike[str] | None = None,
    models: Mapping[str, str | os.PathLike[str]] | None = None,
    generated: bool = True,
    pending: bool = False,
    run_sbatch: bool = True,
    slurm: bool | None = None,
) -> Context:
    """Find the variants files and the benchmark corpus of a pipeline root.

    Explicit arguments win; otherwise the copies the factories keep under ``root`` are used.

    Examples
    --------
    >>> locate(Path("/nonexistent")).train_variants is None
    True
    """
    if benchmark_variants is None:
        bench: Path | list[Any] | dict[str, Any] | None = find_variants_file(root, "benchmark")
    elif isinstance(benchmark_variants, (list, dict)):
        bench = benchmark_variants
    else:
        bench = Path(benchmark_variants)
    return Context(
        root=root,
        train_variants=Path(train_variants) if train_variants is not None
        else find_variants_file(root, "train"),
        benchmark_variants=bench,
        corpus_root=None if corpus_root is None else Path(corpus_root),
        models=None if models is None else {str(k): Path(v) for k, v in models.items()},
        generated=generated,
        pending=pending,
        run_sbatch=run_sbatch,
        slurm=slurm,
    )


def _eval_cfgs(root: Path) -> list[Path]:
    cfg = root / "BENCHMARK" / "cfg"
    if not cfg.is_dir():
        return []
    return sorted(cfg.glob("*/*/eval.cfg"))


def present_stages(root: Path, context: Context) -> tuple[str, ...]:
    """The stages whose inputs exist: training always, then benchmark and evaluation.

    Examples
    --------
    >>> present_stages(Path("/nonexistent"), locate(Path("/nonexistent")))
    ('train',)
    """
    stages = ["train"]
    if context.benchmark_variants is not None or (root / "BENCHMARK" / "cfg").is_dir():
        stages.append("benchmark")
    if _eval_cfgs(root):
        stages.append("evaluate")
    return tuple(stages)


def check_stage(found: Collector, root: Path, stage: str, context: Context) -> None:
    """Run every check of one stage, adding problems to ``found`` (a collector)."""
    if stage == "train":
        _check_train(found, root, context)
    elif stage == "benchmark":
        _check_benchmark(found, root, context)
    else:
        _check_evaluate(found, root, context)


def _where(source: object) -> Path | None:
    return source if isinstance(source, Path) else None


def _check_scripts(found: Collector, stage: str, folder: Path, pattern: str,
                   context: Context) -> None:
    scripts = sorted(folder.glob(pattern)) if folder.is_dir() else []
    with found.guard(stage, "job scripts", folder):
        check_slurm.check_scripts(found, stage, scripts, run_sbatch=context.run_sbatch,
                                  slurm=context.slurm)


# ---------------------------------------------------------------------------------- train


def _load_train(
    found: Collector, root: Path, context: Context, stage: str
) -> TrainVariants | None:
    if context.train_variants is None:
        found.add(stage, root, "no training variants file found",
                  "pass train_variants= or run alpacaspot.pipeline.training_factory with your "
                  "train_variants.json (the seed keeps it in tools/train_variants.json)")
        return None
    plan: TrainVariants | None = None
    with found.guard(stage, "train variants", context.train_variants,
                     "fix the training variants file"):
        plan = load_train(context.train_variants, root=root)
    return plan


def _check_train(found: Collector, root: Path, context: Context) -> None:
    stage = "train"
    plan = _load_train(found, root, context, stage)
    if plan is not None:
        corpora: set[Path] = set()
        for name in plan.active:
            dataset = plan.dataset_dir(name)
            with found.guard(stage, f"dataset {name}", dataset):
                check_data.check_dataset(found, stage, dataset)
            corpora.add(dataset.parent)
        for corpus in sorted(corpora):
            marks = (CORPUS_RECORDINGS_FILE, CORPUS_INDEX_FILE, "corpus_index.json")
            if any((corpus / m).exists() for m in marks):
                with found.guard(stage, f"corpus {corpus.name}", corpus):
                    check_data.check_corpus(found, stage, corpus)
        with found.guard(stage, "slurm settings", plan.path):
            check_slurm.check_slurm_settings(found, stage, slurm_dict(plan.slurm.get("train")),
                                             plan.path, slurm=context.slurm)
        need = sum(_train_bytes(plan, name) for name in plan.active)
        with found.guard(stage, "disk space", plan.runs_root):
            check_slurm.check_disk(found, stage, plan.runs_root, need,
                                   f"{len(plan.active)} model(s) and their checkpoints")
    if not context.generated:
        return
    for cfg in sorted((root / "TRAINING" / "cfg").glob("*/alpaca_server.cfg")):
        with found.guard(stage, "training cfg", cfg, "run the training factory again"):
            from alpacaspot.io.animalspot import read_cfg

            read_cfg(cfg, kind="train", extra_keys=train_extra_keys())
    _check_scripts(found, stage, root / "TRAINING" / "jobs", "*.sbatch", context)


def _quiet_train(root: Path, context: Context) -> TrainVariants | None:
    """The training variants when they parse (their problems belong to the train stage)."""
    if context.train_variants is None:
        return None
    try:
        return load_train(context.train_variants, root=root)
    except AlpacaspotError:
        return None


def _train_bytes(plan: TrainVariants, name: str) -> int:
    try:
        resnet = int(variant_settings(plan, name).get("resnet", 18) or 18)
    except (TypeError, ValueError):
        resnet = 18
    weights = _PARAMS.get(resnet, _PARAMS[50]) * 4
    # final model + checkpoints holding weights and Adam's two moment buffers
    return int(weights + _CHECKPOINTS_KEPT * 3 * weights)


# ------------------------------------------------------------------------------ benchmark


def _check_benchmark(found: Collector, root: Path, context: Context) -> None:
    stage = "benchmark"
    bplan: BenchmarkVariants | None = None
    if context.benchmark_variants is None:
        found.add(stage, root, "no benchmark variants file found",
                  "pass benchmark_variants= or run alpacaspot.pipeline.benchmark_factory with "
                  "your benchmark_variants.json")
    else:
        with found.guard(stage, "benchmark variants", _where(context.benchmark_variants),
                         "fix the benchmark variants file"):
            bplan = load_benchmark(context.benchmark_variants)
    recorded = check_models.recorded_corpus(root) if context.generated else None
    corpus = context.corpus_root or recorded
    if corpus is None:
        found.add(stage, root, "benchmark corpus unknown: the check could not compare its "
                  "index with the audio",
                  "pass corpus_root= to alpacaspot.pipeline.check, or run the benchmark "
                  "factory, which records it", severity="warning")
    else:
        with found.guard(stage, "benchmark corpus", corpus):
            check_data.check_corpus(found, stage, corpus)
    tplan = _quiet_train(root, context)
    if context.models is not None:
        models = sorted(context.models.items())
    else:
        models = check_models.benchmark_models(root, tplan, from_cfgs=context.generated)
    if not models:
        found.add(stage, root / "TRAINING" / "runs" / "models",
                  "the benchmark names no trained model", "train the models first (stage train)")
    named = dict(models)
    for name, path in models:
        with found.guard(stage, f"model {name}", path):
            check_models.check_shared_model(found, root, name, path, named, bplan, tplan,
                                            pending=context.pending)
    if bplan is not None:
        with found.guard(stage, "slurm settings", bplan.path):
            check_slurm.check_slurm_settings(found, stage,
                                             slurm_dict(bplan.slurm.get("predict")), bplan.path,
                                             slurm=context.slurm)
        seconds = check_data.corpus_duration_s(corpus) if corpus is not None else 0.0
        grids = {(v.seq_len, v.hop) for v in bplan.variants}
        windows = sum(seconds / hop for _, hop in grids)
        need = int(len(models) * windows * _BYTES_PER_WINDOW)
        with found.guard(stage, "disk space", root / "BENCHMARK"):
            check_slurm.check_disk(found, stage, root / "BENCHMARK", need, "window scores")
        _stale_outputs(found, root, {n for n, _ in models})
    if context.generated:
        _check_scripts(found, stage, root / "BENCHMARK" / "jobs", "pred_*.batch", context)


def _stale_outputs(found: Collector, root: Path, models: set[str]) -> None:
    cfg = root / "BENCHMARK" / "cfg"
    if not cfg.is_dir():
        return
    stale = sorted(p.name for p in cfg.iterdir() if p.is_dir() and p.name not in models)
    if stale:
        found.add("benchmark", cfg,
                  f"outputs of models the benchmark no longer names: {', '.join(stale)}",
                  "remove old benchmark outputs with `alpacaspot clean --benchmark`",
                  severity="warning")


# ------------------------------------------------------------------------------- evaluate


def _check_evaluate(found: Collector, root: Path, context: Context) -> None:
    stage = "evaluate"
    cfgs = _eval_cfgs(root)
    if not cfgs:
        found.add(stage, root / "BENCHMARK" / "cfg", "no eval.cfg found",
                  "run alpacaspot.pipeline.benchmark_factory first")
    n_tags = 0
    for cfg in cfgs:
        with found.guard(stage, "eval cfg", cfg, "run the benchmark factory again"):
            _check_eval_cfg(found, cfg, pending=context.pending)
            n_tags += 1
    if context.benchmark_variants is not None:
        with found.guard(stage, "benchmark variants", _where(context.benchmark_variants)):
            bplan = load_benchmark(context.benchmark_variants)
            check_slurm.check_slurm_settings(found, stage,
                                             slurm_dict(bplan.slurm.get("evaluate")), bplan.path,
                                             slurm=context.slurm)
    with found.guard(stage, "disk space", root / "BENCHMARK"):
        check_slurm.check_disk(found, stage, root / "BENCHMARK",
                               n_tags * _BYTES_PER_DETECTION_FILE, "detections")
    if context.generated:
        _check_scripts(found, stage, root / "BENCHMARK" / "jobs", "eval_*.batch", context)


def _check_eval_cfg(found: Collector, cfg: Path, *, pending: bool) -> None:
    values = check_models.read_tag_cfg(cfg)
    threshold = values.get("threshold")
    try:
        th = float(str(threshold))
    except ValueError:
        th = float("nan")
    if not 0.0 < th < 1.0:
        found.add("evaluate", cfg, f"threshold={threshold!r} is not in (0, 1)",
                  "fix the benchmark variants and run the benchmark factory again")
    pred = values.get("scores_dir") or values.get("prediction_dir")
    if not isinstance(pred, str) or not pred:
        found.add("evaluate", cfg, "neither scores_dir nor prediction_dir is set",
                  "run the benchmark factory again")
        return
    root = cfg.parents[4]  # <root>/BENCHMARK/cfg/<model>/<tag>/eval.cfg
    pred_dir = Path(pred) if Path(pred).is_absolute() else root / pred
    if not pred_dir.is_dir() or not any(
        p.suffix in (".parquet", ".log") for p in pred_dir.rglob("*") if p.is_file()
    ):
        found.add("evaluate", pred_dir, "no window scores to evaluate yet",
                  "run the prediction array first (bash BENCHMARK/jobs/pred_models.batch)",
                  severity="warning" if pending else "error")
