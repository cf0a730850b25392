"""Shared mode in the pipeline: a ``mode: shared`` benchmark variant, its fit step and metrics.

One small pipeline (the demo's small budget, its windows model only, a short shared fit) runs
once for this module; the re-run test reuses it.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from alpacaspot.errors import ConfigError
from alpacaspot.pipeline.check_variants import load_benchmark
from alpacaspot.pipeline.demo import demo_spec, results_table
from alpacaspot.pipeline.run import PipelineSpec, run_pipeline

MODEL = "windows_w8"
FIT_STEPS = 30
VARIANTS = [{"seq_len": 0.4, "hop": 0.05, "threshold": 0.5},
            {"seq_len": 0.4, "hop": 0.05, "threshold": 0.9},
            {"seq_len": 0.4, "hop": 0.05, "threshold": 0.5, "mode": "shared"},
            {"seq_len": 0.4, "hop": 0.05, "threshold": 0.9, "mode": "shared"}]


def _spec(out: Path) -> PipelineSpec:
    spec = demo_spec(out, budget="small")
    train = json.loads(json.dumps(spec.train_variants))
    train["active_variants"] = [MODEL]
    bench = {**spec.benchmark_variants, "shared_fit": {"steps": FIT_STEPS},
             "variants": VARIANTS}
    return replace(spec, train_variants=train, benchmark_variants=bench)


@pytest.fixture(scope="module")
def shared_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[PipelineSpec, object]:
    spec = _spec(tmp_path_factory.mktemp("shared") / "run")
    return spec, run_pipeline(spec)


def _model_dir(spec: PipelineSpec) -> Path:
    return Path(spec.out).absolute() / "TRAINING" / "runs" / "models" / MODEL / "models"


@pytest.mark.slow
def test_shared_variant_runs_end_to_end(shared_run):
    from alpacaspot.io.tables import read_table_metadata
    from alpacaspot.models import load_model

    spec, result = shared_run
    root = Path(spec.out).absolute()
    fitted = load_model(_model_dir(spec) / "model_shared.pt")
    original = load_model(_model_dir(spec) / "model.pt")
    assert fitted.provenance["shared_fit"]["steps"] == FIT_STEPS
    assert original.operating_point is not None
    assert fitted.operating_point == original.operating_point
    assert fitted.temperature == original.temperature
    assert (root / "BENCHMARK" / "jobs" / "fit_shared.batch").is_file()
    assert (root / "logs" / "fit_shared.log").is_file()
    assert "fit_shared" in result.timings
    cfg = (root / "BENCHMARK/cfg" / f"{MODEL}.shared/len400_hop050_th90/predict.cfg").read_text()
    assert "mode=shared" in cfg and "model_shared.pt" in cfg
    exact_cfg = (root / "BENCHMARK/cfg" / MODEL / "len400_hop050_th90/predict.cfg").read_text()
    assert "mode=" not in exact_cfg
    scores = sorted((root / "BENCHMARK/runs" / f"{MODEL}.shared/scores/len400_hop050")
                    .rglob("*.parquet"))
    assert scores and read_table_metadata(scores[0])["mode"] == "shared"

    metrics = pd.read_csv(result.metrics_path)
    assert list(metrics.columns[:4]) == ["model", "tag", "criterion", "mode"]
    assert sorted(zip(metrics["model"], metrics["mode"], metrics["tag"], strict=True)) == [
        (MODEL, "exact", "len400_hop050_th50"), (MODEL, "exact", "len400_hop050_th90"),
        (f"{MODEL}.shared", "shared", "len400_hop050_th50"),
        (f"{MODEL}.shared", "shared", "len400_hop050_th90")]
    # both modes are scored at the operating point the model was calibrated to
    op = metrics.groupby("mode")["op_threshold"].unique()
    assert op["exact"].tolist() == op["shared"].tolist() == [original.operating_point.threshold]
    assert metrics["op_f1"].notna().all()

    table = results_table(metrics)
    assert table["model"].tolist() == [MODEL]
    for col in ("op_f1", "f1", "best_threshold_f1"):
        assert list(table.columns).index(f"{col}_shared") == list(table.columns).index(col) + 1
    shared_rows = metrics[metrics["mode"] == "shared"]
    assert table.loc[0, "op_f1_shared"] == shared_rows["op_f1"].iloc[0]
    assert table.loc[0, "f1_shared"] == shared_rows["f1"].max()


@pytest.mark.slow
def test_rerun_skips_the_finished_fit(shared_run):
    spec, result = shared_run
    fitted = _model_dir(spec) / "model_shared.pt"
    before = fitted.stat().st_mtime_ns
    logs = Path(spec.out).absolute() / "BENCHMARK" / "jobs" / "logs"
    seen = set(logs.glob("fit_shared-*_0.err"))
    again = run_pipeline(spec)
    assert fitted.stat().st_mtime_ns == before
    new = sorted(set(logs.glob("fit_shared-*_0.err")) - seen)
    assert len(new) == 1 and "skip (done marker matches)" in new[0].read_text()
    pd.testing.assert_frame_equal(again.metrics, result.metrics)


def test_bad_mode_is_a_config_error_naming_the_variant(tmp_path):
    bad = [VARIANTS[0], {"seq_len": 0.4, "hop": 0.05, "threshold": 0.9, "mode": "fast"}]
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
