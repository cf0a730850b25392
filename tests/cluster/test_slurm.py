"""Tests against a real one-node Slurm cluster (``bash tests/cluster/with_slurm.sh ...``)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from alpacaspot.cluster import JobArray, SlurmExecutor, failed_tasks, task_command
from alpacaspot.errors import ClusterError

pytestmark = [pytest.mark.slurm, pytest.mark.usefixtures("slurm")]


def _ex() -> SlurmExecutor:
    return SlurmExecutor(poll_s=0.3)


def test_test_only_accepts_rendered_script(shared_tmp: Path) -> None:
    arr = JobArray("chk", ["true"] * 3, log_dir=shared_tmp / "logs", max_concurrent=2, gpus=1,
                   cpus_per_task=1, mem="100M", time="00:05:00", signal="B:USR1@60",
                   setup=["true"], workdir=shared_tmp)
    msg = _ex().test_only(arr)
    assert "to start at" in msg
    assert arr.script_path.exists()


def test_test_only_reports_sbatch_stderr(shared_tmp: Path) -> None:
    arr = JobArray("bad", ["true"], log_dir=shared_tmp, partition="no_such_partition")
    with pytest.raises(ClusterError, match="(?i)partition") as info:
        _ex().test_only(arr)
    assert str(arr.script_path) in str(info.value)


def test_array_runs_with_dependency_and_fake_gpus(shared_tmp: Path) -> None:
    ex = _ex()
    first = JobArray("first", [f"echo $SLURM_ARRAY_TASK_ID:$CUDA_VISIBLE_DEVICES > "
                               f"{shared_tmp}/gpu_$SLURM_ARRAY_TASK_ID"] * 3,
                     log_dir=shared_tmp / "logs", gpus=1, max_concurrent=2)
    job1 = ex.submit(first)
    second = JobArray("second", [f"cat {shared_tmp}/gpu_* > {shared_tmp}/all"],
                      log_dir=shared_tmp / "logs")
    job2 = ex.submit(second, after=job1)
    assert ex.wait(job2, timeout_s=120) == {0: "COMPLETED"}
    assert ex.status(job1) == {0: "COMPLETED", 1: "COMPLETED", 2: "COMPLETED"}
    lines = (shared_tmp / "all").read_text().split()
    assert [line.split(":")[0] for line in lines] == ["0", "1", "2"]
    assert all(line.split(":")[1] != "" for line in lines)  # CUDA_VISIBLE_DEVICES was set
    assert first.log_paths(job1, 2)[0].exists()


def test_failed_dependency_is_cancelled_not_stuck(shared_tmp: Path) -> None:
    ex = _ex()
    job1 = ex.submit(JobArray("fails", ["true", "exit 3"], log_dir=shared_tmp))
    job2 = ex.submit(JobArray("dep", ["true"], log_dir=shared_tmp), after=[job1])
    assert ex.wait(job1, timeout_s=120) == {0: "COMPLETED", 1: "FAILED"}
    assert failed_tasks(ex, job1) == [1]
    state = ex.wait(job2, timeout_s=60)
    assert state[0] in {"CANCELLED", "FAILED"}


def test_killed_task_then_resubmission_finishes_only_missing(shared_tmp: Path) -> None:
    ex = _ex()
    gate = shared_tmp / "slow"
    gate.write_text("1")
    commands = []
    for i in range(3):
        out = shared_tmp / f"out{i}"
        body = (f"echo run >> {out}/runs.txt; "
                f"if [ {i} = 1 ] && [ -e {gate} ]; then sleep 300; fi; echo ok > {out}/result")
        commands.append(task_command(sys.executable, "-m", "alpacaspot.cluster.task",
                                     "--output", out, "--", "bash", "-c", body))
        out.mkdir()
    arr = JobArray("resume", commands, log_dir=shared_tmp / "logs", max_concurrent=3)
    job = ex.submit(arr)
    deadline = time.monotonic() + 60
    while (not (shared_tmp / "out1" / "runs.txt").exists()
           or ex.status(job).get(1) != "RUNNING"):
        assert time.monotonic() < deadline, ex.status(job)
        time.sleep(0.3)
    ex.cancel(job, tasks=[1])
    state = ex.wait(job, timeout_s=120)
    assert state[0] == "COMPLETED" and state[2] == "COMPLETED"
    assert state[1] == "CANCELLED"
    assert failed_tasks(ex, job) == [1]
    assert not (shared_tmp / "out1" / ".done").exists()

    gate.unlink()
    again = ex.submit(arr)  # the whole array again: done tasks skip themselves
    assert ex.wait(again, timeout_s=120) == {0: "COMPLETED", 1: "COMPLETED", 2: "COMPLETED"}
    assert (shared_tmp / "out0" / "runs.txt").read_text() == "run\n"
    assert (shared_tmp / "out2" / "runs.txt").read_text() == "run\n"
    assert (shared_tmp / "out1" / "runs.txt").read_text() == "run\nrun\n"
    assert (shared_tmp / "out1" / "result").read_text() == "ok\n"
    # and a re-run of only the formerly failed task is a no-op too
    only = ex.submit(arr, tasks=failed_tasks(ex, job))
    assert ex.wait(only, timeout_s=60) == {1: "COMPLETED"}
    assert (shared_tmp / "out1" / "runs.txt").read_text() == "run\nrun\n"


def test_unknown_job_is_a_clear_error() -> None:
    with pytest.raises(ClusterError, match="knows no job"):
        _ex().status(987654)


def test_signal_reaches_the_task(shared_tmp: Path) -> None:
    ex = _ex()
    flag = shared_tmp / "got_usr1"
    ready = shared_tmp / "trap_installed"
    cmd = (f"trap 'echo usr1 > {flag}; exit 0' USR1; touch {ready}; "
           "for i in $(seq 600); do sleep 0.1; done")
    arr = JobArray("sig", [cmd], log_dir=shared_tmp, signal="B:USR1@60", time="00:05:00")
    job = ex.submit(arr)
    deadline = time.monotonic() + 60
    # signal only once the task's trap is in place (RUNNING comes before the script's first line)
    while not ready.exists():
        assert time.monotonic() < deadline
        time.sleep(0.3)
    import subprocess

    subprocess.run(["scancel", "--batch", "--signal=USR1", str(job)], check=True)
    assert ex.wait(job, timeout_s=60) == {0: "COMPLETED"}
    assert flag.read_text() == "usr1\n"


def test_bash_on_the_script_submits_it(shared_tmp: Path) -> None:
    import re
    import subprocess

    from alpacaspot.pipeline.launchers import write_array_script, write_master_script

    out = shared_tmp / "ran"
    arr = JobArray("viabash", [f"echo $SLURM_ARRAY_TASK_ID >> {out}"] * 2, log_dir=shared_tmp)
    script = write_array_script(shared_tmp / "viabash.sbatch", arr)
    master = write_master_script(shared_tmp / "all.batch", [script], description="test")
    proc = subprocess.run(["bash", str(master)], capture_output=True, text=True, check=True)
    job = int(re.search(r"Submitted batch job (\d+)", proc.stdout).group(1))
    assert _ex().wait(job, timeout_s=60) == {0: "COMPLETED", 1: "COMPLETED"}
    assert sorted(out.read_text().split()) == ["0", "1"]
