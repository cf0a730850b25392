"""The pipeline's shared-mode fit step: each model a ``mode: shared`` benchmark variant names.

A benchmark variant with ``mode: shared`` predicts in shared mode
(:mod:`alpacaspot.detect.shared`) with the model fitted for it by
:func:`alpacaspot.detect.fit_shared`, once per model: ``<model dir>/model_shared.pt``, fitted
on the recordings of the tapes in the model's dataset's ``train`` split (never on the
benchmark's). The fitted model keeps the temperature and operating point of the model it was
fitted from, so the ``op_*`` metrics of its runs are at that same operating point.

The fit is a job array like the other steps (``BENCHMARK/jobs/fit_shared.batch``, one task
per model, ``alpacaspot fit-shared``), each task wrapped in the done-marker runner (marker in
``<model's run dir>/shared_fit/``): a re-run skips a finished fit and fits again when the model
file (a new calibration) or the recordings changed. The model file is written atomically.
``BENCHMARK/jobs/pred_models.batch`` then launches the fit first and, on Slurm, makes the
shared runs' prediction arrays wait for it.

The benchmark outputs of a model in shared mode go under the run name ``<model>.shared``
(``BENCHMARK/cfg/<model>.shared/<tag>/``, ``BENCHMARK/runs/<model>.shared/``), so that exact
and shared runs of one model never mix; the metrics name the mode in a ``mode`` column.
"""

from __future__ import annotations

import logging
import os
import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from alpacaspot.cluster import JobArray
from alpacaspot.errors import ConfigError
from alpacaspot.evaluate.runs import SHARED_SUFFIX
from alpacaspot.io.layout import CORPUS_RECORDINGS_FILE
from alpacaspot.pipeline.launchers import wrapped_command
from alpacaspot.pipeline.slurm_settings import SlurmSettings

__all__ = [
    "SHARED_SUFFIX",
    "SHARED_MODEL_FILE",
    "shared_run_name",
    "shared_model_path",
    "fit_marker_dir",
    "training_tapes",
    "training_recordings",
    "find_fit_audio",
    "training_audio",
    "fit_shared_array",
    "write_master_with_fit",
]

_log = logging.getLogger(__name__)

#: File name of a model fitted for shared mode, beside the model it was fitted from.
SHARED_MODEL_FILE = "model_shared.pt"

PathLike = str | os.PathLike[str]


def shared_run_name(model: str) -> str:
    """The benchmark run name of ``model`` predicted in shared mode.

    Examples
    --------
    >>> shared_run_name("windows_w32")
    'windows_w32.shared'
    """
    return f"{model}{SHARED_SUFFIX}"


def shared_model_path(model_path: PathLike) -> Path:
    """Where the shared-mode fit of ``model_path`` is written: beside it.

    Examples
    --------
    >>> shared_model_path("runs/models/v1/models/model.pt").as_posix()
    'runs/models/v1/models/model_shared.pt'
    """
    return Path(model_path).with_name(SHARED_MODEL_FILE)


def fit_marker_dir(model_path: PathLike) -> Path:
    """The folder of the fit task's done marker: ``<run dir>/shared_fit``.

    Never the model folder itself, which holds the training task's marker.

    Examples
    --------
    >>> fit_marker_dir("runs/models/v1/models/model.pt").as_posix()
    'runs/models/v1/shared_fit'
    >>> fit_marker_dir("elsewhere/my_model.pt").as_posix()
    'elsewhere/my_model_shared_fit'
    """
    path = Path(model_path)
    if path.parent.name == "models":
        return path.parent.parent / "shared_fit"
    return path.with_name(f"{path.stem}_shared_fit")


def training_tapes(dataset_dir: PathLike) -> list[str]:
    """The tapes of a dataset variant's ``train`` split, sorted.

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> from alpacaspot.io import write_table
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = write_table(pd.DataFrame({"tape": ["t2", "t1", "t3"], "split": ["train", "train",
    ...                               "val"]}), d / "variant_index.parquet")
    >>> training_tapes(d)
    ['t1', 't2']
    """
    from alpacaspot.io import read_table

    path = Path(dataset_dir) / "variant_index.parquet"
    if not path.is_file():
        raise ConfigError("no variant_index.parquet: prepare the dataset first", path=path)
    index = read_table(path, columns=["tape", "split"])
    return sorted(set(index.loc[index["split"].astype(str) == "train", "tape"].astype(str)))


