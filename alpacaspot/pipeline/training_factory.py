"""Step 0 of the pipeline: training cfgs and the training job array.

From a ``train_variants.json`` (see :mod:`alpacaspot.pipeline.variants`) it writes, under
``root``::

    TRAINING/cfg/<variant>/alpaca_server.cfg     one per active variant
    TRAINING/train_variants.json                 the variants file used (a copy)
    TRAINING/jobs/train_models.sbatch            task i runs `alpacaspot train <cfg i>`

Models go to ``<runs_root>/models/<variant>/models/model.pt`` with ``checkpoints``, ``logs``
and ``summaries`` beside. Each task is wrapped in the done-marker runner, so re-running the
array retrains only variants whose cfg or dataset changed or whose training did not finish.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alpacaspot._atomic import atomic_write_bytes
from alpacaspot.cluster import JobArray
from alpacaspot.io.animalspot import TRAIN_EXTRA_KEYS, TRAIN_KEYS, write_cfg
from alpacaspot.pipeline.launchers import wrapped_command, write_array_script
from alpacaspot.pipeline.variants import TrainVariants, load_train_variants

__all__ = ["training_factory", "TrainingPlan", "ALPACA_TRAIN_DEFAULTS"]

_log = logging.getLogger(__name__)

#: The alpaca fork's training settings, used where neither globals nor the variant set a key.
ALPACA_TRAIN_DEFAULTS: dict[str, Any] = {
    "noise_dir": None, "max_train_epochs": 40, "epochs_per_eval": 2, "batch_size": 16,
    "lr": 1e-5, "beta1": 0.5, "lr_patience_epochs": 8, "lr_decay_factor": 0.5,
    "early_stopping_patience_epochs": 10, "sequence_len": 400, "freq_compression": "linear",
    "n_freq_bins": 128, "n_fft": 2048, "hop_length": 1024, "sr": 48000, "augmentation": True,
    "resnet": 18, "conv_kernel_size": 7, "num_classes": 2, "max_pool": 2, "min_max_norm": True,
    "fmin": 0, "fmax": 4000,
}  # fmt: skip

_DATASET_INPUTS = ("train.csv", "val.csv", "test.csv", "variant_index.parquet")


@dataclass(frozen=True)
class TrainingPlan:
    """What :func:`training_factory` wrote and the array to submit.

    Attributes
    ----------
    array : JobArray
        Task ``i`` trains ``variants[i]``; submit it with an executor.
    script_path : Path
        ``TRAINING/jobs/train_models.sbatch``.
    variants : tuple of str
        Active variants, in task order.
    cfg_paths, model_paths : dict
        Variant -> its ``alpaca_server.cfg`` / its future ``model.pt``.
    """

    array: JobArray
    script_path: Path
    variants: tuple[str, ...]
    cfg_paths: dict[str, Path]
    model_paths: dict[str, Path]


def _cfg_value(value: Any) -> str | bool | None:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def _cfg_values(tv: TrainVariants, name: str, run_dir: Path) -> dict[str, str | bool | None]:
    merged: dict[str, Any] = dict(ALPACA_TRAIN_DEFAULTS)
    merged.update(tv.defaults)
    merged.update({k: v for k, v in tv.variants[name].items() if k != "dataset"})
    values: dict[str, str | bool | None] = {
        "data_dir": str(tv.dataset_dir(name)),
        "model_dir": str(run_dir / "models"),
        "checkpoint_dir": str(run_dir / "checkpoints"),
        "log_dir": str(run_dir / "logs"),
        "summary_dir": str(run_dir / "summaries"),
    }
    order = list(TRAIN_KEYS) + list(TRAIN_EXTRA_KEYS)
    for key in order:
        if key in merged and key not in values:
            values[key] = _cfg_value(merged[key])
    return values


def training_factory(
    train_variants_json: str | os.PathLike[str],
    *,
    root: str | os.PathLike[str] = ".",
    max_concurrent: int | None = None,
    check_datasets: bool = True,
    check: bool = True,
) -> TrainingPlan:
    """Write the training cfgs and ``TRAINING/jobs/train_models.sbatch``.

    Parameters
    ----------
    train_variants_json : path
        The variants file (``globals``, the variants, ``active_variants``).
    root : path
        The pipeline root that holds (or will hold) ``TRAINING/``.
    max_concurrent : int, optional
        Array throttle; default the ``slurm.max_concurrent`` of the file (else unlimited).
    check_datasets : bool
        Require every active variant's dataset folder to exist.
    check : bool
        Run the pre-run check of this stage first (:func:`alpacaspot.pipeline.check.require_ok`)
        and stop with its whole report when it fails. Incomplete Slurm settings are warnings
        here (a site may have defaults); ``alpacaspot check`` and ``run_pipeline`` on Slurm
        require them.

    Returns
    -------
    TrainingPlan

    Examples
    --------
    >>> plan = training_factory("tools/train_variants.json", root=".")  # doctest: +SKIP
    >>> from alpacaspot.cluster import LocalExecutor  # doctest: +SKIP
    >>> LocalExecutor().submit(plan.array)  # doctest: +SKIP
    """
    root_p = Path(root).absolute()
    if check:
        from alpacaspot.pipeline.check import require_ok

        require_ok(root_p, "train", train_variants=train_variants_json, generated=False,
                   slurm=False)
    tv = load_train_variants(train_variants_json, root=root_p, check_datasets=check_datasets)
    training = root_p / "TRAINING"
    cfg_paths: dict[str, Path] = {}
    model_paths: dict[str, Path] = {}
    commands: list[str] = []
    settings = tv.slurm["train"]
    for name in tv.active:
        run_dir = tv.runs_root / "models" / name
        cfg = training / "cfg" / name / "alpaca_server.cfg"
        write_cfg(cfg, _cfg_values(tv, name, run_dir), kind="train",
                  extra_keys=TRAIN_EXTRA_KEYS)
        cfg_paths[name] = cfg
        model_paths[name] = run_dir / "models" / "model.pt"
        dataset = tv.dataset_dir(name)
        inputs = [cfg] + [dataset / f for f in _DATASET_INPUTS if (dataset / f).exists()]
        commands.append(wrapped_command(settings.python, ["alpacaspot", "train", cfg],
                                        output=run_dir / "models", inputs=inputs))
    atomic_write_bytes(training / "train_variants.json", tv.path.read_bytes())
    array = settings.job_array("train_models", commands, log_dir=training / "jobs" / "logs",
                               max_concurrent=max_concurrent)
    script = write_array_script(training / "jobs" / "train_models.sbatch", array)
    _log.info("training factory: %d variant(s) -> %s", len(commands), script)
    return TrainingPlan(array=array, script_path=script, variants=tv.active,
                        cfg_paths=cfg_paths, model_paths=model_paths)
