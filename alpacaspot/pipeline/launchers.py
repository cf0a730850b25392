"""Generated launchers: job-array scripts and master scripts that submit several arrays.

An array script (``train_models.sbatch``, ``pred_<model>.batch``) is the rendered
:class:`~alpacaspot.cluster.JobArray`: ``bash`` on it submits it where ``sbatch`` exists and
runs its tasks locally, one after the other, where it does not. A master script
(``pred_models.batch``) runs ``bash`` on each array script in turn.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from alpacaspot._atomic import atomic_write_text
from alpacaspot.cluster import JobArray, task_command

__all__ = ["write_array_script", "write_master_script", "wrapped_command"]


def _write_executable(path: Path, text: str) -> Path:
    atomic_write_text(path, text)
    path.chmod(0o755)
    return path


def write_array_script(path: str | os.PathLike[str], array: JobArray) -> Path:
    """Write ``array``'s self-launching script to ``path`` (atomic, executable).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> p = write_array_script(d / "a.sbatch", JobArray("a", ["true"], log_dir=d / "logs"))
    >>> p.read_text().startswith("#!/bin/bash")
    True
    """
    return _write_executable(Path(path), array.script())


def write_master_script(path: str | os.PathLike[str], scripts: Sequence[str | os.PathLike[str]],
                        *, description: str) -> Path:
    """Write a bash script that launches each array script with ``bash``.

    Exits non-zero when any launch failed (a local run with a failed task, or a refused
    submission), after trying all of them.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> p = write_master_script(d / "all.batch", [d / "a.batch"], description="demo")
    >>> "bash" in p.read_text()
    True
    """
    lines = [
        "#!/bin/bash",
        f"# {description}",
        "# Submits each array with sbatch where it exists, else runs its tasks here.",
        "status=0",
    ]
    for script in scripts:
        q = shlex.quote(str(Path(script).absolute()))
        lines.append(f'bash {q} "$@" || {{ echo "launch failed: "{q} >&2; status=1; }}')
    lines += ['exit "$status"', ""]
    return _write_executable(Path(path), "\n".join(lines))


def wrapped_command(python: str | None, command: Sequence[str | os.PathLike[str]], *,
                    output: str | os.PathLike[str],
                    inputs: Sequence[str | os.PathLike[str]] = (),
                    reset_on_change: bool = False) -> str:
    """The shell line of one idempotent task: the done-marker wrapper around ``command``.

    Examples
    --------
    >>> wrapped_command("python", ["alpacaspot", "train", "a b.cfg"], output="out",
    ...                 inputs=["a b.cfg"])
    "python -m alpacaspot.cluster.task --output out --input 'a b.cfg' -- alpacaspot train 'a b.cfg'"
    """
    argv: list[str | os.PathLike[str]] = [python or sys.executable, "-m",
                                          "alpacaspot.cluster.task", "--output", output]
    for inp in inputs:
        argv += ["--input", inp]
    if reset_on_change:
        argv.append("--reset-on-change")
    return task_command(*argv, "--", *command)
