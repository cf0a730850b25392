"""Temperature scaling, calibration error and the operating point chosen on validation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import softmax

from alpacaspot.errors import ConfigError
from alpacaspot.evaluate import match_events, sweep_thresholds
from alpacaspot.evaluate.calibration import (
    apply_temperature,
    choose_operating_point,
    expected_calibration_error,
    f1_standard_error,
    fit_temperature,
    window_labels,
)
from alpacaspot.events import PostprocessConfig, scores_to_events


def _synthetic(n: int, classes: int, true_t: float, seed: int):
    """Labels drawn from softmax(logits); probabilities reported at temperature 1/true_t."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 2.0, (n, classes))
    calibrated = softmax(logits, axis=1)
    y = np.array([rng.choice(classes, p=row) for row in calibrated])
    reported = softmax(logits * true_t, axis=1)  # over-confident by a factor true_t
    return reported, y, calibrated


@pytest.mark.parametrize(("classes", "true_t"), [(2, 3.0), (2, 0.5), (3, 2.0)])
def test_fit_temperature_recovers_a_known_temperature(classes, true_t):
    probs, y, _ = _synthetic(6000, classes, true_t, seed=classes)
    assert fit_temperature(probs, y) == pytest.approx(true_t, rel=0.08)


def test_apply_temperature_equals_softmax_of_scaled_logits():
    rng = np.random.default_rng(1)
    logits = rng.normal(0, 6, (50, 3))
    got = apply_temperature(softmax(logits, axis=1), 2.5)
    np.testing.assert_allclose(got, softmax(logits / 2.5, axis=1), atol=1e-12)
    # saturated float32 outputs keep their order: the small probability carries the logit
    sat = softmax(np.array([[0.0, 40.0]], dtype=np.float32), axis=1)
    assert apply_temperature(sat, 10.0)[0, 1] == pytest.approx(1 / (1 + np.exp(-4.0)))


def test_ece_drops_after_calibration():
    probs, y, _ = _synthetic(6000, 2, 4.0, seed=7)
    t = fit_temperature(probs, y)
    before = expected_calibration_error(probs, y)
    after = expected_calibration_error(apply_temperature(probs, t), y)
    assert before > 0.1
    assert after < before / 3
    assert after < 0.03


def test_fit_temperature_with_one_class_is_neutral():
    assert fit_temperature(np.array([0.2, 0.9]), np.array([True, True])) == 1.0


@pytest.mark.parametrize(("probs", "labels", "message"), [
    (np.array([[0.5, 0.5], [np.nan, 0.5]]), [0, 1], "row 1"),
    (np.array([[0.5, 1.5]]), [0], "row 0"),
    (np.array([[0.5, 0.5]]), [0, 1], "1 class indices"),
    (np.array([[0.5, 0.5]]), [2], r"\[0, 1\]"),
    (np.zeros((2, 2, 2)), [0, 1], "shape"),
])
def test_bad_input_is_named(probs, labels, message):
    with pytest.raises(ConfigError, match=message):
        fit_temperature(probs, labels)
    with pytest.raises(ConfigError, match=message):
        expected_calibration_error(probs, labels)


def test_window_labels_use_the_window_centre():
    s = pd.DataFrame({"recording": ["a", "a", "b"], "begin_s": [0.0, 0.5, 0.5],
                      "end_s": [0.4, 0.9, 0.9]})
    gt = pd.DataFrame({"recording": ["a"], "begin_s": [0.6], "end_s": [1.0]})
    assert window_labels(s, gt).tolist() == [False, True, False]


def _needs_03(seed: int, n_rec: int = 3, seconds: float = 60.0, hop: float = 0.05):
    """Scores whose events peak at 0.35..0.6 and whose decoys peak at 0.15..0.25."""
    rng = np.random.default_rng(seed)
    rows, events = [], []
    for r in range(n_rec):
        name = f"tape{r}/rec.wav"
        n = int(seconds / hop)
        begin = np.arange(n) * hop
        centre = begin + 0.2
        p = rng.uniform(0.0, 0.08, n)
        t = 1.0
        while t < seconds - 2:
            dur = rng.uniform(0.25, 0.6)
            if rng.random() < 0.5:
                events.append({"recording": name, "begin_s": t, "end_s": t + dur})
                p[(centre >= t) & (centre <= t + dur)] = rng.uniform(0.35, 0.6)
            else:
                p[(centre >= t) & (centre <= t + dur)] = rng.uniform(0.15, 0.25)
            t += dur + rng.uniform(0.8, 2.0)
        rows.append(pd.DataFrame({"recording": name, "window": np.arange(n), "begin_s": begin,
                                  "end_s": begin + 0.4, "p_noise": 1 - p, "p_target": p}))
    return pd.concat(rows, ignore_index=True), pd.DataFrame(events)


