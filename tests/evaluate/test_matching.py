"""Tests of alpacaspot.evaluate.matching: exact rules, counterexamples, and properties."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alpacaspot.errors import AlpacaspotError, AnnotationError, ConfigError
from alpacaspot.evaluate import event_metrics, match_events, pair_criterion, prf


def ev(intervals, recording="a.wav", label="hum"):
    return pd.DataFrame({"recording": recording, "label": label,
                         "begin_s": [float(b) for b, _ in intervals],
                         "end_s": [float(e) for _, e in intervals]})


# ---------------------------------------------------------------- counterexamples to greedy


def test_sed_eval_first_fit_counterexample_gives_two_tp():
    gt = ev([(0, 1), (0.3, 1.3)])
    pred = ev([(0.15, 1.15), (0, 1)])
    m = match_events(gt, pred, criterion="onset_offset", collar_s=0.2, offset_collar_pct=0)
    assert (m.tp, m.fp, m.fn) == (2, 0, 0)


def test_best_iou_greedy_counterexample_gives_two_tp():
    gt = ev([(1.5, 2.75), (0.75, 3.25)])
    pred = ev([(0, 2.25), (0.5, 3.0)])
    m = match_events(gt, pred, criterion="iou", threshold=0.3)
    assert (m.tp, m.fp, m.fn) == (2, 0, 0)
    assert sorted(zip(m.pairs["gt"], m.pairs["pred"], strict=True)) == [(0, 1), (1, 0)]


# ---------------------------------------------------------------- inclusive boundary rules


def test_iou_threshold_is_inclusive():
    gt, pred = ev([(0, 1)]), ev([(0, 0.5)])  # IoU exactly 0.5
    assert match_events(gt, pred, threshold=0.5).tp == 1
    assert match_events(gt, pred, threshold=np.nextafter(0.5, 1)).tp == 0


def test_touching_events_do_not_overlap():
    gt, pred = ev([(0, 1)]), ev([(1, 2)])
    assert match_events(gt, pred, criterion="overlap").tp == 0
    assert match_events(gt, pred, criterion="iou", threshold=0.0).tp == 0


def test_onset_collar_is_inclusive_and_start_zero_is_a_time():
    gt, pred = ev([(0.0, 1)]), ev([(0.25, 3)])
    assert match_events(gt, pred, criterion="onset", collar_s=0.25).tp == 1
    assert match_events(gt, pred, criterion="onset", collar_s=0.2499).tp == 0


def test_offset_collar_uses_percentage_of_reference():
    gt, pred = ev([(0, 1)]), ev([(0, 1.5)])
    assert match_events(gt, pred, criterion="onset_offset", collar_s=0.1,
                        offset_collar_pct=0.5).tp == 1
    assert match_events(gt, pred, criterion="onset_offset", collar_s=0.1,
                        offset_collar_pct=0.49).tp == 0


def test_collar_pairs_need_not_overlap():
    gt, pred = ev([(1.0, 1.1)]), ev([(1.15, 1.2)])
    assert match_events(gt, pred, criterion="onset", collar_s=0.2).tp == 1


def test_never_across_recordings_or_labels():
    gt = pd.concat([ev([(0, 1)], recording="a.wav"), ev([(5, 6)], recording="b.wav")],
                   ignore_index=True)
    assert match_events(gt, ev([(0, 1)], recording="b.wav")).tp == 0
    two = pd.concat([ev([(0, 1)]), ev([(5, 6)], label="alarm")], ignore_index=True)
    by = ("recording", "label")
    assert match_events(two, ev([(0, 1)], label="alarm"), by=by).tp == 0
    assert match_events(two, ev([(0, 1)], label="alarm"), by=("recording",)).tp == 1


def test_no_group_meets_is_an_error_not_a_zero(caplog):
    """Predictions named after the snippet, ground truth after the full recording (the real
    crowsetta pair), or a binary class name against the call label: never a silent 0."""
    gt = ev([(1, 2)], recording="Recording_1_Segment_07.wav")
    snippet = ev([(1, 2)], recording="Recording_1_Segment_07-snippet.wav")
    with pytest.raises(AnnotationError, match="no \\(recording\\) group") as err:
        match_events(gt, snippet)
    assert "Recording_1_Segment_07-snippet.wav" in str(err.value)
    target = ev([(1, 2)], recording="Recording_1_Segment_07.wav", label="target")
    with pytest.raises(AnnotationError, match="'hum'.*'target'"):
        match_events(gt, target, by=("recording", "label"))
    # the default grouping is right for a binary detector: 'target' meets 'hum'
    assert match_events(gt, target).tp == 1
    assert event_metrics(gt, target)["f1"] == 1.0
    # one side only: predictions on an unknown recording are named in a warning
    both = pd.concat([target, snippet.assign(label="target")], ignore_index=True)
    with caplog.at_level("WARNING", logger="alpacaspot.evaluate.matching"):
        assert match_events(gt, both).tp == 1
    assert "Recording_1_Segment_07-snippet.wav" in caplog.text
    # empty tables are normal (no detection): no error
    assert match_events(gt, target.iloc[:0]).fn == 1
    # recordings of the corpus without events are known: predictions there are plain FPs
    known = gt.copy()
    known.attrs["recordings"] = ["Recording_1_Segment_07.wav", "quiet.wav"]
    quiet = ev([(1, 2)], recording="quiet.wav", label="target")
    assert match_events(known, quiet).fp == 1


def test_ties_prefer_higher_iou():
    gt = ev([(0, 1)])
    pred = ev([(0.3, 1.3), (0.05, 1.0), (0.2, 1.2)])
    m = match_events(gt, pred, threshold=0.1)
    assert m.tp == 1 and int(m.pairs["pred"].iloc[0]) == 1


def test_pairs_report_labels_and_errors():
    gt = ev([(1, 2)]).set_axis([10], axis=0)
    pred = ev([(1.1, 1.9)]).set_axis([20], axis=0)
    p = match_events(gt, pred).pairs
    assert p[["gt", "pred"]].values.tolist() == [[10, 20]]
    assert p["d_onset_s"].iloc[0] == pytest.approx(0.1)
    assert p["d_offset_s"].iloc[0] == pytest.approx(-0.1)
    assert p["iou"].iloc[0] == pytest.approx(0.8)


def test_empty_tables():
    empty = ev([])
    m = match_events(empty, ev([(0, 1)]))
    assert (m.tp, m.fp, m.fn) == (0, 1, 0)
    m = match_events(ev([(0, 1)]), empty)
    assert (m.tp, m.fp, m.fn) == (0, 0, 1)


# ---------------------------------------------------------------- bad input


def test_bad_times_name_the_file_and_row():
    gt = ev([(0, 1), (2, 1)])
    gt.attrs["path"] = "/data/truth.parquet"
    with pytest.raises(AnnotationError, match=r"/data/truth.parquet.*row 1.*before"):
        match_events(gt, ev([(0, 1)]))
    pred = ev([(0, 1)])
    pred.loc[0, "begin_s"] = np.nan
    pred.attrs["path"] = "/runs/m/index.parquet"
    with pytest.raises(AnnotationError, match=r"/runs/m/index.parquet.*row 0.*begin_s"):
        match_events(ev([(0, 1)]), pred)


def test_missing_column_and_bad_parameters():
    with pytest.raises(AnnotationError, match="label"):
        match_events(ev([(0, 1)]).drop(columns="label"), ev([(0, 1)]),
                     by=("recording", "label"))
    with pytest.raises(ConfigError, match="criterion"):
        match_events(ev([(0, 1)]), ev([(0, 1)]), criterion="nearest")
    with pytest.raises(ConfigError, match="collar_s"):
        match_events(ev([(0, 1)]), ev([(0, 1)]), criterion="onset")
    with pytest.raises(AlpacaspotError):
        match_events(ev([(0, 1)]), ev([(0, 1)]), threshold=1.5)


# ---------------------------------------------------------------- properties

_time = st.integers(0, 64).map(lambda k: k / 8)
_dur = st.integers(0, 24).map(lambda k: k / 8)
_event = st.tuples(st.sampled_from(["a.wav", "b.wav"]), _time, _dur)


def _frame(xs):
    df = pd.DataFrame({"recording": [r for r, _, _ in xs], "label": "hum",
                       "begin_s": [b for _, b, _ in xs], "end_s": [b + d for _, b, d in xs]})
    df.attrs["recordings"] = ["a.wav", "b.wav"]  # both recordings belong to the corpus
    return df


_events = st.lists(_event, max_size=9).map(_frame)
_criteria = st.sampled_from([
    {"criterion": "iou", "threshold": 0.3},
    {"criterion": "iou", "threshold": 0.5},
    {"criterion": "overlap"},
    {"criterion": "onset", "collar_s": 0.25},
    {"criterion": "onset_offset", "collar_s": 0.25, "offset_collar_pct": 0.2},
])
_SETTINGS = settings(max_examples=80, deadline=None)


def _edges(gt, pred, kw):
    edges = []
    for i, j in itertools.product(range(len(gt)), range(len(pred))):
        if gt["recording"].iloc[i] != pred["recording"].iloc[j]:
            continue
        ok = pair_criterion(gt["begin_s"].values[i:i + 1], gt["end_s"].values[i:i + 1],
                            pred["begin_s"].values[j:j + 1], pred["end_s"].values[j:j + 1],
                            **kw)[0]
        if ok:
            edges.append((i, j))
    return edges


def _max_matching(edges, n_gt):
    """Kuhn's augmenting paths: an independent maximum-cardinality reference."""
    adj = {i: [j for a, j in edges if a == i] for i in range(n_gt)}
    owner: dict[int, int] = {}

    def augment(i, seen):
        for j in adj[i]:
            if j not in seen:
                seen.add(j)
                if j not in owner or augment(owner[j], seen):
                    owner[j] = i
                    return True
        return False

    return sum(augment(i, set()) for i in range(n_gt))


