"""Running local tasks in process groups of their own, and stopping them with their driver.

A Slurm job ends as a whole: ``scancel`` or a time limit signals every process of the job.
A local task is ``bash`` running the job script, which runs the real command as a child; a
signal to the driver alone would leave that command running, and a signal to ``bash`` alone
would orphan it. So each task runs in a new session (its own process group), and while tasks
run, SIGTERM or SIGINT (Ctrl-C) to the driver sends SIGTERM to every task's whole group, the
signal Slurm sends on ``scancel`` (training writes a checkpoint and exits on it). As Slurm
waits ``KillWait`` (30 s by default) before it sends SIGKILL, the driver then waits up to
``kill_wait_s`` for the tasks to end, kills the groups still running, and only then goes on
with its own handling of the signal (by default, ending the driver); a second signal while it
waits kills the tasks at once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

__all__ = ["TaskGroups"]

_FORWARDED = (signal.SIGTERM, signal.SIGINT)


class TaskGroups:
    """The running tasks of a local job, each in its own process group.

    Parameters
    ----------
    kill_wait_s : float
        After a forwarded signal, how long the tasks get to end before their groups are
        killed (Slurm's ``KillWait``).

    Examples
    --------
    >>> groups = TaskGroups()
    >>> with groups.forwarding():
    ...     groups.run(["true"])
    0
    """

    def __init__(self, *, kill_wait_s: float = 30.0) -> None:
        self.kill_wait_s = float(kill_wait_s)
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen[bytes]] = set()
        self._signalled: set[int] = set()
        self._stopping: int | None = None

    def run(self, argv: Sequence[str], **popen: Any) -> int:
        """Run ``argv`` in a new session and return its exit status.

        A task asked to start after a forwarded signal does not start; its status is
        ``128 + signal``, as a shell reports a command ended by that signal.
        """
        with self._lock:
            if self._stopping is not None:
                return 128 + self._stopping
            proc = subprocess.Popen(list(argv), start_new_session=True, **popen)
            self._running.add(proc)
        try:
            return proc.wait()
        finally:
            with self._lock:
                self._running.discard(proc)

    def signal_all(self, signum: int) -> None:
        """Send ``signum`` to the process group of every running task, and of every task
        signalled before whose group still has processes (``bash`` may have ended on the
        signal while the command it ran is still writing its checkpoint)."""
        with self._lock:
            if self._stopping is None:
                self._stopping = signum
            self._signalled.update(proc.pid for proc in self._running)
            groups = sorted(self._signalled)
        for pgid in groups:
            try:
                os.killpg(pgid, signum)
            except ProcessLookupError:  # ended meanwhile
                pass

    def wait_stopped(self, seconds: float) -> bool:
        """Wait up to ``seconds`` until no signalled group has a process left and no task
        runs; False when some still do."""
        deadline = time.monotonic() + seconds
        while True:
            with self._lock:
                groups = sorted(self._signalled)
                running = bool(self._running)
            if not running and not any(map(_group_alive, groups)):
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)

    def stop(self, signum: int = signal.SIGTERM) -> None:
        """Send ``signum`` to every task's group, wait up to :attr:`kill_wait_s` for their
        processes to end, then kill the groups still running. Called again while it waits,
        it kills at once."""
        if self._stopping is not None:
            self.signal_all(signal.SIGKILL)
            return
        self.signal_all(signum)
        if not self.wait_stopped(self.kill_wait_s):
            self.signal_all(signal.SIGKILL)

    @contextmanager
    def forwarding(self) -> Iterator[TaskGroups]:
        """While inside, SIGTERM or SIGINT stops the tasks (:meth:`stop`), then the old handler
        runs.

        Only the main thread can set signal handlers; elsewhere this does nothing and the
        caller's own signal handling applies.
        """
        if threading.current_thread() is not threading.main_thread():
            yield self
            return
        # a signal the driver ignores (SIGINT of a job started with `&`) stays ignored
        previous = {s: signal.getsignal(s) for s in _FORWARDED
                    if signal.getsignal(s) != signal.SIG_IGN}

        def _forward(signum: int, frame: FrameType | None) -> None:
            self.stop(signal.SIGTERM)
            old = previous[signum]
            if callable(old):
                old(signum, frame)
            elif old == signal.SIG_DFL:
                signal.signal(signum, signal.SIG_DFL)
                signal.raise_signal(signum)

        for s in previous:
            signal.signal(s, _forward)
        try:
            yield self
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)


def _group_alive(pgid: int) -> bool:
    """Whether process group ``pgid`` has a process that has not ended (zombies, ended and
    not yet reaped, do not count where ``/proc`` tells them apart)."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    proc = Path("/proc")
    if not (proc / "self" / "stat").is_file():
        return True
    for stat in proc.glob("[0-9]*/stat"):
        try:
            state, _ppid, group = stat.read_text().rsplit(")", 1)[1].split()[:3]
        except (OSError, ValueError):  # ended while listed
            continue
        if int(group) == pgid and state != "Z":
            return True
    return False
