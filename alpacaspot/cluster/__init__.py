"""Job arrays on Slurm or on this machine, with idempotent, resumable tasks.

Executors satisfy one contract (:class:`Executor`: ``submit``, ``wait``, ``state``,
``failed_tasks``) and are chosen by name (:func:`get_executor`); a new one is a class plus
:func:`register_executor`. This package is the ground floor: it imports nothing of
alpacaspot but :mod:`alpacaspot.errors` and :mod:`alpacaspot._atomic`.

Examples
--------
>>> import tempfile
>>> from alpacaspot.cluster import JobArray, LocalExecutor, failed_tasks
>>> ex = LocalExecutor()
>>> job = ex.submit(JobArray("demo", ["true", "false"], log_dir=tempfile.mkdtemp()))
>>> failed_tasks(job)
[1]
"""

from __future__ import annotations

from alpacaspot.cluster.base import (
    ACTIVE_STATES,
    BaseExecutor,
    Executor,
    JobId,
    executor_names,
    failed_tasks,
    get_executor,
    register_executor,
    unregister_executor,
)
from alpacaspot.cluster.done import is_done, read_marker, task_digest, write_marker
from alpacaspot.cluster.jobarray import JobArray, array_spec, task_command
from alpacaspot.cluster.local import LocalExecutor
from alpacaspot.cluster.slurm import SlurmExecutor, dependency_spec

__all__ = [
    "JobArray",
    "Executor",
    "BaseExecutor",
    "JobId",
    "ACTIVE_STATES",
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
    "register_executor",
    "unregister_executor",
    "executor_names",
]
