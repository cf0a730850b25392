"""Step 4 of the pipeline: CPU evaluation job arrays over the benchmark cfgs.

Reads ``<benchmark_root>/cfg/<model>/<tag>/eval.cfg`` (written by
:func:`~alpacaspot.pipeline.benchmark_factory`) and writes::

    <benchmark_root>/jobs/eval_<model>.batch     task i runs `alpacaspot evaluate <eval.cfg i>`
    <benchmark_root>/jobs/eval_models.batch      launches every eval_<model>.batch

Each task re-thresholds the stored window scores and writes ``evaluation/`` (Raven tables,
``index.parquet``, ``index.json``). Evaluation never requests a GPU. Slurm settings come from
the ``slurm`` block (``evaluate`` sub-block) of ``<benchmark_root>/benchmark_variants.json``.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from alpacaspot.cluster import JobArray
from alpacaspot.errors import ConfigError
from alpacaspot.io.animalspot import read_cfg
from alpacaspot.pipeline._cfg_keys import eval_extra_keys
from alpacaspot.pipeline.launchers import (
    wrapped_command,
    write_array_script,
    write_master_script,
)
from alpacaspot.pipeline.slurm_settings import SlurmSettings, parse_slurm_block
from alpacaspot.pipeline.variants import _load_json, parse_benchmark_variants

__all__ = ["eval_factory", "EvalPlan"]

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EvalPlan:
    """What :func:`eval_factory` wrote and the evaluation arrays to submit.

    Attributes
    ----------
    arrays : dict
        Model name -> its evaluation :class:`~alpacaspot.cluster.JobArray`.
    scripts : dict
        Model name -> ``jobs/eval_<model>.batch``.
    master_script : Path
        ``jobs/eval_models.batch``.
    cfgs : dict
        Model name -> its eval.cfg files, in task order.
    """

    arrays: dict[str, JobArray]
    scripts: dict[str, Path]
    master_script: Path
    cfgs: dict[str, tuple[Path, ...]]


def _settings(bench: Path, slurm: dict | None) -> SlurmSettings:
    if slurm is not None:
        return parse_slurm_block(slurm)["evaluate"]
    copy = bench / "benchmark_variants.json"
    if copy.is_file():
        return parse_benchmark_variants(_load_json(copy), path=copy).slurm["evaluate"]
    return parse_slurm_block(None)["evaluate"]


def eval_factory(
    benchmark_root: str | os.PathLike[str],
    *,
    max_concurrent: int | None = None,
    slurm: dict | None = None,
    check: bool = True,
) -> EvalPlan:
    """Write one evaluation array per model and the master launcher.

    Parameters
    ----------
    benchmark_root : path
        The ``BENCHMARK`` folder (holding ``cfg/``).
    max_concurrent : int, optional
        Throttle of each array (default: the slurm block's, else unlimited).
    slurm : dict, optional
        A ``slurm`` block overriding the one saved by the benchmark factory.
    check : bool
        Run the pre-run check of this stage first (:func:`alpacaspot.pipeline.check.require_ok`)
        and stop with its whole report when it fails. Incomplete Slurm settings are warnings
        here (a site may have defaults); ``alpacaspot check`` and ``run_pipeline`` on Slurm
        require them.

    Returns
    -------
    EvalPlan

    Examples
    --------
    >>> plan = eval_factory("BENCHMARK", max_concurrent=20)  # doctest: +SKIP
    """
    bench = Path(benchmark_root).absolute()
    if check:
        from alpacaspot.pipeline.check import require_ok

        require_ok(bench.parent, "evaluate", generated=False, pending=True, slurm=False)
    cfg_root = bench / "cfg"
    cfg_files = sorted(cfg_root.glob("*/*/eval.cfg")) if cfg_root.is_dir() else []
    if not cfg_files:
        raise ConfigError("no eval.cfg files under cfg/<model>/<tag>/; run the benchmark "
                          "factory first", path=cfg_root)
    settings = _settings(bench, slurm)
    extra = eval_extra_keys()
    by_model: dict[str, list[Path]] = {}
    for cfg in cfg_files:
        by_model.setdefault(cfg.parent.parent.name, []).append(cfg)
    arrays: dict[str, JobArray] = {}
    scripts: dict[str, Path] = {}
    jobs = bench / "jobs"
    for model, cfgs in by_model.items():
        commands = []
        for cfg in cfgs:
            values = read_cfg(cfg, kind="evaluate", extra_keys=extra)
            out = values.get("output_dir")
            if not isinstance(out, str):
                raise ConfigError("eval.cfg needs output_dir=<folder>", path=cfg)
            inputs: list[Path] = [cfg]
            scores = values.get("scores_dir")
            if isinstance(scores, str):
                inputs.append(Path(scores))
            commands.append(wrapped_command(settings.python, ["alpacaspot", "evaluate", cfg],
                                            output=Path(out), inputs=inputs))
        array = settings.job_array(f"eval_{model}", commands, log_dir=jobs / "logs",
                                   max_concurrent=max_concurrent)
        arrays[model] = array
        scripts[model] = write_array_script(jobs / f"eval_{model}.batch", array)
    master = write_master_script(jobs / "eval_models.batch", list(scripts.values()),
                                 description="evaluation arrays of every model (CPU)")
    _log.info("eval factory: %d model(s), %d eval cfg(s)", len(arrays), len(cfg_files))
    return EvalPlan(arrays=arrays, scripts=scripts, master_script=master,
                    cfgs={m: tuple(c) for m, c in by_model.items()})
