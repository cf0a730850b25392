"""The seed's whole pipeline, steps -1 to 6, as one function on any executor.

``run_pipeline`` makes (or reuses) a training corpus and a separate benchmark corpus, prepares
the dataset variants, writes the training, benchmark and evaluation cfgs and job arrays with
the factories, submits them chained by dependencies (train -> calibrate -> [ensembles ->
calibrate them] -> [fit shared] -> predict -> evaluate; the shared-mode fit only for models a
``mode: shared`` benchmark variant names), computes
``BENCHMARK/metrics.csv`` and draws the analysis plots. Every step skips work that is already
complete, so a second run after an interruption finishes only what is missing.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from alpacaspot._atomic import atomic_write_text
from alpacaspot.cluster import Executor, get_executor
from alpacaspot.errors import ClusterError, ConfigError
from alpacaspot.events import PostprocessConfig
from alpacaspot.pipeline._index_step import index_corpus
from alpacaspot.pipeline._steps import StepRunner
from alpacaspot.pipeline.calibrate_models import CALIBRATION_SPLITS
from alpacaspot.pipeline.ensembles import combine_ensembles
from alpacaspot.pipeline.variants import check_pipeline_variants, load_train_variants

__all__ = ["PipelineData", "PipelineSpec", "PipelineResult", "pipeline_data", "run_pipeline"]

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PipelineSpec:
    """Everything one pipeline run needs.

    Parameters
    ----------
    out : path
        Pipeline root: ``data/``, ``tools/``, ``TRAINING/``, ``BENCHMARK/`` and ``logs/`` go here.
    training_corpus : dict
        Keyword arguments of :func:`alpacaspot.data.make_synthetic_corpus` for the training
        corpus (ignored when ``training_corpus_root`` is given).
    benchmark_corpus : dict
        Same for the benchmark corpus (tapes no training clip comes from).
    strategies : dict
        Dataset strategies in the fork's format (``active_strategies``, ``strategies``).
    train_variants : dict
        The training variants file's content (``globals``, variants, ``active_variants``,
        optionally ``ensembles``); ``globals.data_root`` and ``runs_root`` are filled in when
        absent. Each ensemble (:mod:`alpacaspot.pipeline.ensembles`) is combined from its
        members after their calibration, calibrated itself and benchmarked beside them;
        ensembles and ``mode: shared`` benchmark variants are refused together.
    benchmark_variants : list or dict
        The benchmark variants file's content. A variant with ``"mode": "shared"`` adds the
        shared-mode fit of every model (on its dataset's train tapes; a ``shared_fit`` block
        sets its options) and predicts with the fitted model in shared mode.
    target_labels : tuple of str
        Ground-truth labels the detector looks for.
    executor : str
        Where the job arrays run: a registered executor's name (``"local"``, ``"slurm"``;
        see :func:`alpacaspot.cluster.get_executor`).
    training_corpus_root, benchmark_corpus_root : path, optional
        Use existing corpora instead of generating synthetic ones. They are only read: the
        run mirrors each into ``data/training_corpus`` / ``data/benchmark_corpus`` as
        symbolic links (:mod:`alpacaspot.pipeline._corpus_view`) and writes the corpus index
        and datasets there, so a read-only or shared corpus folder works.
    dataset_root : path, optional
        Folder for the ``dataset_<strategy>/`` folders (default: the run's
        ``data/training_corpus``); never inside a user's corpus.
    post : PostprocessConfig or dict
        Post-processing of the fine threshold sweep (its threshold is swept); a dict gives
        :class:`~alpacaspot.events.PostprocessConfig` fields. Checked before any work.
    strict : bool
        A corpus problem (unreadable audio, malformed table, events outside the audio) stops
        the pipeline at its first step with every bad file named; with ``strict=False`` the
        bad files are reported (``logs/corpus_problems.txt``) and excluded.
    check : bool
        Run each factory's pre-run check.
    calibrate : bool
        After training, calibrate each model on its dataset's held-out tapes (temperature
        and operating point stored in ``model.pt``; :mod:`alpacaspot.pipeline.calibrate_models`).
    calibration_hop_s : float
        Window step of the validation prediction.
    calibration_splits : tuple of str
        Dataset splits whose tapes calibrate: ``("val", "test")`` (default) or ``("val",)``.
    calibration_search : {"threshold", "full"}
        ``threshold`` (default): the operating point is ``post`` with the threshold chosen on
        the held-out tapes; ``full``: its curve, merge gap and minimum duration are chosen
        there too (see :func:`alpacaspot.pipeline.calibrate_models.search_grid`).
    calibration_f1_tolerance : float, optional
        Thresholds whose validation F1 is within this of the best count as tied, and the
        middle one is chosen; default one standard error of the best F1, 0 the single best
        (see :func:`alpacaspot.evaluate.choose_operating_point`).

    Examples
    --------
    >>> spec = PipelineSpec(out="run", training_corpus={}, benchmark_corpus={},
    ...                     strategies={}, train_variants={}, benchmark_variants=[])
    >>> spec.executor
    'local'
    """

    out: str | os.PathLike[str]
    training_corpus: Mapping[str, Any]
    benchmark_corpus: Mapping[str, Any]
    strategies: Mapping[str, Any]
    train_variants: Mapping[str, Any]
    benchmark_variants: Any
    target_labels: tuple[str, ...] = ("hum",)
    executor: str = "local"
    training_corpus_root: str | os.PathLike[str] | None = None
    benchmark_corpus_root: str | os.PathLike[str] | None = None
    dataset_root: str | os.PathLike[str] | None = None
    post: PostprocessConfig | Mapping[str, Any] = field(default_factory=dict)
    strict: bool = True
    check: bool = True
    calibrate: bool = True
    calibration_hop_s: float = 0.05
    calibration_splits: tuple[str, ...] = CALIBRATION_SPLITS
    calibration_search: str = "threshold"
    calibration_f1_tolerance: float | None = None


@dataclass(frozen=True)
class PipelineResult:
    """What a pipeline run produced.

    Attributes
    ----------
    metrics : pandas.DataFrame
        One row per (model, tag, criterion), as written to ``metrics.csv``.
    metrics_path : Path
        ``BENCHMARK/metrics.csv``.
    figures : tuple of Path
        The analysis plots.
    timings : dict
        Seconds spent per step.
    """

    metrics: pd.DataFrame
    metrics_path: Path
    figures: tuple[Path, ...]
    timings: dict[str, float]


@dataclass(frozen=True)
class PipelineData:
    """Where the data steps put the corpora and datasets.

    Attributes
    ----------
    train_root, bench_root : Path
        The training and benchmark corpus folders the later steps read (inside the run).
    dataset_root : Path
        Folder holding the ``dataset_<strategy>/`` folders.
    datasets : dict
        Strategy name -> dataset folder.
    problems : list of str
        Corpus problems reported (``strict=False``; bad files and events excluded).
    """

    train_root: Path
    bench_root: Path
    dataset_root: Path
    datasets: dict[str, Path]
    problems: list[str]


def _synthetic_corpus(root: Path, kwargs: Mapping[str, Any]) -> Path:
    from alpacaspot.data import make_synthetic_corpus

    return make_synthetic_corpus(root, **kwargs)


def _write_json(path: Path, content: Any) -> Path:
    atomic_write_text(path, json.dumps(content, indent=2) + "\n")
    return path


def _submit(executor: Executor, arrays: list[Any], after: list[int] | None) -> list[int]:
    ids = [executor.submit(array, after=after or None) for array in arrays]
    return ids


def _require_slurm_ready(root: Path, stage: str) -> None:
    from alpacaspot.pipeline.check import require_ok

    require_ok(root, stage, pending=True, slurm=True)


def _check_jobs(executor: Executor, ids: list[int], what: str) -> None:
    for job in ids:
        executor.wait(job)
        failed = executor.failed_tasks(job)
        if failed:
            raise ClusterError(f"{what}: job {job} tasks {failed} failed; see the logs under "
                               "TRAINING/jobs/logs or BENCHMARK/jobs/logs and re-run the "
                               "pipeline (finished tasks are skipped)")


def run_pipeline(spec: PipelineSpec) -> PipelineResult:
    """Run the seed's pipeline end to end; re-runs redo nothing that is complete.

    Parameters
    ----------
    spec : PipelineSpec

    Returns
    -------
    PipelineResult

    Examples
    --------
    >>> from alpacaspot.pipeline.demo import demo_spec
    >>> result = run_pipeline(demo_spec("demo_run"))  # doctest: +SKIP
    """
    from alpacaspot.evaluate import evaluate_benchmark
    from alpacaspot.pipeline import benchmark_factory, eval_factory, training_factory
    from alpacaspot.pipeline.fit_shared_models import training_audio

    root = Path(spec.out).absolute()
    check_pipeline_variants(spec.train_variants, spec.benchmark_variants,
                            path=root / "tools" / "train_variants.json", root=root)
    post = _post(spec.post)
    if spec.calibrate:
        from alpacaspot.evaluate import check_f1_tolerance
        from alpacaspot.pipeline.calibrate_models import check_splits, search_grid

        check_splits(spec.calibration_splits)
        search_grid(_post_config(spec.post), spec.calibration_search)
        check_f1_tolerance(spec.calibration_f1_tolerance)
    root.mkdir(parents=True, exist_ok=True)
    steps = StepRunner(root)
    data = _data_steps(spec, root, steps)
    train_root, bench_root = data.train_root, data.bench_root

    train_variants = json.loads(json.dumps(spec.train_variants))
    glob = train_variants.setdefault("globals", {})
    glob.setdefault("data_root", str(data.dataset_root))
    glob.setdefault("runs_root", str(root / "TRAINING" / "runs"))
    variants_path = _write_json(root / "tools" / "train_variants.json", train_variants)
    bench_variants_path = _write_json(root / "tools" / "benchmark_variants.json",
                                      spec.benchmark_variants)
    tv = load_train_variants(variants_path, root=root, check_datasets=False)
    ensembles = tv.ensembles
    executor = get_executor(spec.executor)

    train_plan = steps.run("training_factory",
                           lambda: training_factory(variants_path, root=root,
                                                           check=spec.check))
    if spec.check and executor.scheduler == "slurm":
        _require_slurm_ready(root, "train")
    train_ids = steps.run("train", lambda: _submit(executor, [train_plan.array], None))
    if executor.blocking or spec.calibrate or ensembles:
        _check_jobs(executor, train_ids, "training")
    if spec.calibrate:
        steps.run("calibrate", lambda: _calibrate(root, variants_path, train_plan.model_paths,
                                                  train_root, spec))
    models = dict(train_plan.model_paths)
    if ensembles:
        ensemble_paths = steps.run("ensembles", lambda: combine_ensembles(
            ensembles, train_plan.model_paths, tv.runs_root))
        if spec.calibrate:
            steps.run("calibrate_ensembles", lambda: _calibrate(
                root, variants_path, ensemble_paths, train_root, spec,
                log_name="calibration_ensembles.json"))
        models |= ensemble_paths

    bench_plan = steps.run("benchmark_factory", lambda: benchmark_factory(
        bench_root, bench_variants_path, root=root, models=models,
        check=spec.check, fit_audio=training_audio(variants_path, bench_variants_path,
                                                   models, train_root,
                                                   root=root)))
    if spec.check and executor.scheduler == "slurm":
        _require_slurm_ready(root, "benchmark")
    fit_ids: list[int] = []
    if (fit_array := bench_plan.fit_array) is not None:
        fit_ids = steps.run("fit_shared", lambda: _submit(executor, [fit_array], train_ids))
        if executor.blocking:
            _check_jobs(executor, fit_ids, "shared-mode fit")
    pred_ids = steps.run("predict", lambda: [  # shared runs wait for their fit too
        executor.submit(a, after=(train_ids + fit_ids if m in bench_plan.shared_models
                                  else train_ids) or None)
        for m, a in bench_plan.predict_arrays.items()])
    if executor.blocking:
        _check_jobs(executor, pred_ids, "prediction")

    eval_plan = steps.run("eval_factory", lambda: eval_factory(root / "BENCHMARK",
                                                                 check=spec.check))
    if spec.check and executor.scheduler == "slurm":
        _require_slurm_ready(root, "evaluate")
    eval_ids = steps.run("evaluate", lambda: _submit(
        executor, list(eval_plan.arrays.values()), pred_ids))
    _check_jobs(executor, train_ids + fit_ids + pred_ids + eval_ids, "pipeline")

    metrics_path = root / "BENCHMARK" / "metrics.csv"
    metrics = steps.run("metrics", lambda: evaluate_benchmark(
        bench_root, root / "BENCHMARK" / "runs", labels=spec.target_labels, post=post,
        out=metrics_path, progress=False))
    figures = steps.run("analysis", lambda: _analysis(root, metrics_path))
    _write_json(root / "logs" / "timings.json", steps.timings)
    return PipelineResult(metrics=metrics, metrics_path=metrics_path, figures=figures,
                          timings=dict(steps.timings))


def pipeline_data(spec: PipelineSpec) -> PipelineData:
    """Run the pipeline's data steps alone: corpora, their indexes, the datasets.

    The first steps of :func:`run_pipeline` (logged to ``<out>/logs`` likewise), for checking
    a corpus and its datasets before any training. User corpora are only read.

    Examples
    --------
    >>> data = pipeline_data(PipelineSpec(out="run", training_corpus_root="my_corpus",
    ...     benchmark_corpus_root="my_bench", training_corpus={}, benchmark_corpus={},
    ...     strategies={"strategies": {"calls": {}}}, train_variants={},
    ...     benchmark_variants=[]))  # doctest: +SKIP
    >>> data.datasets["calls"]  # doctest: +SKIP
    PosixPath('.../run/data/training_corpus/dataset_calls')
    """
    root = Path(spec.out).absolute()
    root.mkdir(parents=True, exist_ok=True)
    return _data_steps(spec, root, StepRunner(root))


def _data_steps(spec: PipelineSpec, root: Path, steps: StepRunner) -> PipelineData:
    from alpacaspot.data import prepare_datasets
    from alpacaspot.pipeline._corpus_view import mirror_corpus

    data_root = root / "data"
    train_root = data_root / "training_corpus"
    bench_root = data_root / "benchmark_corpus"
    for step, given, made, synthetic in (
            ("corpus_training", spec.training_corpus_root, train_root, spec.training_corpus),
            ("corpus_benchmark", spec.benchmark_corpus_root, bench_root, spec.benchmark_corpus)):
        steps.run(step, lambda g=given, m=made, k=synthetic: (
            _synthetic_corpus(m, k) if g is None else mirror_corpus(g, m)))
    problems_file = root / "logs" / "corpus_problems.txt"
    problems: list[str] = []
    for corpus_root in (train_root, bench_root):
        problems += steps.run("corpus_index", lambda c=corpus_root: index_corpus(
            c, strict=spec.strict, problems_file=problems_file))
    dataset_root = Path(spec.dataset_root).absolute() if spec.dataset_root else train_root
    for user in (spec.training_corpus_root, spec.benchmark_corpus_root):
        if user is not None and (dataset_root == Path(user).absolute()
                                 or Path(user).absolute() in dataset_root.parents):
            raise ConfigError(f"dataset_root {dataset_root} lies inside the corpus {user}: "
                              "the pipeline never writes into a user's corpus folder")
    datasets = steps.run("prepare_datasets", lambda: prepare_datasets(
        train_root, dict(spec.strategies), dataset_root=dataset_root))
    return PipelineData(train_root, bench_root, dataset_root, datasets, problems)


def _calibrate(root: Path, variants_path: Path, model_paths: Mapping[str, Path],
               train_root: Path, spec: PipelineSpec,
               log_name: str = "calibration.json") -> dict[str, Any]:
    from alpacaspot.pipeline.calibrate_models import calibrate_models

    tv = load_train_variants(variants_path, root=root)
    return calibrate_models(model_paths, {n: tv.dataset_dir(n) for n in model_paths},
                            train_root, labels=spec.target_labels,
                            hop_s=spec.calibration_hop_s, splits=spec.calibration_splits,
                            post=_post_config(spec.post), search=spec.calibration_search,
                            f1_tolerance=spec.calibration_f1_tolerance,
                            log_path=root / "logs" / log_name)


def _post_config(spec_post: PostprocessConfig | Mapping[str, Any]) -> PostprocessConfig:
    return (spec_post if isinstance(spec_post, PostprocessConfig)
            else PostprocessConfig().replace(**dict(spec_post)))


def _post(spec_post: PostprocessConfig | Mapping[str, Any]
          ) -> Callable[[pd.DataFrame, float], pd.DataFrame]:
    from alpacaspot.events import scores_to_events

    # the spec's settings, not the scores' stored operating point, for the sweep
    config = _post_config(spec_post)

    def post(scores: pd.DataFrame, threshold: float) -> pd.DataFrame:
        return scores_to_events(scores, config, threshold=threshold)

    return post


def _analysis(root: Path, metrics_path: Path) -> tuple[Path, ...]:
    from alpacaspot.evaluate.report import benchmark_report

    report = benchmark_report(metrics_path, root / "BENCHMARK" / "figures")
    figures = ", ".join(p.name for p in report.figures)
    atomic_write_text(root / "logs" / "analysis.out", f"{report.table}\nfigures: {figures}\n")
    return report.figures
