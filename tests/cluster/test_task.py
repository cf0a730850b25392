from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from alpacaspot.cluster import is_done, read_marker, task_digest
from alpacaspot.cluster.task import main, run_task


def _counting_command(tmp_path: Path) -> list[str]:
    counter = tmp_path / "count.txt"
    return ["bash", "-c", f"echo x >> {counter}"]


def test_task_runs_once_then_skips(tmp_path: Path) -> None:
    cfg = tmp_path / "a.cfg"
    cfg.write_text("lr=1\n")
    out = tmp_path / "out"
    cmd = _counting_command(tmp_path)
    assert run_task(cmd, output=out, inputs=[cfg]) == 0
    assert run_task(cmd, output=out, inputs=[cfg]) == 0
    assert (tmp_path / "count.txt").read_text() == "x\n"
    marker = read_marker(out)
    assert marker is not None and marker["command"] == cmd
    # a changed cfg invalidates the marker
    cfg.write_text("lr=2\n")
    assert run_task(cmd, output=out, inputs=[cfg]) == 0
    assert (tmp_path / "count.txt").read_text() == "x\nx\n"
    assert run_task(cmd, output=out, inputs=[cfg], force=True) == 0
    assert (tmp_path / "count.txt").read_text().count("x") == 3


def test_failure_leaves_no_marker_and_clears_stale(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run_task(["true"], output=out) == 0
    assert is_done(out, task_digest(["true"]))
    assert run_task(["bash", "-c", "exit 7"], output=out) == 7
    assert read_marker(out) is None


def test_folder_inputs_are_listed(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.wav").write_bytes(b"1")
    d1 = task_digest(["x"], [data])
    (data / ".hidden.tmp").write_bytes(b"ignored")
    assert task_digest(["x"], [data]) == d1
    (data / "b.wav").write_bytes(b"2")
    assert task_digest(["x"], [data]) != d1


def test_missing_input_is_an_error(tmp_path: Path) -> None:
    rc = main(["--output", str(tmp_path / "o"), "--input", str(tmp_path / "nope.cfg"), "--",
               "true"])
    assert rc == 2


def test_module_entry_point_runs_alpacaspot_cli(tmp_path: Path) -> None:
    out = tmp_path / "o"
    proc = subprocess.run(
        [sys.executable, "-m", "alpacaspot.cluster.task", "--output", str(out), "--",
         "alpacaspot", "--help"],
        capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert "usage: alpacaspot" in proc.stdout
    assert json.loads((out / ".done").read_text())["command"] == ["alpacaspot", "--help"]


def test_reset_on_change_empties_a_stale_output(tmp_path: Path) -> None:
    model = tmp_path / "model.pt"
    model.write_bytes(b"old")
    out = tmp_path / "scores"
    cmd = ["bash", "-c", f"[ -e {out}/rec.parquet ] || cat {model} > {out}/rec.parquet"]
    out.mkdir()
    assert run_task(cmd, output=out, inputs=[model], reset_on_change=True) == 0
    assert (out / "rec.parquet").read_bytes() == b"old"
    model.write_bytes(b"new")  # retrained: the command alone would keep the old file
    assert run_task(cmd, output=out, inputs=[model], reset_on_change=True) == 0
    assert (out / "rec.parquet").read_bytes() == b"new"
    # without a marker (a crashed run) partial outputs are kept for resumption
    (out / ".done").unlink()
    (out / "partial.parquet").write_bytes(b"p")
    assert run_task(cmd, output=out, inputs=[model], reset_on_change=True) == 0
    assert (out / "partial.parquet").exists()
