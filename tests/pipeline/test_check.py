"""alpacaspot.pipeline.check: every problem made on purpose is reported with its file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from alpacaspot.cli import main
from alpacaspot.errors import ConfigError
from alpacaspot.io import read_table, write_audio, write_table
from alpacaspot.pipeline.check import CheckReport, Problem, check, require_ok
from alpacaspot.pipeline.check_slurm import check_disk, script_options

CORPUS = Path("data") / "corpus1"
DATASET = CORPUS / "dataset_v1"


def _problems(report: CheckReport, needle: str, *, severity: str | None = None) -> list[Problem]:
    return [p for p in report.problems if needle in p.message
            and (severity is None or p.severity == severity)]


def _one(report: CheckReport, needle: str, path: Path | str, **kw: str) -> Problem:
    found = _problems(report, needle, **kw)
    assert found, f"no problem mentioning {needle!r} in\n{report.format()}"
    assert any(p.path is not None and str(path) in p.path for p in found), \
        f"problem {needle!r} does not name {path}:\n{report.format()}"
    return found[0]


def _train(root: Path) -> CheckReport:
    return check(root, stage="train", run_sbatch=False)


def test_healthy_tree_passes_train(pipeline_root: Path) -> None:
    report = _train(pipeline_root)
    assert report.ok, report.format()
    assert report.stages == ("train",)
    assert "train:dataset v1" in report.checks


def test_missing_variants_file(tmp_path: Path) -> None:
    report = _train(tmp_path)
    assert not report.ok
    _one(report, "no training variants file", tmp_path)


def test_bad_json_names_file_and_line(pipeline_root: Path) -> None:
    path = pipeline_root / "tools" / "train_variants.json"
    path.write_text('{\n  "globals": {,\n}')
    report = _train(pipeline_root)
    problem = _one(report, "invalid JSON", path)
    assert "line 2" in problem.message


def test_unknown_key_in_train_variants(pipeline_root: Path, tree: SimpleNamespace) -> None:
    path = tree.write_train_variants(pipeline_root, v2={"dataset": "corpus1/dataset_v1",
                                                   "learning_rate": 1})
    report = _train(pipeline_root)
    _one(report, "unknown key 'learning_rate'", path)


def test_missing_dataset(pipeline_root: Path) -> None:
    import shutil

    shutil.rmtree(pipeline_root / DATASET)
    report = _train(pipeline_root)
    _one(report, "dataset variant folder does not exist", DATASET)


def _rewrite_clips(root: Path, keep: pd.Series) -> None:
    path = root / DATASET / "variant_index.parquet"
    clips = read_table(path, schema="clips")
    write_table(clips[keep(clips)], path, schema="clips")


def test_empty_split_and_missing_class(pipeline_root: Path) -> None:
    _rewrite_clips(pipeline_root, lambda c: (c["split"] != "val")
                   & ~((c["split"] == "test") & (c["class"] == "noise")))
    report = _train(pipeline_root)
    index = DATASET / "variant_index.parquet"
    _one(report, "split 'val' is empty", index)
    _one(report, "split 'test' has no clip of class ['noise']", index)
    # the split lists still name the removed clips
    _one(report, "disagree", DATASET / "test.csv")


def test_missing_clip_file(pipeline_root: Path) -> None:
    clip = sorted((pipeline_root / DATASET).glob("noise-*.wav"))[0]
    clip.unlink()
    report = _train(pipeline_root)
    problem = _one(report, "clip file(s) are missing", DATASET)
    assert clip.name in problem.message


def test_missing_and_changed_audio(pipeline_root: Path, tree: SimpleNamespace) -> None:
    corpus = pipeline_root / CORPUS
    (corpus / "tapeA" / "rec0.wav").unlink()
    write_audio(corpus / "tapeB" / "rec1.wav", np.zeros(tree.SR // 2, np.float32), tree.SR)
    report = _train(pipeline_root)
    index = CORPUS / "corpus_recordings.parquet"
    missing = _one(report, "indexed audio file(s) are missing", index)
    assert "tapeA/rec0.wav" in missing.message
    changed = _one(report, "changed since indexing", CORPUS / "corpus_recordings.parquet")
    assert "tapeB/rec1.wav" in changed.message


def test_changed_audio_by_size_and_mtime(pipeline_root: Path) -> None:
    corpus = pipeline_root / CORPUS
    path = corpus / "corpus_recordings.parquet"
    recs = read_table(path, schema="recordings")
    stats = [(corpus / r).stat() for r in recs["recording"]]
    recs["size_bytes"] = [s.st_size for s in stats]
    recs["mtime_ns"] = [s.st_mtime_ns for s in stats]
    recs.loc[0, "size_bytes"] += 2
    recs.loc[1, "mtime_ns"] -= 10**9
    write_table(recs, path, schema="recordings")
    report = _train(pipeline_root)
    problem = _one(report, "changed since indexing", path)
    assert "tapeA/rec0.wav (size" in problem.message
    assert "tapeB/rec1.wav (modified" in problem.message


def test_corpus_index_problems(pipeline_root: Path, tree: SimpleNamespace) -> None:
    corpus = pipeline_root / CORPUS
    events = read_table(corpus / "corpus_index.parquet", schema="events")
    events.loc[0, "end_s"] = 5.0
    events.loc[1, "recording"] = "tapeC/gone.wav"
    write_table(events, corpus / "corpus_index.parquet", schema="events")
    write_audio(corpus / "extra" / "new.wav", np.zeros(tree.SR, np.float32), tree.SR)
    (corpus / "corpus_index.json").unlink()
    report = _train(pipeline_root)
    _one(report, "end after their recording's audio", CORPUS / "corpus_index.parquet")
    _one(report, "missing from corpus_recordings.parquet", CORPUS / "corpus_index.parquet")
    _one(report, "not in the corpus index", CORPUS, severity="warning")
    _one(report, "corpus_index.json is missing", CORPUS, severity="warning")
    (corpus / "corpus_recordings.parquet").unlink()
    report = _train(pipeline_root)
    _one(report, "corpus index file is missing", CORPUS / "corpus_recordings.parquet")


def test_all_problems_reported_at_once(pipeline_root: Path, tree: SimpleNamespace) -> None:
    (pipeline_root / CORPUS / "tapeA" / "rec0.wav").unlink()
    _rewrite_clips(pipeline_root, lambda c: c["split"] != "val")
    tree.write_benchmark_variants(pipeline_root, [{"seq_len": 0.4, "hop": 0.05, "threshold": 1.2}])
    report = check(pipeline_root, run_sbatch=False)
    assert report.stages == ("train", "benchmark")
    needles = ["audio file(s) are missing", "split 'val' is empty", "threshold",
               "trained model 'v1' does not exist"]
    for needle in needles:
        assert _problems(report, needle), f"{needle!r} missing from\n{report.format()}"


def test_benchmark_variants_every_entry_reported(pipeline_root: Path,
                                                 tree: SimpleNamespace) -> None:
    path = tree.write_benchmark_variants(pipeline_root, [
        {"seq_len": 0.4, "hop": 0.05, "threshold": 0.9},
        {"seq_len": 0.4, "hop": 0.05, "threshold": 0.9},
        {"seq_len": 0.2, "hop": 0.3, "threshold": 0.5},
        {"seq_len": 0.4, "hop": 0.05, "threshold": 1.5},
        {"seq_len": 0.4, "hop": 0.05, "threshold": 0.7, "th": 1},
    ])
    report = check(pipeline_root, stage="benchmark", run_sbatch=False)
    problem = _one(report, "variants[1] repeats variants[0]", path)
    assert "variants[2]: hop 0.3 s is longer than the window 0.2 s" in problem.message
    assert "variants[3]: threshold must be in (0, 1)" in problem.message
    assert "variants[4]: unknown keys ['th']" in problem.message


def test_models_missing_then_mismatched(pipeline_root: Path, tree: SimpleNamespace) -> None:
    corpus = pipeline_root / CORPUS
    report = check(pipeline_root, stage="benchmark", corpus_root=corpus, run_sbatch=False)
    model = Path("TRAINING/runs/models/v1/models/model.pt")
    _one(report, "trained model 'v1' does not exist", model)
    tree.write_model(pipeline_root)
    report = check(pipeline_root, stage="benchmark", corpus_root=corpus, run_sbatch=False)
    assert report.ok, report.format()
    tree.write_model(pipeline_root, n_fft=512, hop_length=256)
    report = check(pipeline_root, stage="benchmark", corpus_root=corpus, run_sbatch=False)
    problem = _one(report, "other spectrogram settings", model)
    assert "n_fft=512" in problem.message and "hop_length=256" in problem.message


def test_torch_not_imported_for_evaluate_stage(pipeline_root: Path,
                                              tree: SimpleNamespace) -> None:
    tree.write_benchmark_outputs(pipeline_root)
    code = ("import sys; from alpacaspot.pipeline.check import check; "
            f"r = check({str(pipeline_root)!r}, stage='evaluate', run_sbatch=False); "
            "assert r.ok, r.format(); assert 'torch' not in sys.modules, 'torch imported'")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr


def test_slurm_settings_incomplete(pipeline_root: Path, tree: SimpleNamespace) -> None:
    doc = json.loads((pipeline_root / "tools" / "train_variants.json").read_text())
    doc["globals"]["slurm"] = {"cpus": 2}
    path = pipeline_root / "tools" / "train_variants.json"
    path.write_text(json.dumps(doc))
    script = tree.write_train_job(pipeline_root)
    report = _train(pipeline_root)
    _one(report, "Slurm setting 'partition' is missing", path)
    _one(report, "Slurm setting 'time' is missing", path)
    _one(report, "training requests no GPU", path, severity="warning")
    _one(report, "job script sets no --partition", script)
    _one(report, "job script sets no --time", script)
    on_slurm = check(pipeline_root, stage="train", run_sbatch=False, slurm=True)
    assert _one(on_slurm, "'partition' is missing", path).severity == "error"
    local = check(pipeline_root, stage="train", run_sbatch=False, slurm=False)
    assert _one(local, "'partition' is missing", path).severity == "warning"
    assert local.ok, local.format()


def test_evaluation_script_requesting_gpu(pipeline_root: Path, tree: SimpleNamespace) -> None:
    from alpacaspot.cluster.jobarray import JobArray

    tree.write_model(pipeline_root)
    tree.write_benchmark_outputs(pipeline_root)
    script = pipeline_root / "BENCHMARK" / "jobs" / "eval_v1.batch"
    script.write_text(JobArray("eval_v1", ["true"], log_dir=pipeline_root / "logs",
                               partition="cpu", time="1:00:00", gpus=1).script())
    report = check(pipeline_root, stage="evaluate", run_sbatch=False)
    _one(report, "evaluation requests a GPU", script)


def test_evaluate_stage_problems(pipeline_root: Path, tree: SimpleNamespace) -> None:
    report = check(pipeline_root, stage="evaluate", run_sbatch=False)
    _one(report, "no eval.cfg found", Path("BENCHMARK") / "cfg")
    scores = tree.write_benchmark_outputs(pipeline_root)
    report = check(pipeline_root, stage="evaluate", run_sbatch=False)
    assert report.ok, report.format()
    cfg = pipeline_root / "BENCHMARK/cfg/v1/len400_hop050_th90/eval.cfg"
    cfg.write_text(cfg.read_text().replace("threshold=0.9", "threshold=1.5"))
    (scores / "tapeA" / "rec0.wav.parquet").unlink()
    report = check(pipeline_root, stage="evaluate", run_sbatch=False)
    _one(report, "threshold='1.5' is not in (0, 1)", cfg)
    _one(report, "no window scores to evaluate yet", scores)
    cfg.write_text("prediction_dir=x\nbogus=1\n")
    report = check(pipeline_root, stage="evaluate", run_sbatch=False)
    _one(report, "bogus", cfg)


def test_stage_none_picks_present_stages(pipeline_root: Path, tree: SimpleNamespace) -> None:
    assert check(pipeline_root, run_sbatch=False).stages == ("train", "benchmark")
    tree.write_model(pipeline_root)
    tree.write_benchmark_outputs(pipeline_root)
    report = check(pipeline_root, run_sbatch=False)  # the corpus recorded by the factory
    assert report.stages == ("train", "benchmark", "evaluate")
    assert report.ok, report.format()
    assert "benchmark:benchmark corpus" in report.checks


def test_disk_space_and_script_options(tmp_path: Path) -> None:
    from alpacaspot.pipeline.problems import Collector

    sink = Collector()
    check_disk(sink, "train", tmp_path / "not" / "yet", 1 << 60, "models")
    assert "free for models" in sink.problems[0].message
    assert sink.problems[0].path == os.fspath(tmp_path / "not" / "yet")
    check_disk(sink, "train", tmp_path, 1, "models")
    assert len(sink.problems) == 1
    opts = script_options("#SBATCH -p gpu\n#SBATCH --time=1:00:00  # one hour\n#SBATCH -J x\n")
    assert opts == {"--partition": "gpu", "--time": "1:00:00", "--job-name": "x"}


def test_sbatch_test_only_never_crashes(pipeline_root: Path) -> None:
    report = check(pipeline_root, stage="train")
    script = pipeline_root / "TRAINING" / "jobs" / "train_models.sbatch"
    for problem in _problems(report, "sbatch"):
        assert problem.path == os.fspath(script)


def test_require_ok(pipeline_root: Path) -> None:
    assert require_ok(pipeline_root, "train", run_sbatch=False).ok
    (pipeline_root / CORPUS / "tapeA" / "rec0.wav").unlink()
    with pytest.raises(ConfigError) as info:
        require_ok(pipeline_root, "train", run_sbatch=False)
    text = str(info.value)
    assert "pre-run check failed" in text and "tapeA/rec0.wav" in text
    assert "corpus_recordings.parquet" in text


def test_unknown_stage(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown stage"):
        check(tmp_path, stage="predict")


def test_report_dict_and_text() -> None:
    report = CheckReport(root="r", stages=("train",), problems=(
        Problem("train", "a.json", "bad", "fix it", "warning"),
        Problem("train", None, "worse", "", "error")))
    d = report.to_dict()
    assert d["ok"] is False and d["n_errors"] == 1 and d["n_warnings"] == 1
    text = report.format()
    assert text.index("worse") < text.index("bad") and "-> fix it" in text
    json.loads(report.to_json())
    with pytest.raises(ValueError):
        Problem("train", None, "x", severity="fatal")


def test_cli_check_json_and_exit_status(pipeline_root: Path, capsys: pytest.CaptureFixture) -> None:
    (pipeline_root / CORPUS / "tapeA" / "rec0.wav").unlink()
    rc = main(["check", "--root", str(pipeline_root), "--stage", "train", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 1 and out["ok"] is False
    assert any("corpus_recordings.parquet" in (p["path"] or "") for p in out["problems"])
    rc = main(["check", "--root", str(pipeline_root / "nonexistent"), "--stage", "train"])
    assert rc == 1
    assert "FAILED" in capsys.readouterr().out


def test_factory_mode_skips_generated_files_and_tolerates_pending(
    pipeline_root: Path, tree: SimpleNamespace
) -> None:
    script = pipeline_root / "TRAINING" / "jobs" / "train_models.sbatch"
    script.write_text("#!/bin/bash\n#SBATCH --job-name x\n")  # stale, incomplete
    report = check(pipeline_root, stage="train", run_sbatch=False)
    _one(report, "job script sets no --partition", script)
    report = check(pipeline_root, stage="train", generated=False)
    assert report.ok and not report.problems, report.format()
    # what the benchmark factory passes while the training array still runs
    corpus = pipeline_root / CORPUS
    model = pipeline_root / "TRAINING/runs/models/v1/models/model.pt"
    kwargs = dict(benchmark_variants=[{"seq_len": 0.4, "hop": 0.05, "threshold": 0.57}],
                  corpus_root=corpus, models={"v1": model}, generated=False, slurm=False)
    report = require_ok(pipeline_root, "benchmark", pending=True, **kwargs)
    assert _one(report, "trained model 'v1' does not exist", model).severity == "warning"
    with pytest.raises(ConfigError, match="trained model 'v1' does not exist"):
        require_ok(pipeline_root, "benchmark", **kwargs)
    bad = dict(kwargs, benchmark_variants=[{"seq_len": 0.4, "hop": 0.5, "threshold": 0.5}])
    report = check(pipeline_root, stage="benchmark", pending=True, **bad)
    assert _problems(report, "hop 0.5 s is longer than the window 0.4 s")
    # evaluation arrays chained after prediction: scores not there yet
    tree.write_benchmark_outputs(pipeline_root)
    (pipeline_root / "BENCHMARK/runs/v1/scores/len400_hop050/tapeA/rec0.wav.parquet").unlink()
    assert not check(pipeline_root, stage="evaluate", run_sbatch=False).ok
    report = check(pipeline_root, stage="evaluate", pending=True, generated=False)
    assert report.ok, report.format()
    assert _problems(report, "no window scores to evaluate yet", severity="warning")


def _slurm_up() -> bool:
    import shutil

    if not os.environ.get("ALPACASPOT_SLURM") or shutil.which("sbatch") is None:
        return False
    proc = subprocess.run(["sinfo", "-h"], capture_output=True, text=True, timeout=10,
                          check=False)
    return proc.returncode == 0


@pytest.mark.slurm
def test_sbatch_test_only_on_a_real_cluster(pipeline_root: Path, tree: SimpleNamespace) -> None:
    if not _slurm_up():
        pytest.skip("no Slurm cluster: run through tests/cluster/with_slurm.sh (make test)")
    script = pipeline_root / "TRAINING" / "jobs" / "train_models.sbatch"
    report = check(pipeline_root, stage="train")
    problem = _one(report, "sbatch --test-only rejects the script", script)
    assert "partition" in problem.message.lower()
    proc = subprocess.run(["sinfo", "-h", "-o", "%P"], capture_output=True, text=True,
                          timeout=10, check=True)
    partition = proc.stdout.split()[0].rstrip("*")
    path = pipeline_root / "tools" / "train_variants.json"
    doc = json.loads(path.read_text())
    doc["globals"]["slurm"] = {"partition": partition, "time": "00:10:00", "gpus": 1}
    path.write_text(json.dumps(doc))
    tree.write_train_job(pipeline_root)
    report = check(pipeline_root, stage="train")
    assert report.ok, report.format()
    assert not _problems(report, "sbatch")


SHARED = {"seq_len": 0.4, "hop": 0.05, "threshold": 0.9, "mode": "shared"}
EXACT = {"seq_len": 0.4, "hop": 0.05, "threshold": 0.9}


def _shared_benchmark(root: Path, tree: SimpleNamespace, variants: list[dict]) -> Path:
    """Benchmark variants asking for shared mode, and the benchmark factory run on them
    (before the fit step made model_shared.pt); returns v1's model folder."""
    from alpacaspot.pipeline import benchmark_factory

    tree.write_benchmark_variants(root, variants)
    models = root / "TRAINING/runs/models/v1/models"
    corpus = root / CORPUS
    benchmark_factory(corpus, root / "tools" / "benchmark_variants.json", root=root,
                      models={"v1": models / "model.pt"}, check=False,
                      fit_audio={"v1": [corpus / "tapeA" / "rec0.wav"]})
    assert "model_shared.pt" in (root / "BENCHMARK/cfg/v1.shared/len400_hop050_th90/"
                                        "predict.cfg").read_text()
    return models


