"""Done markers: what makes every job-array task idempotent.

A task that finished writes ``<output>/.done``, a small JSON file holding a digest of its
command, its config file(s) and a listing of its inputs. A re-run whose digest matches skips
itself; a changed config or input (or a missing marker after a crash) runs the task again.
The marker is written atomically, and only after the task's outputs are complete.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from alpacaspot._atomic import atomic_write_text
from alpacaspot.errors import ClusterError

__all__ = ["MARKER_NAME", "task_digest", "read_marker", "is_done", "write_marker", "clear_marker"]

MARKER_NAME = ".done"
_SMALL = 64 * 1024 * 1024  # files up to this size are hashed by content


def _file_entry(path: Path, rel: str) -> str:
    st = path.stat()
    if st.st_size <= _SMALL:
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        return f"{rel}\t{st.st_size}\t{h.hexdigest()}"
    return f"{rel}\t{st.st_size}\t{st.st_mtime_ns}"


def _listing(path: Path) -> list[str]:
    """Sorted entries describing a file or a folder tree (markers and temp files skipped)."""
    if not path.exists():
        raise ClusterError("task input does not exist", path=path)
    if path.is_file():
        return [_file_entry(path, path.name)]
    out = []
    for root, dirs, files in os.walk(path):
        dirs.sort()
        for name in sorted(files):
            if name == MARKER_NAME or name.startswith("."):
                continue
            full = Path(root) / name
            out.append(_file_entry(full, full.relative_to(path).as_posix()))
    return out


def task_digest(command: Sequence[str], inputs: Iterable[str | os.PathLike[str]] = ()) -> str:
    """SHA-256 over a task's argument list and the listing of its inputs.

    Files (cfgs, models) are hashed by content; folders by their sorted file listing (name,
    size, content hash; very large files by size and mtime).

    Examples
    --------
    >>> task_digest(["echo", "hi"]) == task_digest(["echo", "hi"])
    True
    >>> task_digest(["echo", "hi"]) == task_digest(["echo", "ho"])
    False
    """
    h = hashlib.sha256()
    h.update(json.dumps([str(c) for c in command]).encode())
    for inp in sorted(str(Path(p)) for p in inputs):
        h.update(f"\n#{inp}\n".encode())
        h.update("\n".join(_listing(Path(inp))).encode())
    return h.hexdigest()


def read_marker(output: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The marker of an output folder as a dict, or ``None`` when absent or unreadable.

    Examples
    --------
    >>> read_marker("/nonexistent") is None
    True
    """
    path = Path(output) / MARKER_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def is_done(output: str | os.PathLike[str], digest: str) -> bool:
    """Whether ``output`` holds a marker with exactly this digest.

    Examples
    --------
    >>> is_done("/nonexistent", "abc")
    False
    """
    marker = read_marker(output)
    return marker is not None and marker.get("digest") == digest


def write_marker(
    output: str | os.PathLike[str], digest: str, *, command: Sequence[str] = ()
) -> Path:
    """Write ``<output>/.done`` atomically; return its path.

    Examples
    --------
    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> _ = write_marker(d, "abc", command=["true"])
    >>> is_done(d, "abc")
    True
    """
    path = Path(output) / MARKER_NAME
    payload = {"digest": digest, "command": [str(c) for c in command]}
    atomic_write_text(path, json.dumps(payload, indent=1, sort_keys=True) + "\n")
    return path


def clear_marker(output: str | os.PathLike[str]) -> None:
    """Remove a stale marker (no error when there is none).

    Examples
    --------
    >>> clear_marker("/nonexistent")
    """
    try:
        (Path(output) / MARKER_NAME).unlink()
    except FileNotFoundError:
        pass
