"""Render a :class:`~alpacaspot.cluster.jobarray.JobArray` as a self-launching bash script."""

from __future__ import annotations

import contextlib
import io
import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from alpacaspot.errors import ClusterError

if TYPE_CHECKING:  # pragma: no cover
    from alpacaspot.cluster.jobarray import JobArray

__all__ = ["render_script", "sbatch_header"]

_PATH_OPTIONS = ("output", "error", "chdir")


def sbatch_header(options: dict[str, str], *, name: str) -> str:
    """``#!/bin/bash`` plus one ``#SBATCH`` line per option, rendered by simple-slurm."""
    for key in _PATH_OPTIONS:
        value = options.get(key)
        if value is not None and any(c.isspace() or c in "'\"" for c in value):
            raise ClusterError(
                f"job array {name!r}: Slurm cannot take the {key} path {value!r} in an "
                "#SBATCH line (whitespace or quotes); choose a folder without them"
            )
    from simple_slurm import Slurm

    try:
        # simple-slurm reports bad options through argparse (SystemExit + usage on stderr).
        with contextlib.redirect_stderr(io.StringIO()) as err:
            slurm = Slurm(**options)
            return slurm.script(shell="/bin/bash", convert=False)
    except (SystemExit, AssertionError, ValueError, TypeError) as exc:
        raise ClusterError(
            f"job array {name!r}: simple-slurm rejected the options {options!r}: "
            f"{err.getvalue().strip() or exc}"
        ) from exc


def render_script(array: JobArray, *, tasks: Sequence[int] | None = None) -> str:
    """The whole script: header, launcher block, setup lines and one ``case`` arm per task."""
    options = array.sbatch_options(tasks=tasks)
    header = sbatch_header(options, name=array.name).rstrip("\n")
    idx = list(range(array.n_tasks)) if tasks is None else sorted(set(int(t) for t in tasks))
    log_dir = shlex.quote(str(Path(array.log_dir).absolute()))
    name = shlex.quote(array.name)
    workdir = (
        f"cd {shlex.quote(str(Path(array.workdir).absolute()))} || exit 1"
        if array.workdir is not None
        else ":"
    )
    lines = [
        header,
        "",
        f"# alpacaspot job array {array.name!r}: {array.n_tasks} task(s).",
        "# `sbatch` on this file submits the array; `bash` on it submits it where sbatch",
        "# exists and runs the tasks here one after the other where it does not.",
        'if [ -z "${SLURM_ARRAY_TASK_ID:-}" ]; then',
        f"    mkdir -p {log_dir} || exit 1",
        '    if [ -z "${ALPACASPOT_LOCAL:-}" ] && command -v sbatch >/dev/null 2>&1; then',
        '        exec sbatch "$@" "$0"',
        "    fi",
        "    status=0",
        f"    for task in {' '.join(str(i) for i in idx)}; do",
        f'        log={log_dir}/{name}-local_"$task"',
        '        SLURM_ARRAY_TASK_ID=$task SLURM_ARRAY_JOB_ID=local bash "$0" '
        '>"$log.out" 2>"$log.err"',
        "        rc=$?",
        '        echo "task $task: exit $rc (log $log.out)" >&2',
        '        [ "$rc" -eq 0 ] || status=1',
        "    done",
        '    exit "$status"',
        "fi",
        "",
        workdir,
        *array.setup,
        "",
    ]
    signame = _signal_name(array.signal)
    if signame:
        # Slurm signals the batch shell only (B:); pass the warning on to the task's processes.
        # The trap goes in before the task starts, so an early signal cannot kill this shell.
        lines.append(f"trap 'trap \"\" {signame}; kill -s {signame} 0 2>/dev/null' {signame}")
    lines.append('case "$SLURM_ARRAY_TASK_ID" in')
    for i, cmd in enumerate(array.commands):
        lines.append(f"    {i}) {{ {cmd}; }} & ;;" if signame else f"    {i}) {cmd} ;;")
    lines += [
        '    *) echo "no task $SLURM_ARRAY_TASK_ID in this array" >&2; exit 2 ;;',
        "esac",
    ]
    if signame:
        lines += [
            "child=$!",
            # a trapped signal interrupts `wait` (status > 128) although the task may go on or
            # end normally: wait again, or collect the status the interruption hid
            'while :; do',
            '    wait "$child"; rc=$?',
            '    [ "$rc" -gt 128 ] || break',
            '    kill -0 "$child" 2>/dev/null && continue',
            '    wait "$child" 2>/dev/null; real=$?; [ "$real" -eq 127 ] || rc=$real',
            '    break',
            'done',
            'exit "$rc"',
        ]
    lines.append("")
    return "\n".join(lines)


def _signal_name(signal: str | None) -> str | None:
    """``USR1`` from ``B:USR1@120`` (None when no signal is configured)."""
    if not signal:
        return None
    name = signal.split(":")[-1].split("@")[0].strip().upper()
    if name.startswith("SIG"):
        name = name[3:]
    if not name.isalnum():
        raise ClusterError(f"signal {signal!r}: expected e.g. 'B:USR1@120'")
    return name