@pytest.mark.parametrize("variants", [[EXACT, SHARED], [SHARED]])
def test_shared_model_before_its_fit_is_no_problem(pipeline_root: Path, tree: SimpleNamespace,
                                                   variants: list[dict]) -> None:
    tree.write_model(pipeline_root)
    models = _shared_benchmark(pipeline_root, tree, variants)
    assert not (models / "model_shared.pt").exists()
    for pending in (False, True):
        report = check(pipeline_root, stage="benchmark", pending=pending, run_sbatch=False)
        assert report.ok and not report.problems, report.format()
    # with shared runs only, the fit's source model is still checked against its variant
    tree.write_model(pipeline_root, n_fft=512, hop_length=256)
    report = check(pipeline_root, stage="benchmark", run_sbatch=False)
    problem = _one(report, "model 'v1' was trained with other spectrogram settings",
                   models / "model.pt")
    assert "n_fft=512" in problem.message


def test_shared_model_whose_source_will_be_trained(pipeline_root: Path,
                                                   tree: SimpleNamespace) -> None:
    models = _shared_benchmark(pipeline_root, tree, [SHARED])
    report = check(pipeline_root, stage="benchmark", pending=True, run_sbatch=False)
    assert report.ok, report.format()
    assert _one(report, "trained model 'v1' does not exist", models / "model.pt",
                severity="warning")
    assert not _problems(report, "v1.shared")
    report = check(pipeline_root, stage="benchmark", run_sbatch=False)
    assert [p.message for p in report.errors] == ["trained model 'v1' does not exist"]