def test_operating_point_of_scores_that_need_threshold_03():
    scores, gt = _needs_03(seed=3)
    cfg, table = choose_operating_point(scores, gt)
    assert cfg.threshold == pytest.approx(0.3, abs=0.051)
    assert cfg.method == "refined" and cfg.low_threshold is None
    assert int(table["chosen"].sum()) == 1
    chosen = table[table["chosen"]].iloc[0]
    assert chosen["f1"] == table["f1"].max() and chosen["f1"] > 0.9
    # the stored operating point is what scores_to_events uses without a threshold
    scores.attrs["operating_point"] = cfg.to_json()
    m = match_events(gt, scores_to_events(scores), by=("recording",))
    assert 2 * m.tp / (m.n_gt + m.n_pred) == pytest.approx(chosen["f1"])
    # and an independent sweep of the chosen setting agrees on the best F1
    sw = sweep_thresholds(gt, scores, [0.1, cfg.threshold, 0.7], post=cfg)
    assert sw.set_index("threshold")["f1"][cfg.threshold] == pytest.approx(chosen["f1"])
    assert sw.set_index("threshold")["f1"][0.1] < chosen["f1"]
    assert sw.set_index("threshold")["f1"][0.7] < 0.1


def test_operating_point_ties_are_deterministic():
    scores, gt = _needs_03(seed=4, n_rec=1, seconds=30.0)
    a, ta = choose_operating_point(scores, gt, curves=("centre", "mean"), f1_tolerance=0.0)
    b, tb = choose_operating_point(scores, gt, curves=("centre", "mean"), f1_tolerance=0.0)
    assert a == b
    pd.testing.assert_frame_equal(ta, tb)
    # the plateau of equally good thresholds gives its middle, not its edge
    best = ta[(ta["curve"] == a.curve) & (ta["merge_gap_s"] == a.merge_gap_s)
              & (ta["min_duration_s"] == a.min_duration_s)]
    tied = np.sort(best.loc[best["f1"] == best["f1"].max(), "threshold"].to_numpy())
    assert a.threshold == tied[(len(tied) - 1) // 2]


def _near_best_band():
    """10 calls, 9 scoring 0.95 and one 0.25, and 6 non-calls: one at 0.85, five at 0.35.

    F1 by threshold: 0.769 at 0.1-0.2, 0.720 at 0.3, 0.900 at 0.4-0.8 (one false positive),
    0.947 at 0.9 (none).
    """
    levels = [0.95] * 9 + [0.25] + [0.85] + [0.35] * 5
    n = 2 + 8 * len(levels)
    p = np.full(n, 0.01)
    gt = []
    for k, level in enumerate(levels):
        first = 2 + 8 * k
        p[first:first + 4] = level
        if k < 10:
            gt.append({"recording": "a", "begin_s": first * 0.1 + 0.1,
                       "end_s": first * 0.1 + 0.5})
    scores = pd.DataFrame({"recording": "a", "window": range(n), "begin_s": np.arange(n) * 0.1,
                           "end_s": np.arange(n) * 0.1 + 0.2, "p_noise": 1 - p, "p_target": p})
    return scores, pd.DataFrame(gt)


def test_thresholds_within_one_standard_error_count_as_tied():
    scores, gt = _near_best_band()
    grid = dict(thresholds=np.round(np.arange(1, 10) * 0.1, 1), curves=("centre",),
                merge_gaps_s=(0.0,), min_durations_s=(0.0,))
    cfg, table = choose_operating_point(scores, gt, **grid)
    f1 = table.set_index("threshold")["f1"]
    assert f1[0.9] == pytest.approx(18 / 19) and f1[0.6] == pytest.approx(0.9)
    assert f1[0.3] == pytest.approx(0.72)
    # one standard error of 0.947 on 10 calls is 0.071: 0.4..0.9 are tied, 0.6 is their middle
    se = np.sqrt(18 / 19 * (1 / 19) / 10)
    assert table.attrs["f1_tolerance"] == pytest.approx(se)
    assert f1_standard_error(18 / 19, 10) == pytest.approx(se)
    assert cfg.threshold == 0.6
    assert choose_operating_point(scores, gt, f1_tolerance=0.0, **grid)[0].threshold == 0.9
    # within 0.2 of the best: 0.1, 0.2 and 0.4..0.9 (not 0.3); the lower middle is 0.5
    assert choose_operating_point(scores, gt, f1_tolerance=0.2, **grid)[0].threshold == 0.5
    for bad in (-0.1, float("nan"), "0.05"):
        with pytest.raises(ConfigError, match="f1_tolerance"):
            choose_operating_point(scores, gt, f1_tolerance=bad, **grid)
    assert f1_standard_error(0.5, 0) == 0.0


def test_operating_point_keeps_base_settings():
    scores, gt = _needs_03(seed=5, n_rec=1, seconds=20.0)
    base = PostprocessConfig(target="target", low_hz=100.0, high_hz=900.0)
    cfg, _ = choose_operating_point(scores, gt, base=base, curves=("centre",),
                                    merge_gaps_s=(0.1,), min_durations_s=(0.0,))
    assert (cfg.target, cfg.low_hz, cfg.high_hz, cfg.curve, cfg.merge_gap_s) == (
        "target", 100.0, 900.0, "centre", 0.1)
    with pytest.raises(ConfigError, match="thresholds"):
        choose_operating_point(scores, gt, thresholds=[1.5])


def test_benchmark_headline_is_f1_at_the_stored_operating_point(tmp_path):
    from alpacaspot.evaluate import evaluate_benchmark, scores_dir
    from alpacaspot.io import write_table
    from alpacaspot.io.schemas import WINDOW_SCORES

    scores, gt = _needs_03(seed=6, n_rec=2, seconds=30.0)
    runs = tmp_path / "runs"
    op = PostprocessConfig(threshold=0.3, curve="centre")
    folder = scores_dir(runs, "m1", 0.4, 0.05)
    for name, rec in scores.groupby("recording"):
        write_table(rec, folder / f"{name}.parquet", schema=WINDOW_SCORES,
                    metadata={"model": "x", "mode": "exact", "operating_point": op.to_json()})
    for th in (0.2, 0.9):  # the benchmark's own tags, at thresholds chosen on it
        ev = runs / "m1" / f"len400_hop050_th{round(th * 100):02d}" / "evaluation"
        write_table(scores_to_events(scores, op, threshold=th), ev / "index.parquet",
                    schema="events")
    m = evaluate_benchmark(gt, runs, progress=False, out=tmp_path / "metrics.csv")
    want = match_events(gt, scores_to_events(scores, op), by=("recording",))
    assert m["op_threshold"].tolist() == [0.3, 0.3]
    assert m["op_f1"].iloc[0] == pytest.approx(2 * want.tp / (want.n_gt + want.n_pred))
    assert m["op_f1"].iloc[0] > m["f1"].max()  # neither tag's threshold is the good one
    assert m["best_threshold_f1"].tolist() == [m["f1"].max()] * 2
    assert "op_f1" in pd.read_csv(tmp_path / "metrics.csv").columns


def test_benchmark_of_an_uncalibrated_model_has_no_operating_point(tmp_path):
    from alpacaspot.evaluate import evaluate_benchmark
    from alpacaspot.io import write_table

    gt = pd.DataFrame({"recording": ["a.wav"], "begin_s": [1.0], "end_s": [1.3]})
    ev = tmp_path / "runs" / "m1" / "len400_hop050_th90" / "evaluation"
    write_table(gt, ev / "index.parquet", schema="events")
    m = evaluate_benchmark(gt, tmp_path / "runs", progress=False)
    assert m["op_f1"].isna().all()
    assert m["best_threshold_f1"].tolist() == [1.0]
