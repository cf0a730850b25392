"""Running local tasks in process groups of their own, and stopping them with their driver.

A Slurm job ends as a whole: ``scancel`` or a time limit signals every process of the job.
A local task is ``bash`` running the job script, which runs the real command as a child; a
signal to the driver alone would leave that command running, and a signal to ``bash`` alone
would orphan it. So each task runs in a new session (its own process group), and while tasks
run, SIGTERM or SIGINT (Ctrl-C) to the driver sends SIGTERM to every task's whole group, the
signal Slurm sends on ``scancel`` (training writes a checkpoint and exits on it), before the
driver's own handling of its signal goes on (by default, ending the driver).
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import FrameType
from typing import Any

__all__ = ["TaskGroups"]

_FORWARDED = (signal.SIGTERM, signal.SIGINT)


class TaskGroups:
    """The running tasks of a local job, each in its own process group.

    Examples
    --------
    >>> groups = TaskGroups()
    >>> with groups.forwarding():
    ...     groups.run(["true"])
    0
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen[bytes]] = set()
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
        """Send ``signum`` to the process group of every running task."""
        with self._lock:
            self._stopping = signum
            procs = sorted(self._running, key=lambda p: p.pid)
        for proc in procs:
            try:
                os.killpg(proc.pid, signum)
            except ProcessLookupError:  # ended meanwhile
                pass

    @contextmanager
    def forwarding(self) -> Iterator[TaskGroups]:
        """While inside, SIGTERM or SIGINT sends SIGTERM to every task's group, then the old
        handler runs.

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
            self.signal_all(signal.SIGTERM)
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