def _greedy(gt, pred, edges):
    gb, ge = gt["begin_s"].values, gt["end_s"].values
    pb, pe = pred["begin_s"].values, pred["end_s"].values

    def iou(i, j):
        inter = min(ge[i], pe[j]) - max(gb[i], pb[j])
        return inter / (max(ge[i], pe[j]) - min(gb[i], pb[j])) if inter > 0 else 0.0

    used_g, used_p, n = set(), set(), 0
    for i, j in sorted(edges, key=lambda e: -iou(*e)):
        if i not in used_g and j not in used_p:
            used_g.add(i)
            used_p.add(j)
            n += 1
    return n


@_SETTINGS
@given(_events, _events, _criteria)
def test_matching_is_one_to_one_valid_and_maximum(gt, pred, kw):
    m = match_events(gt, pred, **kw)
    assert m.tp <= min(len(gt), len(pred))
    assert m.tp + m.fp == len(pred) and m.tp + m.fn == len(gt)
    assert m.pairs["gt"].is_unique and m.pairs["pred"].is_unique
    assert m.gt_matched.sum() == m.tp == m.pred_matched.sum()
    edges = set(_edges(gt, pred, kw))
    assert set(zip(m.pairs["gt"], m.pairs["pred"], strict=True)) <= edges
    assert m.tp == _max_matching(sorted(edges), len(gt))
    assert m.tp >= _greedy(gt, pred, edges)


