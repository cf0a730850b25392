"""Seed ensembles in the pipeline: the variants file's ``ensembles``, the combine step, a run.

The run trains two seeds of the small demo's windows variant on the session's corpora,
combines them, calibrates the ensemble on the members' held-out tapes and benchmarks all three.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
import torch

from alpacaspot.errors import ConfigError
from alpacaspot.pipeline import load_train_variants
from alpacaspot.pipeline.demo import demo_spec
from alpacaspot.pipeline.ensembles import combine_ensembles, ensemble_model_paths
from alpacaspot.pipeline.run import PipelineSpec, run_pipeline

from .conftest import write_model

MEMBERS = ("windows_w8", "windows_w8_s2")
ENSEMBLE = "windows_ens"


def _doc(**ensembles: object) -> dict:
    return {"globals": {"data_root": "data"},
            "s1": {"dataset": "ds", "seed": 1}, "s2": {"dataset": "ds", "seed": 2},
            "s3": {"dataset": "ds", "seed": 3}, "other": {"dataset": "ds_other"},
            "idle": {"dataset": "ds"},
            "active_variants": ["s1", "s2", "s3", "other"],
            **({"ensembles": ensembles} if ensembles else {})}


def _load(tmp_path: Path, doc: dict):
    path = tmp_path / "train_variants.json"
    path.write_text(json.dumps(doc))
    return path, load_train_variants(path, root=tmp_path, check_datasets=False)


def test_ensembles_are_read_with_their_members_dataset(tmp_path):
    _, tv = _load(tmp_path, _doc(ens_a=["s1", "s2", "s3"], ens_b=["s3", "s1"]))
    assert tv.ensembles == {"ens_a": ("s1", "s2", "s3"), "ens_b": ("s3", "s1")}
    assert tv.active == ("s1", "s2", "s3", "other")  # not a variant
    assert tv.dataset_dir("ens_b") == tmp_path / "data" / "ds"
    nested = {"globals": {"data_root": "data"}, "variants": {"s1": {"dataset": "ds"},
                                                             "s2": {"dataset": "ds"}},
              "ensembles": {"ens": ["s1", "s2"]}}
    assert _load(tmp_path, nested)[1].ensembles == {"ens": ("s1", "s2")}
    assert _load(tmp_path, _doc())[1].ensembles == {}


@pytest.mark.parametrize("ensembles, match", [
    (["s1", "s2"], "ensembles: expected an object"),
    ({"ens": ["s1"]}, "ensemble 'ens': expected a list of two or more"),
    ({"ens": "s1,s2"}, "ensemble 'ens': expected a list of two or more"),
    ({"ens": ["s1", 2]}, "ensemble 'ens': expected a list of two or more"),
    ({"ens": ["s1", "s1"]}, "lists a variant twice"),
    ({"ens": ["s1", "idle"]}, r"\['idle'\] are not active variants"),
    ({"ens": ["s1", "nowhere"]}, r"\['nowhere'\] are not active variants"),
    ({"ens": ["s1", "other"]}, "train on different datasets"),
    ({"s2": ["s1", "s3"]}, "a variant has that name"),
    ({"en s": ["s1", "s2"]}, "use letters, digits"),
])
def test_bad_ensembles_name_the_file(tmp_path, ensembles, match):
    doc = _doc()
    doc["ensembles"] = ensembles
    with pytest.raises(ConfigError, match=match) as info:
        _load(tmp_path, doc)
    assert str(tmp_path / "train_variants.json") in str(info.value)


def _members(root: Path, seed: int = 0) -> dict[str, Path]:
    torch.manual_seed(seed)
    return {name: write_model(root, name) for name in ("s1", "s2")}


def test_combine_writes_once_and_again_when_a_member_changes(tmp_path):
    from alpacaspot.models import SeedEnsemble, load_model

    runs = tmp_path / "TRAINING" / "runs"
    paths = _members(tmp_path)
    made = combine_ensembles({"ens": ["s1", "s2"]}, paths, runs)
    target = ensemble_model_paths(runs, ["ens"])["ens"]
    assert made == {"ens": target}
    bundle = load_model(target)
    assert isinstance(bundle.network, SeedEnsemble)
    members = bundle.provenance["ensemble"]["members"]
    assert [m["file"] for m in members] == [str(paths["s1"]), str(paths["s2"])]
    assert [m["fingerprint"] for m in members] == [load_model(p).fingerprint()
                                                   for p in paths.values()]
    first = target.read_bytes()
    stamp = target.stat().st_mtime_ns
    combine_ensembles({"ens": ["s1", "s2"]}, paths, runs)
    assert target.stat().st_mtime_ns == stamp  # up to date: kept

    torch.manual_seed(5)
    write_model(tmp_path, "s2")  # a retrained member
    combine_ensembles({"ens": ["s1", "s2"]}, paths, runs)
    again = load_model(target)
    assert target.read_bytes() != first
    assert again.provenance["ensemble"]["members"][1]["fingerprint"] == load_model(
        paths["s2"]).fingerprint()


def test_combine_refuses_missing_and_mismatched_members(tmp_path):
    runs = tmp_path / "TRAINING" / "runs"
    paths = _members(tmp_path)
    with pytest.raises(ConfigError, match=r"ensemble 'ens': members not trained yet"):
        combine_ensembles({"ens": ["s1", "s3"]},
                          {**paths, "s3": tmp_path / "absent" / "model.pt"}, runs)
    with pytest.raises(ConfigError, match=r"ensemble 'ens': no trained model path for \['s9'\]"):
        combine_ensembles({"ens": ["s1", "s9"]}, paths, runs)
    write_model(tmp_path, "s3", n_fft=512)
    with pytest.raises(ConfigError, match=r"ensemble 'ens': .*spectrogram settings"):
        combine_ensembles({"ens": ["s1", "s3"]},
                          {**paths, "s3": write_model(tmp_path, "s3", n_fft=512)}, runs)
    assert not ensemble_model_paths(runs, ["ens"])["ens"].exists()


def _spec(out: Path, corpora: dict[str, Path]) -> PipelineSpec:
    """The small demo's windows variant at seeds 1 and 2, and their ensemble."""
    for name in ("train", "bench"):
        if not (out / "corpora" / name).exists():
            shutil.copytree(corpora[name], out / "corpora" / name)
    spec = demo_spec(out, budget="small")
    train = json.loads(json.dumps(spec.train_variants))
    train.pop("calls_w8")
    train[MEMBERS[1]] = {**train[MEMBERS[0]], "seed": 2}
    train["active_variants"] = list(MEMBERS)
    train["ensembles"] = {ENSEMBLE: list(MEMBERS)}
    strategies = {**spec.strategies, "active_strategies": ["windows"]}
    return replace(spec, train_variants=train, strategies=strategies, strict=False,
                   training_corpus_root=str(out / "corpora" / "train"),
                   benchmark_corpus_root=str(out / "corpora" / "bench"))


