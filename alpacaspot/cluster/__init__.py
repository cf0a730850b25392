"""Job arrays on Slurm or on this machine, with idempotent, resumable tasks.

Examples
--------
>>> import tempfile
>>> from alpacaspot.cluster import JobArray, LocalExecutor, failed_tasks
>>> ex = LocalExecutor()
>>> job = ex.submit(JobArray("demo", ["true", "false"], log_dir=tempfile.mkdtemp()))
>>> failed_tasks(ex, job)
[1]
"""

from __future__ import annotations

from typing import Protocol

from alpacaspot.cluster.done import is_done, read_marker, task_digest, write_marker
from alpacaspot.cluster.jobarray import JobArray, array_spec, task_command
from alpacaspot.cluster.local import LocalExecutor
from alpacaspot.cluster.slurm import SlurmExecutor, dependency_spec

__all__ = [
    "JobArray",
    "SlurmExecutor",
    "LocalExecutor",
    "failed_tasks",
    "task_command",
    "array_spec",
    "dependency_spec",
    "task_digest",
    "is_done",
    "read_marker",
    "write_marker",
    "get_executor",
]


class _HasStatus(Protocol):
    def status(self, job_id: int) -> dict[int, str]: ...


def failed_tasks(executor: _HasStatus, job_id: int) -> list[int]:
    """Tasks of a job that ended without ``COMPLETED`` (what to re-submit).

    Tasks still pending or running are not listed.

    Examples
    --------
    >>> import tempfile
    >>> ex = LocalExecutor()
    >>> job = ex.submit(JobArray("x", ["exit 1", "true"], log_dir=tempfile.mkdtemp()))
    >>> failed_tasks(ex, job)
    [0]
    """
    from alpacaspot.cluster.slurm import ACTIVE_STATES

    return sorted(t for t, s in executor.status(job_id).items()
                  if s != "COMPLETED" and s not in ACTIVE_STATES)


def get_executor(kind: str = "local") -> LocalExecutor | SlurmExecutor:
    """An executor by name: ``"local"`` or ``"slurm"``.

    Examples
    --------
    >>> type(get_executor("local")).__name__
    'LocalExecutor'
    """
    if kind == "local":
        return LocalExecutor()
    if kind == "slurm":
        return SlurmExecutor()
    from alpacaspot.errors import ClusterError

    raise ClusterError(f"executor must be 'local' or 'slurm', got {kind!r}")
