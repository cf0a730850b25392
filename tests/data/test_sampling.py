from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from alpacaspot.data import Corpus, Strategy
from alpacaspot.data.sampling import sample_calls, sample_windows
from alpacaspot.io.schemas import EVENTS


def _corpus() -> Corpus:
    recordings = pd.DataFrame({"recording": ["t1/a_20200101.wav"], "tape": ["t1"],
                               "year": pd.array([2020], dtype="Int64"), "sample_rate": [8000],
                               "channels": [1], "frames": [80000], "duration_s": [10.0]})
    events = EVENTS.validate(pd.DataFrame({
        "recording": ["t1/a_20200101.wav"] * 3, "begin_s": [1.0, 4.0, 6.0],
        "end_s": [1.3, 4.5, 7.0], "label": ["hum", "hum", "alarm"],
        "quality": pd.array([4, 1, None], dtype="Int64")}))
    events["tape"], events["year"] = "t1", pd.array([2020] * 3, dtype="Int64")
    return Corpus(Path("/nonexistent"), recordings, events)


def test_windows_by_centre() -> None:
    strat = Strategy("w", sampling="windows", window_s=0.4, hop_s=0.1, noise_ratio=1e6)
    clips = sample_windows(_corpus(), strat, np.random.default_rng(0))
    centres = (clips["begin_s"] + clips["end_s"]) / 2
    target = clips["class"] == "target"
    inside = ((centres >= 1.0) & (centres < 1.3)) | ((centres >= 4.0) & (centres < 4.5))
    assert (target == inside).all()
    assert len(clips) == int((10.0 - 0.4) / 0.1 + 1e-9) + 1
    # a minimum quality drops the windows centred in the left-out hum
    strat_q = Strategy("w", sampling="windows", window_s=0.4, hop_s=0.1, noise_ratio=1e6,
                       min_quality=3)
    clips_q = sample_windows(_corpus(), strat_q, np.random.default_rng(0))
    c = (clips_q["begin_s"] + clips_q["end_s"]) / 2
    assert not ((c >= 4.0) & (c < 4.5)).any()
    assert (clips_q["class"] == "target").sum() == ((c >= 1.0) & (c < 1.3)).sum()


def test_noise_ratio() -> None:
    strat = Strategy("w", sampling="windows", window_s=0.4, hop_s=0.1, noise_ratio=2.0)
    clips = sample_windows(_corpus(), strat, np.random.default_rng(0))
    n_t = (clips["class"] == "target").sum()
    assert (clips["class"] == "noise").sum() == 2 * n_t


def test_calls_with_context() -> None:
    strat = Strategy("c", context_s=0.25, noise_per_hum=2.0, margin_s=0.2)
    clips, short = sample_calls(_corpus(), strat, np.random.default_rng(1))
    targets = clips[clips["class"] == "target"]
    assert targets[["begin_s", "end_s"]].to_numpy().tolist() == [[0.75, 1.55], [3.75, 4.75]]
    noise = clips[clips["class"] == "noise"]
    assert len(noise) == 4 and not short
    busy = [(1.0, 1.3), (4.0, 4.5), (6.0, 7.0)]
    for b, e in noise[["begin_s", "end_s"]].to_numpy():
        assert all(e <= bb - 0.2 + 1e-9 or b >= be + 0.2 - 1e-9 for bb, be in busy)
    assert set(noise["unit"]) == set(targets["unit"])
