"""Shared mode in the pipeline: a ``mode: shared`` benchmark variant, its fit step and metrics.

The pipeline runs again in the session's small demo run (the ``baseline`` fixture of
``conftest.py``, run by ``test_end_to_end.py`` first), with the demo's benchmark variants
plus one in shared mode: training, calibration and exact prediction are found done, so only
the shared-mode fits (short ones), the shared prediction and its evaluation run. The re-run
test reuses that run.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from alpacaspot.errors import ConfigError
from alpacaspot.pipeline.check_variants import load_benchmark
from alpacaspot.pipeline.demo import demo_spec, results_table
from alpacaspot.pipeline.run import PipelineSpec, run_pipeline

MODELS = ("calls_w8", "windows_w8")
FIT_STEPS = 30
VARIANTS = [{"seq_len": 0.4, "hop": 0.05, "threshold": 0.5},
            {"seq_len": 0.4, "hop": 0.05, "threshold": 0.9},
            {"seq_len": 0.4, "hop": 0.05, "threshold": 0.5, "mode": "shared"},
            {"seq_len": 0.4, "hop": 0.05, "threshold": 0.9, "mode": "shared"}]


def _spec(out: Path) -> PipelineSpec:
    """The spec examples/run_pipeline.py --budget small --lenient ran, plus shared variants."""
    spec = demo_spec(out, budget="small")
    exact = spec.benchmark_variants["variants"]
    bench = {**spec.benchmark_variants, "shared_fit": {"steps": FIT_STEPS, "hop": 0.2},
             "variants": [*exact, {**exact[-1], "mode": "shared"}]}
    return replace(spec, benchmark_variants=json.loads(json.dumps(bench)), strict=False,
                   training_corpus_root=str(out / "corpora" / "train"),
                   benchmark_corpus_root=str(out / "corpora" / "bench"))


@pytest.fixture(scope="module")
def shared_run(baseline) -> tuple[PipelineSpec, object]:
    spec = _spec(baseline[0])
    return spec, run_pipeline(spec)


def _model_dir(spec: PipelineSpec, model: str) -> Path:
    return Path(spec.out).absolute() / "TRAINING" / "runs" / "models" / model / "models"


@pytest.mark.slow
def test_shared_variant_runs_end_to_end(shared_run):
    from alpacaspot.io.tables import read_table_metadata
    from alpacaspot.models import load_model

    spec, result = shared_run
    root = Path(spec.out).absolute()
    thresholds = {}
    for model in MODELS:
        fitted = load_model(_model_dir(spec, model) / "model_shared.pt")
        original = load_model(_model_dir(spec, model) / "model.pt")
        assert fitted.provenance["shared_fit"]["steps"] == FIT_STEPS
        assert fitted.provenance["shared_fit"]["hop_s"] == 0.2
        assert original.operating_point is not None
        assert fitted.operating_point == original.operating_point
        assert fitted.temperature == original.temperature
        thresholds[model] = original.operating_point.threshold
    windows = MODELS[1]
    assert (root / "BENCHMARK" / "jobs" / "fit_shared.batch").is_file()
    assert (root / "logs" / "fit_shared.log").is_file()
    assert "fit_shared" in result.timings
    cfg = (root / "BENCHMARK/cfg" / f"{windows}.shared/len400_hop050_th90/predict.cfg").read_text()
    assert "mode=shared" in cfg and "model_shared.pt" in cfg
    exact_cfg = (root / "BENCHMARK/cfg" / windows / "len400_hop050_th90/predict.cfg").read_text()
    assert "mode=" not in exact_cfg
    scores = sorted((root / "BENCHMARK/runs" / f"{windows}.shared/scores/len400_hop050")
                    .rglob("*.parquet"))
    assert scores and read_table_metadata(scores[0])["mode"] == "shared"

    metrics = pd.read_csv(result.metrics_path)
    assert list(metrics.columns[:4]) == ["model", "tag", "criterion", "mode"]
    assert sorted(zip(metrics["model"], metrics["mode"], metrics["tag"], strict=True)) == [
        row for model in MODELS for row in (
            (model, "exact", "len400_hop050_th50"), (model, "exact", "len400_hop050_th90"),
            (f"{model}.shared", "shared", "len400_hop050_th90"))]
    # both modes are scored at the operating point the model was calibrated to
    for model in MODELS:
        rows = metrics[metrics["model"].isin([model, f"{model}.shared"])]
        assert rows["op_threshold"].tolist() == [thresholds[model]] * 3
    assert metrics["op_f1"].notna().all()

    table = results_table(metrics)
    assert table["model"].tolist() == list(MODELS)
    for col in ("op_f1", "f1", "best_threshold_f1"):
        assert list(table.columns).index(f"{col}_shared") == list(table.columns).index(col) + 1
    for i, model in enumerate(MODELS):
        shared_rows = metrics[metrics["model"] == f"{model}.shared"]
        assert table.loc[i, "op_f1_shared"] == shared_rows["op_f1"].iloc[0]
        assert table.loc[i, "f1_shared"] == shared_rows["f1"].max()


@pytest.mark.slow
def test_rerun_skips_the_finished_fit(shared_run):
    spec, result = shared_run
    fitted = _model_dir(spec, MODELS[1]) / "model_shared.pt"
    before = fitted.stat().st_mtime_ns
    logs = Path(spec.out).absolute() / "BENCHMARK" / "jobs" / "logs"
    seen = set(logs.glob("fit_shared-*.err"))
    again = run_pipeline(spec)
    assert fitted.stat().st_mtime_ns == before
    new = sorted(set(logs.glob("fit_shared-*.err")) - seen)
    assert len(new) == len(MODELS)
    assert all("skip (done marker matches)" in f.read_text() for f in new)
    pd.testing.assert_frame_equal(again.metrics, result.metrics)


def test_bad_mode_is_a_config_error_naming_the_variant(tmp_path):
    bad = [VARIANTS[0], {**VARIANTS[1], "mode": "fast"}]
    with pytest.raises(ConfigError, match=r"variants\[1\] \(len400_hop050_th90\)\.mode: "
                                          r"expected one of \['exact', 'shared'\], got 'fast'"):
        load_benchmark({"variants": bad})
    spec = replace(_spec(tmp_path / "run"), benchmark_variants={"variants": bad})
    with pytest.raises(ConfigError, match=r"variants\[1\] \(len400_hop050_th90\)\.mode"):
        run_pipeline(spec)
    assert not (tmp_path / "run").exists()  # refused before any corpus or training work


@pytest.mark.parametrize("block, message", [
    ({"steps": 0}, "shared_fit.steps: expected a positive number"),
    ({"steps": 2.5}, "shared_fit.steps: expected a whole number"),
    ({"epochs": 3}, "shared_fit: unknown keys"),
])
def test_bad_shared_fit_block(block, message):
    with pytest.raises(ConfigError, match=message):
        load_benchmark({"shared_fit": block, "variants": VARIANTS})


def test_same_tag_in_both_modes_is_no_duplicate():
    parsed = load_benchmark({"variants": VARIANTS})
    assert [v.mode for v in parsed.variants] == ["exact", "exact", "shared", "shared"]
    with pytest.raises(ConfigError, match=r"variants\[3\] repeats variants\[2\]"):
        load_benchmark({"variants": VARIANTS[:3] + [VARIANTS[2]]})


def _shared_tree(tmp_path: Path, tree) -> Path:
    root = tmp_path / "pipe"
    tree.make_corpus(root / "data" / "corpus1")
    tree.make_dataset(root / "data" / "corpus1" / "dataset_v1")
    tree.write_train_variants(root)
    tree.write_benchmark_variants(root, [VARIANTS[1], VARIANTS[3]])
    tree.write_train_job(root)
    return root


def _task_argv(script: str, task: int) -> list[str]:
    """The argument list of one task's command in a generated array script."""
    for line in script.splitlines():
        if line.strip().startswith(f"{task}) "):
            return shlex.split(line.strip()[len(f"{task}) "):].removesuffix(" ;;"))
    raise AssertionError(f"no task {task} in the script")


