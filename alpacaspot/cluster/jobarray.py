"""Job arrays: one shell command per task, rendered as a self-launching batch script.

A :class:`JobArray` is a plain description (name, commands, resources, log folder). Its
:meth:`JobArray.script` is a bash script with ``#SBATCH`` lines (rendered with simple-slurm)
that works three ways:

- under Slurm (``SLURM_ARRAY_TASK_ID`` set) it runs the setup lines and task ``i``'s command;
- run with ``bash`` outside Slurm where ``sbatch`` exists, it submits itself as an array;
- run with ``bash`` where there is no ``sbatch``, it runs every task locally, one after the
  other, logging to the same files a Slurm task would.

No site name, account or path is built in: everything comes from the caller.
"""

from __future__ import annotations

import datetime
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from alpacaspot.cluster._render import render_script
from alpacaspot.errors import ClusterError

__all__ = ["JobArray", "task_command", "array_spec"]

_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")


def task_command(*argv: str | Path) -> str:
    """Quote an argument list into one shell command line.

    Examples
    --------
    >>> task_command("alpacaspot", "train", "/data/my runs/a.cfg")
    "alpacaspot train '/data/my runs/a.cfg'"
    """
    return shlex.join(str(a) for a in argv)


def array_spec(tasks: Sequence[int], max_concurrent: int | None = None) -> str:
    """Slurm ``--array`` value for task indices: ranges where contiguous, ``%M`` throttle.

    Examples
    --------
    >>> array_spec([0, 1, 2, 3], 2)
    '0-3%2'
    >>> array_spec([3, 7, 8])
    '3,7-8'
    """
    idx = sorted(set(int(t) for t in tasks))
    if not idx:
        raise ClusterError("a job array needs at least one task")
    if idx[0] < 0:
        raise ClusterError(f"array task indices must be >= 0, got {idx[0]}")
    parts: list[str] = []
    start = prev = idx[0]
    for i in idx[1:] + [None]:  # type: ignore[list-item]
        if i is not None and i == prev + 1:
            prev = i
            continue
        parts.append(str(start) if start == prev else f"{start}-{prev}")
        if i is not None:
            start = prev = i
    spec = ",".join(parts)
    if max_concurrent is not None:
        if int(max_concurrent) < 1:
            raise ClusterError(f"max_concurrent must be >= 1, got {max_concurrent!r}")
        spec += f"%{int(max_concurrent)}"
    return spec


def _time_value(value: str | int | datetime.timedelta | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime.timedelta):
        seconds = int(value.total_seconds())
        days, rest = divmod(seconds, 86400)
        return f"{days}-{rest // 3600:02d}:{rest % 3600 // 60:02d}:{rest % 60:02d}"
    if isinstance(value, int):  # minutes, as sbatch reads a bare number
        return str(value)
    return str(value)


