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
