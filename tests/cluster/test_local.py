from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from alpacaspot.cluster import JobArray, LocalExecutor, failed_tasks, get_executor
from alpacaspot.errors import ClusterError


def test_tasks_run_with_task_id_and_logs(tmp_path: Path) -> None:
    ex = LocalExecutor()
    arr = JobArray("ids", ["echo task=$SLURM_ARRAY_TASK_ID", "echo oops >&2; exit 5"],
                   log_dir=tmp_path)
    job = ex.submit(arr)
    assert ex.exit_codes(job) == {0: 0, 1: 5}
    assert ex.status(job) == {0: "COMPLETED", 1: "FAILED"}
    assert ex.wait(job) == ex.status(job)
    out0, _ = arr.log_paths(job, 0)
    _, err1 = arr.log_paths(job, 1)
    assert out0.read_text() == "task=0\n"
    assert err1.read_text() == "oops\n"
    assert failed_tasks(ex, job) == [1]


def test_resubmit_only_some_tasks(tmp_path: Path) -> None:
    ex = LocalExecutor()
    arr = JobArray("sub", [f"echo $SLURM_ARRAY_TASK_ID >> {tmp_path}/ran"] * 4, log_dir=tmp_path)
    job = ex.submit(arr, tasks=[3, 1])
    assert ex.status(job) == {1: "COMPLETED", 3: "COMPLETED"}
    assert sorted((tmp_path / "ran").read_text().split()) == ["1", "3"]


def test_max_concurrent_runs_in_parallel(tmp_path: Path) -> None:
    arr = JobArray("par", ["sleep 0.6"] * 4, log_dir=tmp_path, max_concurrent=4)
    t0 = time.monotonic()
    LocalExecutor().submit(arr)
    parallel = time.monotonic() - t0
    assert parallel < 2.0  # 4 x 0.6 s serial would be 2.4 s


def test_dependencies_are_honoured(tmp_path: Path) -> None:
    ex = LocalExecutor()
    ok = ex.submit(JobArray("a", ["true"], log_dir=tmp_path))
    bad = ex.submit(JobArray("b", ["false"], log_dir=tmp_path))
    ex.submit(JobArray("c", ["true"], log_dir=tmp_path), after=ok)
    with pytest.raises(ClusterError, match="afterok never satisfied"):
        ex.submit(JobArray("d", ["true"], log_dir=tmp_path), after=[ok, bad])
    with pytest.raises(ClusterError, match="not a job"):
        ex.submit(JobArray("e", ["true"], log_dir=tmp_path), after=12345)


def test_unknown_job_and_executor_names() -> None:
    with pytest.raises(ClusterError, match="no local job"):
        LocalExecutor().status(1)
    with pytest.raises(ClusterError, match="'local' or 'slurm'"):
        get_executor("pbs")


def test_setup_and_workdir(tmp_path: Path) -> None:
    work = tmp_path / "w"
    work.mkdir()
    arr = JobArray("wd", ["echo $GREETING > here.txt"], log_dir=tmp_path / "logs",
                   workdir=work, setup=["export GREETING=hello"])
    ex = LocalExecutor()
    assert ex.status(ex.submit(arr)) == {0: "COMPLETED"}
    assert (work / "here.txt").read_text() == "hello\n"


# on SIGTERM a task takes a second to write its record (a checkpoint), then exits
_TASK = """
import os, signal, sys, time
def stop(signum, frame):
    time.sleep(1.0)
    open(sys.argv[1] + ".stopped", "w").write(signal.Signals(signum).name)
    sys.exit(75)
signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)
open(sys.argv[1], "w").write(str(os.getpid()))
time.sleep(120)
"""

_DEAF_TASK = """
import os, signal, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
open(sys.argv[1], "w").write(str(os.getpid()))
time.sleep(120)
"""

# SIGINT as in a terminal: a suite started in the background (`&`, nohup) hands it on ignored
_DRIVER = """
import shlex, signal, sys
signal.signal(signal.SIGINT, signal.default_int_handler)
from alpacaspot.cluster import JobArray, LocalExecutor
folder, kill_wait_s = sys.argv[1], float(sys.argv[2])
task = shlex.join([sys.executable, folder + "/task.py"]) + f" {folder}/task$SLURM_ARRAY_TASK_ID"
LocalExecutor(kill_wait_s=kill_wait_s).submit(
    JobArray("long", [task, task], log_dir=folder, max_concurrent=2))
"""


