"""Candidate pairs for event matching, found by sorting and sweeping (never an n x m matrix).

Both event sets are sorted by (group, begin). A segmented binary search (one merge sort of
queries and keys) finds, for every event, the range of events of the other set whose onsets
can satisfy the criterion; the ranges are expanded and filtered with the exact criterion.
Work and memory grow with the number of events plus the number of candidate pairs.
"""

from __future__ import annotations

import numpy as np

__all__: list[str] = []


def _seg_searchsorted(
    keys_group: np.ndarray,
    keys_value: np.ndarray,
    query_group: np.ndarray,
    query_value: np.ndarray,
    side: str,
) -> np.ndarray:
    """``searchsorted`` of ``query_value`` within its group's segment of sorted keys.

    ``keys`` must be sorted by (group, value). Returns global indices into the keys: with
    ``side="left"`` the first key of the query's group with value >= query (or the segment
    end), with ``side="right"`` the first with value > query.
    """
    n_k = len(keys_value)
    n_q = len(query_value)
    if n_q == 0:
        return np.zeros(0, dtype=np.int64)
    if np.all(query_group[1:] >= query_group[:-1]):
        q_starts = np.flatnonzero(np.r_[True, query_group[1:] != query_group[:-1]])
        if len(q_starts) <= max(64, (n_k + n_q) // 64):
            return _loop_searchsorted(keys_group, keys_value, query_group, query_value, side,
                                      q_starts)
    return _merge_searchsorted(keys_group, keys_value, query_group, query_value, side)


def _merge_searchsorted(
    keys_group: np.ndarray,
    keys_value: np.ndarray,
    query_group: np.ndarray,
    query_value: np.ndarray,
    side: str,
) -> np.ndarray:
    """Segmented search by one merge sort of keys and queries (many small groups)."""
    n_k = len(keys_value)
    n_q = len(query_value)
    # Ties: for "left" queries sort before equal keys, for "right" after them.
    key_flag, query_flag = (1, 0) if side == "left" else (0, 1)
    groups = np.concatenate([keys_group, query_group])
    values = np.concatenate([keys_value, query_value])
    flags = np.concatenate(
        [np.full(n_k, key_flag, dtype=np.int8), np.full(n_q, query_flag, dtype=np.int8)]
    )
    order = np.lexsort((flags, values, groups))
    is_key = order < n_k
    keys_before = np.cumsum(is_key) - is_key
    out = np.empty(n_q, dtype=np.int64)
    is_query = ~is_key
    out[order[is_query] - n_k] = keys_before[is_query]
    return out


def _loop_searchsorted(
    keys_group: np.ndarray,
    keys_value: np.ndarray,
    query_group: np.ndarray,
    query_value: np.ndarray,
    side: str,
    q_starts: np.ndarray,
) -> np.ndarray:
    """The same as the merge, one ``np.searchsorted`` per group (few, large groups)."""
    q_ends = np.r_[q_starts[1:], len(query_value)]
    groups = query_group[q_starts]
    k_lo = np.searchsorted(keys_group, groups, side="left")
    k_hi = np.searchsorted(keys_group, groups, side="right")
    out = np.empty(len(query_value), dtype=np.int64)
    for qa, qb, ka, kb in zip(q_starts, q_ends, k_lo, k_hi, strict=True):
        out[qa:qb] = ka + np.searchsorted(keys_value[ka:kb], query_value[qa:qb], side=side)
    return out


def _expand(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All pairs ``(i, j)`` with ``lo[i] <= j < hi[i]``, vectorised."""
    counts = np.maximum(hi - lo, 0)
    total = int(counts.sum())
    rows = np.repeat(np.arange(len(lo), dtype=np.int64), counts)
    starts = np.cumsum(counts) - counts
    cols = np.arange(total, dtype=np.int64) - np.repeat(starts - lo, counts)
    return rows, cols


def overlap_candidates(
    g_group: np.ndarray,
    g_begin: np.ndarray,
    g_end: np.ndarray,
    p_group: np.ndarray,
    p_begin: np.ndarray,
    p_end: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of the same group whose intervals may overlap (intersection > 0 checked later).

    Both sets must be sorted by (group, begin). Every overlapping pair is returned exactly
    once: either the prediction starts inside ``[gt.begin, gt.end)`` or the reference starts
    inside ``(pred.begin, pred.end)``.
    """
    lo = _seg_searchsorted(p_group, p_begin, g_group, g_begin, "left")
    hi = _seg_searchsorted(p_group, p_begin, g_group, g_end, "left")
    gi_a, pj_a = _expand(lo, hi)
    lo = _seg_searchsorted(g_group, g_begin, p_group, p_begin, "right")
    hi = _seg_searchsorted(g_group, g_begin, p_group, p_end, "left")
    pj_b, gi_b = _expand(lo, hi)
    return np.concatenate([gi_a, gi_b]), np.concatenate([pj_a, pj_b])


def onset_candidates(
    g_group: np.ndarray,
    g_begin: np.ndarray,
    p_group: np.ndarray,
    p_begin: np.ndarray,
    collar_s: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of the same group whose onsets are about ``collar_s`` apart or closer.

    The search window is widened by a relative 1e-12 so that no pair passing the exact
    float test ``abs(onset_gt - onset_pred) <= collar_s`` is missed; the caller filters.
    """
    slack = (np.abs(g_begin) + collar_s) * 1e-12 + 1e-300
    lo = _seg_searchsorted(p_group, p_begin, g_group, g_begin - collar_s - slack, "left")
    hi = _seg_searchsorted(p_group, p_begin, g_group, g_begin + collar_s + slack, "right")
    return _expand(lo, hi)