def test_fit_job_script_quotes_every_path(tmp_path, tree):
    from alpacaspot.pipeline import benchmark_factory

    root = _shared_tree(tmp_path, tree)
    model = tmp_path / "user's models" / "v1 final.pt"
    audio = tmp_path / "field tapes" / "it's tape A.wav"
    audio.parent.mkdir()
    shutil.copy(root / "data" / "corpus1" / "tapeA" / "rec0.wav", audio)
    plan = benchmark_factory(root / "data" / "corpus1", root / "tools/benchmark_variants.json",
                             root=root, models={"v1": model}, fit_audio={"v1": [audio]},
                             check=False)
    fitted = model.with_name("model_shared.pt")
    assert plan.shared_models == {"v1.shared": fitted}
    assert sorted(plan.predict_arrays) == ["v1", "v1.shared"]
    script = plan.fit_script.read_text()
    header = {tuple(line.split()[1:3]) for line in script.splitlines()
              if line.startswith("#SBATCH")}
    assert {("--partition", "gpu"), ("--array", "0"), ("--gres", "gpu:1")} <= header
    for path in (model, audio, fitted):
        assert shlex.quote(str(path)) in script
    argv = _task_argv(script, 0)
    command = argv[argv.index("--") + 1:]
    assert command == ["alpacaspot", "fit-shared", str(model), str(audio), "-o", str(fitted)]
    assert argv[argv.index("--output") + 1] == str(model.parent / "v1 final_shared_fit")
    predict = root / "BENCHMARK/cfg/v1.shared/len400_hop050_th90/predict.cfg"
    assert f"model_path={fitted}" in predict.read_text().splitlines()
    assert "mode=shared" in predict.read_text().splitlines()
    master = plan.master_script.read_text()
    assert master.index("fit_shared.batch") < master.index("pred_v1.batch")


