from __future__ import annotations

import datetime
import os
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alpacaspot.cluster import JobArray, array_spec, task_command
from alpacaspot.errors import ClusterError


def _parse_spec(spec: str) -> list[int]:
    spec = spec.split("%")[0]
    out: list[int] = []
    for part in spec.split(","):
        a, _, b = part.partition("-")
        out += list(range(int(a), int(b or a) + 1))
    return out


@settings(max_examples=80, deadline=None)
@given(st.sets(st.integers(0, 200), min_size=1), st.none() | st.integers(1, 50))
def test_array_spec_round_trip(tasks: set[int], limit: int | None) -> None:
    spec = array_spec(sorted(tasks), limit)
    assert _parse_spec(spec) == sorted(tasks)
    assert spec.endswith(f"%{limit}") == (limit is not None)


def test_array_spec_rejects_bad() -> None:
    with pytest.raises(ClusterError, match="at least one"):
        array_spec([])
    with pytest.raises(ClusterError, match="max_concurrent"):
        array_spec([0], 0)


def test_script_has_options_and_quoted_commands(tmp_path: Path) -> None:
    cfg = tmp_path / "my runs" / "a.cfg"
    arr = JobArray(
        "train", [task_command("alpacaspot", "train", cfg), "echo two"],
        log_dir=tmp_path / "logs", max_concurrent=3, partition="gpu", account="acct",
        gpus=1, cpus_per_task=4, mem="16G", time=datetime.timedelta(hours=2),
        constraint="a100", qos="short", setup=["source venv/bin/activate"],
        signal="B:USR1@120", workdir=tmp_path,
    )
    text = arr.script()
    for expected in ("--array               0-1%3", "--partition", "gpu", "--account", "acct",
                     "--gres                gpu:1", "--cpus-per-task       4", "--mem", "16G",
                     "0-02:00:00", "--constraint", "a100", "--qos", "--signal",
                     "B:USR1@120", "%x-%A_%a.out", "source venv/bin/activate"):
        assert expected in text, expected
    assert f"'{cfg}'" in text  # shlex-quoted path with a space
    assert text.startswith("#!/bin/bash\n")


def test_no_hard_coded_site_settings(tmp_path: Path) -> None:
    text = JobArray("x", ["true"], log_dir=tmp_path).script()
    for forbidden in ("--partition", "--account", "--gres", "--qos", "--constraint"):
        assert forbidden not in text


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(name="bad name", commands=["true"]), "job name"),
        (dict(name="x", commands=[]), "no commands"),
        (dict(name="x", commands="true"), "must be a list"),
        (dict(name="x", commands=["a\nb"]), "one non-empty line"),
        (dict(name="x", commands=["true"], cpus_per_task=0), "cpus_per_task"),
        (dict(name="x", commands=["true"], max_concurrent=0), "max_concurrent"),
    ],
)
def test_bad_arrays_raise(tmp_path: Path, kwargs: dict, match: str) -> None:
    with pytest.raises(ClusterError, match=match):
        JobArray(log_dir=tmp_path, **kwargs)


def test_log_dir_with_space_is_rejected_at_render(tmp_path: Path) -> None:
    arr = JobArray("x", ["true"], log_dir=tmp_path / "a b")
    with pytest.raises(ClusterError, match="whitespace"):
        arr.script()


def test_task_subset_must_exist(tmp_path: Path) -> None:
    arr = JobArray("x", ["true"], log_dir=tmp_path)
    with pytest.raises(ClusterError, match="no task 5"):
        arr.script(tasks=[5])


def test_script_runs_locally_without_sbatch(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    arr = JobArray(
        "loc", [f"echo $SLURM_ARRAY_TASK_ID > {out}/t0", f"echo $MYVAR > {out}/t1", "exit 4"],
        log_dir=tmp_path / "logs", setup=["export MYVAR=fromsetup"],
    )
    script = tmp_path / "loc.sbatch"
    script.write_text(arr.script())
    env = dict(os.environ, ALPACASPOT_LOCAL="1")
    env.pop("SLURM_ARRAY_TASK_ID", None)
    proc = subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True)
    assert proc.returncode == 1  # task 2 failed; the others still ran
    assert (out / "t0").read_text() == "0\n"
    assert (out / "t1").read_text() == "fromsetup\n"
    assert "task 2: exit 4" in proc.stderr
    assert (tmp_path / "logs" / "loc-local_0.out").exists()


def test_simple_slurm_pitfalls_are_avoided(tmp_path: Path) -> None:
    from alpacaspot.cluster._render import sbatch_header

    arr = JobArray("d", ["echo $HOME ${SLURM_ARRAY_TASK_ID}"], log_dir=tmp_path)
    text = arr.script()
    assert "\\$" not in text and "echo $HOME ${SLURM_ARRAY_TASK_ID}" in text
    assert arr.script() == text  # rendering twice does not append commands
    with pytest.raises(ClusterError, match="simple-slurm rejected"):
        sbatch_header({"no_such_option": "1"}, name="d")


def test_signal_forwarding_block(tmp_path: Path) -> None:
    text = JobArray("s", ["a; b"], log_dir=tmp_path, signal="B:USR1@120").script()
    assert "0) { a; b; } & ;;" in text and "kill -s USR1 0" in text
    with pytest.raises(ClusterError, match="signal"):
        JobArray("s", ["a"], log_dir=tmp_path, signal="B:US R1@1").script()


def test_dependency_spec_uses_colons() -> None:
    from alpacaspot.cluster import dependency_spec

    assert dependency_spec([12, 13]) == "afterok:12:13"
    assert dependency_spec(7) == "afterok:7"
    assert dependency_spec([]) is None
    with pytest.raises(ClusterError, match="job ids"):
        dependency_spec(["x"])