# the kernel may deliver a signal to any thread; here it goes to a worker thread on purpose
_DRIVER_SIGNAL_TO_A_WORKER = """
import shlex, signal, sys, threading, time
from pathlib import Path
from alpacaspot.cluster import JobArray, LocalExecutor
folder = sys.argv[1]
task = shlex.join([sys.executable, folder + "/task.py"]) + f" {folder}/task$SLURM_ARRAY_TASK_ID"
def signal_a_worker():
    pids = [Path(folder, "task0"), Path(folder, "task1")]
    while not all(p.exists() and p.read_text() for p in pids):
        time.sleep(0.05)
    worker = next(t for t in threading.enumerate() if t.name.startswith("ThreadPoolExecutor"))
    signal.pthread_kill(worker.ident, signal.SIGTERM)
threading.Thread(target=signal_a_worker, daemon=True).start()
LocalExecutor(kill_wait_s=30).submit(
    JobArray("long", [task, task], log_dir=folder, max_concurrent=2))
"""


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, killed and not yet reaped, counts as ended)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def _all_written(paths: list[Path], seconds: float,
                 while_: Callable[[], bool] = lambda: True) -> bool:
    """Wait until every file of ``paths`` has content; False on time-out or when ``while_``
    stops holding."""
    deadline = time.monotonic() + seconds
    while not all(p.exists() and p.read_text() for p in paths):
        if time.monotonic() > deadline or not while_():
            return False
        time.sleep(0.05)
    return True


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_to_the_driver_reaches_every_running_task(tmp_path: Path,
                                                           signum: signal.Signals) -> None:
    """As scancel signals every process of a job, not only the batch script's shell; Ctrl-C
    too stops the tasks with SIGTERM, on which training writes its checkpoint, and the driver
    ends only when they have (as Slurm waits KillWait)."""
    (tmp_path / "task.py").write_text(_TASK)
    driver = subprocess.Popen([sys.executable, "-c", _DRIVER, str(tmp_path), "30"])
    pids = [tmp_path / "task0", tmp_path / "task1"]
    assert _all_written(pids, 60, while_=lambda: driver.poll() is None)
    driver.send_signal(signum)
    rc = driver.wait(timeout=60)
    try:
        assert rc != 0
        stopped = [Path(f"{p}.stopped") for p in pids]
        assert [s.read_text() if s.exists() else None for s in stopped] == ["SIGTERM"] * 2
    finally:  # no task outlives a failed test
        for p in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(p.read_text()), signal.SIGKILL)


def test_a_signal_that_lands_on_a_worker_thread_still_stops_the_job(tmp_path: Path) -> None:
    """Python runs signal handlers in the main thread only, and a main thread asleep in a
    lock is not woken by a signal the kernel gave another thread: the driver must not sleep
    until a task ends (here 120 s) before it forwards the signal."""
    (tmp_path / "task.py").write_text(_TASK)
    driver = subprocess.Popen([sys.executable, "-c", _DRIVER_SIGNAL_TO_A_WORKER, str(tmp_path)])
    pids = [tmp_path / "task0", tmp_path / "task1"]
    try:
        assert _all_written(pids, 60, while_=lambda: driver.poll() is None)
        assert driver.wait(timeout=30) != 0
        stopped = [Path(f"{p}.stopped") for p in pids]
        assert [s.read_text() if s.exists() else None for s in stopped] == ["SIGTERM"] * 2
    finally:
        driver.kill()
        for p in pids:
            with contextlib.suppress(ProcessLookupError, ValueError, FileNotFoundError):
                os.kill(int(p.read_text()), signal.SIGKILL)


def test_tasks_that_ignore_the_signal_are_killed_after_the_kill_wait(tmp_path: Path) -> None:
    (tmp_path / "task.py").write_text(_DEAF_TASK)
    driver = subprocess.Popen([sys.executable, "-c", _DRIVER, str(tmp_path), "1"])
    pid_files = [tmp_path / "task0", tmp_path / "task1"]
    assert _all_written(pid_files, 60, while_=lambda: driver.poll() is None)
    pids = [int(p.read_text()) for p in pid_files]
    sent = time.monotonic()
    driver.send_signal(signal.SIGTERM)
    try:
        assert driver.wait(timeout=60) != 0
        assert time.monotonic() - sent >= 1.0
        deadline = time.monotonic() + 30
        while any(map(_alive, pids)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(map(_alive, pids))
    finally:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def test_a_second_signal_kills_at_once(tmp_path: Path) -> None:
    from alpacaspot.cluster._process_groups import TaskGroups

    groups = TaskGroups(kill_wait_s=60)
    with groups.forwarding():
        done: list[int] = []
        runner = threading.Thread(target=lambda: done.append(groups.run(
            [sys.executable, "-c", _DEAF_TASK, str(tmp_path / "task")])))
        runner.start()
        assert _all_written([tmp_path / "task"], 60)
        timer = threading.Timer(0.5, groups.stop)  # the second signal, while the first waits
        timer.start()
        started = time.monotonic()
        groups.stop()
        runner.join(30)
        timer.join()
    assert time.monotonic() - started < 30
    assert done == [-signal.SIGKILL]


def test_kill_wait_must_be_seconds() -> None:
    with pytest.raises(ClusterError, match="kill_wait_s"):
        LocalExecutor(kill_wait_s=-1)
    with pytest.raises(ClusterError, match="kill_wait_s"):
        LocalExecutor(kill_wait_s=float("nan"))


def test_an_ignored_signal_stays_ignored_while_tasks_run(tmp_path: Path) -> None:
    from alpacaspot.cluster._process_groups import TaskGroups

    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with TaskGroups().forwarding():
            assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN
            assert signal.getsignal(signal.SIGTERM) != signal.SIG_DFL
        assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)
