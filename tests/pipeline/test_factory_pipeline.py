"""The generated arrays of a tiny synthetic pipeline, run for real: locally and on Slurm.

Training (narrow ResNet, one epoch, 8 kHz), prediction and evaluation run through the factories'
job arrays and the done-marker task wrapper, chained with dependencies.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from alpacaspot.cluster import LocalExecutor, SlurmExecutor, failed_tasks
from alpacaspot.cluster.done import MARKER_NAME
from alpacaspot.pipeline import benchmark_factory, eval_factory, training_factory

pytestmark = pytest.mark.slow

SPEC = {"sr": 8000, "n_fft": 256, "hop_length": 128, "n_freq_bins": 32, "fmin": 0,
        "fmax": 4000}
TRAIN = {"max_train_epochs": 1, "epochs_per_eval": 1, "batch_size": 8, "width": 8,
         "augmentation": False, "num_workers": 0, "torch_threads": 1}
BENCH_VARIANTS = [{"seq_len": 0.4, "hop": 0.1, "threshold": 0.5},
                  {"seq_len": 0.4, "hop": 0.1, "threshold": 0.9}]


@pytest.fixture(scope="module")
def slurm() -> None:
    """Skip unless a Slurm cluster answers (``tests/cluster/with_slurm.sh`` starts one)."""
    import subprocess

    if os.environ.get("ALPACASPOT_SLURM_SKIP"):
        pytest.skip(os.environ["ALPACASPOT_SLURM_SKIP"])
    if not os.environ.get("ALPACASPOT_SLURM") or shutil.which("sbatch") is None:
        pytest.skip("no Slurm cluster: run through `bash tests/cluster/with_slurm.sh` "
                    "(make test)")
    if subprocess.run(["sinfo", "-h"], capture_output=True).returncode != 0:
        pytest.skip("sinfo does not answer: no Slurm cluster")


def _has_detect_cli() -> bool:
    return importlib.util.find_spec("alpacaspot.cli.predict") is not None


@pytest.fixture(scope="module")
def corpora(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from alpacaspot.data import build_corpus_index, make_synthetic_corpus, prepare_datasets

    base = tmp_path_factory.mktemp("corpora")
    train = make_synthetic_corpus(base / "train_c", n_tapes=3, minutes_per_tape=0.5, seed=1,
                                  sr=8000, progress=False)
    prepare_datasets(train, {"active_strategies": ["v1"],
                             "strategies": {"v1": {"split_strategy": "by_tape", "seed": 1}}},
                     progress=False, workers=1)
    bench = make_synthetic_corpus(base / "bench_c", n_tapes=1, minutes_per_tape=0.25, seed=2,
                                  sr=8000, progress=False)
    build_corpus_index(bench).save()
    return base


def _root(tmp_path: Path, corpora: Path, slurm: dict, variants: tuple[str, ...] = ("v1", "v2")
          ) -> tuple[Path, Path]:
    root = tmp_path / "pipe"
    root.mkdir()
    root.chmod(0o777)
    doc = {"globals": {"data_root": str(corpora), **SPEC, **TRAIN, "slurm": slurm},
           "v1": {"dataset": "train_c/dataset_v1", "sequence_len": 400},
           "v2": {"dataset": "train_c/dataset_v1", "sequence_len": 400, "seed": 3},
           "active_variants": list(variants)}
    (root / "train_variants.json").write_text(json.dumps(doc))
    (root / "benchmark_variants.json").write_text(json.dumps({"slurm": slurm,
                                                              "variants": BENCH_VARIANTS}))
    return root, corpora / "bench_c"


def _check_outputs(root: Path, plan_tags: dict[str, tuple[str, ...]]) -> None:
    for model, tags in plan_tags.items():
        assert (root / "TRAINING/runs/models" / model / "models/model.pt").is_file()
        scores = root / "BENCHMARK/runs" / model / "scores/len400_hop100"
        assert sorted(scores.rglob("*.parquet")), scores
        for tag in tags:
            ev = root / "BENCHMARK/runs" / model / tag / "evaluation"
            assert (ev / "index.json").is_file() and (ev / MARKER_NAME).is_file()


def test_local_pipeline_and_rerun_skips(tmp_path: Path, corpora: Path) -> None:
    root, bench = _root(tmp_path, corpora, {"gpus": 1, "max_concurrent": 2,
                                            "python": sys.executable}, variants=("v1",))
    ex = LocalExecutor()
    train = training_factory(root / "train_variants.json", root=root)
    job = ex.submit(train.array)
    assert ex.status(job) == {0: "COMPLETED"}, ex.exit_codes(job)
    if not _has_detect_cli():
        pytest.skip("alpacaspot.cli.predict (predict/evaluate commands) is not available")
    bplan = benchmark_factory(bench, root / "benchmark_variants.json", root=root)
    pred = {m: ex.submit(a, after=job) for m, a in bplan.predict_arrays.items()}
    eplan = eval_factory(root / "BENCHMARK")
    ev = {m: ex.submit(a, after=pred[m]) for m, a in eplan.arrays.items()}
    for m in ev:
        assert failed_tasks(ex, pred[m]) == [] and failed_tasks(ex, ev[m]) == []
    _check_outputs(root, bplan.tags)
    # a second pass of every array finds every marker and redoes nothing
    index = root / "BENCHMARK/runs/v1" / bplan.tags["v1"][0] / "evaluation/index.json"
    before = index.stat().st_mtime_ns
    again = ex.submit(eplan.arrays["v1"])
    assert ex.status(again) == {0: "COMPLETED", 1: "COMPLETED"}
    assert index.stat().st_mtime_ns == before
    err = eplan.arrays["v1"].log_paths(again, 0)[1].read_text()
    assert "skip (done marker matches)" in err


@pytest.mark.slurm
def test_slurm_pipeline_chained(tmp_path: Path, corpora: Path, slurm: None) -> None:
    venv_bin = os.path.dirname(sys.executable)
    root, bench = _root(tmp_path, corpora, {"gpus": 1, "time": "00:10:00", "mem": "2G",
                                            "max_concurrent": 2, "python": sys.executable,
                                            "setup": [f"export PATH={venv_bin}:$PATH"],
                                            "evaluate": {"mem": "1G"}})
    ex = SlurmExecutor(poll_s=0.5)
    train = training_factory(root / "train_variants.json", root=root)
    assert "to start at" in ex.test_only(train.array)
    train_job = ex.submit(train.array)
    jobs = {"train": train_job}
    if _has_detect_cli():
        bplan = benchmark_factory(bench, root / "benchmark_variants.json", root=root,
                                  models=train.model_paths)
        eplan = eval_factory(root / "BENCHMARK")
        for m in bplan.predict_arrays:
            ex.test_only(bplan.predict_arrays[m])
            ex.test_only(eplan.arrays[m])
            jobs[f"pred_{m}"] = ex.submit(bplan.predict_arrays[m], after=train_job)
            jobs[f"eval_{m}"] = ex.submit(eplan.arrays[m], after=jobs[f"pred_{m}"])
    for name, job in jobs.items():
        state = ex.wait(job, timeout_s=400)
        assert set(state.values()) == {"COMPLETED"}, (name, state)
    if not _has_detect_cli():
        pytest.skip("alpacaspot.cli.predict is not available: only training ran on Slurm")
    _check_outputs(root, bplan.tags)
    # lose one evaluation; a re-submission of the whole array redoes only that task
    lost = root / "BENCHMARK/runs/v2" / bplan.tags["v2"][1] / "evaluation"
    shutil.rmtree(lost)
    kept = root / "BENCHMARK/runs/v2" / bplan.tags["v2"][0] / "evaluation/index.json"
    before = kept.stat().st_mtime_ns
    again = ex.submit(eplan.arrays["v2"])
    assert set(ex.wait(again, timeout_s=200).values()) == {"COMPLETED"}
    assert (lost / "index.json").is_file() and kept.stat().st_mtime_ns == before
