"""Tests of alpacaspot.evaluate.sweep."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alpacaspot.errors import ConfigError
from alpacaspot.evaluate import average_precision, summarize_sweep, sweep_thresholds

from .conftest import make_scores, make_truth, post_threshold


def test_average_precision_interpolates():
    assert average_precision([1.0, 0.5], [0.5, 1.0]) == 0.75
    # a dip in precision is lifted by a later higher precision
    assert average_precision([0.5, 1.0], [1.0, 0.5]) == 0.75
    assert average_precision([], []) == 0.0
    assert average_precision([1.0], [1.0]) == 1.0


def test_sweep_over_stored_scores():
    truth = make_truth()
    hums = truth[truth["label"] == "hum"].reset_index(drop=True)
    scores = pd.concat(make_scores(truth, seed=1, noise=0.7).values(), ignore_index=True)
    sw = sweep_thresholds(hums, scores, np.linspace(0.1, 0.95, 18), post=post_threshold,
                          iou=0.3)
    assert sw["threshold"].is_monotonic_increasing and len(sw) == 18
    assert sw["n_gt"].eq(len(hums)).all()
    assert (sw["tp"] + sw["fp"] == sw["n_pred"]).all()
    # just above the noise ceiling (0.7) nearly every hum is found and nothing else
    assert sw.attrs["best_threshold"] == pytest.approx(0.7)
    assert sw.attrs["best_f1"] > 0.9
    assert sw["f1"].iloc[0] < 0.5
    assert 0.0 < sw.attrs["ap"] <= 1.0
    assert summarize_sweep(sw) == {k: sw.attrs[k] for k in ("ap", "best_threshold", "best_f1")}


def test_sweep_rejects_bad_thresholds():
    truth = make_truth()
    scores = pd.concat(make_scores(truth, seed=1, noise=0.7).values(), ignore_index=True)
    with pytest.raises(ConfigError, match="thresholds"):
        sweep_thresholds(truth, scores, [np.nan], post=post_threshold)


def test_sweep_takes_a_postprocess_config():
    from alpacaspot.events import PostprocessConfig, scores_to_events

    truth = make_truth()
    hums = truth[truth["label"] == "hum"].reset_index(drop=True)
    scores = pd.concat(make_scores(truth, seed=1, noise=0.7).values(), ignore_index=True)
    config = PostprocessConfig(method="refined", curve="centre", merge_gap_s=0.1)
    by_config = sweep_thresholds(hums, scores, [0.5, 0.8], post=config)
    by_callable = sweep_thresholds(
        hums, scores, [0.5, 0.8],
        post=lambda s, th: scores_to_events(s, threshold=th, curve="centre", merge_gap_s=0.1))
    pd.testing.assert_frame_equal(by_config, by_callable)
    assert by_config["tp"].sum() > 0
    with pytest.raises(ConfigError, match="post must be"):
        sweep_thresholds(hums, scores, [0.5], post="refined")
