"""Atomic file writes: a temporary file in the target's folder, then ``os.replace``.

A process killed at any moment leaves either the old file or the new one, never a
half-written file. What a killed write leaves behind is a hidden temporary file whose name
says which process wrote it (``.<name>.<host>-<pid>.<random>.tmp<suffix>``), so that a later
task can remove it safely even while other tasks write into the same folder.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_path", "atomic_write_text", "atomic_write_bytes", "write_text_if_changed",
           "remove_partial_files", "remove_stale_partial_files"]

#: A partial file untouched for this long has no live writer, wherever it was written: an
#: atomic write only serialises data already in memory, which takes seconds.
STALE_AFTER_S = 600.0


def _file_mode() -> int:
    """The mode a plain ``open(..., "w")`` would give a new file (0o666 less the umask)."""
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("Umask:"):
                return 0o666 & ~int(line.split()[1], 8)
    return 0o644  # pragma: no cover - no /proc (not Linux)


_FILE_MODE = _file_mode() if os.path.exists("/proc/self/status") else 0o644
_HOST = re.sub(r"[^A-Za-z0-9_-]", "_", socket.gethostname()) or "host"


def _writer() -> str:
    return f"{_HOST}-{os.getpid()}"


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it onto ``path`` when the block succeeds.

    The temporary name keeps the final suffix (``.wav``, ``.parquet``) so that libraries
    choosing a format by extension still work. On error the temporary file is removed.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("hello")
    >>> target.read_text()
    'hello'
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{target.name}.{_writer()}.", suffix=f".tmp{target.suffix}", dir=target.parent
    )
    os.close(fd)
    tmp = Path(tmp_name)
    # mkstemp creates 0600 files; results on a shared cluster should be readable as usual.
    os.chmod(tmp, _FILE_MODE)
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "b.bin"
    >>> atomic_write_bytes(p, b"x")
    >>> p.read_bytes()
    b'x'
    """
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())


def atomic_write_text(path: str | os.PathLike[str], text: str, *, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``path`` atomically with ``\\n`` line endings.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.txt"
    >>> atomic_write_text(p, "a\\n")
    >>> p.read_text()
    'a\\n'
    """
    atomic_write_bytes(path, text.encode(encoding))


def write_text_if_changed(path: str | os.PathLike[str], text: str, *,
                          encoding: str = "utf-8") -> bool:
    """Write ``text`` atomically unless ``path`` already holds it; True when written.

    An unchanged file keeps its modification time, so steps that compare times (a corpus
    index against its corpus) see nothing new.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.json"
    >>> write_text_if_changed(p, "{}\\n"), write_text_if_changed(p, "{}\\n")
    (True, False)
    """
    data = text.encode(encoding)
    target = Path(path)
    if target.is_file() and target.stat().st_size == len(data) and target.read_bytes() == data:
        return False
    atomic_write_bytes(target, data)
    return True


_PARTIAL = re.compile(r"^\..+\.[A-Za-z0-9_]{8}\.tmp(\.[A-Za-z0-9]+)?$")
_WRITER = re.compile(
    r"\.(?P<host>[A-Za-z0-9_-]+)-(?P<pid>\d+)\.[A-Za-z0-9_]{8}\.tmp(\.[A-Za-z0-9]+)?$")


def remove_partial_files(directory: str | os.PathLike[str]) -> list[Path]:
    """Delete what killed atomic writes left in ``directory`` (not recursive); return them.

    Only for a folder this process owns: another process's write in progress there would be
    removed too.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / ".model.pt.ab12cd34.tmp.pt").write_bytes(b"half")
    >>> [p.name for p in remove_partial_files(d)]
    ['.model.pt.ab12cd34.tmp.pt']
    """
    d = Path(directory)
    if not d.is_dir():
        return []
    removed = []
    for p in sorted(d.iterdir()):
        if _PARTIAL.match(p.name) and p.is_file():
            with contextlib.suppress(FileNotFoundError):
                p.unlink()
            removed.append(p)
    return removed


def _writer_gone(name: str, mtime: float, now: float, max_age_s: float) -> bool:
    if now - mtime > max_age_s:
        return True
    m = _WRITER.search(name)
    if m is None or m["host"] != _HOST:
        return False  # another machine's write may still be running
    pid = int(m["pid"])
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, another user's
    return False


def remove_stale_partial_files(directory: str | os.PathLike[str], *,
                               max_age_s: float = STALE_AFTER_S) -> list[Path]:
    """Delete partial files of killed atomic writes in ``directory``, leaving live ones.

    Safe in a folder that several tasks write into at once: a partial file is removed when its
    writer (named in the file name) was a process of this machine that no longer runs, or when
    it has not been modified for ``max_age_s`` seconds (a write on another machine).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> mine = d / f".s.parquet.{_writer()}.ab12cd34.tmp.parquet"
    >>> _ = mine.write_bytes(b"being written")
    >>> remove_stale_partial_files(d)
    []
    >>> old = d / ".s.parquet.ab12cd34.tmp.parquet"
    >>> _ = old.write_bytes(b"half")
    >>> os.utime(old, (0, 0))
    >>> [p.name for p in remove_stale_partial_files(d)]
    ['.s.parquet.ab12cd34.tmp.parquet']
    """
    d = Path(directory)
    if not d.is_dir():
        return []
    now = time.time()
    removed = []
    for p in sorted(d.iterdir()):
        if not _PARTIAL.match(p.name):
            continue
        try:
            stat = p.stat()
        except FileNotFoundError:
            continue  # its writer finished meanwhile
        if p.is_file() and _writer_gone(p.name, stat.st_mtime, now, max_age_s):
            with contextlib.suppress(FileNotFoundError):
                p.unlink()
            removed.append(p)
    return removed
