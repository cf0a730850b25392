"""Prediction logs follow the one seconds-to-samples rule of the window grid.

``io`` may not import ``dsp`` (sibling layers), so the log reader and writer apply
``ceil(seconds * sr)`` themselves; these round trips check that they agree with
:func:`alpacaspot.dsp.grid.seconds_to_samples` and the grid built on it, also where
``seconds * sr`` is not a whole number or lands a rounding error above one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alpacaspot.dsp.grid import seconds_to_samples, window_grid
from alpacaspot.io.animalspot import read_predict_log, write_predict_log

CASES = [  # (window_s, hop_s, sr, n_samples)
    (0.35, 0.05, 22050, 3 * 22050 + 17),  # 7717.499999999999 -> 7718, hop 1102.5 -> 1103
    (0.3, 0.07, 44100, 2 * 44100),  # 0.07 * 44100 = 3087.0000000000005 -> 3088
    (0.25, 0.1, 16000, 16000 + 5),  # whole numbers of samples
    (0.123, 0.011, 48000, 48000 // 3),  # 5904 and 528 samples
]


@pytest.mark.parametrize("window_s, hop_s, sr, n_samples", CASES)
def test_log_round_trip_keeps_the_grid(tmp_path, window_s, hop_s, sr, n_samples):
    grid = window_grid(n_samples, sr, window_s=window_s, hop_s=hop_s)
    assert grid.hop == seconds_to_samples(hop_s, sr)
    prob = np.linspace(0.0, 1.0, grid.count)
    scores = pd.DataFrame({"recording": "r.wav", "window": np.arange(grid.count),
                           "begin_s": grid.begin_s, "end_s": grid.end_s,
                           "p_noise": 1 - prob, "p_target": prob})
    path = write_predict_log(tmp_path / "r_predict_output.log", scores, threshold=0.5,
                             sequence_len_s=window_s, hop_s=hop_s, sr=sr,
                             n_samples=n_samples)
    assert f"size of hop(samples)={seconds_to_samples(hop_s, sr)}" in path.read_text()
    back = read_predict_log(path)
    assert back.attrs["predict_log"]["hop_samples"] == grid.hop
    # the reader rebuilds the exact window times from the header with the same rule
    np.testing.assert_array_equal(back["begin_s"], grid.begin_s)
    np.testing.assert_array_equal(back["end_s"], grid.end_s)
