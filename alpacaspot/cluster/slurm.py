"""Submit job arrays to Slurm and follow them without sacct.

Scripts are rendered with simple-slurm (``#SBATCH`` lines only) and submitted with
``sbatch --parsable`` through :mod:`subprocess` with an argument list. Dependencies are given
on the command line as ``--dependency=afterok:<id>:<id>`` (simple-slurm would render a list as
``afterok:1,2``). State comes from ``squeue -t all -r`` and falls back to ``scontrol show job``,
since clusters without slurmdbd have no ``sacct``.
"""

from __future__ import annotations

import logging
import re
import subprocess
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from alpacaspot._atomic import atomic_write_text
from alpacaspot.cluster.base import ACTIVE_STATES, BaseExecutor, JobId, register_executor
from alpacaspot.cluster.jobarray import JobArray
from alpacaspot.errors import ClusterError

__all__ = ["SlurmExecutor", "ACTIVE_STATES", "dependency_spec"]

_log = logging.getLogger(__name__)

def dependency_spec(after: int | Iterable[int] | None) -> str | None:
    """``afterok:<id>:<id>`` for whole jobs (arrays), or ``None``.

    Examples
    --------
    >>> dependency_spec([12, 13])
    'afterok:12:13'
    >>> dependency_spec(None) is None
    True
    """
    if after is None:
        return None
    ids = [after] if isinstance(after, int) else list(after)
    if not ids:
        return None
    try:
        return "afterok:" + ":".join(str(int(i)) for i in ids)
    except (TypeError, ValueError):
        raise ClusterError(f"job dependencies must be job ids (ints), got {ids!r}") from None