def training_recordings(dataset_dir: PathLike, corpus_root: PathLike) -> list[Path]:
    """The recordings (absolute paths, sorted) of the tapes of a dataset's ``train`` split.

    Parameters
    ----------
    dataset_dir : path
        The dataset variant's folder (``variant_index.parquet``).
    corpus_root : path
        The corpus it was made from (``corpus_recordings.parquet``).

    Raises
    ------
    ConfigError
        When a table is missing or no recording is on a training tape.

    Examples
    --------
    >>> training_recordings("data/training_corpus/dataset_windows",
    ...                     "data/training_corpus")  # doctest: +SKIP
    [PosixPath('.../data/training_corpus/T01/T01_20200101.wav')]
    """
    from alpacaspot.io import read_table

    root = Path(corpus_root).absolute()
    table = root / CORPUS_RECORDINGS_FILE
    if not table.is_file():
        raise ConfigError(f"no {CORPUS_RECORDINGS_FILE}: index the corpus first", path=table)
    tapes = training_tapes(dataset_dir)
    recs = read_table(table, columns=["recording", "tape"])
    files = sorted(recs.loc[recs["tape"].astype(str).isin(tapes), "recording"].astype(str))
    if not files:
        raise ConfigError(f"no recording of the train tapes {tapes} of {dataset_dir} in this "
                          "corpus: nothing to fit shared mode on", path=table)
    return [root / f for f in files]


def find_fit_audio(root: PathLike, model: str) -> list[Path] | None:
    """The training recordings of a model trained by the pipeline under ``root``, or None.

    Read from ``TRAINING/cfg/<model>/alpaca_server.cfg`` (its ``data_dir``); the corpus is the
    dataset folder's parent when that holds ``corpus_recordings.parquet`` (the pipeline's
    default layout). None when either is not found.

    Examples
    --------
    >>> find_fit_audio("/nonexistent", "v1") is None
    True
    """
    from alpacaspot.io.animalspot import read_cfg
    from alpacaspot.pipeline.variants import _train_extra_keys

    cfg = Path(root) / "TRAINING" / "cfg" / model / "alpaca_server.cfg"
    if not cfg.is_file():
        return None
    data_dir = read_cfg(cfg, kind="train", extra_keys=_train_extra_keys()).get("data_dir")
    if not isinstance(data_dir, str):
        return None
    dataset = Path(data_dir)
    if not (dataset.parent / CORPUS_RECORDINGS_FILE).is_file():
        return None
    return training_recordings(dataset, dataset.parent)


def training_audio(
    train_variants: PathLike,
    benchmark_variants: PathLike,
    models: Sequence[str] | Mapping[str, Any],
    corpus_root: PathLike,
    *,
    root: PathLike,
) -> dict[str, list[Path]]:
    """Model -> the recordings of its dataset's train tapes, when shared mode is asked for.

    What :func:`~alpacaspot.pipeline.run_pipeline` passes to the benchmark factory as
    ``fit_audio``: empty when no benchmark variant has ``mode: shared``.

    Parameters
    ----------
    train_variants, benchmark_variants : path
        The variants files.
    models : sequence or mapping
        The trained variants' names.
    corpus_root : path
        The training corpus.
    root : path
        The pipeline root (relative folders of the training variants file are taken from it).

    Examples
    --------
    >>> training_audio("tools/train_variants.json", "tools/benchmark_variants.json",
    ...                ["windows_w32"], "data/training_corpus", root=".")  # doctest: +SKIP
    {'windows_w32': [PosixPath('.../T01/T01_20200101.wav'), ...]}
    """
    from alpacaspot.pipeline.variants import load_benchmark_variants, load_train_variants

    if not any(v.mode == "shared" for v in load_benchmark_variants(benchmark_variants).variants):
        return {}
    tv = load_train_variants(train_variants, root=root)
    return {name: training_recordings(tv.dataset_dir(name), corpus_root)
            for name in sorted(models)}