def test_shared_model_that_cannot_be_fitted(pipeline_root: Path,
                                            tree: SimpleNamespace) -> None:
    import shutil

    models = _shared_benchmark(pipeline_root, tree, [SHARED])
    shutil.rmtree(pipeline_root / "TRAINING" / "cfg" / "v1")
    tree.write_train_variants(pipeline_root, active_variants=[])
    for pending in (False, True):
        report = check(pipeline_root, stage="benchmark", pending=pending, run_sbatch=False)
        problem = _one(report, "shared-mode model 'v1.shared' cannot be fitted",
                       models / "model.pt", severity="error")
        assert "no training variant makes it" in problem.message
        assert not _problems(report, "trained model 'v1.shared'")


def test_fitted_shared_model_is_checked_against_its_source_variant(
    pipeline_root: Path, tree: SimpleNamespace
) -> None:
    models = _shared_benchmark(pipeline_root, tree, [EXACT, SHARED])
    tree.write_model(pipeline_root, n_fft=512, hop_length=256)
    (models / "model.pt").rename(models / "model_shared.pt")
    tree.write_model(pipeline_root)
    report = check(pipeline_root, stage="benchmark", run_sbatch=False)
    problem = _one(report, "model 'v1.shared' was trained with other spectrogram settings",
                   models / "model_shared.pt")
    assert "n_fft=512" in problem.message
    assert len(report.errors) == 1, report.format()
