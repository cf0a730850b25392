"""Tests of alpacaspot.evaluate.benchmark on a small synthetic benchmark."""

from __future__ import annotations

import pandas as pd
import pytest

from alpacaspot.evaluate import evaluate_benchmark
from alpacaspot.io import read_table

from .conftest import post_threshold

FORK_COLUMNS = ["n_gt", "n_pred", "tp", "fp", "fn", "precision", "recall", "f1",
                "mean_dstart_ms", "mean_dend_ms", "recall_q1", "recall_q2", "recall_q3",
                "recall_q4", "f1_q1", "f1_q2", "f1_q3", "f1_q4", "pearson_calls",
                "spearman_calls", "model", "variant", "layer"]


def test_writes_metrics_and_per_tape(benchmark):
    corpus = benchmark.parent / "corpus"
    m = evaluate_benchmark(corpus, benchmark / "runs", labels=("hum",), iou=0.3,
                           criteria=("iou", "onset_offset"), progress=False)
    assert set(FORK_COLUMNS) <= set(m.columns)
    assert {"ap", "best_threshold", "median_dstart_ms", "criterion", "tag"} <= set(m.columns)
    assert len(m) == 8  # 2 models x 2 evaluated tags x 2 criteria
    assert m[["model", "tag", "criterion"]].drop_duplicates().shape[0] == 8
    assert (m["n_gt"] == 36).all()
    csv = pd.read_csv(benchmark / "metrics.csv")
    assert len(csv) == 8 and list(csv.columns) == list(m.columns)
    per_tape = pd.read_csv(benchmark / "metrics_per_tape.csv")
    assert set(per_tape["tape"]) == {"tapeA", "tapeB", "tapeC"}
    summed = per_tape.groupby(["model", "tag", "criterion"])[["tp", "fp", "fn"]].sum()
    total = m.set_index(["model", "tag", "criterion"])[["tp", "fp", "fn"]]
    pd.testing.assert_frame_equal(summed.sort_index(), total.sort_index(), check_dtype=False)
    assert len(read_table(benchmark / "metrics.parquet", schema="metrics")) == 8
    assert (benchmark / "metrics_per_tape.parquet").is_file()
    pairs = read_table(benchmark / "metrics_pairs.parquet")
    assert len(pairs) == m["tp"].sum()
    # th90 must beat th50 for the noisier model (its noise reaches 0.8)
    b = m[(m.model == "nested/modelB") & (m.criterion == "iou>=0.3")].set_index("tag")
    assert b.loc["len200_hop100_th90", "f1"] > b.loc["len200_hop100_th50", "f1"]
    assert (b["best_threshold"] == 0.9).all()


def test_fine_sweep_and_deterministic_output(benchmark, tmp_path):
    corpus = benchmark.parent / "corpus"
    kw = dict(labels=("hum",), iou=0.3, post=post_threshold, thresholds=[0.3, 0.6, 0.85],
              progress=False)
    m = evaluate_benchmark(corpus, benchmark / "runs", out=tmp_path / "a" / "metrics.csv", **kw)
    assert {"ap_sweep", "best_threshold_sweep", "best_f1_sweep"} <= set(m.columns)
    sweep = pd.read_csv(tmp_path / "a" / "metrics_sweep.csv")
    assert len(sweep) == 2 * 3
    assert m.groupby("model")["best_f1_sweep"].first().min() > 0.7
    evaluate_benchmark(corpus, benchmark / "runs", out=tmp_path / "b" / "metrics.csv", **kw)
    for name in ("metrics.csv", "metrics_per_tape.csv", "metrics_sweep.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_all_labels_by_default_count_alarms_as_misses(benchmark):
    m = evaluate_benchmark(benchmark.parent / "corpus", benchmark / "runs",
                           out=benchmark / "all.csv", progress=False)
    assert (m["n_gt"] == 39).all()


def test_empty_runs_folder_still_writes_tables(tmp_path, truth):
    (tmp_path / "runs").mkdir()
    m = evaluate_benchmark(truth, tmp_path / "runs", progress=False)
    assert len(m) == 0
    assert (tmp_path / "metrics.csv").is_file() and (tmp_path / "metrics_per_tape.csv").is_file()


def test_unknown_criterion(benchmark):
    with pytest.raises(Exception, match="criterion"):
        evaluate_benchmark(benchmark.parent / "corpus", benchmark / "runs", criteria=("x",))


def test_predictions_on_other_recordings_are_an_error(tmp_path):
    """Ground truth on the full recording, detections on the snippet (the real crowsetta
    file names): an error naming both, not F1 = 0."""
    from pathlib import Path

    from alpacaspot.errors import AnnotationError
    from alpacaspot.io import read_raven, write_table

    real = Path(__file__).parents[1] / "data" / "real"
    gt = read_raven(real / "Recording_1_Segment_07.Table.1.selections.txt")
    assert gt["recording"].unique().tolist() == ["Recording_1_Segment_07.wav"]
    ev = tmp_path / "runs" / "m1" / "len400_hop050_th90" / "evaluation"
    ev.mkdir(parents=True)
    pred = gt.iloc[:9].assign(recording="Recording_1_Segment_07-snippet.wav", label="target")
    write_table(pred, ev / "index.parquet", schema="events")
    with pytest.raises(AnnotationError, match="no \\(recording\\) group") as err:
        evaluate_benchmark(gt, tmp_path / "runs", progress=False)
    assert "Recording_1_Segment_07-snippet.wav" in str(err.value)
    # the same detections named after the annotated recording match, whatever their label
    write_table(pred.assign(recording="Recording_1_Segment_07.wav"), ev / "index.parquet",
                schema="events")
    m = evaluate_benchmark(gt, tmp_path / "runs", progress=False)
    assert int(m["tp"].iloc[0]) == 9