def fit_shared_array(
    models: Mapping[str, PathLike],
    audio: Mapping[str, Sequence[PathLike]],
    *,
    settings: SlurmSettings,
    options: Mapping[str, Any],
    log_dir: PathLike,
    inputs: Mapping[str, Sequence[PathLike]] | None = None,
    max_concurrent: int | None = None,
) -> JobArray:
    """The job array fitting each model for shared mode, one task per model, sorted by name.

    Parameters
    ----------
    models : mapping
        Model name -> its model file (need not exist yet: training may still run).
    audio : mapping
        Model name -> the recordings to fit on.
    settings : SlurmSettings
        The array's Slurm settings (the prediction stage's: the fit wants the same GPU).
    options : mapping
        ``alpacaspot fit-shared`` options from the variants file's ``shared_fit`` block
        (``steps``, ``passes``, ``hop``, ``lr``, ``seed``); absent ones take its defaults.
    log_dir : path
        Folder of the tasks' logs.
    inputs : mapping, optional
        Model name -> further files whose change makes the fit run again (the dataset's
        ``variant_index.parquet``).
    max_concurrent : int, optional
        Array throttle.

    Returns
    -------
    JobArray

    Examples
    --------
    >>> from alpacaspot.pipeline.slurm_settings import parse_slurm_block
    >>> array = fit_shared_array({"v1": "/m/model.pt"}, {"v1": ["/data/a b.wav"]},
    ...     settings=parse_slurm_block(None)["predict"], options={"steps": 50},
    ...     log_dir="logs")
    >>> print(array.commands[0].split(" -- ")[1])
    alpacaspot fit-shared /m/model.pt '/data/a b.wav' -o /m/model_shared.pt --steps 50
    """
    commands = []
    for name in sorted(models):
        model = Path(models[name]).absolute()
        files = [Path(f).absolute() for f in audio.get(name, ())]
        if not files:
            raise ConfigError(f"model {name!r}: no recordings to fit shared mode on")
        argv: list[str | os.PathLike[str]] = ["alpacaspot", "fit-shared", model, *files,
                                              "-o", shared_model_path(model)]
        for key in ("steps", "passes", "hop", "lr", "seed"):
            if key in options:
                argv += [f"--{key}", str(options[key])]
        commands.append(wrapped_command(
            settings.python, argv, output=fit_marker_dir(model),
            inputs=[model, *(inputs or {}).get(name, ())]))
    _log.info("shared fit: %d model(s)", len(commands))
    return settings.job_array("fit_shared", commands, log_dir=Path(log_dir),
                              max_concurrent=max_concurrent)


def write_master_with_fit(path: PathLike, fit_script: PathLike,
                          scripts: Mapping[str, PathLike], shared: Sequence[str]) -> Path:
    """Write ``pred_models.batch`` when a shared-mode fit is planned: the fit array first.

    Where ``sbatch`` exists the fit array is submitted first (``--parsable``) and the arrays
    of the shared runs (``shared``: their names among ``scripts``) are submitted with
    ``--dependency=afterok:<fit job>``; the others go at once. Elsewhere (or with
    ``ALPACASPOT_LOCAL`` set) everything runs here in that order, and a failed fit skips
    the shared runs. Exits non-zero when any launch failed.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> p = write_master_with_fit(d / "pred_models.batch", d / "fit_shared.batch",
    ...     {"v1": d / "pred_v1.batch", "v1.shared": d / "pred_v1.shared.batch"}, ["v1.shared"])
    >>> "--dependency=afterok:" in p.read_text()
    True
    """
    from alpacaspot._atomic import atomic_write_text

    def q(p: PathLike) -> str:
        return shlex.quote(str(Path(p).absolute()))

    fit = q(fit_script)
    lines = [
        "#!/bin/bash",
        "# prediction arrays of every model, after the shared-mode fit for the shared runs",
        "# Submits each array with sbatch where it exists (the shared runs' arrays wait for",
        "# the fit array), else runs the fit and then every array here.",
        "status=0",
        'if [ -z "${ALPACASPOT_LOCAL:-}" ] && command -v sbatch >/dev/null 2>&1; then',
        f'    fit=$(bash {fit} --parsable "$@") || fit=""',
        '    fit=${fit%%;*}',
        '    case "$fit" in',
        '        ""|*[!0-9]*) echo "launch failed: "' + fit + ' >&2; exit 1 ;;',
        "    esac",
        '    after=("--dependency=afterok:$fit")',
        "else",
        f'    if bash {fit} "$@"; then after=(); else',
        '        echo "shared-mode fit failed: "' + fit + '" (shared runs skipped)" >&2',
        "        status=1; after=(skip)",
        "    fi",
        "fi",
    ]
    for name in sorted(scripts, key=lambda n: (n in shared, n)):
        s = q(scripts[name])
        if name in shared:
            lines.append(f'[ "${{after[0]:-}}" = skip ] || bash {s} "${{after[@]}}" "$@" || '
                         f'{{ echo "launch failed: "{s} >&2; status=1; }}')
        else:
            lines.append(f'bash {s} "$@" || {{ echo "launch failed: "{s} >&2; status=1; }}')
    lines += ['exit "$status"', ""]
    target = Path(path)
    atomic_write_text(target, "\n".join(lines))
    target.chmod(0o755)
    return target