class SlurmExecutor(BaseExecutor):
    """Job arrays on Slurm (registered as ``"slurm"``); ``submit`` returns at once.

    Parameters
    ----------
    sbatch, squeue, scontrol, scancel : str
        The Slurm commands (names on ``PATH`` or absolute paths).
    extra_args : sequence of str
        Extra ``sbatch`` arguments for every submission (e.g. ``["--reservation=x"]``).
    poll_s : float
        Seconds between state checks in :meth:`wait`.

    Examples
    --------
    >>> ex = SlurmExecutor()  # doctest: +SKIP
    >>> job = ex.submit(JobArray("a", ["echo hi"], log_dir="logs"))  # doctest: +SKIP
    >>> ex.wait(job)  # doctest: +SKIP
    {0: 'COMPLETED'}
    """

    def __init__(
        self,
        *,
        sbatch: str = "sbatch",
        squeue: str = "squeue",
        scontrol: str = "scontrol",
        scancel: str = "scancel",
        extra_args: Sequence[str] = (),
        poll_s: float = 2.0,
    ) -> None:
        self.blocking = False
        self.scheduler = "slurm"
        self.sbatch = sbatch
        self.squeue = squeue
        self.scontrol = scontrol
        self.scancel = scancel
        self.extra_args = tuple(extra_args)
        self.poll_s = float(poll_s)

    # -- commands ---------------------------------------------------------------------------
    def _run(self, argv: list[str], *, what: str) -> subprocess.CompletedProcess[str]:
        try:
            return subprocess.run(argv, capture_output=True, text=True, check=False,
                                  timeout=120)
        except FileNotFoundError:
            raise ClusterError(f"{what}: {argv[0]!r} not found; is Slurm installed here?") \
                from None
        except subprocess.TimeoutExpired:
            raise ClusterError(f"{what}: {' '.join(argv)} did not answer in 120 s") from None

    def write_script(self, array: JobArray, *, tasks: Sequence[int] | None = None) -> Path:
        """Render the array and write it atomically to ``array.script_path``."""
        text = array.script(tasks=tasks)
        path = array.script_path
        Path(array.log_dir).mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, text)
        path.chmod(0o755)
        return path

    def _sbatch_argv(self, array: JobArray, tasks: Sequence[int] | None,
                     after: int | Iterable[int] | None) -> tuple[list[str], Path]:
        path = self.write_script(array, tasks=tasks)
        argv = [self.sbatch, "--parsable", *self.extra_args]
        if tasks is not None:
            argv.append("--array=" + array.sbatch_options(tasks=tasks)["array"])
        dep = dependency_spec(after)
        if dep is not None:
            argv += [f"--dependency={dep}", "--kill-on-invalid-dep=yes"]
        return argv + [str(path)], path

    def test_only(self, array: JobArray, *, tasks: Sequence[int] | None = None) -> str:
        """Validate the rendered script with ``sbatch --test-only``; return sbatch's message.

        Raises :class:`~alpacaspot.errors.ClusterError` with sbatch's stderr when Slurm
        rejects it.
        """
        argv, path = self._sbatch_argv(array, tasks, None)
        argv.insert(1, "--test-only")
        argv.remove("--parsable")
        proc = self._run(argv, what="sbatch --test-only")
        if proc.returncode != 0:
            raise ClusterError(f"sbatch --test-only rejected the script: {proc.stderr.strip()}",
                               path=path)
        return (proc.stderr + proc.stdout).strip()

    def submit(
        self,
        array: JobArray,
        *,
        after: int | Iterable[int] | None = None,
        tasks: Sequence[int] | None = None,
    ) -> JobId:
        """Submit the array (all tasks, or only ``tasks``); return the job id at once.

        ``after`` holds job ids that must complete successfully first (``afterok``).
        """
        argv, path = self._sbatch_argv(array, tasks, after)
        proc = self._run(argv, what="sbatch")
        first = proc.stdout.strip().splitlines()[0] if proc.stdout.strip() else ""
        if proc.returncode != 0 or not re.fullmatch(r"\d+(;\S+)?", first):
            raise ClusterError(
                f"sbatch failed (exit {proc.returncode}): {proc.stderr.strip() or first}",
                path=path,
            )
        job_id = int(first.split(";")[0])
        _log.info("submitted %s as job %d (%s)", array.name, job_id, path)
        return self._job(job_id)

    # -- state ------------------------------------------------------------------------------
    def _squeue(self, job_id: int) -> dict[int, tuple[str, str]] | None:
        proc = self._run([self.squeue, "-h", "-r", "-t", "all", "-j", str(int(job_id)),
                          "-o", "%i|%T|%r"], what="squeue")
        if proc.returncode != 0:
            return None
        out: dict[int, tuple[str, str]] = {}
        for line in proc.stdout.splitlines():
            parts = line.strip().split("|")
            if len(parts) != 3:
                continue
            m = re.fullmatch(r"(\d+)_(\d+)", parts[0])
            if m and int(m.group(1)) == int(job_id):
                out[int(m.group(2))] = (parts[1], parts[2])
            elif parts[0] == str(job_id):  # a plain job: task 0
                out[0] = (parts[1], parts[2])
        return out or None

    def _scontrol(self, job_id: int) -> dict[int, tuple[str, str]] | None:
        proc = self._run([self.scontrol, "-o", "show", "job", str(int(job_id))],
                         what="scontrol")
        if proc.returncode != 0:
            return None
        out: dict[int, tuple[str, str]] = {}
        for line in proc.stdout.splitlines():
            fields = dict(re.findall(r"(\w+)=(\S*)", line))
            state, reason = fields.get("JobState", ""), fields.get("Reason", "")
            task = fields.get("ArrayTaskId", "0")
            if task.isdigit():
                out[int(task)] = (state, reason)
        return out or None

    def _states(self, job_id: int) -> dict[int, tuple[str, str]]:
        states = self._squeue(job_id) or self._scontrol(job_id)
        if states is None:
            raise ClusterError(
                f"Slurm knows no job {job_id} (neither squeue nor scontrol; it may have aged "
                "out: raise MinJobAge)"
            )
        return dict(sorted(states.items()))

    def state(self, job_id: int) -> dict[int, str]:
        """State per array task (``PENDING``, ``RUNNING``, ``COMPLETED``, ``FAILED``, ...)."""
        return {t: s for t, (s, _) in self._states(job_id).items()}

    def wait(
        self,
        job_id: int,
        *,
        timeout_s: float | None = None,
        cancel_unsatisfiable: bool = True,
    ) -> dict[int, str]:
        """Block until every task has ended; return :meth:`state`.

        Tasks pending with ``DependencyNeverSatisfied`` would wait forever; they are cancelled
        (``cancel_unsatisfiable``) or reported with a :class:`ClusterError`.
        """
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while True:
            states = self._states(job_id)
            active = {t: sr for t, sr in states.items() if sr[0] in ACTIVE_STATES}
            if not active:
                return {t: s for t, (s, _) in states.items()}
            stuck = [t for t, (s, r) in active.items()
                     if s == "PENDING" and "DependencyNeverSatisfied" in r]
            if stuck and len(stuck) == len(active):
                if not cancel_unsatisfiable:
                    raise ClusterError(f"job {job_id}: tasks {stuck} wait on a failed dependency")
                _log.warning("job %d: cancelling tasks %s (dependency never satisfied)",
                             job_id, stuck)
                self.cancel(job_id)
            if deadline is not None and time.monotonic() > deadline:
                raise ClusterError(f"job {job_id} still active after {timeout_s} s: "
                                   f"{ {t: s for t, (s, _) in active.items()} }")
            time.sleep(self.poll_s)

    def cancel(self, job_id: int, tasks: Sequence[int] | None = None) -> None:
        """``scancel`` the whole job or some of its array tasks."""
        targets = [str(int(job_id))] if tasks is None else [f"{int(job_id)}_{int(t)}"
                                                            for t in tasks]
        proc = self._run([self.scancel, *targets], what="scancel")
        if proc.returncode != 0:
            raise ClusterError(f"scancel {' '.join(targets)} failed: {proc.stderr.strip()}")


register_executor("slurm", SlurmExecutor)
