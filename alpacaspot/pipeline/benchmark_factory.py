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
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alpacaspot._atomic import atomic_write_text
from alpacaspot.cluster import JobArray
from alpacaspot.errors import ConfigError
from alpacaspot.io.layout import CORPUS_RECORDINGS_FILE
from alpacaspot.pipeline._cfg_keys import eval_values, predict_extra_keys, predict_values
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
    """

    predict_arrays: dict[str, JobArray]
    scripts: dict[str, Path]
    master_script: Path
    tags: dict[str, tuple[str, ...]]
    models: dict[str, Path]


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

    Returns
    -------
    BenchmarkPlan

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
    if check:
        from alpacaspot.pipeline.check import require_ok

        require_ok(root_p, "benchmark", benchmark_variants=variants_json, corpus_root=corpus,
                   models=model_files, generated=False, pending=True, slurm=False)
    bench = root_p / "BENCHMARK"
    runs, cfg_root, jobs = bench / "runs", bench / "cfg", bench / "jobs"
    settings = bv.slurm["predict"]
    arrays: dict[str, JobArray] = {}
    scripts: dict[str, Path] = {}
    tags: dict[str, tuple[str, ...]] = {}
    post = bv.postprocess_config
    for model, model_path in model_files.items():
        groups: dict[str, list[BenchmarkVariant]] = {}
        for v in bv.variants:
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
        tags[model] = tuple(v.tag for v in bv.variants)
        array = settings.job_array(f"pred_{model}", commands, log_dir=jobs / "logs",
                                   max_concurrent=max_concurrent)
        arrays[model] = array
        scripts[model] = write_array_script(jobs / f"pred_{model}.batch", array)
    master = write_master_script(jobs / "pred_models.batch", list(scripts.values()),
                                 description="prediction arrays of every model")
    atomic_write_text(bench / "benchmark_variants.json",
                      json.dumps(doc, indent=2, sort_keys=False) + "\n")
    _log.info("benchmark factory: %d model(s) x %d variant(s), predict extra keys %s",
              len(model_files), len(bv.variants), predict_extra_keys())
    return BenchmarkPlan(predict_arrays=arrays, scripts=scripts, master_script=master,
                         tags=tags, models=model_files)
