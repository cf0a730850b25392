"""Tests of alpacaspot.evaluate.metrics."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from alpacaspot.evaluate import event_metrics, match_events, per_group_metrics, prf


def _gt():
    return pd.DataFrame({
        "recording": ["a.wav"] * 4 + ["b.wav"] * 2,
        "tape": ["A"] * 4 + ["B"] * 2,
        "begin_s": [0.0, 2.0, 4.0, 6.0, 0.0, 2.0],
        "end_s": [1.0, 3.0, 5.0, 7.0, 1.0, 3.0],
        "quality": [1, 2, 3, 4, 4, 1],
    })


def test_prf_zero_when_undefined():
    assert prf(0, 0, 0) == (0.0, 0.0, 0.0)
    assert prf(0, 5, 0) == (0.0, 0.0, 0.0)
    assert prf(3, 3, 6) == (0.5, 1.0, pytest.approx(2 / 3))


def test_counts_errors_and_quality_four():
    gt = _gt()
    pred = pd.DataFrame({"recording": ["a.wav", "a.wav", "b.wav", "b.wav"],
                         "tape": ["A", "A", "B", "B"],
                         "begin_s": [0.1, 6.0, 0.0, 10.0], "end_s": [1.0, 7.2, 1.0, 11.0]})
    r = event_metrics(gt, pred, by=("recording",))
    assert (r["n_gt"], r["n_pred"], r["tp"], r["fp"], r["fn"]) == (6, 4, 3, 1, 3)
    assert r["precision"] == 0.75 and r["recall"] == 0.5
    assert r["mean_dstart_ms"] == pytest.approx(100 / 3)
    assert r["median_dend_ms"] == pytest.approx(0.0)
    assert r["recall_q4"] == 1.0 and r["n_gt_q4"] == 2
    assert r["recall_q1"] == 0.5 and r["recall_q2"] == 0.0
    assert r["f1_q4"] == pytest.approx(2 * 0.75 / 1.75)
    # per tape counts: gt (4, 2), pred (2, 2): Pearson undefined? no, pred constant -> NaN
    assert math.isnan(r["pearson_calls"])


def test_no_pairs_gives_nan_errors_not_crash():
    r = event_metrics(_gt(), _gt().iloc[:0], by=("recording",))
    assert r["tp"] == 0 and r["f1"] == 0.0
    assert math.isnan(r["mean_dstart_ms"])


def test_per_tape_rows_sum_to_totals():
    gt = _gt()
    pred = gt.iloc[[0, 4]].assign(begin_s=lambda d: d.begin_s + 0.05)
    pred = pd.concat([pred, pd.DataFrame({"recording": ["c.wav"], "tape": ["C"],
                                          "begin_s": [0.0], "end_s": [1.0]})],
                     ignore_index=True)
    m = match_events(gt, pred, by=("recording",))
    table = per_group_metrics(gt, pred, m)
    assert table["tape"].tolist() == ["A", "B", "C"]
    assert table["tp"].sum() == m.tp and table["fp"].sum() == m.fp
    assert table["fn"].sum() == m.fn
    assert table.set_index("tape").loc["C", "fp"] == 1


def test_count_correlation_over_tapes():
    gt = pd.concat([_gt(), _gt().assign(tape="C", recording="c.wav").iloc[:1]],
                   ignore_index=True)
    r = event_metrics(gt, gt, by=("recording",))
    assert r["pearson_calls"] == pytest.approx(1.0) and r["spearman_calls"] == pytest.approx(1.0)
