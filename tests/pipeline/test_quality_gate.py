"""The detection-quality gate: the demo's detector on unseen synthetic tapes.

Runs ``make demo``'s embedded default (8 training tapes, 6 benchmark tapes with 175 hums,
the width-32 ResNet of the windows recipe trained on CPU and calibrated on its split's
validation and test tapes: 5-12 minutes on 2 cores) and checks its event F1 with refined
post-processing, that the operating point stored at calibration holds up on the benchmark,
and that ANIMAL-SPOT-style merging of the same window scores is worse, with boundary errors
at least twice as large. The demo's second model (ANIMAL-SPOT-style call clips, far below
0.80 by design) is left out: nothing here is asserted about it, and the small demo's
end-to-end tests train and evaluate it.

Training runs on the CPU, where torch picks kernels per processor and thread count, so the
figures move between machines the way they move between seeds. Measured on these 175 hums
with training seeds 1 (the demo's, the one the gate runs), 2 and 3:

=====================================================  ===================  ===================
processor (2 cores)                                    best F1 over the     F1 at the stored
                                                       demo's thresholds    operating point
=====================================================  ===================  ===================
AMD EPYC Zen 3 (AVX2, no AVX-512)                      0.855, 0.845, 0.810  0.864, 0.825, 0.810
AMD EPYC Zen 4 (AVX-512 with native bfloat16)          0.837, 0.825, 0.829  0.826, 0.790, 0.832
Zen 4, current threshold rule (one standard error)    0.837, 0.825, 0.829  0.835, 0.809, 0.829
Zen 4, every frequency bin kept (the demo's now)       0.869, 0.905, 0.895  0.851, 0.905, 0.892
=====================================================  ===================  ===================

The first two rows chose the single best validation threshold (the earlier rule); the third
takes the middle of the thresholds within one standard error of the best validation F1. Its
models are those of the row above, so only the operating point moved (to 0.65, 0.70, 0.80).
The last row is the demo's current front end (``freq_compression=linear_interp``, chosen on
the domain-shift benchmark's validation site; ANIMAL-SPOT's nearest-neighbour resize of the
first three rows drops 43 of the 171 bins), under the current rule (operating points 0.65,
0.60, 0.55). The best F1 must reach 0.80 (the seed the gate runs clears it by 0.069 now, by
0.037-0.055 with the earlier front end; the weakest seed seen by 0.010) and the F1 at the
operating point, chosen on the training corpus's held-out tapes and never on these, 0.75
(worst seed seen with the current front end: 0.101 of room; earlier 0.040 and 0.059). The
ANIMAL-SPOT-style merging of the same scores reached 0.66-0.68 with median onset errors of
147-166 ms against ours of 16-21 ms. The benchmark had
3 tapes (65 hums) before; there the Zen 3 models gave 0.835, 0.824, 0.809 best and 0.855,
0.769, 0.797 at the operating point, a noise of about +-0.05 that the larger set cuts by
about 40 %.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from alpacaspot.detect import scores_to_events
from alpacaspot.evaluate import load_ground_truth, load_scores, match_events
from alpacaspot.pipeline.demo import POSTPROCESS, demo_spec
from alpacaspot.pipeline.run import PipelineSpec, run_pipeline

pytestmark = pytest.mark.slow


def _best(gt: pd.DataFrame, scores: pd.DataFrame, thresholds, **post) -> tuple[float, float]:
    best = (0.0, float("nan"))
    for th in thresholds:
        m = match_events(gt, scores_to_events(scores, threshold=th, **post), by=("recording",))
        f1 = 2 * m.tp / (m.n_gt + m.n_pred) if m.n_gt + m.n_pred else 0.0
        if f1 > best[0]:
            best = (f1, float(np.median(np.abs(m.pairs["d_onset_s"]))))
    return best


def windows_only(spec: PipelineSpec) -> PipelineSpec:
    """The demo's pipeline with its windows dataset and model only."""
    variants = dict(spec.train_variants)
    variants["active_variants"] = [v for v in variants["active_variants"]
                                   if v.startswith("windows_")]
    strategies = {**spec.strategies, "active_strategies": ["windows"]}
    return dataclasses.replace(spec, train_variants=variants, strategies=strategies)


def test_demo_reaches_event_f1_080_on_unseen_tapes(tmp_path):
    out = tmp_path / "demo"
    result = run_pipeline(windows_only(demo_spec(out, budget="full")))
    rows = result.metrics[result.metrics["criterion"] == "iou>=0.4"]
    best = rows.loc[rows["f1"].idxmax()]
    assert best["f1"] >= 0.80, rows[["model", "tag", "f1", "precision", "recall"]].to_string()
    assert best["op_f1"] >= 0.75, rows[["model", "op_f1", "op_threshold"]].to_string()

    gt = load_ground_truth(out / "data" / "benchmark_corpus", labels=["hum"])
    scores = load_scores(out / "BENCHMARK" / "runs" / best["model"] / "scores" / "len400_hop050")
    thresholds = [0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99]
    refined_f1, refined_onset = _best(gt, scores, thresholds, **POSTPROCESS)
    merged_f1, merged_onset = _best(gt, scores, thresholds, method="animalspot")
    assert refined_f1 == pytest.approx(best["f1"])
    assert merged_f1 < refined_f1
    assert refined_onset <= merged_onset / 2