@pytest.fixture(scope="module")
def ensemble_run(corpora, tmp_path_factory):
    spec = _spec(tmp_path_factory.mktemp("ensemble") / "run", corpora)
    return spec, run_pipeline(spec)


@pytest.mark.slow
def test_pipeline_calibrates_and_benchmarks_the_ensemble(ensemble_run):
    from alpacaspot.models import SeedEnsemble, load_model

    spec, result = ensemble_run
    root = Path(spec.out).absolute()
    runs = root / "TRAINING" / "runs" / "models"
    member_files = [runs / m / "models" / "model.pt" for m in MEMBERS]
    ensemble = load_model(runs / ENSEMBLE / "models" / "model.pt")
    assert isinstance(ensemble.network, SeedEnsemble)
    members = ensemble.provenance["ensemble"]["members"]
    # combined after the members' calibration: each member at its calibrated temperature
    assert [m["file"] for m in members] == [str(f) for f in member_files]
    assert [m["fingerprint"] for m in members] == [load_model(f).fingerprint()
                                                   for f in member_files]
    assert all(load_model(f).operating_point is not None for f in member_files)
    assert ensemble.operating_point is not None

    singles = json.loads((root / "logs" / "calibration.json").read_text())
    ensembles = json.loads((root / "logs" / "calibration_ensembles.json").read_text())
    assert sorted(singles) == list(MEMBERS) and sorted(ensembles) == [ENSEMBLE]
    assert ensembles[ENSEMBLE]["tapes"] == singles[MEMBERS[0]]["tapes"]
    assert ensemble.operating_point.threshold == ensembles[ENSEMBLE]["threshold"]
    assert {"ensembles", "calibrate_ensembles"} <= set(result.timings)

    metrics = pd.read_csv(result.metrics_path)
    assert sorted(set(metrics["model"])) == sorted([*MEMBERS, ENSEMBLE])
    rows = metrics[metrics["model"] == ENSEMBLE]
    assert rows["op_threshold"].eq(ensemble.operating_point.threshold).all()
    assert rows["op_f1"].notna().all()


@pytest.mark.slow
def test_rerun_keeps_the_ensemble(ensemble_run):
    spec, result = ensemble_run
    target = Path(spec.out).absolute() / "TRAINING/runs/models" / ENSEMBLE / "models/model.pt"
    before = target.read_bytes()
    again = run_pipeline(spec)
    assert target.read_bytes() == before
    pd.testing.assert_frame_equal(again.metrics, result.metrics)


def test_ensembles_beside_shared_mode_are_refused_before_any_work(corpora, tmp_path):
    spec = _spec(tmp_path / "run", corpora)
    bench = json.loads(json.dumps(spec.benchmark_variants))
    bench["variants"].append({**bench["variants"][0], "mode": "shared"})
    with pytest.raises(ConfigError, match="shared mode runs one network") as info:
        run_pipeline(replace(spec, benchmark_variants=bench))
    assert "train_variants.json" in str(info.value)
    assert not (tmp_path / "run" / "data").exists()
    assert not (tmp_path / "run" / "TRAINING").exists()
