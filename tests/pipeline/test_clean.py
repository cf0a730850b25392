"""alpacaspot.pipeline.clean: remove generated outputs, never anything outside, never via links."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alpacaspot.cli import main
from alpacaspot.errors import ClusterError, ConfigError
from alpacaspot.pipeline.clean import (
    _script_job_names,
    clean,
    format_bytes,
    pipeline_jobs,
    plan_clean,
)


def _write(path: Path, n: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * n)
    return path


@pytest.fixture
def pipe(tmp_path: Path) -> Path:
    """A pipeline root with benchmark outputs, training runs and data beside them."""
    root = tmp_path / "pipe"
    b = root / "BENCHMARK"
    _write(b / "cfg" / "v1" / "len400_hop050_th90" / "predict.cfg", 10)
    _write(b / "jobs" / "pred_v1.batch", 20)
    _write(b / "jobs" / "logs" / "pred_v1-1_0.out", 5)
    _write(b / "runs" / "v1" / "scores" / "len400_hop050" / "a.wav.parquet", 100)
    _write(b / "runs" / "v1" / "len400_hop050_th90" / "evaluation" / "index.json", 7)
    _write(b / "benchmark_variants.json", 3)
    t = root / "TRAINING"
    _write(t / "cfg" / "v1" / "alpaca_server.cfg", 11)
    _write(t / "runs" / "models" / "v1" / "models" / "model.pt", 50)
    _write(t / "runs" / "models" / "v1" / "checkpoints" / "ckpt_0002.pt", 60)
    _write(t / "runs" / "models" / "v2" / "checkpoints" / "ckpt_0001.pt", 70)
    _write(root / "data" / "corpus" / "a.wav", 9)
    return root


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def test_plan_lists_items_and_bytes(pipe: Path) -> None:
    plan = plan_clean(pipe)
    assert [i.path for i in plan.items] == [
        "BENCHMARK/cfg/v1", "BENCHMARK/jobs/logs", "BENCHMARK/jobs/pred_v1.batch",
        "BENCHMARK/runs/v1"]
    assert plan.n_bytes == 10 + 20 + 5 + 100 + 7
    assert "freeing 142 B" in plan.format()
    assert len(_files(pipe)) == 11


def test_clean_benchmark_keeps_everything_else(pipe: Path) -> None:
    before = _files(pipe)
    done = clean(pipe, check_jobs=False)
    assert done.done and done.n_bytes == 142
    after = _files(pipe)
    assert {f for f in before - after} == {
        "BENCHMARK/cfg/v1/len400_hop050_th90/predict.cfg", "BENCHMARK/jobs/pred_v1.batch",
        "BENCHMARK/jobs/logs/pred_v1-1_0.out",
        "BENCHMARK/runs/v1/scores/len400_hop050/a.wav.parquet",
        "BENCHMARK/runs/v1/len400_hop050_th90/evaluation/index.json"}
    for part in ("cfg", "jobs", "runs"):
        assert (pipe / "BENCHMARK" / part).is_dir()
    assert clean(pipe, check_jobs=False).items == ()


def test_dry_run_removes_nothing(pipe: Path) -> None:
    before = _files(pipe)
    plan = clean(pipe, dry_run=True, training_checkpoints=True)
    assert plan.items and not plan.done
    assert _files(pipe) == before


def test_keep_scores(pipe: Path) -> None:
    clean(pipe, keep_scores=True, check_jobs=False)
    assert (pipe / "BENCHMARK/runs/v1/scores/len400_hop050/a.wav.parquet").is_file()
    assert not (pipe / "BENCHMARK/runs/v1/len400_hop050_th90").exists()


def test_training_checkpoints_only_of_finished_runs(pipe: Path) -> None:
    plan = clean(pipe, benchmark=False, training_checkpoints=True, check_jobs=False)
    assert [i.path for i in plan.items] == ["TRAINING/runs/models/v1/checkpoints/ckpt_0002.pt"]
    assert (pipe / "TRAINING/runs/models/v1/models/model.pt").is_file()
    assert (pipe / "TRAINING/runs/models/v2/checkpoints/ckpt_0001.pt").is_file()
    assert (pipe / "BENCHMARK/jobs/pred_v1.batch").is_file()


def test_symlinks_pointing_outside_are_removed_not_followed(pipe: Path, tmp_path: Path) -> None:
    outside = tmp_path / "precious"
    _write(outside / "keep.txt", 4)
    _write(outside / "sub" / "keep2.txt", 4)
    (pipe / "BENCHMARK" / "runs" / "v1" / "evaluation_link").symlink_to(outside)
    (pipe / "BENCHMARK" / "runs" / "linked_model").symlink_to(outside)
    (pipe / "BENCHMARK" / "jobs" / "file_link").symlink_to(outside / "keep.txt")
    shutil.rmtree(pipe / "BENCHMARK" / "cfg")
    (pipe / "BENCHMARK" / "cfg").symlink_to(outside, target_is_directory=True)
    plan = plan_clean(pipe)
    kinds = {i.path: i.kind for i in plan.items}
    assert kinds["BENCHMARK/cfg"] == "link"
    assert kinds["BENCHMARK/runs/linked_model"] == "link"
    assert kinds["BENCHMARK/jobs/file_link"] == "link"
    assert plan.n_bytes < 1000  # the links' own sizes, not their targets'
    clean(pipe, check_jobs=False)
    assert (outside / "keep.txt").read_bytes() == b"xxxx"
    assert (outside / "sub" / "keep2.txt").is_file()
    for name in ("BENCHMARK/cfg", "BENCHMARK/runs/linked_model", "BENCHMARK/jobs/file_link"):
        assert not os.path.lexists(pipe / name)
    assert (pipe / "TRAINING/runs/models/v1/models/model.pt").is_file()


def test_benchmark_folder_that_is_a_link_is_refused(pipe: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    shutil.move(pipe / "BENCHMARK", outside)
    (pipe / "BENCHMARK").symlink_to(outside)
    with pytest.raises(ConfigError, match="symbolic link") as info:
        clean(pipe, check_jobs=False)
    assert "BENCHMARK" in str(info.value)
    assert (outside / "jobs" / "pred_v1.batch").is_file()


def test_missing_areas_are_nothing_to_do(tmp_path: Path) -> None:
    assert plan_clean(tmp_path, training_checkpoints=True).items == ()


def test_job_names_from_scripts(tmp_path: Path) -> None:
    _write(tmp_path / "BENCHMARK" / "jobs" / "pred_v1.batch", 0).write_text(
        "#!/bin/bash\n#SBATCH --job-name            pred_v1\n")
    _write(tmp_path / "TRAINING" / "jobs" / "train_models.sbatch", 0).write_text(
        "#!/bin/bash\n#SBATCH -J train_models\n#SBATCH --job-name=other\n")
    assert _script_job_names(tmp_path) == {"pred_v1", "train_models", "other"}


def test_format_bytes() -> None:
    assert format_bytes(0) == "0 B"
    assert format_bytes(1023) == "1023 B"
    assert format_bytes(5 * 1024**3) == "5.0 GiB"


def _cli(root: Path, monkeypatch: pytest.MonkeyPatch, stdin: str | None, *args: str) -> int:
    if stdin is None:
        monkeypatch.setattr("sys.stdin", None)
    else:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(["clean", "--root", str(root), *args])


def test_cli_asks_and_refuses_without_confirmation(
    pipe: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")  # no squeue: nothing is queued
    before = _files(pipe)
    assert _cli(pipe, monkeypatch, None) == 1
    assert _cli(pipe, monkeypatch, "") == 1
    assert _cli(pipe, monkeypatch, "n\n") == 1
    assert _files(pipe) == before
    out = capsys.readouterr()
    assert "would remove 4 item(s)" in out.out and "nothing removed" in out.err
    assert _cli(pipe, monkeypatch, None, "--dry-run") == 0
    assert _files(pipe) == before
    assert _cli(pipe, monkeypatch, "y\n") == 0
    assert not (pipe / "BENCHMARK/jobs/pred_v1.batch").exists()
    assert "removed 4 item(s), freed 142 B" in capsys.readouterr().out


def test_cli_yes_and_checkpoints(
    pipe: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    assert _cli(pipe, monkeypatch, None, "--training-checkpoints", "--yes") == 0
    assert (pipe / "BENCHMARK/jobs/pred_v1.batch").is_file()  # only checkpoints asked for
    assert not (pipe / "TRAINING/runs/models/v1/checkpoints/ckpt_0002.pt").exists()
    assert _cli(pipe, monkeypatch, None, "--benchmark", "--keep-scores", "--yes") == 0
    assert (pipe / "BENCHMARK/runs/v1/scores/len400_hop050/a.wav.parquet").is_file()
    assert _cli(pipe, monkeypatch, None, "--yes") == 0
    assert "nothing to clean" not in capsys.readouterr().out
    assert _cli(pipe, monkeypatch, None, "--yes") == 0
    assert "nothing to clean" in capsys.readouterr().out


def test_without_squeue_no_jobs(pipe: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    assert pipeline_jobs(pipe) == []


def _slurm_up() -> bool:
    if not os.environ.get("ALPACASPOT_SLURM") or shutil.which("sbatch") is None:
        return False
    proc = subprocess.run(["sinfo", "-h"], capture_output=True, text=True, timeout=10,
                          check=False)
    return proc.returncode == 0


@pytest.mark.slurm
def test_refuses_while_a_pipeline_job_is_queued(pipe: Path) -> None:
    if not _slurm_up():
        pytest.skip("no Slurm cluster: run through tests/cluster/with_slurm.sh (make test)")
    script = pipe / "BENCHMARK" / "jobs" / "pred_v1.batch"
    script.write_text("#!/bin/bash\n#SBATCH --job-name=pred_v1_cleantest\nsleep 60\n")
    proc = subprocess.run(["sbatch", "--parsable", "--hold", str(script)], capture_output=True,
                          text=True, timeout=30, check=True, cwd="/")
    job_id = proc.stdout.strip().split(";")[0]
    try:
        deadline = time.monotonic() + 20
        while not pipeline_jobs(pipe) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert [j[0] for j in pipeline_jobs(pipe)] == [job_id]
        with pytest.raises(ClusterError, match="queued or running"):
            clean(pipe)
        assert script.is_file()
    finally:
        subprocess.run(["scancel", job_id], capture_output=True, timeout=30, check=False)


_PARTS = st.sampled_from(["cfg", "jobs", "runs"])
_NAMES = st.sampled_from(["a", "b", "scores", "v1", "x.parquet"])
_ENTRY = st.tuples(_PARTS, st.lists(_NAMES, min_size=1, max_size=3),
                   st.sampled_from(["file", "dir_link", "file_link", "dangling"]))


@settings(max_examples=60, deadline=None)
@given(entries=st.lists(_ENTRY, min_size=1, max_size=12), keep_scores=st.booleans())
def test_clean_never_touches_anything_outside(
    entries: list[tuple[str, list[str], str]], keep_scores: bool
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        outside = base / "outside"
        _write(outside / "f.txt", 3)
        _write(outside / "d" / "g.txt", 4)
        root = base / "pipe"
        _write(root / "TRAINING" / "cfg" / "t.cfg", 2)
        _write(root / "data" / "a.wav", 2)
        for part, names, kind in entries:
            path = root / "BENCHMARK" / part / Path(*names)
            if os.path.lexists(path) or any(
                    os.path.lexists(p) and not p.is_dir() for p in path.parents):
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            if kind == "file":
                _write(path, 5)
            elif kind == "dir_link":
                path.symlink_to(outside, target_is_directory=True)
            elif kind == "file_link":
                path.symlink_to(outside / "f.txt")
            else:
                path.symlink_to(base / "nowhere")
        snapshot = {p: p.read_bytes() for p in base.rglob("*")
                    if p.is_file() and not p.is_relative_to(root / "BENCHMARK")}
        clean(root, keep_scores=keep_scores, check_jobs=False)
        after = {p: p.read_bytes() for p in base.rglob("*")
                 if p.is_file() and not p.is_relative_to(root / "BENCHMARK")}
        assert after == snapshot
        left = [p for p in (root / "BENCHMARK").rglob("*") if not p.is_dir()]
        if keep_scores:
            assert all("scores" in p.relative_to(root / "BENCHMARK").parts for p in left)
        else:
            assert left == []