@_SETTINGS
@given(_events, _events, _criteria, st.randoms(use_true_random=False),
       st.sampled_from([0.5, 4.0, 1024.0, -0.25]))
def test_invariant_to_row_order_and_common_shift(gt, pred, kw, rnd, shift):
    m = match_events(gt, pred, **kw)
    gi, pj = list(range(len(gt))), list(range(len(pred)))
    rnd.shuffle(gi)
    rnd.shuffle(pj)
    shuffled = match_events(gt.iloc[gi], pred.iloc[pj], **kw)
    assert shuffled.tp == m.tp
    moved = match_events(gt.assign(begin_s=gt.begin_s + shift, end_s=gt.end_s + shift),
                         pred.assign(begin_s=pred.begin_s + shift, end_s=pred.end_s + shift),
                         **kw)
    assert moved.tp == m.tp


@_SETTINGS
@given(_events)
def test_perfect_prediction_matches_everything(gt):
    gt = gt[gt["end_s"] > gt["begin_s"]].drop_duplicates(["recording", "begin_s", "end_s"])
    m = match_events(gt, gt.copy(), threshold=1.0)
    assert m.tp == len(gt) and m.fp == 0 and m.fn == 0
    if len(gt):
        assert prf(m.tp, m.n_gt, m.n_pred)[2] == 1.0


@_SETTINGS
@given(_events, _events, st.floats(0.05, 1.0), st.floats(0.05, 1.0))
def test_looser_threshold_never_lowers_tp(gt, pred, t1, t2):
    lo, hi = min(t1, t2), max(t1, t2)
    assert match_events(gt, pred, threshold=lo).tp >= match_events(gt, pred, threshold=hi).tp
    assert (match_events(gt, pred, criterion="onset", collar_s=hi).tp
            >= match_events(gt, pred, criterion="onset", collar_s=lo).tp)


@_SETTINGS
@given(_events, _events, st.sampled_from([
    {"criterion": "iou", "threshold": 0.4}, {"criterion": "overlap"},
    {"criterion": "onset", "collar_s": 0.125},
    {"criterion": "onset_offset", "collar_s": 0.125}]))
def test_swapping_sides_swaps_fp_and_fn(gt, pred, kw):
    a = match_events(gt, pred, **kw)
    b = match_events(pred, gt, **kw)
    assert (a.tp, a.fp, a.fn) == (b.tp, b.fn, b.fp)


@_SETTINGS
@given(_events, _events, _criteria)
def test_per_recording_results_sum_to_totals(gt, pred, kw):
    total = match_events(gt, pred, **kw)
    parts = [match_events(gt[gt.recording == r], pred[pred.recording == r], **kw)
             for r in ("a.wav", "b.wav")]
    assert sum(p.tp for p in parts) == total.tp
    assert sum(p.fp for p in parts) == total.fp
    assert sum(p.fn for p in parts) == total.fn


def test_many_events_in_one_component_use_the_solver():
    # dense chain: every gt overlaps two predictions; max matching is complete
    gt = ev([(i, i + 1.2) for i in range(50)])
    pred = ev([(i + 0.1, i + 1.3) for i in range(50)])
    m = match_events(gt, pred, threshold=0.1)
    assert m.tp == 50 and (m.pairs["gt"].to_numpy() == m.pairs["pred"].to_numpy()).all()
