"""The old homes of post-processing keep working: they re-export alpacaspot.events."""

import subprocess
import sys

import numpy as np
import pandas as pd

import alpacaspot.events as events
from alpacaspot.detect import scores_to_events as from_detect
from alpacaspot.detect.postprocess import score_curve, scores_to_events, target_class


def test_shim_names_are_the_events_functions():
    assert scores_to_events is events.scores_to_events is from_detect
    assert score_curve is events.score_curve and target_class is events.target_class


def test_shim_gives_the_same_events_and_stays_torch_free():
    p = np.array([0.1, 0.95, 0.9, 0.2, 0.1, 0.97])
    i = np.arange(len(p))
    s = pd.DataFrame({"recording": "a.wav", "window": i, "begin_s": i * 0.05,
                      "end_s": i * 0.05 + 0.4, "p_noise": 1 - p, "p_target": p})
    ev = from_detect(s, threshold=0.9, method="animalspot")
    assert ev[["begin_s", "end_s"]].values.tolist() == [[0.05, 0.65]]
    code = ("import sys, alpacaspot.detect.postprocess; "
            "sys.exit(1 if 'torch' in sys.modules else 0)")
    subprocess.run([sys.executable, "-c", code], check=True)
