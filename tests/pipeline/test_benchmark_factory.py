from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alpacaspot.errors import ConfigError
from alpacaspot.io.animalspot import read_cfg
from alpacaspot.pipeline import benchmark_factory, find_models, format_tag
from alpacaspot.pipeline._cfg_keys import eval_extra_keys, predict_extra_keys

VARIANTS = [
    {"seq_len": 0.4, "hop": 0.05, "threshold": 0.9},
    {"seq_len": 0.4, "hop": 0.05, "threshold": 0.57},
    {"seq_len": 0.3, "hop": 0.1, "threshold": 0.975},
]


def _models(root: Path, *names: str) -> None:
    for name in names:
        f = root / "TRAINING" / "runs" / "models" / name / "models" / "model.pt"
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_bytes(b"not read by the factory")


def _corpus(root: Path) -> Path:
    corpus = root / "bench_corpus"
    corpus.mkdir(parents=True)
    return corpus


def test_tags_are_rounded_not_truncated() -> None:
    assert format_tag(0.4, 0.05, 0.57) == "len400_hop050_th57"
    assert format_tag(0.25, 0.005, 0.975) == "len250_hop005_th975"
    assert format_tag(0.4, 0.05, 0.9) == "len400_hop050_th90"


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 99))
def test_two_digit_thresholds_round_trip(pct: int) -> None:
    assert format_tag(0.4, 0.05, pct / 100).endswith(f"_th{pct:02d}")


def test_layout_and_shared_scores(tmp_path: Path) -> None:
    _models(tmp_path, "m_b", "m_a")
    corpus = _corpus(tmp_path)
    plan = benchmark_factory(corpus, VARIANTS, root=tmp_path, max_concurrent=3, check=False)
    assert list(plan.models) == ["m_a", "m_b"]  # sorted discovery
    bench = tmp_path / "BENCHMARK"
    tags = ("len400_hop050_th90", "len400_hop050_th57", "len300_hop100_th975")
    for model in ("m_a", "m_b"):
        assert plan.tags[model] == tags
        for tag in tags:
            assert (bench / "cfg" / model / tag / "predict.cfg").is_file()
            assert (bench / "cfg" / model / tag / "eval.cfg").is_file()
        array = plan.predict_arrays[model]
        assert array.n_tasks == 2  # two (seq_len, hop) groups, not three tags
        assert array.max_concurrent == 3
        assert os.access(bench / "jobs" / f"pred_{model}.batch", os.X_OK)
    p57 = read_cfg(bench / "cfg/m_a/len400_hop050_th57/predict.cfg", kind="predict",
                   extra_keys=predict_extra_keys())
    p90 = read_cfg(bench / "cfg/m_a/len400_hop050_th90/predict.cfg", kind="predict",
                   extra_keys=predict_extra_keys())
    assert p57["sequence_len"] == "0.4" and p57["hop"] == "0.05" and p57["threshold"] == "0.57"
    assert p57["model_path"] == str(tmp_path / "TRAINING/runs/models/m_a/models/model.pt")
    shared = str(bench / "runs" / "m_a" / "scores" / "len400_hop050")
    if "scores_dir" in predict_extra_keys():
        assert p57["scores_dir"] == p90["scores_dir"] == shared
    ev = read_cfg(bench / "cfg/m_a/len400_hop050_th90/eval.cfg", kind="evaluate",
                  extra_keys=eval_extra_keys())
    assert ev["threshold"] == "0.9"
    assert ev["output_dir"] == str(bench / "runs/m_a/len400_hop050_th90/evaluation")
    cmds = plan.predict_arrays["m_a"].commands
    assert f"--output {shared} " in cmds[0] and "alpacaspot predict" in cmds[0]
    master = (bench / "jobs" / "pred_models.batch").read_text()
    assert master.index("pred_m_a.batch") < master.index("pred_m_b.batch")
    saved = json.loads((bench / "benchmark_variants.json").read_text())
    assert saved == VARIANTS


def test_explicit_models_may_not_exist_yet(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path)
    future = tmp_path / "TRAINING/runs/models/v9/models/model.pt"
    plan = benchmark_factory(corpus, {"slurm": {"gpus": 1}, "variants": VARIANTS[:1]},
                             root=tmp_path, models=[future], check=False)
    assert plan.models == {"v9": future}
    assert plan.predict_arrays["v9"].gpus == 1


@pytest.mark.parametrize(
    ("variants", "match"),
    [
        ([{"seq_len": 400, "hop": 0.05, "threshold": 0.9}], "milliseconds"),
        ([{"seq_len": 0.4, "hop": 0.05, "threshold": 1.0}], r"threshold must be in \(0, 1\)"),
        ([{"seq_len": 0.4, "hop": 0.05}], "threshold: expected a number"),
        ([{"seq_len": 0.4, "hop": 0.05, "threshold": 0.9, "x": 1}], "unknown keys"),
        (VARIANTS[:1] * 2, "repeats"),
        ([], "non-empty list"),
        ({"variants": VARIANTS, "slurm": {"gpu": 1}}, "unknown key 'gpu'"),
    ],
)
def test_bad_benchmark_variants(tmp_path: Path, variants: object, match: str) -> None:
    _models(tmp_path, "m")
    src = tmp_path / "bv.json"
    src.write_text(json.dumps(variants))
    with pytest.raises(ConfigError, match=match) as info:
        benchmark_factory(_corpus(tmp_path), src, root=tmp_path, check=False)
    assert str(src) in str(info.value)


def test_no_models_is_a_clear_error(tmp_path: Path) -> None:
    assert find_models(tmp_path) == {}
    with pytest.raises(ConfigError, match="no trained models"):
        benchmark_factory(_corpus(tmp_path), VARIANTS, root=tmp_path, check=False)
    with pytest.raises(ConfigError, match="corpus folder does not exist"):
        benchmark_factory(tmp_path / "nope", VARIANTS, root=tmp_path, check=False)


def test_postprocess_options_reach_every_eval_cfg(tmp_path):
    _models(tmp_path, "m_a")
    corpus = _corpus(tmp_path)
    doc = {"postprocess": {"curve": "centre", "min_duration_s": 0.05}, "variants": VARIANTS}
    benchmark_factory(corpus, doc, root=tmp_path, check=False)
    cfgs = sorted((tmp_path / "BENCHMARK" / "cfg").glob("*/*/eval.cfg"))
    assert cfgs
    for cfg in cfgs:
        values = read_cfg(cfg, kind="evaluate", extra_keys=eval_extra_keys())
        assert values["curve"] == "centre" and values["min_duration_s"] == "0.05"


def test_unknown_postprocess_option_is_refused(tmp_path):
    _models(tmp_path, "m_a")
    with pytest.raises(ConfigError, match="postprocess: unknown keys"):
        benchmark_factory(_corpus(tmp_path), {"postprocess": {"smooth": 3}, "variants": VARIANTS},
                          root=tmp_path, check=False)
