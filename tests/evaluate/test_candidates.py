"""The two segmented binary searches of the candidate search agree with a plain loop."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from alpacaspot.evaluate import _candidates as c

_pairs = st.lists(st.tuples(st.integers(0, 4), st.integers(0, 12).map(lambda k: k / 4)),
                  max_size=30)


@settings(max_examples=80, deadline=None)
@given(_pairs, _pairs, st.sampled_from(["left", "right"]))
def test_merge_and_loop_searchsorted_agree(keys, queries, side):
    keys = sorted(keys)
    queries = sorted(queries, key=lambda q: q[0])
    kg = np.array([g for g, _ in keys], dtype=np.int64)
    kv = np.array([v for _, v in keys], dtype=np.float64)
    qg = np.array([g for g, _ in queries], dtype=np.int64)
    qv = np.array([v for _, v in queries], dtype=np.float64)
    expected = np.array([
        np.searchsorted(kg, g, side="left")
        + np.searchsorted(kv[kg == g], v, side=side) for g, v in queries], dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, qg[1:] != qg[:-1]]) if len(qg) else np.zeros(0, int)
    looped = c._loop_searchsorted(kg, kv, qg, qv, side, starts) if len(qg) else np.zeros(0)
    assert looped.tolist() == expected.tolist()
    merged = c._merge_searchsorted(kg, kv, qg, qv, side)
    assert merged.tolist() == expected.tolist()
