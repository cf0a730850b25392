"""Detection: sliding-window prediction (window scores).

:func:`predict_scores` runs a trained model over recordings (it imports torch, lazily: importing
this package does not). Post-processing lives in :mod:`alpacaspot.events`;
:func:`scores_to_events` and its helpers are re-exported here for compatibility.

Examples
--------
>>> import pandas as pd
>>> from alpacaspot.detect import scores_to_events
>>> s = pd.DataFrame({"recording": "a.wav", "window": [0, 1], "begin_s": [0.0, 0.05],
...                   "end_s": [0.4, 0.45], "p_noise": [0.8, 0.1], "p_target": [0.2, 0.9]})
>>> scores_to_events(s, threshold=0.5, method="animalspot")[["begin_s", "end_s"]].values.tolist()
[[0.05, 0.45]]
"""

from __future__ import annotations

from typing import Any

from alpacaspot.detect.cfg import (
    EVALUATE_EXTRA_KEYS,
    PREDICT_EXTRA_KEYS,
    EvaluateSettings,
    PredictSettings,
    read_evaluate_cfg,
    read_predict_cfg,
)
from alpacaspot.dsp.grid import WindowGrid, window_grid
from alpacaspot.events import PostprocessConfig, score_curve, scores_to_events, target_class

__all__ = [
    "predict_scores",
    "fit_shared",
    "calibrate",
    "scores_to_events",
    "PostprocessConfig",
    "score_curve",
    "target_class",
    "window_grid",
    "WindowGrid",
    "write_evaluation",
    "benchmark_tag",
    "PREDICT_EXTRA_KEYS",
    "EVALUATE_EXTRA_KEYS",
    "PredictSettings",
    "EvaluateSettings",
    "read_predict_cfg",
    "read_evaluate_cfg",
]


def __getattr__(name: str) -> Any:
    # torch-using and heavier modules load on first use
    if name == "predict_scores":
        from alpacaspot.detect.inference import predict_scores

        return predict_scores
    if name == "fit_shared":
        from alpacaspot.detect.shared_fit import fit_shared

        return fit_shared
    if name == "calibrate":
        from alpacaspot.detect.calibration import calibrate

        return calibrate
    if name in ("write_evaluation", "benchmark_tag"):
        from alpacaspot.detect import runs

        return getattr(runs, name)
    raise AttributeError(f"module 'alpacaspot.detect' has no attribute {name!r}")
