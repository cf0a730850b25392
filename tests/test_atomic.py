import os

import pytest

from alpacaspot._atomic import atomic_path, atomic_write_text


def test_atomic_write_replaces_whole_file(tmp_path):
    target = tmp_path / "sub" / "out.txt"
    atomic_write_text(target, "first\n")
    atomic_write_text(target, "second\n")
    assert target.read_text() == "second\n"
    assert sorted(os.listdir(target.parent)) == ["out.txt"]


def test_failed_write_leaves_old_file_and_no_temp(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("killed")
    assert target.read_text() == "old"
    assert sorted(os.listdir(tmp_path)) == ["out.txt"]


def test_temp_file_keeps_suffix(tmp_path):
    with atomic_path(tmp_path / "a.parquet") as tmp:
        assert tmp.suffix == ".parquet"
        tmp.write_bytes(b"")


def test_written_file_has_the_usual_mode(tmp_path):
    old = os.umask(0o022)
    try:
        with open(tmp_path / "plain.txt", "w") as fh:
            fh.write("x")
        atomic_write_text(tmp_path / "atomic.txt", "x")
    finally:
        os.umask(old)
    plain = (tmp_path / "plain.txt").stat().st_mode & 0o777
    assert (tmp_path / "atomic.txt").stat().st_mode & 0o777 == plain


def test_remove_partial_files_only_takes_killed_atomic_writes(tmp_path):
    import tempfile
    from pathlib import Path

    from alpacaspot._atomic import remove_partial_files

    fd, partial = tempfile.mkstemp(prefix=".checkpoint_e0001.pt.", suffix=".tmp.pt",
                                   dir=tmp_path)
    os.close(fd)
    keep = ["checkpoint_e0001.pt", ".hidden", "a.tmp.pt", ".x.pt.short.tmp.pt"]
    for name in keep:
        (tmp_path / name).write_text("x")
    assert remove_partial_files(tmp_path) == [Path(partial)]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(keep)
    assert remove_partial_files(tmp_path / "missing") == []


def _killed_mid_write(target, tmp_path):
    """A real process killed (SIGKILL) inside an atomic write of ``target``."""
    import signal
    import subprocess
    import sys
    import time

    ready = tmp_path / "writing"
    code = ("import sys, time, pathlib\n"
            "from alpacaspot._atomic import atomic_path\n"
            "with atomic_path(sys.argv[1]) as tmp:\n"
            "    tmp.write_bytes(b'half a table')\n"
            "    pathlib.Path(sys.argv[2]).touch()\n"
            "    time.sleep(60)\n")
    proc = subprocess.Popen([sys.executable, "-c", code, str(target), str(ready)])
    deadline = time.monotonic() + 60
    while not ready.exists():
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    ready.unlink()
    return [p for p in target.parent.iterdir() if ".tmp" in p.name]


def test_stale_partial_files_of_dead_writers_go_live_ones_stay(tmp_path):
    from alpacaspot._atomic import _writer, remove_stale_partial_files

    folder = tmp_path / "scores"
    folder.mkdir()
    left = _killed_mid_write(folder / "a.parquet", tmp_path)
    assert len(left) == 1
    live = folder / f".b.parquet.{_writer()}.abcd1234.tmp.parquet"
    live.write_bytes(b"being written by this process")
    elsewhere = folder / ".c.parquet.othernode-12345.abcd1234.tmp.parquet"
    elsewhere.write_bytes(b"being written on another node")
    old_elsewhere = folder / ".d.parquet.othernode-999.abcd1234.tmp.parquet"
    old_elsewhere.write_bytes(b"left by a node that died an hour ago")
    os.utime(old_elsewhere, (0, 0))
    user_file = folder / "notes.tmp.txt"
    user_file.write_text("not ours")
    removed = remove_stale_partial_files(folder)
    assert sorted(p.name for p in removed) == sorted([left[0].name, old_elsewhere.name])
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [live.name, elsewhere.name, user_file.name])
