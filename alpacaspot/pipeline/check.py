"""Pre-run checks of a pipeline root: find every problem before anything is submitted.

On a cluster a mistake found after submission costs hours in the queue. :func:`check` looks at
every input the next stage needs (corpus index against the audio on disk, variants files,
dataset variants, trained models, Slurm settings, free disk) without running anything heavy,
and reports all problems at once, each with the file and what to do about it.

Stages and what they check:

``"train"``
    the training variants file, every active variant's dataset (non-empty splits with both
    classes, clip files present) and its corpus, the training Slurm settings and scripts, and
    room for models and checkpoints.
``"benchmark"``
    the benchmark variants file (thresholds in (0, 1), hop not longer than the window, no
    duplicate tags), the benchmark corpus against its audio, the trained models the benchmark
    names (present, spectrogram settings as trained), the prediction Slurm settings and
    scripts, and room for the window scores.
``"evaluate"``
    the generated ``eval.cfg`` files, the window scores they read, the evaluation Slurm
    settings (no GPU request) and scripts, and room for the detections.

``stage=None`` checks every stage whose inputs are present: training always, the benchmark
when a benchmark variants file or ``BENCHMARK/cfg`` exists, evaluation when ``eval.cfg`` files
exist. The later stages are then checked as pending: models and window scores that earlier
stages will make are reported as warnings when missing.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from alpacaspot.errors import ConfigError
from alpacaspot.pipeline import check_runs
from alpacaspot.pipeline.problems import CheckReport, Collector, Problem

__all__ = ["Problem", "CheckReport", "STAGES", "check", "require_ok"]

_log = logging.getLogger(__name__)

#: The stages :func:`check` knows, in pipeline order.
STAGES: tuple[str, ...] = ("train", "benchmark", "evaluate")

#: Former private name of :class:`~alpacaspot.pipeline.problems.Collector`.
_Collector = Collector


def _stages_for(root: Path, stage: str | None, context: object) -> tuple[str, ...]:
    if stage is not None:
        if stage not in STAGES:
            raise ConfigError(f"unknown stage {stage!r}; expected one of {list(STAGES)}")
        return (stage,)
    return check_runs.present_stages(root, context)


def check(
    root: str | os.PathLike[str] = ".",
    *,
    stage: str | None = None,
    train_variants: str | os.PathLike[str] | None = None,
    benchmark_variants: str | os.PathLike[str] | list[Any] | dict[str, Any] | None = None,
    corpus_root: str | os.PathLike[str] | None = None,
    models: Mapping[str, str | os.PathLike[str]] | None = None,
    generated: bool = True,
    pending: bool = False,
    run_sbatch: bool = True,
    slurm: bool | None = None,
) -> CheckReport:
    """Check every input a pipeline stage needs; report all problems at once.

    Nothing heavy runs: tables and headers are read, files are listed and stat-ed, and models
    are loaded (torch is imported only when the benchmark stage is checked and models exist).

    Parameters
    ----------
    root : path-like
        The pipeline root, holding ``TRAINING/`` and ``BENCHMARK/``.
    stage : {"train", "benchmark", "evaluate"}, optional
        The stage about to run; None checks every stage whose inputs are present.
    train_variants, benchmark_variants : path-like, optional
        The variants files (benchmark variants may also be given loaded, as a list or dict);
        by default the copies the factories keep (``TRAINING/cfg/train_variants.json``,
        ``BENCHMARK/benchmark_variants.json``), else the seed's ``tools/*.json``.
    corpus_root : path-like, optional
        The benchmark corpus; by default the one the benchmark factory wrote into the cfgs.
    models : mapping, optional
        Model name -> model file the benchmark uses; by default the models the generated
        ``predict.cfg`` files name, else every trained model and every active training
        variant.
    generated : bool
        Also check the stage's generated cfgs and job scripts. Factories pass False: they
        are about to (re)write them.
    pending : bool
        Outputs of earlier stages (trained models, window scores) may still be in the making
        (a chained submission, or a factory run while the previous array runs): their absence
        is then a warning, not an error.
    run_sbatch : bool
        Run ``sbatch --test-only`` on the generated job scripts when ``sbatch`` exists.
    slurm : bool, optional
        Whether the stages will run on Slurm: missing partition or time limit are then
        errors, else warnings. None (default): when a Slurm controller answers here.

    Returns
    -------
    CheckReport
        ``report.ok`` is True when no problem is an error.

    Examples
    --------
    >>> import tempfile
    >>> report = check(tempfile.mkdtemp(), stage="train")
    >>> report.ok
    False
    >>> print(report.format())  # doctest: +SKIP
    alpacaspot check of /tmp/...: stages train: FAILED (1 errors, 0 warnings)
    [error] train: no training variants file found ...
    """
    root_path = Path(root)
    found = Collector()
    context = check_runs.locate(
        root_path,
        train_variants=train_variants,
        benchmark_variants=benchmark_variants,
        corpus_root=corpus_root,
        models=models,
        generated=generated,
        pending=pending,
        run_sbatch=run_sbatch,
        slurm=slurm,
    )
    stages = _stages_for(root_path, stage, context)
    if not root_path.is_dir():
        found.add(stages[0] if stages else "train", root_path, "pipeline root is not a folder",
                  "pass the folder that holds TRAINING/ and BENCHMARK/")
    else:
        for i, name in enumerate(stages):
            # checking the whole pipeline at once: later stages wait for earlier outputs
            ctx = dataclasses.replace(context, pending=True) if stage is None and i else context
            check_runs.check_stage(found, root_path, name, ctx)
    report = CheckReport(
        root=os.fspath(root_path),
        stages=stages,
        problems=tuple(found.problems),
        checks=tuple(found.checks),
    )
    _log.info("check %s: %d errors, %d warnings", root_path, len(report.errors),
              len(report.warnings))
    return report


def require_ok(
    root: str | os.PathLike[str] = ".",
    stage: str | None = None,
    **kwargs: object,
) -> CheckReport:
    """Run :func:`check` and raise when it finds an error.

    Factories and drivers call this before they generate or submit anything, so that a
    broken input stops the pipeline with the full report instead of hours later in the queue.

    Parameters
    ----------
    root : path-like
        The pipeline root.
    stage : str, optional
        The stage about to run (see :func:`check`).
    **kwargs
        Passed on to :func:`check` (``train_variants``, ``benchmark_variants``,
        ``corpus_root``, ``models``, ``generated``, ``pending``, ``run_sbatch``,
        ``slurm``).

    Returns
    -------
    CheckReport
        The report (it may hold warnings).

    Raises
    ------
    ConfigError
        When the report holds an error; the message is the full report.

    Examples
    --------
    >>> import tempfile
    >>> require_ok(tempfile.mkdtemp(), "train")  # doctest: +SKIP
    Traceback (most recent call last):
    alpacaspot.errors.ConfigError: ...: pre-run check failed ...
    """
    report = check(root, stage=stage, **kwargs)  # type: ignore[arg-type]
    for problem in report.warnings:
        _log.warning("%s", problem.format())
    if not report.ok:
        raise ConfigError(
            "pre-run check failed (run `alpacaspot check` after fixing, or pass --no-check "
            "to skip):\n" + report.format(),
            path=os.fspath(root),
        )
    return report

