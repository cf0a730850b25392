"""The executor contract: what runs a job array, and the registry that names executors.

An executor takes a :class:`~alpacaspot.cluster.JobArray` and runs its tasks somewhere (this
machine, Slurm, ...). Every executor satisfies :class:`Executor`: ``submit`` returns a
:class:`JobId`, an ``int`` that remembers its executor, so ``failed_tasks(job)`` needs no
executor argument; ``state`` and ``wait`` report Slurm-style task states (``COMPLETED``,
``FAILED``, ``PENDING``, ...). Executors are chosen by name through :func:`get_executor`;
adding one is a class plus :func:`register_executor`.

Examples
--------
>>> import tempfile
>>> from alpacaspot.cluster import JobArray, failed_tasks, get_executor
>>> ex = get_executor("local")
>>> job = ex.submit(JobArray("demo", ["true", "false"], log_dir=tempfile.mkdtemp()))
>>> failed_tasks(job)
[1]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from alpacaspot.errors import ClusterError

if TYPE_CHECKING:  # pragma: no cover
    from alpacaspot.cluster.jobarray import JobArray

__all__ = [
    "ACTIVE_STATES",
    "Executor",
    "BaseExecutor",
    "JobId",
    "failed_tasks",
    "get_executor",
    "register_executor",
    "unregister_executor",
    "executor_names",
]

#: Task states (Slurm's names) of a task that has not ended yet.
ACTIVE_STATES = frozenset(
    {"PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "SUSPENDED", "REQUEUED", "RESIZING",
     "STAGE_OUT", "SIGNALING", "REQUEUE_HOLD", "REQUEUE_FED", "RESV_DEL_HOLD", "STOPPED"}
)


@runtime_checkable
class Executor(Protocol):
    """What runs job arrays.

    Attributes
    ----------
    blocking : bool
        True when :meth:`submit` returns only after every task has ended (a local run);
        False when tasks wait in a queue (Slurm).
    scheduler : str or None
        The batch scheduler whose settings the job scripts must carry (``"slurm"``), checked
        before submission; None when there is none.
    """

    blocking: bool
    scheduler: str | None

    def submit(self, array: JobArray, *, after: int | Iterable[int] | None = None,
               tasks: Sequence[int] | None = None) -> int:
        """Start the array's tasks (all, or ``tasks``) after the jobs ``after``; a job id."""
        ...

    def wait(self, job_id: int) -> dict[int, str]:
        """Block until every task of the job has ended; the state per task."""
        ...

    def state(self, job_id: int) -> dict[int, str]:
        """The state per task now (``COMPLETED``, ``FAILED``, ``PENDING``, ...)."""
        ...

    def failed_tasks(self, job_id: int) -> list[int]:
        """Tasks that ended without ``COMPLETED`` (what to re-submit)."""
        ...


class JobId(int):
    """A job id (an ``int``) that remembers the executor that submitted it.

    Examples
    --------
    >>> job = JobId(12, executor=None)
    >>> job == 12, job + 1, str(job)
    (True, 13, '12')
    """

    executor: Executor | None

    def __new__(cls, value: int, executor: Executor | None = None) -> JobId:
        job = super().__new__(cls, int(value))
        job.executor = executor
        return job

    def __reduce__(self) -> tuple[Any, ...]:
        return (int, (int(self),))


class BaseExecutor:
    """Shared behaviour of executors: :meth:`failed_tasks` from :meth:`state`, job ids.

    Subclasses implement ``submit``, ``wait`` and ``state`` and return job ids made with
    :meth:`_job`.
    """

    blocking: bool = False
    scheduler: str | None = None

    def _job(self, job_id: int) -> JobId:
        return JobId(job_id, self)  # type: ignore[arg-type]

    def state(self, job_id: int) -> dict[int, str]:  # pragma: no cover - abstract
        raise NotImplementedError

    def status(self, job_id: int) -> dict[int, str]:
        """The same as :meth:`state` (the older name)."""
        return self.state(job_id)

    def failed_tasks(self, job_id: int) -> list[int]:
        """Tasks of the job that ended without ``COMPLETED``; active tasks are not listed."""
        return sorted(t for t, s in self.state(job_id).items()
                      if s != "COMPLETED" and s not in ACTIVE_STATES)


def failed_tasks(job: int | Executor, job_id: int | None = None) -> list[int]:
    """Tasks of a job that ended without ``COMPLETED`` (what to re-submit).

    Call it with the job id an executor's ``submit`` returned (it knows its executor), or,
    as before, with the executor and the job id. Tasks still pending or running are not
    listed.

    Examples
    --------
    >>> import tempfile
    >>> from alpacaspot.cluster import JobArray, LocalExecutor
    >>> ex = LocalExecutor()
    >>> job = ex.submit(JobArray("x", ["exit 1", "true"], log_dir=tempfile.mkdtemp()))
    >>> failed_tasks(job), failed_tasks(ex, job)
    ([0], [0])
    """
    if job_id is not None:
        return job.failed_tasks(job_id)  # type: ignore[union-attr]
    executor = getattr(job, "executor", None)
    if executor is None:
        raise ClusterError(f"job {job!r} does not know its executor: call "
                           "failed_tasks(executor, job_id)")
    return executor.failed_tasks(job)


_REGISTRY: dict[str, Callable[..., Executor]] = {}


def register_executor(name: str, factory: Callable[..., Executor], *,
                      replace: bool = False) -> None:
    """Make an executor available to :func:`get_executor` under ``name``.

    Parameters
    ----------
    name : str
        The name users pass (``PipelineSpec.executor``, ``--executor``).
    factory : callable
        Called with :func:`get_executor`'s keyword arguments; returns an executor.
    replace : bool
        Allow replacing an executor already registered under ``name``.

    Examples
    --------
    >>> from alpacaspot.cluster import LocalExecutor
    >>> register_executor("here", LocalExecutor)
    >>> type(get_executor("here")).__name__
    'LocalExecutor'
    >>> unregister_executor("here")
    """
    if not name or not isinstance(name, str):
        raise ClusterError(f"an executor name must be a non-empty string, got {name!r}")
    if name in _REGISTRY and not replace:
        raise ClusterError(f"an executor named {name!r} is already registered")
    _REGISTRY[name] = factory


def unregister_executor(name: str) -> None:
    """Remove a registered executor (tests register toys and remove them)."""
    if _REGISTRY.pop(name, None) is None:
        raise ClusterError(f"no executor named {name!r} is registered")


def executor_names() -> tuple[str, ...]:
    """Names of the registered executors, sorted.

    Examples
    --------
    >>> executor_names()
    ('local', 'slurm')
    """
    return tuple(sorted(_REGISTRY))


def get_executor(kind: str = "local", **options: Any) -> Executor:
    """An executor by name (``"local"``, ``"slurm"`` or any registered one).

    Parameters
    ----------
    kind : str
        A registered name (see :func:`executor_names`).
    **options
        Keyword arguments of the executor's class (``max_workers=2`` for ``"local"``).

    Raises
    ------
    ClusterError
        When no executor has that name.

    Examples
    --------
    >>> type(get_executor("local")).__name__
    'LocalExecutor'
    """
    factory = _REGISTRY.get(kind)
    if factory is None:
        names = [repr(n) for n in executor_names()]
        allowed = " or ".join(names) if len(names) < 3 else (
            ", ".join(names[:-1]) + " or " + names[-1])
        raise ClusterError(f"executor must be {allowed}, got {kind!r}")
    return factory(**options)
