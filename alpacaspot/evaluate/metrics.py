"""Event metrics from a matching: counts, precision, recall, F1, boundary errors, per quality.

Precision, recall and F1 are 0 when undefined (no detections, no references), never NaN, so
that averages over runs stay honest. Per-quality recall covers every quality level present
(1..4 at least, quality 4 included) and is NaN when no reference has that quality (the
``n_gt_q<k>`` column says so). Boundary errors are absolute onset / offset differences of the
matched pairs, in milliseconds (NaN without pairs). Call-count correlations compare true and
predicted calls per tape (Pearson and Spearman; NaN with fewer than two tapes or constant
counts).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from alpacaspot.errors import AnnotationError
from alpacaspot.evaluate.matching import Matching, match_events

__all__ = ["prf", "event_metrics", "metrics_from_matching", "per_group_metrics",
           "count_correlation", "QUALITY_LEVELS"]

QUALITY_LEVELS = (1, 2, 3, 4)


def prf(tp: int, n_gt: int, n_pred: int) -> tuple[float, float, float]:
    """Precision, recall and F1 with 0 for every undefined ratio.

    Examples
    --------
    >>> prf(2, 4, 2)
    (1.0, 0.5, 0.6666666666666666)
    >>> prf(0, 0, 0)
    (0.0, 0.0, 0.0)
    """
    precision = tp / n_pred if n_pred else 0.0
    recall = tp / n_gt if n_gt else 0.0
    f1 = 2 * tp / (n_gt + n_pred) if (n_gt + n_pred) else 0.0
    return float(precision), float(recall), float(f1)


def _quality_levels(gt: pd.DataFrame) -> list[int]:
    levels = set(QUALITY_LEVELS)
    if "quality" in gt.columns:
        q = pd.to_numeric(gt["quality"], errors="coerce").dropna()
        levels |= {int(v) for v in q.unique()}
    return sorted(levels)


def metrics_from_matching(
    gt: pd.DataFrame, pred: pd.DataFrame, matching: Matching
) -> dict[str, float | int]:
    """Metrics of one matching of ``gt`` against ``pred`` (see the module docstring).

    Examples
    --------
    >>> import pandas as pd
    >>> gt = pd.DataFrame({"recording": "a", "begin_s": [0.0], "end_s": [1.0], "quality": [4]})
    >>> m = match_events(gt, gt, by=("recording",))
    >>> metrics_from_matching(gt, gt, m)["recall_q4"]
    1.0
    """
    tp, n_gt, n_pred = matching.tp, matching.n_gt, matching.n_pred
    precision, recall, f1 = prf(tp, n_gt, n_pred)
    pairs = matching.pairs
    d_on = np.abs(pairs["d_onset_s"].to_numpy()) * 1000.0
    d_off = np.abs(pairs["d_offset_s"].to_numpy()) * 1000.0
    out: dict[str, float | int] = {
        "n_gt": n_gt, "n_pred": n_pred, "tp": tp, "fp": matching.fp, "fn": matching.fn,
        "precision": precision, "recall": recall, "f1": f1,
        "mean_dstart_ms": float(d_on.mean()) if tp else float("nan"),
        "mean_dend_ms": float(d_off.mean()) if tp else float("nan"),
        "median_dstart_ms": float(np.median(d_on)) if tp else float("nan"),
        "median_dend_ms": float(np.median(d_off)) if tp else float("nan"),
        "mean_iou": float(pairs["iou"].mean()) if tp else float("nan"),
    }
    quality = (
        pd.to_numeric(gt["quality"], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        if "quality" in gt.columns else np.full(n_gt, np.nan)
    )
    for q in _quality_levels(gt):
        sel = quality == q
        n_q = int(sel.sum())
        tp_q = int(matching.gt_matched[sel].sum())
        rec_q = tp_q / n_q if n_q else float("nan")
        out[f"n_gt_q{q}"] = n_q
        out[f"recall_q{q}"] = rec_q
        # F1 of quality q: the overall precision with the quality's recall.
        out[f"f1_q{q}"] = (
            2 * precision * rec_q / (precision + rec_q) if n_q and (precision + rec_q) > 0
            else (0.0 if n_q else float("nan"))
        )
    return out


def count_correlation(
    true_counts: Sequence[float], pred_counts: Sequence[float]
) -> tuple[float, float]:
    """Pearson and Spearman correlation of true and predicted call counts (per tape).

    NaN with fewer than two tapes or when either count is constant.

    Examples
    --------
    >>> count_correlation([1, 2, 3], [2, 4, 7])
    (0.9933992677987828, 1.0)
    """
    t = np.asarray(true_counts, dtype=np.float64)
    p = np.asarray(pred_counts, dtype=np.float64)
    if len(t) < 2 or np.all(t == t[0]) or np.all(p == p[0]):
        return float("nan"), float("nan")
    from scipy import stats  # imported here: it costs every command-line start half a second

    return float(stats.pearsonr(t, p)[0]), float(stats.spearmanr(t, p)[0])


def per_group_metrics(
    gt: pd.DataFrame, pred: pd.DataFrame, matching: Matching, *, column: str = "tape"
) -> pd.DataFrame:
    """One metrics row per value of ``column`` (tape or recording), from one matching.

    Pairs never cross recordings, so a group's counts are the pairs within it; the groups
    sum to the totals. Detections of a group with no references still count as FP.

    Examples
    --------
    >>> import pandas as pd
    >>> gt = pd.DataFrame({"recording": ["a", "b"], "tape": ["A", "B"],
    ...                    "begin_s": [0.0, 0.0], "end_s": [1.0, 1.0]})
    >>> m = match_events(gt, gt.iloc[:1], by=("recording",))
    >>> per_group_metrics(gt, gt.iloc[:1], m)[["tape", "tp", "fn"]].values.tolist()
    [['A', 1, 0], ['B', 0, 1]]
    """
    if not gt.index.is_unique:
        raise AnnotationError("per-group metrics need a ground-truth table with a unique index",
                              path=gt.attrs.get("path"))
    g_key = gt[column].astype(str).to_numpy(dtype=object)
    p_key = pred[column].astype(str).to_numpy(dtype=object)
    pair_pos = gt.index.get_indexer(matching.pairs["gt"].to_numpy())
    pair_key = g_key[pair_pos] if len(pair_pos) else np.zeros(0, dtype=object)
    g_rows = pd.Series(np.arange(len(g_key))).groupby(g_key, sort=True).indices if len(
        g_key) else {}
    p_rows = pd.Series(np.arange(len(p_key))).groupby(p_key, sort=True).indices if len(
        p_key) else {}
    pair_rows = pd.Series(np.arange(len(pair_key))).groupby(pair_key, sort=True).indices if len(
        pair_key) else {}
    empty = np.zeros(0, dtype=np.int64)
    rows = []
    for key in sorted(set(g_rows) | set(p_rows)):
        gs, ps = g_rows.get(key, empty), p_rows.get(key, empty)
        sub_pairs = matching.pairs.iloc[pair_rows.get(key, empty)]
        tp = len(sub_pairs)
        sub = Matching(sub_pairs, tp, len(ps) - tp, len(gs) - tp,
                       matching.gt_matched[gs], matching.pred_matched[ps])
        rows.append({column: key, **metrics_from_matching(gt.iloc[gs], pred.iloc[ps], sub)})
    return pd.DataFrame(rows)


def event_metrics(
    gt: pd.DataFrame,
    pred: pd.DataFrame,
    *,
    criterion: str = "iou",
    threshold: float = 0.4,
    collar_s: float | None = None,
    offset_collar_pct: float | None = None,
    by: Sequence[str] | None = None,
    group: str | None = "tape",
) -> dict[str, float | int]:
    """Match ``pred`` to ``gt`` and summarise: counts, P/R/F1, boundary errors, quality recall.

    Parameters
    ----------
    gt, pred : pandas.DataFrame
        Event tables (``recording, begin_s, end_s``; ``label`` when in ``by``; ``quality`` on
        ``gt`` for the per-quality recall).
    criterion, threshold, collar_s, offset_collar_pct, by
        As for :func:`~alpacaspot.evaluate.match_events` (``by=None``: per recording for a
        binary detector's output, per recording and label for a multi-class one; no group
        meeting at all is an error, never a silent zero).
    group : str, optional
        Column for the per-tape call-count correlation (``pearson_calls``,
        ``spearman_calls``); falls back to ``recording`` when absent from either table.

    Returns
    -------
    dict
        ``n_gt, n_pred, tp, fp, fn, precision, recall, f1, mean_dstart_ms, mean_dend_ms,
        median_dstart_ms, median_dend_ms, mean_iou, n_gt_q<k>, recall_q<k>, f1_q<k>,
        pearson_calls, spearman_calls``.

    Examples
    --------
    >>> import pandas as pd
    >>> gt = pd.DataFrame({"recording": "a", "begin_s": [0.0, 2.0], "end_s": [1.0, 3.0]})
    >>> pred = pd.DataFrame({"recording": "a", "begin_s": [0.1], "end_s": [1.0]})
    >>> r = event_metrics(gt, pred, by=("recording",))
    >>> r["tp"], r["recall"], r["precision"]
    (1, 0.5, 1.0)
    """
    matching = match_events(
        gt, pred, criterion=criterion, threshold=threshold, collar_s=collar_s,
        offset_collar_pct=offset_collar_pct, by=by,
    )
    out = metrics_from_matching(gt, pred, matching)
    col = group if group and group in gt.columns and group in pred.columns else "recording"
    if col in gt.columns and col in pred.columns:
        g_counts = gt[col].astype(str).value_counts()
        p_counts = pred[col].astype(str).value_counts()
        keys = sorted(set(g_counts.index) | set(p_counts.index))
        out["pearson_calls"], out["spearman_calls"] = count_correlation(
            g_counts.reindex(keys, fill_value=0).to_numpy(),
            p_counts.reindex(keys, fill_value=0).to_numpy(),
        )
    else:
        out["pearson_calls"], out["spearman_calls"] = float("nan"), float("nan")
    return out