@dataclass(frozen=True)
class JobArray:
    """A Slurm-style job array: one shell command per task.

    Parameters
    ----------
    name : str
        Job name (``%x`` in log names); letters, digits, ``_.-``.
    commands : sequence of str
        One shell command per task; build them with :func:`task_command` so paths are quoted.
    log_dir : str or Path
        Logs go to ``<log_dir>/<name>-<jobid>_<task>.out`` / ``.err``; the rendered script is
        written here too.
    max_concurrent, partition, account, gpus, cpus_per_task, mem, time, nodes, constraint, qos
        Slurm resources; ``None`` leaves them to the site's defaults. ``gpus`` is a count (or a
        ``type:count`` string) requested per task as ``--gres=gpu:<gpus>``; ``time`` is a Slurm
        time string, minutes or a ``timedelta``.
    workdir : str or Path, optional
        Working directory of every task (default: where the script is submitted from).
    setup : sequence of str
        Shell lines run before each task's command (environment activation).
    signal : str, optional
        ``--signal`` value, e.g. ``"B:USR1@120"``.

    Examples
    --------
    >>> arr = JobArray("demo", ["echo a", "echo b"], log_dir="/tmp/logs", max_concurrent=1)
    >>> arr.n_tasks
    2
    >>> "#SBATCH --array" in arr.script()
    True
    """

    name: str
    commands: tuple[str, ...]
    max_concurrent: int | None = field(default=None, kw_only=True)
    partition: str | None = field(default=None, kw_only=True)
    account: str | None = field(default=None, kw_only=True)
    gpus: int | str | None = field(default=None, kw_only=True)
    cpus_per_task: int = field(default=1, kw_only=True)
    mem: str | None = field(default=None, kw_only=True)
    time: str | int | datetime.timedelta | None = field(default=None, kw_only=True)
    nodes: int = field(default=1, kw_only=True)
    constraint: str | None = field(default=None, kw_only=True)
    qos: str | None = field(default=None, kw_only=True)
    log_dir: str | Path = field(kw_only=True)
    workdir: str | Path | None = field(default=None, kw_only=True)
    setup: tuple[str, ...] = field(default=(), kw_only=True)
    signal: str | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        if isinstance(self.commands, str):
            raise ClusterError(f"JobArray {self.name!r}: commands must be a list, not a string")
        object.__setattr__(self, "commands", tuple(str(c) for c in self.commands))
        if isinstance(self.setup, str):
            object.__setattr__(self, "setup", (self.setup,))
        object.__setattr__(self, "setup", tuple(str(s) for s in self.setup))
        object.__setattr__(self, "log_dir", Path(self.log_dir))
        if self.workdir is not None:
            object.__setattr__(self, "workdir", Path(self.workdir))
        if not self.name or not set(self.name) <= _NAME_CHARS:
            raise ClusterError(
                f"job name {self.name!r}: use letters, digits, '_', '.', '-' only"
            )
        if not self.commands:
            raise ClusterError(f"JobArray {self.name!r} has no commands")
        for i, cmd in enumerate(self.commands):
            if not cmd.strip() or "\n" in cmd:
                raise ClusterError(
                    f"JobArray {self.name!r}: command {i} must be one non-empty line, "
                    f"got {cmd!r}"
                )
        for key in ("cpus_per_task", "nodes"):
            value = getattr(self, key)
            if not isinstance(value, int) or value < 1:
                raise ClusterError(f"JobArray {self.name!r}: {key} must be an int >= 1, "
                                   f"got {value!r}")
        if self.max_concurrent is not None and (
            not isinstance(self.max_concurrent, int) or self.max_concurrent < 1
        ):
            raise ClusterError(f"JobArray {self.name!r}: max_concurrent must be an int >= 1, "
                               f"got {self.max_concurrent!r}")

    @property
    def n_tasks(self) -> int:
        """Number of tasks (commands)."""
        return len(self.commands)

    @property
    def script_path(self) -> Path:
        """Where executors write the rendered script: ``<log_dir>/<name>.sbatch``."""
        return Path(self.log_dir) / f"{self.name}.sbatch"

    def log_paths(self, job_id: int | str, task: int) -> tuple[Path, Path]:
        """``(stdout, stderr)`` log paths of one task.

        Examples
        --------
        >>> JobArray("a", ["true"], log_dir="/l").log_paths(12, 0)[0].as_posix()
        '/l/a-12_0.out'
        """
        base = Path(self.log_dir) / f"{self.name}-{job_id}_{task}"
        return base.with_name(base.name + ".out"), base.with_name(base.name + ".err")

    def sbatch_options(self, *, tasks: Sequence[int] | None = None) -> dict[str, str]:
        """The ``#SBATCH`` options as ``{long option: value}`` (no dependency)."""
        idx = list(range(self.n_tasks)) if tasks is None else list(tasks)
        bad = [t for t in idx if not 0 <= int(t) < self.n_tasks]
        if bad:
            raise ClusterError(
                f"JobArray {self.name!r} has tasks 0..{self.n_tasks - 1}; no task {bad[0]}"
            )
        log = Path(self.log_dir).absolute()
        opts: dict[str, str | None] = {
            "job_name": self.name,
            "array": array_spec(idx, self.max_concurrent),
            "output": str(log / "%x-%A_%a.out"),
            "error": str(log / "%x-%A_%a.err"),
            "partition": self.partition,
            "account": self.account,
            "qos": self.qos,
            "nodes": str(self.nodes),
            "ntasks": "1",
            "cpus_per_task": str(self.cpus_per_task),
            "mem": self.mem,
            "time": _time_value(self.time),
            "constraint": self.constraint,
            "gres": None if self.gpus in (None, 0, "0") else f"gpu:{self.gpus}",
            "signal": self.signal,
            "chdir": None if self.workdir is None else str(Path(self.workdir).absolute()),
        }
        return {k: v for k, v in opts.items() if v is not None}

    def script(self, *, tasks: Sequence[int] | None = None) -> str:
        """Render the self-launching bash script (see the module docstring).

        Examples
        --------
        >>> s = JobArray("x", ["echo hi"], log_dir="/tmp/l", gpus=1).script()
        >>> "#SBATCH --gres" in s and "echo hi" in s
        True
        """
        return render_script(self, tasks=tasks)
