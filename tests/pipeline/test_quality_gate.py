"""The detection-quality gate: the demo's detector on unseen synthetic tapes.

Runs ``make demo``'s embedded default (8 training tapes, 6 benchmark tapes with 175 hums;
the windows model: a width-16 ResNet-18 on 0.8 s windows, trained 8 epochs on CPU with
field-audio augmentation and a moving average of the weights, calibrated on its split's
validation and test tapes: about 4 minutes on 2 cores) and checks its event F1 with
refined post-processing, that the operating point stored at calibration holds up on the
benchmark, and that ANIMAL-SPOT-style merging of the same window scores is worse, with
boundary errors at least twice as large. The demo's second model (ANIMAL-SPOT-style call
clips, far below 0.80 by design) is left out: nothing here is asserted about it, and the
small demo's end-to-end tests train and evaluate it.

Training runs on the CPU, where torch picks kernels per processor and thread count, so the
figures move between machines the way they move between seeds. Measured on these 175 hums
with training seeds 1 (the demo's, the one the gate runs), 2 and 3 (time: one gate run
alone on the machine):

=============================================  =====================  ===================  =====
recipe, processor (2 cores)                    F1 at the stored       best F1 over the     time
                                               operating point        demo's thresholds
=============================================  =====================  ===================  =====
width 32, 0.4 s, no augmentation, Zen 3        0.864, 0.825, 0.810    0.855, 0.845, 0.810
width 32, 0.4 s, no augmentation, Zen 4        0.835, 0.809, 0.829    0.837, 0.825, 0.829  600 s
the same, every frequency bin kept, Zen 4      0.851, 0.905, 0.892    0.869, 0.905, 0.895  560 s
**width 16, 0.8 s, field recipe, Zen 4**       0.860, 0.885, 0.874    0.860, 0.888, 0.874  260 s
the same, one torch thread, Zen 4              0.899, 0.811, 0.856    0.899, 0.830, 0.856  –
the same, AVX2 kernels on Zen 4 (see below)    0.851, 0.890, 0.881    0.870, 0.890, 0.881  240 s
the same, Intel Xeon (AVX-512, AMX)            0.893, 0.842, 0.872    0.893, 0.863, 0.875  220 s
width 16, 0.4 s, field recipe, Zen 4           0.852, 0.837, 0.835    0.886, 0.887, 0.859  155 s
=============================================  =====================  ===================  =====

Zen 3 is an AMD EPYC with AVX2 and no AVX-512; Zen 4 one with AVX-512 and native bfloat16;
the Intel Xeon (family 6, model 167) has AVX-512 with bfloat16 and fp16, and AMX.
The demo's recipe (bold) was chosen on the domain-shift benchmark's validation sets, not on
these tapes; the other rows are earlier demos, the demo's recipe trained with one torch
thread (two such runs at a time; other kernels and summation order: the nearest stand-in
for another processor on one machine) and the same recipe on 0.4 s windows, whose
operating points (0.65-0.70) fall short of its best thresholds (0.80-0.90) where the 0.8 s
windows' (0.90-0.95) meet them.
The AVX2 row ran under ``tests/as_processor.sh avx2``, which caps torch, oneDNN, numpy,
OpenBLAS and numba at the instruction sets of an AVX2-only EPYC, so training and scoring
use that processor's kernels (two threads, as the gate runs).
Over the twelve runs of the demo's recipe the best F1 must reach 0.80 (the weakest, 0.830,
clears it by 0.030; with AVX2 kernels 0.870, by 0.070; on the Xeon 0.863, by 0.063) and the
F1 at the operating point, chosen on the training corpus's held-out tapes and never on
these, 0.75 (the weakest, 0.811, by 0.061; with AVX2 kernels 0.851, by 0.101; on the Xeon
0.842, by 0.092); with two threads alone the seeds spread by 0.025, with one by 0.088, with
AVX2 kernels by 0.039, on the Xeon by 0.051. ANIMAL-SPOT-style merging of
the same 0.8 s scores reached F1 0.19-0.22 with median onset errors of 344-360 ms against
ours of 19-23 ms (on 0.4 s windows: 0.62-0.66 and 161-174 ms).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from alpacaspot.detect import scores_to_events
from alpacaspot.detect.runs import benchmark_tag
from alpacaspot.evaluate import load_ground_truth, load_scores, match_events
from alpacaspot.pipeline.demo import BUDGETS, POSTPROCESS, demo_spec
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
    window_s = BUDGETS["full"]["window_s"]
    scores = load_scores(out / "BENCHMARK" / "runs" / best["model"] / "scores"
                         / benchmark_tag(window_s, 0.05))
    thresholds = [0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99]
    refined_f1, refined_onset = _best(gt, scores, thresholds, **POSTPROCESS)
    merged_f1, merged_onset = _best(gt, scores, thresholds, method="animalspot")
    assert refined_f1 == pytest.approx(best["f1"])
    assert merged_f1 < refined_f1
    assert refined_onset <= merged_onset / 2
