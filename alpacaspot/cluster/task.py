"""The idempotent task wrapper that every generated job-array task runs.

    python -m alpacaspot.cluster.task --output DIR [--input PATH ...] -- alpacaspot train CFG

It computes the digest of the command and its inputs (see :mod:`alpacaspot.cluster.done`),
exits 0 at once when ``DIR/.done`` holds the same digest, and otherwise removes a stale marker,
runs the command (an argument list, no shell) and writes the marker only when the command
exited 0. A leading ``alpacaspot`` is run as ``<this python> -m alpacaspot.cli`` so a task
needs no console script on ``PATH``. The wrapper's exit status is the command's.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from alpacaspot.cluster.done import (
    clear_marker,
    is_done,
    read_marker,
    task_digest,
    write_marker,
)
from alpacaspot.errors import AlpacaspotError

__all__ = ["run_task", "main"]

_log = logging.getLogger(__name__)


def _resolve(command: Sequence[str]) -> list[str]:
    argv = [str(c) for c in command]
    if argv and argv[0] == "alpacaspot":
        return [sys.executable, "-m", "alpacaspot.cli", *argv[1:]]
    return argv


def run_task(
    command: Sequence[str],
    *,
    output: str | os.PathLike[str],
    inputs: Sequence[str | os.PathLike[str]] = (),
    force: bool = False,
    reset_on_change: bool = False,
) -> int:
    """Run ``command`` unless ``output`` already holds a matching done marker.

    Parameters
    ----------
    command : sequence of str
        The task's argument list (``["alpacaspot", "train", "a.cfg"]``).
    output : path
        The folder whose ``.done`` marker records completion.
    inputs : sequence of paths
        Files or folders whose contents the marker's digest covers (cfg, model, data).
    force : bool
        Run even when the marker matches.
    reset_on_change : bool
        When a marker of an earlier, different run exists (changed cfg or inputs), empty
        ``output`` before running, so that a command that reuses what it finds (stored window
        scores) cannot keep results of the old inputs. Only for folders holding nothing else.

    Returns
    -------
    int
        0 when skipped or successful, else the command's exit status.

    Examples
    --------
    >>> import tempfile
    >>> out = tempfile.mkdtemp()
    >>> run_task(["true"], output=out)
    0
    >>> run_task(["false"], output=out)  # a new command: runs, fails, no marker
    1
    """
    if not command:
        raise AlpacaspotError("the task has no command")
    digest = task_digest([str(c) for c in command], inputs)
    if not force and is_done(output, digest):
        _log.info("skip (done marker matches): %s", " ".join(map(str, command)))
        return 0
    old = read_marker(output)
    clear_marker(output)
    if reset_on_change and old is not None:
        _log.info("inputs changed since the last run: emptying %s", output)
        _empty(Path(output))
    argv = _resolve(command)
    _log.info("run: %s", " ".join(argv))
    proc = subprocess.Popen(argv)

    def _forward(signum: int, _frame: object) -> None:
        proc.send_signal(signum)

    handlers = {s: signal.signal(s, _forward) for s in (signal.SIGTERM, signal.SIGUSR1)}
    try:
        rc = proc.wait()
    finally:
        for s, handler in handlers.items():
            signal.signal(s, handler)
    if rc == 0:
        Path(output).mkdir(parents=True, exist_ok=True)
        write_marker(output, digest, command=[str(c) for c in command])
    else:
        _log.error("task failed with exit status %d: %s", rc, " ".join(argv))
    return rc


def _empty(folder: Path) -> None:
    if not folder.is_dir():
        return
    for entry in sorted(folder.iterdir()):
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry: ``python -m alpacaspot.cluster.task --output DIR [--input P] -- CMD``.

    Examples
    --------
    >>> import tempfile
    >>> main(["--output", tempfile.mkdtemp(), "--", "true"])
    0
    """
    parser = argparse.ArgumentParser(prog="python -m alpacaspot.cluster.task",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--output", required=True, help="folder that receives the .done marker")
    parser.add_argument("--input", action="append", default=[], help="file or folder hashed")
    parser.add_argument("--force", action="store_true", help="run even when done")
    parser.add_argument("--reset-on-change", action="store_true",
                        help="empty the output folder when an earlier run had other inputs")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- then the command")
    args = parser.parse_args(argv)
    command = list(args.command)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        parser.error("no command given after --")
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return run_task(command, output=args.output, inputs=args.input, force=args.force,
                        reset_on_change=args.reset_on_change)
    except AlpacaspotError as exc:
        print(f"alpacaspot task: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
