import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alpacaspot.errors import ConfigError, SchemaError
from alpacaspot.events import score_curve, scores_to_events, target_class


def _scores(p, *, hop=0.05, win=0.4, rec="a.wav"):
    p = np.asarray(p, dtype=float)
    i = np.arange(len(p))
    return pd.DataFrame({"recording": rec, "window": i, "begin_s": i * hop,
                         "end_s": i * hop + win, "p_noise": 1 - p, "p_target": p})


def test_module_is_torch_free():
    import subprocess

    code = ("import sys, alpacaspot.events, alpacaspot.detect, alpacaspot.detect.postprocess; "
            "assert 'torch' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_animalspot_merging_and_logit():
    p = [0.1, 0.95, 0.2, 0.97, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.99]
    ev = scores_to_events(_scores(p), threshold=0.9, method="animalspot")
    # windows 1 and 3 overlap (start 0.15 <= end 0.45): one selection; window 12 alone
    assert ev[["begin_s", "end_s"]].values.tolist() == [[0.05, 0.55], [0.6, 1.0]]
    assert ev["selection"].tolist() == [1, 2]
    assert ev["label"].tolist() == ["target", "target"]
    # overlap-weighted mean logit over every window overlapping the first selection
    t0 = np.arange(13) * 0.05
    t1 = t0 + 0.4
    ov = np.minimum(t1, 0.55) - np.maximum(t0, 0.05)
    m = ov > 0
    q = np.clip(np.array(p), 1e-6, 1 - 1e-6)
    expected = np.sum(ov[m] * np.log(q / (1 - q))[m]) / ov[m].sum()
    assert ev["cnn_logit_mean"].iloc[0] == pytest.approx(expected)


def test_animalspot_log_end_times_with_sr():
    s = _scores([0.95, 0.1], hop=0.05, win=0.4)
    ev = scores_to_events(s, threshold=0.9, method="animalspot", sr=1000)
    assert ev["end_s"].iloc[0] == pytest.approx(0.399)


def test_refined_events_shorter_than_window():
    # perfect "centre" scores of a 0.2 s call at 1.0..1.2 s with 0.4 s windows
    hop, win = 0.05, 0.4
    n = 60
    centres = np.arange(n) * hop + win / 2
    p = ((centres > 1.0) & (centres < 1.2)).astype(float)
    ev = scores_to_events(_scores(p, hop=hop, win=win), threshold=0.5, curve="centre")
    assert len(ev) == 1
    assert ev["begin_s"].iloc[0] == pytest.approx(1.0, abs=0.051)
    assert ev["end_s"].iloc[0] == pytest.approx(1.2, abs=0.051)
    assert ev["end_s"].iloc[0] - ev["begin_s"].iloc[0] < win


def test_refined_hysteresis_merge_min_max():
    p = np.zeros(80)
    p[10:14] = 0.95
    p[14:18] = 0.6  # kept only with hysteresis
    p[20:22] = 0.95  # gap of 2 steps to the first run
    p[40] = 0.95  # too short for min_duration
    s = _scores(p, hop=0.05, win=0.05)
    base = scores_to_events(s, threshold=0.9, curve="centre")
    assert len(base) == 3
    hyst = scores_to_events(s, threshold=0.9, low_threshold=0.5, curve="centre")
    assert hyst["end_s"].iloc[0] == pytest.approx(0.9)
    merged = scores_to_events(s, threshold=0.9, low_threshold=0.5, merge_gap_s=0.1,
                              min_duration_s=0.1, curve="centre")
    assert merged[["begin_s", "end_s"]].values.round(3).tolist() == [[0.5, 1.1]]
    split = scores_to_events(s, threshold=0.9, low_threshold=0.5, merge_gap_s=0.1,
                             max_duration_s=0.3, curve="centre")
    assert (split["end_s"] - split["begin_s"]).max() <= 0.3 + 1e-9
    assert split["begin_s"].iloc[0] == pytest.approx(0.5)


def test_mean_curve_averages_covering_windows():
    b = np.arange(4) * 0.1
    v, hop = score_curve(b, b + 0.2, np.array([1.0, 0.0, 0.0, 1.0]), curve="mean")
    assert hop == pytest.approx(0.1)
    assert v.tolist() == pytest.approx([1.0, 0.5, 0.0, 0.5, 1.0])


def test_empty_and_silent_tables():
    empty = _scores([])
    ev = scores_to_events(empty, threshold=0.5)
    assert len(ev) == 0 and "score" in ev.columns
    assert len(scores_to_events(_scores([0.1] * 5), threshold=0.5, method="animalspot")) == 0


def test_several_recordings_sorted_and_numbered():
    s = pd.concat([_scores([0.1, 0.9, 0.1], rec="b.wav"), _scores([0.9, 0.1, 0.9], rec="a.wav")])
    ev = scores_to_events(s, threshold=0.5, method="animalspot", decimals=None)
    assert ev["recording"].tolist() == ["a.wav", "b.wav"]
    ev = scores_to_events(s, threshold=0.5, curve="centre", hop_s=0.05, window_s=0.05)
    assert ev["recording"].tolist() == ["a.wav", "a.wav", "b.wav"]
    assert ev["selection"].tolist() == [1, 2, 1]


def test_bad_arguments():
    s = _scores([0.5])
    with pytest.raises(ConfigError, match="method"):
        scores_to_events(s, threshold=0.5, method="magic")
    with pytest.raises(ConfigError, match="threshold"):
        scores_to_events(s, threshold=1.5)
    with pytest.raises(SchemaError, match="p_hum"):
        scores_to_events(s, threshold=0.5, target="hum")
    with pytest.raises(SchemaError):
        scores_to_events(s.drop(columns=["begin_s"]), threshold=0.5)
    with pytest.raises(SchemaError):
        target_class(pd.DataFrame({"p_a": [1.0], "p_b": [0.0]}))


_probs = st.lists(st.floats(0, 1, allow_nan=False), min_size=1, max_size=120)


@settings(max_examples=80, deadline=None)
@given(p=_probs, th=st.floats(0.05, 0.95), method=st.sampled_from(["refined", "animalspot"]),
       curve=st.sampled_from(["mean", "centre"]))
def test_events_are_ordered_disjoint_and_inside(p, th, method, curve):
    s = _scores(p)
    ev = scores_to_events(s, threshold=th, method=method, curve=curve, decimals=None)
    b, e = ev["begin_s"].to_numpy(), ev["end_s"].to_numpy()
    assert np.all(e > b)
    assert np.all(b >= 0) and np.all(e <= s["end_s"].max() + 1e-9)
    assert np.all(b[1:] >= e[:-1] - 1e-9)
    if method == "animalspot":
        assert np.all(e - b >= 0.4 - 1e-9)  # never shorter than one window


@settings(max_examples=60, deadline=None)
@given(p=_probs, t1=st.floats(0.05, 0.9), dt=st.floats(0.0, 0.09))
def test_refined_coverage_shrinks_with_threshold(p, t1, dt):
    s = _scores(p)
    low = scores_to_events(s, threshold=t1)
    high = scores_to_events(s, threshold=t1 + dt)
    assert (high["end_s"] - high["begin_s"]).sum() <= (low["end_s"] - low["begin_s"]).sum() + 1e-9


def test_animalspot_merging_matches_a_plain_loop_on_random_scores():
    """The vectorised merging equals a direct statement of ANIMAL-SPOT's rule."""
    rng = np.random.default_rng(3)
    for _ in range(50):
        n = int(rng.integers(1, 200))
        begin = np.round(np.arange(n) * 0.05, 3)
        end = np.round(begin + 0.4, 3)
        p = rng.random(n) ** rng.uniform(0.3, 3.0)
        scores = pd.DataFrame({"recording": "r.wav", "window": np.arange(n), "begin_s": begin,
                               "end_s": end, "p_noise": 1 - p, "p_target": p})
        expected: list[list[float]] = []
        for i in np.flatnonzero(p >= 0.5):
            if expected and begin[i] <= expected[-1][1]:
                expected[-1][1] = max(expected[-1][1], end[i])
            else:
                expected.append([begin[i], end[i]])
        ev = scores_to_events(scores, threshold=0.5, method="animalspot")
        assert ev[["begin_s", "end_s"]].to_numpy().tolist() == expected
