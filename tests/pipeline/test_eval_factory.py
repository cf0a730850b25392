from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from alpacaspot.errors import ConfigError
from alpacaspot.pipeline import benchmark_factory, eval_factory

VARIANTS = {
    "slurm": {"partition": "gpu", "gpus": 1, "max_concurrent": 4,
              "evaluate": {"partition": "cpu", "cpus": 2}},
    "variants": [{"seq_len": 0.4, "hop": 0.05, "threshold": t} for t in (0.5, 0.9, 0.95)],
}


def _bench(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    models = {"m1": tmp_path / "m1.pt", "m2": tmp_path / "m2.pt"}
    benchmark_factory(corpus, VARIANTS, root=tmp_path, models=models, check=False)
    return tmp_path / "BENCHMARK"


def test_one_cpu_array_per_model_one_task_per_tag(tmp_path: Path) -> None:
    bench = _bench(tmp_path)
    plan = eval_factory(bench, max_concurrent=20, check=False)
    assert sorted(plan.arrays) == ["m1", "m2"]
    arr = plan.arrays["m1"]
    assert arr.n_tasks == 3 and arr.max_concurrent == 20
    assert arr.gpus is None and arr.partition == "cpu" and arr.cpus_per_task == 2
    text = (bench / "jobs" / "eval_m1.batch").read_text()
    assert "--gres" not in text and "--partition           cpu" in text
    for cfg in plan.cfgs["m1"]:
        assert f"alpacaspot evaluate {cfg}" in text
    assert "len400_hop050_th95/evaluation" in arr.commands[2]
    master = (bench / "jobs" / "eval_models.batch").read_text()
    assert "eval_m1.batch" in master and "eval_m2.batch" in master
    assert subprocess.run(["bash", "-n", str(bench / "jobs" / "eval_m1.batch")]).returncode == 0


def test_default_throttle_from_slurm_block_and_override(tmp_path: Path) -> None:
    bench = _bench(tmp_path)
    assert eval_factory(bench, check=False).arrays["m1"].max_concurrent == 4
    plan = eval_factory(bench, slurm={"partition": "short", "gpus": 2}, check=False)
    assert plan.arrays["m2"].partition == "short" and plan.arrays["m2"].gpus is None


def test_no_cfgs_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="benchmark factory first"):
        eval_factory(tmp_path / "BENCHMARK", check=False)
