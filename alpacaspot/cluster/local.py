"""Run a job array on this machine, the way Slurm would run it.

Each task runs the array's rendered script under ``bash`` with ``SLURM_ARRAY_TASK_ID`` set, so
setup lines, working directory and commands behave exactly as on a cluster, and logs land in
``<log_dir>/<name>-<jobid>_<task>.out/.err``. ``submit`` returns when the tasks have finished,
so a local pipeline reads top to bottom; dependencies on earlier local jobs are checked.
As ``scancel`` signals every process of a Slurm job, SIGTERM or SIGINT to the submitting
process sends SIGTERM to every process of the running tasks (each runs in a process group of
its own), and as Slurm waits ``KillWait`` before SIGKILL, the driver waits up to
``kill_wait_s`` for them to end (training writes its checkpoint) before it kills the rest and
ends.
"""

from __future__ import annotations

import logging
import os
import subprocess
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from pathlib import Path

from tqdm.auto import tqdm

from alpacaspot._atomic import atomic_write_text
from alpacaspot.cluster._process_groups import TaskGroups
from alpacaspot.cluster.base import BaseExecutor, JobId, register_executor
from alpacaspot.cluster.jobarray import JobArray
from alpacaspot.errors import ClusterError

__all__ = ["LocalExecutor"]

_log = logging.getLogger(__name__)

#: How often the driver's main thread wakes up while tasks run (seconds).
_WAKE_S = 0.2


def _as_ids(after: int | Iterable[int] | None) -> list[int]:
    if after is None:
        return []
    if isinstance(after, int):
        return [after]
    return [int(a) for a in after]


class LocalExecutor(BaseExecutor):
    """Job arrays in local processes, with the interface of :class:`SlurmExecutor`.

    Registered as ``"local"``; ``submit`` returns when every task has ended.

    Parameters
    ----------
    max_workers : int, optional
        Upper bound on concurrent tasks; each array runs ``array.max_concurrent`` (default 1)
        tasks at a time, capped by this.
    env : dict, optional
        Extra environment variables for every task.
    kill_wait_s : float
        After SIGTERM or SIGINT to this process, how long running tasks get to end before
        they are killed (Slurm's ``KillWait``, 30 s by default there too).

    Examples
    --------
    >>> import tempfile
    >>> ex = LocalExecutor()
    >>> arr = JobArray("hi", ["true", "exit 3"], log_dir=tempfile.mkdtemp())
    >>> job = ex.submit(arr)
    >>> ex.state(job)
    {0: 'COMPLETED', 1: 'FAILED'}
    >>> ex.exit_codes(job)
    {0: 0, 1: 3}
    """

    blocking = True
    scheduler = None

    def __init__(self, *, max_workers: int | None = None, env: dict[str, str] | None = None,
                 kill_wait_s: float = 30.0):
        if not kill_wait_s >= 0:
            raise ClusterError(f"kill_wait_s must be a number of seconds >= 0, got {kill_wait_s!r}")
        self.max_workers = max_workers
        self.env = dict(env or {})
        self.kill_wait_s = float(kill_wait_s)
        self._codes: dict[int, dict[int, int]] = {}
        self._next_id = int(time.time() * 1000) % 1_000_000_000

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def submit(
        self,
        array: JobArray,
        *,
        after: int | Iterable[int] | None = None,
        tasks: Sequence[int] | None = None,
    ) -> JobId:
        """Run the array's tasks (all, or ``tasks``) and return a local job id.

        Raises :class:`~alpacaspot.errors.ClusterError` when a job in ``after`` is unknown or
        did not complete every task (Slurm's ``afterok`` would never start this one).
        """
        for dep in _as_ids(after):
            if dep not in self._codes:
                raise ClusterError(f"dependency {dep} is not a job of this LocalExecutor")
            failed = sorted(t for t, rc in self._codes[dep].items() if rc != 0)
            if failed:
                raise ClusterError(
                    f"job array {array.name!r} depends on job {dep}, whose tasks {failed} "
                    "failed (afterok never satisfied); re-run those tasks first"
                )
        idx = list(range(array.n_tasks)) if tasks is None else sorted(set(map(int, tasks)))
        script_text = array.script(tasks=idx)
        log_dir = Path(array.log_dir)
        log_dir.mkdir(parents=True, exist_ok=True)
        job_id = self._new_id()
        script = log_dir / f"{array.name}-{job_id}.sh"
        atomic_write_text(script, script_text)
        workers = max(1, array.max_concurrent or 1)
        if self.max_workers is not None:
            workers = max(1, min(workers, self.max_workers))
        codes: dict[int, int] = {}

        def _run(task: int) -> tuple[int, int]:
            out, err = array.log_paths(job_id, task)
            env = dict(os.environ)
            env.update(self.env)
            env.update(
                SLURM_ARRAY_TASK_ID=str(task),
                SLURM_ARRAY_JOB_ID=str(job_id),
                SLURM_JOB_ID=str(job_id),
                SLURM_JOB_NAME=array.name,
                SLURM_CPUS_PER_TASK=str(array.cpus_per_task),
            )
            with open(out, "wb") as fo, open(err, "wb") as fe:
                rc = groups.run(["bash", str(script)], stdout=fo, stderr=fe, env=env,
                                stdin=subprocess.DEVNULL)
            return task, rc

        _log.info("local job %d (%s): %d task(s), %d at a time", job_id, array.name,
                  len(idx), workers)
        groups = TaskGroups(kill_wait_s=self.kill_wait_s)
        with groups.forwarding(), ThreadPoolExecutor(max_workers=workers) as pool, tqdm(
                total=len(idx), desc=array.name, disable=None, leave=False) as bar:
            pending = {pool.submit(_run, task) for task in idx}
            while pending:
                # Python runs signal handlers in the main thread, and a main thread asleep in
                # a lock is not woken by a signal the kernel gave a worker thread: wake up
                # often, so that a signal is forwarded at once whichever thread received it
                done, pending = wait(pending, timeout=_WAKE_S, return_when=FIRST_COMPLETED)
                for task, rc in sorted(future.result() for future in done):
                    codes[task] = rc
                    bar.update()
                    if rc != 0:
                        _log.warning("job %d task %d exited %d (see %s)", job_id, task, rc,
                                     array.log_paths(job_id, task)[1])
        self._codes[job_id] = dict(sorted(codes.items()))
        return self._job(job_id)

    def _known(self, job_id: int) -> dict[int, int]:
        try:
            return self._codes[int(job_id)]
        except KeyError:
            raise ClusterError(f"no local job {job_id} in this LocalExecutor") from None

    def exit_codes(self, job_id: int) -> dict[int, int]:
        """Exit status of every task of a finished local job."""
        return dict(self._known(job_id))

    def state(self, job_id: int) -> dict[int, str]:
        """Slurm-style state per task: ``COMPLETED`` or ``FAILED``."""
        return {t: "COMPLETED" if rc == 0 else "FAILED" for t, rc in self._known(job_id).items()}

    def wait(self, job_id: int, **_: object) -> dict[int, str]:
        """Local jobs have finished when ``submit`` returns; the same as :meth:`state`."""
        return self.state(job_id)

    def cancel(self, job_id: int, tasks: Sequence[int] | None = None) -> None:
        """Nothing to cancel: local jobs are finished when ``submit`` returns."""
        self._known(job_id)


register_executor("local", LocalExecutor)
