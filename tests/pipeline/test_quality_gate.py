"""The detection-quality gate: the demo's full pipeline on unseen synthetic tapes.

Runs ``make demo``'s embedded default (8 training tapes, 3 benchmark tapes, two width-32
ResNets trained on CPU: about 7 minutes on 2 idle cores) and checks the best model's event F1
with refined post-processing, and that ANIMAL-SPOT-style merging of the same window scores is
worse, with boundary errors at least twice as large.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alpacaspot.detect import scores_to_events
from alpacaspot.evaluate import load_ground_truth, load_scores, match_events
from alpacaspot.pipeline.demo import POSTPROCESS, demo_spec
from alpacaspot.pipeline.run import run_pipeline

pytestmark = pytest.mark.slow


def _best(gt: pd.DataFrame, scores: pd.DataFrame, thresholds, **post) -> tuple[float, float]:
    best = (0.0, float("nan"))
    for th in thresholds:
        m = match_events(gt, scores_to_events(scores, threshold=th, **post), by=("recording",))
        f1 = 2 * m.tp / (m.n_gt + m.n_pred) if m.n_gt + m.n_pred else 0.0
        if f1 > best[0]:
            best = (f1, float(np.median(np.abs(m.pairs["d_onset_s"]))))
    return best


def test_demo_reaches_event_f1_080_on_unseen_tapes(tmp_path):
    out = tmp_path / "demo"
    result = run_pipeline(demo_spec(out, budget="full"))
    rows = result.metrics[result.metrics["criterion"] == "iou>=0.4"]
    best = rows.loc[rows["f1"].idxmax()]
    assert best["f1"] >= 0.80, rows[["model", "tag", "f1", "precision", "recall"]].to_string()

    gt = load_ground_truth(out / "data" / "benchmark_corpus", labels=["hum"])
    scores = load_scores(out / "BENCHMARK" / "runs" / best["model"] / "scores" / "len400_hop050")
    thresholds = [0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99]
    refined_f1, refined_onset = _best(gt, scores, thresholds, **POSTPROCESS)
    merged_f1, merged_onset = _best(gt, scores, thresholds, method="animalspot")
    assert refined_f1 == pytest.approx(best["f1"])
    assert merged_f1 < refined_f1
    assert refined_onset <= merged_onset / 2
