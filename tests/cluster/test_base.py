"""The executor contract and registry: a toy executor added in one class plus a registration."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

import pytest

from alpacaspot.cluster import (
    BaseExecutor,
    Executor,
    JobArray,
    JobId,
    LocalExecutor,
    SlurmExecutor,
    executor_names,
    failed_tasks,
    get_executor,
    register_executor,
    unregister_executor,
)
from alpacaspot.errors import ClusterError


class ToyExecutor(BaseExecutor):
    """Runs each task's command with ``bash -c``, in order, in the test's process."""

    blocking = True

    def __init__(self, *, env: dict[str, str] | None = None) -> None:
        self.env = env or {}
        self.jobs: dict[int, dict[int, int]] = {}

    def submit(self, array: JobArray, *, after: int | Iterable[int] | None = None,
               tasks: Sequence[int] | None = None) -> JobId:
        idx = range(array.n_tasks) if tasks is None else sorted(tasks)
        codes = {}
        for t in idx:
            env = {"PATH": "/usr/bin:/bin", "TASK": str(t), **self.env}
            codes[t] = subprocess.run(["bash", "-c", array.commands[t]], env=env,
                                      check=False).returncode
        self.jobs[len(self.jobs) + 1] = codes
        return self._job(len(self.jobs))

    def state(self, job_id: int) -> dict[int, str]:
        return {t: "COMPLETED" if rc == 0 else "FAILED" for t, rc in self.jobs[job_id].items()}

    def wait(self, job_id: int) -> dict[int, str]:
        return self.state(job_id)


@pytest.fixture
def toy() -> Iterable[str]:
    register_executor("toy", ToyExecutor)
    yield "toy"
    unregister_executor("toy")


def test_toy_executor_runs_a_job_array(toy: str, tmp_path: Path) -> None:
    assert executor_names() == ("local", "slurm", "toy")
    ex = get_executor(toy, env={"GREETING": "hi"})
    assert isinstance(ex, Executor) and isinstance(ex, ToyExecutor)
    out = tmp_path / "out"
    arr = JobArray("toy", [f"echo $GREETING $TASK >> {out}", "exit 4",
                           f"echo $TASK >> {out}"], log_dir=tmp_path)
    job = ex.submit(arr)
    assert out.read_text() == "hi 0\n2\n"
    assert ex.wait(job) == {0: "COMPLETED", 1: "FAILED", 2: "COMPLETED"}
    assert failed_tasks(job) == [1]
    assert failed_tasks(ex, job) == [1]  # the older two-argument call
    again = ex.submit(arr, tasks=failed_tasks(job))
    assert ex.state(again) == {1: "FAILED"}


def test_registry_refuses_unknown_and_duplicate_names(toy: str) -> None:
    with pytest.raises(ClusterError, match="'local', 'slurm' or 'toy', got 'pbs'"):
        get_executor("pbs")
    with pytest.raises(ClusterError, match="already registered"):
        register_executor("toy", ToyExecutor)
    register_executor("toy", LocalExecutor, replace=True)
    assert type(get_executor("toy")) is LocalExecutor
    with pytest.raises(ClusterError, match="no executor named 'nope'"):
        unregister_executor("nope")


def test_shipped_executors_satisfy_the_contract(tmp_path: Path) -> None:
    local, slurm = get_executor("local", max_workers=1), get_executor("slurm")
    assert isinstance(local, Executor) and isinstance(slurm, Executor)
    assert (local.blocking, local.scheduler) == (True, None)
    assert (slurm.blocking, slurm.scheduler) == (False, "slurm")
    assert isinstance(slurm, SlurmExecutor) and local.max_workers == 1
    job = local.submit(JobArray("a", ["true"], log_dir=tmp_path))
    assert isinstance(job, JobId) and job.executor is local
    assert local.state(job) == local.status(job) == {0: "COMPLETED"}


def test_plain_job_id_needs_the_executor() -> None:
    with pytest.raises(ClusterError, match=r"failed_tasks\(executor, job_id\)"):
        failed_tasks(12)


def test_cluster_imports_nothing_of_ours_but_errors_and_atomic() -> None:
    code = ("import sys, alpacaspot.cluster, alpacaspot.cluster.task; "
            "ours = sorted(m for m in sys.modules if m.startswith('alpacaspot') and "
            "m not in ('alpacaspot', 'alpacaspot.errors', 'alpacaspot._atomic') and "
            "not m.startswith('alpacaspot.cluster')); print(ours); sys.exit(1 if ours else 0)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       check=False)
    assert r.returncode == 0, r.stdout + r.stderr
