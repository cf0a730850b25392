import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alpacaspot.detect.windows import window_grid
from alpacaspot.errors import ConfigError


def test_grid_matches_animalspot_formula():
    g = window_grid(48000 * 2, 48000, window_s=0.4, hop_s=0.05)
    assert (g.length, g.hop) == (19200, 2400)
    assert g.count == math.ceil((96000 + 1 - 19200) / 2400)
    assert g.starts[-1] + g.length <= 96000
    assert g.log_end_s[0] == pytest.approx(19199 / 48000)


def test_short_recording_has_one_window():
    g = window_grid(1000, 48000, window_s=0.4, hop_s=0.05)
    assert g.count == 1
    assert g.end_s[0] == pytest.approx(1000 / 48000)


def test_bad_lengths():
    with pytest.raises(ConfigError):
        window_grid(100, 48000, window_s=0.0, hop_s=0.05)
    with pytest.raises(ConfigError):
        window_grid(100, 0, window_s=0.4, hop_s=0.05)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(0, 200_000), win=st.integers(1, 30_000), hop=st.integers(1, 5_000))
def test_grid_windows_are_full_except_short_recordings(n, win, hop):
    g = window_grid(n, 1000, window_s=win / 1000, hop_s=hop / 1000)
    assert g.count >= 1
    if n >= g.length:
        assert g.starts[-1] + g.length <= n
        # one more window would not fit
        assert g.starts[-1] + g.hop + g.length > n
    assert np.all(np.diff(g.begin_s) > 0)