def test_fit_options_reach_the_command(tmp_path, tree):
    from alpacaspot.pipeline import benchmark_factory

    root = _shared_tree(tmp_path, tree)
    doc = {"shared_fit": {"steps": 12, "passes": 2, "hop": 0.1, "lr": 0.001, "seed": 3},
           "variants": [VARIANTS[3]]}
    audio = root / "data" / "corpus1" / "tapeA" / "rec0.wav"
    plan = benchmark_factory(root / "data" / "corpus1", doc, root=root,
                             models={"v1": root / "m" / "model.pt"},
                             fit_audio={"v1": [audio]}, check=False)
    argv = _task_argv(plan.fit_script.read_text(), 0)
    assert argv[-10:] == ["--steps", "12", "--passes", "2", "--hop", "0.1", "--lr", "0.001",
                          "--seed", "3"]
    assert list(plan.predict_arrays) == ["v1.shared"]  # no exact variant: no exact run


def test_shared_mode_without_training_recordings_is_a_config_error(tmp_path, tree):
    from alpacaspot.pipeline import benchmark_factory

    root = _shared_tree(tmp_path, tree)
    # the dataset's train split is tape0, a tape this corpus does not have
    with pytest.raises(ConfigError, match=r"no recording of the train tapes \['tape0'\]"):
        benchmark_factory(root / "data" / "corpus1", root / "tools/benchmark_variants.json",
                          root=root, models={"v1": root / "m" / "model.pt"}, check=False)
    with pytest.raises(ConfigError, match="'v2'.*training recordings are not known"):
        benchmark_factory(root / "data" / "corpus1", root / "tools/benchmark_variants.json",
                          root=root, models={"v2": root / "m" / "model.pt"}, check=False)


def test_shared_run_name_taken_by_a_model(tmp_path, tree):
    from alpacaspot.pipeline import benchmark_factory

    root = _shared_tree(tmp_path, tree)
    models = {"v1": root / "a" / "model.pt", "v1.shared": root / "b" / "model.pt"}
    with pytest.raises(ConfigError, match="'v1.shared' has the name of model 'v1'"):
        benchmark_factory(root / "data" / "corpus1", root / "tools/benchmark_variants.json",
                          root=root, models=models, fit_audio={"v1": [root / "x.wav"]},
                          check=False)


def test_master_script_makes_shared_runs_wait_for_the_fit_on_slurm(tmp_path, tree):
    """``bash pred_models.batch`` where sbatch exists (a stand-in that records its calls)."""
    from alpacaspot.pipeline import benchmark_factory

    root = _shared_tree(tmp_path, tree)
    audio = root / "data" / "corpus1" / "tapeA" / "rec0.wav"
    plan = benchmark_factory(root / "data" / "corpus1", root / "tools/benchmark_variants.json",
                             root=root, models={"v1": root / "m" / "model.pt"},
                             fit_audio={"v1": [audio]}, check=False)
    bin_dir, calls = tmp_path / "bin", tmp_path / "sbatch_calls.txt"
    bin_dir.mkdir()
    fake = bin_dir / "sbatch"
    fake.write_text(f'#!/bin/bash\necho "$*" >> {shlex.quote(str(calls))}\n'
                    'case " $* " in *" --parsable "*) echo "4242;cluster" ;; '
                    '*) echo "Submitted batch job 4243" ;; esac\n')
    fake.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k != "ALPACASPOT_LOCAL"}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    done = subprocess.run(["bash", str(plan.master_script)], capture_output=True, text=True,
                          env=env, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    lines = calls.read_text().splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("--parsable") and lines[0].endswith("fit_shared.batch")
    assert lines[1].endswith("pred_v1.batch") and "--dependency" not in lines[1]
    assert lines[2] == f"--dependency=afterok:4242 {plan.scripts['v1.shared']}"
