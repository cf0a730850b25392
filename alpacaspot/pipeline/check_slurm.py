"""Pre-run checks of the cluster side: Slurm settings, generated job scripts, free disk.

Used by :func:`alpacaspot.pipeline.check`. Slurm settings are complete when a partition and
a time limit are set and a GPU is requested exactly where the stage needs one (training and
prediction; evaluation runs on CPU nodes). Generated scripts are read for their ``#SBATCH``
lines and, where ``sbatch`` exists, handed to ``sbatch --test-only`` (through an argument
list, never a shell). Nothing here imports torch.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

from alpacaspot.pipeline.problems import Collector

__all__ = [
    "GPU_STAGES",
    "script_options",
    "slurm_answers",
    "check_slurm_settings",
    "check_scripts",
    "check_disk",
]

#: Stages whose tasks need a GPU.
GPU_STAGES: frozenset[str] = frozenset({"train", "benchmark"})

_SBATCH_LINE = re.compile(r"^#SBATCH[ \t]+(-{1,2}[A-Za-z][\w-]*)(?:[ \t]*=[ \t]*|[ \t]+)?(.*)$",
                          re.MULTILINE)
_SHORT = {"-p": "--partition", "-t": "--time", "-J": "--job-name", "-A": "--account",
          "-G": "--gpus", "-c": "--cpus-per-task", "-a": "--array"}
_GPU_OPTIONS = ("--gres", "--gpus", "--gpus-per-task", "--gpus-per-node")
_GPU_KEYS = ("gpus", "gres", "gpus_per_task", "gpus_per_node")
_UNREACHABLE = ("unable to contact", "configuration source", "fetch_config", "connection refused",
                "resolve_ctls", "zero bytes were transmitted", "slurm_load_partitions",
                "cannot find", "could not establish")
_SBATCH_TIMEOUT_S = 30


def script_options(text: str) -> dict[str, str]:
    """The ``#SBATCH`` options of a job script as ``{long option: value}``.

    Examples
    --------
    >>> script_options("#!/bin/bash\\n#SBATCH --partition  gpu\\n#SBATCH -t 1:00:00\\n")
    {'--partition': 'gpu', '--time': '1:00:00'}
    """
    found: dict[str, str] = {}
    for match in _SBATCH_LINE.finditer(text):
        option, value = match.group(1), match.group(2).strip()
        if "#" in value:
            value = value.split("#", 1)[0].strip()
        found[_SHORT.get(option, option)] = value
    return found


def _needs_gpu_text(stage: str) -> str:
    return "training" if stage == "train" else "prediction"


def _gpu_requested(opts: Mapping[str, object]) -> bool:
    for key in _GPU_KEYS + _GPU_OPTIONS:
        value = opts.get(key)
        if value in (None, "", 0, "0", False):
            continue
        text = str(value)
        if key.lstrip("-") == "gres" and "gpu" not in text:
            continue
        if text.endswith(":0"):
            continue
        return True
    return False


def _sbatch_exists() -> bool:
    return shutil.which("sbatch") is not None


@functools.lru_cache(maxsize=1)
def slurm_answers() -> bool:
    """True when ``sbatch`` exists and a Slurm controller answers ``sinfo`` (asked once).

    Examples
    --------
    >>> isinstance(slurm_answers(), bool)
    True
    """
    sinfo = shutil.which("sinfo")
    if not _sbatch_exists() or sinfo is None:
        return False
    try:
        proc = subprocess.run([sinfo, "-h", "-o", "%P"], capture_output=True, text=True,
                              timeout=_SBATCH_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return proc.returncode == 0


def _severity(slurm: bool | None) -> str:
    use = slurm_answers() if slurm is None else slurm
    return "error" if use else "warning"


def check_slurm_settings(
    sink: Collector,
    stage: str,
    settings: Mapping[str, object] | None,
    path: str | os.PathLike[str] | None,
    *,
    slurm: bool | None = None,
) -> None:
    """Check one stage's Slurm settings (the merged ``slurm`` block of a variants file).

    Missing ``partition`` or ``time`` is an error when the stage runs on Slurm (``slurm``;
    None: when a Slurm controller answers here) and a warning otherwise (the local executor
    ignores them). A GPU request for evaluation is an error;
    no GPU request for training or prediction is a warning.

    Examples
    --------
    >>> from alpacaspot.pipeline.problems import Collector
    >>> sink = Collector()
    >>> check_slurm_settings(sink, "evaluate", {"partition": "cpu", "time": "1:00:00",
    ...                                         "gpus": 1}, "b.json")
    >>> sink.problems[0].message
    'evaluation requests a GPU (gpus=1); it runs on CPU nodes'
    """
    settings = dict(settings or {})
    severity = _severity(slurm)
    for key in ("partition", "time"):
        if settings.get(key) in (None, ""):
            sink.add(stage, path, f"Slurm setting '{key}' is missing for stage {stage}",
                     f"set slurm.{key} (or slurm.{_block(stage)}.{key}) in the variants file",
                     severity=severity)
    _check_gpu(sink, stage, _gpu_requested(settings), path, settings)


def _block(stage: str) -> str:
    return {"benchmark": "predict"}.get(stage, stage)


def _check_gpu(
    sink: Collector, stage: str, requested: bool, path: object, shown: Mapping[str, object]
) -> None:
    gpu_text = ", ".join(f"{k.lstrip('-')}={shown[k]}" for k in _GPU_KEYS + _GPU_OPTIONS
                         if k in shown and shown[k] not in (None, ""))
    if stage == "evaluate" and requested:
        sink.add(stage, path, f"evaluation requests a GPU ({gpu_text}); it runs on CPU nodes",
                 "remove the GPU request from the evaluate Slurm settings")
    elif stage in GPU_STAGES and not requested:
        sink.add(stage, path, f"{_needs_gpu_text(stage)} requests no GPU",
                 f"set slurm.gpus (or slurm.{_block(stage)}.gpus) unless CPU-only "
                 f"{_needs_gpu_text(stage)} is meant", severity="warning")


def check_scripts(
    sink: Collector,
    stage: str,
    scripts: list[Path],
    *,
    run_sbatch: bool = True,
    slurm: bool | None = None,
) -> None:
    """Check generated job scripts: complete ``#SBATCH`` settings and ``sbatch --test-only``.

    Scripts without ``#SBATCH`` lines (master launchers) are skipped.

    Examples
    --------
    >>> from alpacaspot.pipeline.problems import Collector
    >>> sink = Collector()
    >>> check_scripts(sink, "train", [Path("/nonexistent.sbatch")])
    >>> sink.problems[0].message
    'job script is missing'
    """
    severity = _severity(slurm)
    tested: list[Path] = []
    for script in scripts:
        if not script.is_file():
            sink.add(stage, script, "job script is missing", "run the stage's factory again")
            continue
        opts = script_options(script.read_text(encoding="utf-8", errors="replace"))
        if not opts:
            continue
        for key in ("--partition", "--time"):
            if not opts.get(key):
                sink.add(stage, script, f"job script sets no {key}",
                         f"set slurm.{key.lstrip('-')} in the variants file and run the "
                         "factory again", severity=severity)
        _check_gpu(sink, stage, _gpu_requested(opts), script, opts)
        tested.append(script)
    if run_sbatch and tested and _sbatch_exists():
        _sbatch_test_only(sink, stage, tested)


def _sbatch_test_only(sink: Collector, stage: str, scripts: list[Path]) -> None:
    exe = shutil.which("sbatch")
    assert exe is not None
    for script in scripts:
        try:
            proc = subprocess.run([exe, "--test-only", str(script)], capture_output=True,
                                  text=True, timeout=_SBATCH_TIMEOUT_S, check=False,
                                  cwd=script.parent)
        except (OSError, subprocess.TimeoutExpired) as exc:
            sink.add(stage, script, f"sbatch --test-only could not run: {exc}",
                     "check the Slurm client on this machine", severity="warning")
            return
        if proc.returncode == 0:
            continue
        err = " ".join(proc.stderr.split())
        if any(s in err.lower() for s in _UNREACHABLE):
            sink.add(stage, script, f"sbatch --test-only could not reach Slurm: {err[-300:]}",
                     "run the check on a login node of the cluster to verify the scripts",
                     severity="warning")
            return
        sink.add(stage, script, f"sbatch --test-only rejects the script: {err[-500:]}",
                 "fix the Slurm settings in the variants file and run the factory again")


def check_disk(
    sink: Collector,
    stage: str,
    folder: str | os.PathLike[str],
    need_bytes: int,
    what: str,
) -> None:
    """Report when the file system holding ``folder`` has less free space than needed.

    Examples
    --------
    >>> from alpacaspot.pipeline.problems import Collector
    >>> sink = Collector()
    >>> check_disk(sink, "train", "/", 1 << 62, "models")
    >>> "free" in sink.problems[0].message
    True
    """
    from alpacaspot.pipeline.clean import format_bytes

    probe = Path(folder).absolute()
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    free = shutil.disk_usage(probe).free
    if free < need_bytes:
        sink.add(stage, folder,
                 f"only {format_bytes(free)} free for {what}, about "
                 f"{format_bytes(need_bytes)} needed",
                 "free disk space (alpacaspot clean) or put the outputs on a larger file "
                 "system")
