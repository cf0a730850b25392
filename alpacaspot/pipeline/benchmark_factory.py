"""Step 2 of the pipeline: prediction and evaluation cfgs and the prediction job arrays.

For every model x benchmark variant (``{seq_len, hop, threshold}``) it writes::

    BENCHMARK/cfg/<model>/<tag>/predict.cfg, eval.cfg
    BENCHMARK/jobs/pred_<model>.batch            one task per (seq_len, hop) group
    BENCHMARK/jobs/pred_models.batch             launches every pred_<model>.batch
    BENCHMARK/benchmark_variants.json            the variants used (a copy; eval_factory reads
                                                 its slurm block)

Prediction is planned once per (model, seq_len, hop): the window scores go to
``BENCHMARK/runs/<model>/scores/len<ms>_hop<ms>/<recording>.parquet`` and every tag that differs
only in threshold points at them, so thresholds never cost a second GPU run. Evaluation
(:mod:`alpacaspot.pipeline.eval_factory`) re-thresholds the stored scores on CPU nodes.

A variant with ``mode: shared`` predicts in shared mode with the model fitted for it
(:mod:`alpacaspot.pipeline.fit_shared_models`); its cfgs, scores and runs go under the run
name ``<model>.shared``, and the fit array is written too::

    BENCHMARK/jobs/fit_shared.batch              task i fits model i for shared mode
                                                 (pred_models.batch submits it first and
                                                 the shared runs' arrays after it)
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alpacaspot._atomic import atomic_write_text
from alpacaspot.cluster import JobArray
from alpacaspot.errors import ConfigError
from alpacaspot.io.layout import CORPUS_RECORDINGS_FILE
from alpacaspot.pipeline._cfg_keys import eval_values, predict_extra_keys, predict_values
from alpacaspot.pipeline.fit_shared_models import (
    find_fit_audio,
    fit_shared_array,
    shared_model_path,
    shared_run_name,
    write_master_with_fit,
)
from alpacaspot.pipeline.launchers import (
    wrapped_command,
    write_array_script,
    write_master_script,
)
from alpacaspot.pipeline.variants import (
    _NAME_CHARS,
    BenchmarkVariant,
    _load_json,
    parse_benchmark_variants,
)

__all__ = ["benchmark_factory", "BenchmarkPlan", "find_models", "MODEL_FILES"]

_log = logging.getLogger(__name__)

#: Model file names looked for in ``TRAINING/runs/models/<variant>/models/``.
MODEL_FILES: tuple[str, ...] = ("model.pt", "ANIMAL-SPOT.pk")


@dataclass(frozen=True)
class BenchmarkPlan:
    """What :func:`benchmark_factory` wrote and the prediction arrays to submit.

    Attributes
    ----------
    predict_arrays : dict
        Model name -> its prediction :class:`~alpacaspot.cluster.JobArray`.
    scripts : dict
        Model name -> ``BENCHMARK/jobs/pred_<model>.batch``.
    master_script : Path
        ``BENCHMARK/jobs/pred_models.batch``.
    tags : dict
        Model name -> its tags, in variants-file order.
    models : dict
        Model name -> model file.
    fit_array : JobArray or None
        Fits every model a shared-mode variant names (task order: sorted names); submit it
        before the prediction arrays, which read its outputs. None without shared variants.
    fit_script : Path or None
        ``BENCHMARK/jobs/fit_shared.batch``.
    shared_models : dict
        Shared run name (``<model>.shared``) -> the fitted model file its predict.cfg names;
        these runs are also keys of ``predict_arrays``, ``scripts`` and ``tags``.
    """

    predict_arrays: dict[str, JobArray]
    scripts: dict[str, Path]
    master_script: Path
    tags: dict[str, tuple[str, ...]]
    models: dict[str, Path]
    fit_array: JobArray | None = None
    fit_script: Path | None = None
    shared_models: dict[str, Path] = field(default_factory=dict)


def find_models(root: str | os.PathLike[str]) -> dict[str, Path]:
    """Trained models under ``<root>/TRAINING/runs/models/<variant>/models/``, sorted by name.

    Examples
    --------
    >>> find_models("/nonexistent")
    {}
    """
    base = Path(root).absolute() / "TRAINING" / "runs" / "models"
    out: dict[str, Path] = {}
    if not base.is_dir():
        return out
    for variant in sorted(p for p in base.iterdir() if p.is_dir()):
        for name in MODEL_FILES:
            f = variant / "models" / name
            if f.is_file():
                out[variant.name] = f
                break
    return out


def _model_name(path: Path) -> str:
    if path.parent.name == "models" and path.parent.parent.name:
        return path.parent.parent.name
    return path.stem


def _resolve_models(models: Mapping[str, str | os.PathLike[str]]
                    | Sequence[str | os.PathLike[str]] | None, root: Path) -> dict[str, Path]:
    if models is None:
        found = find_models(root)
        if not found:
            raise ConfigError(
                f"no trained models under {root / 'TRAINING/runs/models'}/<variant>/models/ "
                f"({' or '.join(MODEL_FILES)}); train first or pass models="
            )
        return found
    if isinstance(models, Mapping):
        pairs = [(str(k), Path(v)) for k, v in models.items()]
    else:
        pairs = []
        known = find_models(root)
        for m in models:
            s = str(m)
            if "/" not in s and s in known:
                pairs.append((s, known[s]))
            else:
                pairs.append((_model_name(Path(s)), Path(s)))
    out: dict[str, Path] = {}
    for name, path in pairs:
        if not name or not set(name) <= _NAME_CHARS:
            raise ConfigError(f"model name {name!r}: use letters, digits, '_', '.', '-'")
        if name in out:
            raise ConfigError(f"two models are named {name!r}: {out[name]} and {path}")
        out[name] = path if path.is_absolute() else (root / path)
    return out


def _corpus_input(corpus_root: Path) -> Path:
    table = corpus_root / CORPUS_RECORDINGS_FILE
    return table if table.is_file() else corpus_root


def benchmark_factory(
    corpus_root: str | os.PathLike[str],
    variants_json: str | os.PathLike[str] | Sequence[Mapping[str, Any]] | Mapping[str, Any],
    *,
    root: str | os.PathLike[str] = ".",
    max_concurrent: int | None = None,
    models: Mapping[str, str | os.PathLike[str]] | Sequence[str | os.PathLike[str]]
    | None = None,
    check: bool = True,
    fit_audio: Mapping[str, Sequence[str | os.PathLike[str]]] | None = None,
) -> BenchmarkPlan:
    """Write the benchmark cfgs and the prediction launchers.

    Parameters
    ----------
    corpus_root : path
        The benchmark corpus (audio, ``corpus_recordings.parquet``, ``corpus_index.parquet``).
    variants_json : path, list or dict
        The seed's list of ``{seq_len, hop, threshold}`` (seconds, seconds, probability) or
        ``{"slurm": {...}, "variants": [...]}``, as a file or already loaded.
    root : path
        The pipeline root holding ``TRAINING/`` and ``BENCHMARK/``.
    max_concurrent : int, optional
        Throttle of each prediction array (default: the slurm block's, else unlimited).
    models : mapping or sequence, optional
        Model name -> model file, or model files / variant names; default every
        ``TRAINING/runs/models/<variant>/models/model.pt`` (or ``ANIMAL-SPOT.pk``). Explicit
        model files need not exist yet (a training array may still be running).
    check : bool
        Run the pre-run check of this stage first (:func:`alpacaspot.pipeline.check.require_ok`)
        and stop with its whole report when it fails. Incomplete Slurm settings are warnings
        here (a site may have defaults); ``alpacaspot check`` and ``run_pipeline`` on Slurm
        require them.
    fit_audio : mapping, optional
        Model name -> the recordings its shared-mode fit uses (the train split tapes of its
        dataset). Needed only for models a ``mode: shared`` variant is run with; by default
        found from ``TRAINING/cfg/<model>/alpaca_server.cfg`` (its dataset and, as the
        pipeline lays them out, the corpus holding it).

    Returns
    -------
    BenchmarkPlan

    Raises
    ------
    ConfigError
        Bad variants or models; a shared-mode variant for a model whose training recordings
        are not known; a shared run name that is also a model's name.

    Examples
    --------
    >>> plan = benchmark_factory("data/benchmark_corpus_v1", "tools/benchmark_variants.json",
    ...                          max_concurrent=15)  # doctest: +SKIP
    """
    root_p = Path(root).absolute()
    corpus = Path(corpus_root).absolute()
    if not corpus.is_dir():
        raise ConfigError("benchmark corpus folder does not exist", path=corpus)
    if isinstance(variants_json, (str, os.PathLike)):
        src = Path(variants_json)
        doc = _load_json(src)
        bv = parse_benchmark_variants(doc, path=src)
    else:
        doc = variants_json
        bv = parse_benchmark_variants(doc)
    model_files = _resolve_models(models, root_p)
    runs_plan = _run_plan(model_files, bv.variants)
    shared = {run: path for run, (path, vs) in runs_plan.items()
              if vs[0].mode == "shared"}
    if check:
        from alpacaspot.pipeline.check import require_ok

        checked = {**model_files, **{r: f for r, f in shared.items() if f.is_file()}}
        require_ok(root_p, "benchmark", benchmark_variants=variants_json, corpus_root=corpus,
                   models=checked, generated=False, pending=True, slurm=False)
    bench = root_p / "BENCHMARK"
    runs, cfg_root, jobs = bench / "runs", bench / "cfg", bench / "jobs"
    settings = bv.slurm["predict"]
    fit_array, fit_script = None, None
    if shared:
        fit_array = _fit_array(root_p, model_files, shared, bv.shared_fit, settings,
                               fit_audio, jobs / "logs", max_concurrent)
        fit_script = write_array_script(jobs / "fit_shared.batch", fit_array)
    arrays: dict[str, JobArray] = {}
    scripts: dict[str, Path] = {}
    tags: dict[str, tuple[str, ...]] = {}
    post = bv.postprocess_config
    for model, (model_path, variants) in runs_plan.items():
        groups: dict[str, list[BenchmarkVariant]] = {}
        for v in variants:
            groups.setdefault(v.scores_key, []).append(v)
        commands: list[str] = []
        for key, members in groups.items():
            scores = runs / model / "scores" / key
            first_cfg: Path | None = None
            for v in sorted(members, key=lambda m: m.threshold):
                tag_dir = cfg_root / model / v.tag
                run_dir = runs / model / v.tag
                predict_cfg = tag_dir / "predict.cfg"
                predict_values(predict_cfg, model_path=model_path, corpus_root=corpus,
                               run_dir=run_dir, scores_dir=scores, variant=v)
                eval_values(tag_dir / "eval.cfg", corpus_root=corpus, run_dir=run_dir,
                            scores_dir=scores, variant=v, postprocess=post)
                first_cfg = first_cfg or predict_cfg
            assert first_cfg is not None
            commands.append(wrapped_command(
                settings.python, ["alpacaspot", "predict", first_cfg], output=scores,
                inputs=[first_cfg, model_path, _corpus_input(corpus)], reset_on_change=True))
        tags[model] = tuple(v.tag for v in variants)
        array = settings.job_array(f"pred_{model}", commands, log_dir=jobs / "logs",
                                   max_concurrent=max_concurrent)
        arrays[model] = array
        scripts[model] = write_array_script(jobs / f"pred_{model}.batch", array)
    if fit_script is None:
        master = write_master_script(jobs / "pred_models.batch", list(scripts.values()),
                                     description="prediction arrays of every model")
    else:
        master = write_master_with_fit(jobs / "pred_models.batch", fit_script, scripts,
                                       list(shared))
    atomic_write_text(bench / "benchmark_variants.json",
                      json.dumps(doc, indent=2, sort_keys=False) + "\n")
    _log.info("benchmark factory: %d model(s) x %d variant(s), %d shared run(s), predict "
              "extra keys %s", len(model_files), len(bv.variants), len(shared),
              predict_extra_keys())
    return BenchmarkPlan(predict_arrays=arrays, scripts=scripts, master_script=master,
                         tags=tags, models=model_files, fit_array=fit_array,
                         fit_script=fit_script, shared_models=shared)


def _run_plan(model_files: Mapping[str, Path], variants: Sequence[BenchmarkVariant]
              ) -> dict[str, tuple[Path, list[BenchmarkVariant]]]:
    """Run name -> (model file it predicts with, its variants): exact runs under the model's
    name, shared runs under ``<model>.shared`` with the fitted model."""
    plan: dict[str, tuple[Path, list[BenchmarkVariant]]] = {}
    for model, path in model_files.items():
        for mode, run, file in (("exact", model, path),
                                ("shared", shared_run_name(model), shared_model_path(path))):
            chosen = [v for v in variants if v.mode == mode]
            if not chosen:
                continue
            if mode == "shared" and run in model_files:
                raise ConfigError(f"model {run!r} has the name of model {model!r}'s shared-mode "
                                  "runs; rename the model")
            plan[run] = (file, chosen)
    return plan


def _fit_array(root: Path, model_files: Mapping[str, Path], shared: Mapping[str, Path],
               options: Mapping[str, Any], settings: Any,
               fit_audio: Mapping[str, Sequence[str | os.PathLike[str]]] | None,
               log_dir: Path, max_concurrent: int | None) -> JobArray:
    models = {m: p for m, p in model_files.items() if shared_run_name(m) in shared}
    audio: dict[str, list[Path]] = {}
    inputs: dict[str, list[Path]] = {}
    for name in models:
        given = (fit_audio or {}).get(name)
        files = [Path(f) for f in given] if given is not None else find_fit_audio(root, name)
        if not files:
            raise ConfigError(f"benchmark variants in mode 'shared' for model {name!r}: its "
                              "training recordings are not known (pass fit_audio= or train "
                              "it with the training factory under this root)")
        audio[name] = files
        cfg = root / "TRAINING" / "cfg" / name / "alpaca_server.cfg"
        inputs[name] = [cfg] if cfg.is_file() else []
    return fit_shared_array(models, audio, settings=settings, options=options,
                            log_dir=log_dir, inputs=inputs, max_concurrent=max_concurrent)
