"""Event matching: pair reference (ground-truth) events with detected events, one to one.

The matching is optimal, not greedy: it has the largest possible number of pairs, and among
such matchings the largest summed IoU. Candidate pairs are found by sorting and sweeping, so
a million references against a million detections take seconds. Criteria are evaluated in
plain float64 arithmetic with no epsilon and no rounding; all bounds are inclusive (``>=``,
``<=``) except the overlap test, which needs a positive intersection.

Criteria
--------
``"iou"``
    ``(min(end) - max(begin)) / (max(end) - min(begin)) >= threshold``, for pairs whose
    intersection is positive.
``"overlap"``
    ``min(end) - max(begin) > 0``.
``"onset"``
    ``abs(begin_gt - begin_pred) <= collar_s``.
``"onset_offset"``
    the onset rule and ``abs(end_gt - end_pred) <= max(collar_s, offset_collar_pct *
    (end_gt - begin_gt))`` (sed_eval's rule); such pairs need not overlap.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alpacaspot.errors import AnnotationError, ConfigError
from alpacaspot.evaluate._assign import assign
from alpacaspot.evaluate._candidates import onset_candidates, overlap_candidates

__all__ = ["CRITERIA", "Matching", "default_by", "match_events", "pair_criterion"]

CRITERIA = ("iou", "overlap", "onset", "onset_offset")

_log = logging.getLogger(__name__)
_SHOWN = 5  # names listed in a message


def default_by(gt: pd.DataFrame, pred: pd.DataFrame) -> tuple[str, ...]:
    """The grouping :func:`match_events` uses when ``by`` is None.

    ``("recording", "label")`` when both tables have a ``label`` column and the predictions
    carry more than one label (a multi-class detector); else ``("recording",)``: a binary
    detector's events (class name ``target``) match reference calls of any label
    (``hum``), so the class name never hides every match.

    Examples
    --------
    >>> gt = pd.DataFrame({"recording": ["a"], "label": ["hum"]})
    >>> default_by(gt, pd.DataFrame({"recording": ["a"], "label": ["target"]}))
    ('recording',)
    """
    if ("label" in gt.columns and "label" in pred.columns
            and pred["label"].dropna().astype(str).nunique() > 1):
        return ("recording", "label")
    return ("recording",)


def _names(values: set[str]) -> str:
    shown = sorted(values)[:_SHOWN]
    more = len(values) - len(shown)
    return ", ".join(repr(v) for v in shown) + (f" and {more} more" if more > 0 else "")


def _check_groups(gt: pd.DataFrame, pred: pd.DataFrame, by: tuple[str, ...],
                  g_keys: list[np.ndarray], p_keys: list[np.ndarray],
                  g_grp: np.ndarray, p_grp: np.ndarray) -> None:
    """Raise when no group has both references and predictions; warn about one-sided names."""
    if not by or len(g_grp) == 0 or len(p_grp) == 0:
        return
    known = {str(r) for r in gt.attrs.get("recordings", ())}
    sides = {}
    for col, gk, pk in zip(by, g_keys, p_keys, strict=True):
        g_set, p_set = set(gk.tolist()), set(pk.tolist())
        if col == "recording":
            g_set |= known
        sides[col] = (g_set - p_set, p_set - g_set)
    met = bool(np.intersect1d(g_grp, p_grp).size)
    if not met and by == ("recording",) and known:
        met = bool(known & set(p_keys[0].tolist()))
    if not met:
        detail = "; ".join(
            f"{col} only in the ground truth: {_names(only_g) or 'none'}, only in the "
            f"predictions: {_names(only_p) or 'none'}"
            for col, (only_g, only_p) in sides.items())
        hint = (" (a binary detector's class name never equals the call label: match with "
                "by=('recording',))" if "label" in by else "")
        raise AnnotationError(
            f"no ({', '.join(by)}) group holds both ground truth and predictions, so every "
            f"score would be 0: {detail}{hint}", path=_table_path(pred) or _table_path(gt))
    for col, (only_g, only_p) in sides.items():
        if col == "recording":
            if only_p:
                _log.warning("predictions on %d recording(s) the ground truth does not know "
                             "(all their events count as false positives): %s", len(only_p),
                             _names(only_p))
        elif only_g or only_p:
            _log.warning("%s values on one side only (never matched): ground truth %s, "
                         "predictions %s", col, _names(only_g) or "none",
                         _names(only_p) or "none")


@dataclass(frozen=True, eq=False)
class Matching:
    """The result of :func:`match_events`.

    Attributes
    ----------
    pairs : pandas.DataFrame
        One row per matched pair, ordered by reference position: ``gt`` and ``pred`` (index
        labels of the input tables), ``iou`` (0 for pairs that do not overlap),
        ``d_onset_s = begin_pred - begin_gt`` and ``d_offset_s = end_pred - end_gt``.
    tp, fp, fn : int
        Matched pairs, unmatched detections, unmatched references.
    gt_matched, pred_matched : numpy.ndarray of bool
        Per input row (by position): whether the event is part of a pair.
    """

    pairs: pd.DataFrame
    tp: int
    fp: int
    fn: int
    gt_matched: np.ndarray
    pred_matched: np.ndarray

    @property
    def n_gt(self) -> int:
        """Number of reference events."""
        return self.tp + self.fn

    @property
    def n_pred(self) -> int:
        """Number of detected events."""
        return self.tp + self.fp


def _table_path(table: pd.DataFrame) -> str | None:
    path = table.attrs.get("path") if isinstance(table, pd.DataFrame) else None
    return None if path is None else str(path)


def _event_arrays(
    table: pd.DataFrame, role: str, by: Sequence[str]
) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """Validated begin/end arrays and the grouping columns of one event table."""
    if not isinstance(table, pd.DataFrame):
        raise AnnotationError(
            f"{role} events must be a pandas DataFrame, got {type(table).__name__}")
    path = _table_path(table)
    need = ["begin_s", "end_s", *by]
    missing = [c for c in need if c not in table.columns]
    if missing:
        raise AnnotationError(
            f"{role} events lack column(s) {missing}; expected at least {need}, "
            f"got {list(table.columns)}",
            path=path,
        )
    arrays = []
    for col in ("begin_s", "end_s"):
        values = pd.to_numeric(table[col], errors="coerce").to_numpy(dtype=np.float64,
                                                                     na_value=np.nan)
        bad = np.flatnonzero(~np.isfinite(values))
        if len(bad):
            raise AnnotationError(
                f"{role} events row {int(bad[0])}: column '{col}' must be a finite number of "
                f"seconds, got {table[col].iloc[bad[0]]!r}",
                path=path,
            )
        arrays.append(values)
    begin, end = arrays
    bad = np.flatnonzero(end < begin)
    if len(bad):
        i = int(bad[0])
        raise AnnotationError(
            f"{role} events row {i}: end_s {end[i]!r} is before begin_s {begin[i]!r}", path=path
        )
    keys = [table[c].fillna("").astype(str).to_numpy(dtype=object) for c in by]
    return begin, end, keys


def _group_codes(
    g_keys: list[np.ndarray], p_keys: list[np.ndarray], n_g: int, n_p: int
) -> tuple[np.ndarray, np.ndarray]:
    if not g_keys:
        return np.zeros(n_g, dtype=np.int64), np.zeros(n_p, dtype=np.int64)
    codes = []
    for gk, pk in zip(g_keys, p_keys, strict=True):
        c, _ = pd.factorize(np.concatenate([gk, pk]), sort=True)
        codes.append(c.astype(np.int64))
    code = codes[0]
    for nxt in codes[1:]:
        # Mixed radix, re-factorised after each column so that the codes stay small.
        combined = code * (int(nxt.max(initial=0)) + 1) + nxt
        code, _ = pd.factorize(combined, sort=True)
        code = code.astype(np.int64)
    return code[:n_g], code[n_g:]


def _check_params(
    criterion: str, threshold: float, collar_s: float | None, offset_collar_pct: float | None
) -> tuple[float, float]:
    if criterion not in CRITERIA:
        raise ConfigError(f"unknown matching criterion {criterion!r}; expected one of {CRITERIA}")
    if criterion == "iou" and not 0.0 <= threshold <= 1.0:
        raise ConfigError(f"IoU threshold must lie in [0, 1], got {threshold!r}")
    collar = 0.0
    if criterion in ("onset", "onset_offset"):
        if collar_s is None or not np.isfinite(collar_s) or collar_s < 0:
            raise ConfigError(
                f"criterion {criterion!r} needs collar_s >= 0 (seconds), got {collar_s!r}"
            )
        collar = float(collar_s)
    pct = 0.0 if offset_collar_pct is None else float(offset_collar_pct)
    if not np.isfinite(pct) or pct < 0:
        raise ConfigError(f"offset_collar_pct must be >= 0, got {offset_collar_pct!r}")
    return collar, pct


def pair_criterion(
    gb: np.ndarray,
    ge: np.ndarray,
    pb: np.ndarray,
    pe: np.ndarray,
    *,
    criterion: str = "iou",
    threshold: float = 0.4,
    collar_s: float | None = None,
    offset_collar_pct: float | None = None,
) -> np.ndarray:
    """Whether each (reference, prediction) pair of intervals satisfies the criterion.

    The element-wise rule that :func:`match_events` applies to candidate pairs (see the
    module docstring for the criteria).

    Examples
    --------
    >>> import numpy as np
    >>> pair_criterion(np.array([0.0]), np.array([1.0]), np.array([0.5]), np.array([1.5]),
    ...                criterion="iou", threshold=1 / 3).tolist()
    [True]
    """
    collar, pct = _check_params(criterion, threshold, collar_s, offset_collar_pct)
    gb, ge, pb, pe = (np.asarray(a, dtype=np.float64) for a in (gb, ge, pb, pe))
    inter = np.minimum(ge, pe) - np.maximum(gb, pb)
    if criterion == "overlap":
        return inter > 0
    if criterion == "iou":
        union = np.maximum(ge, pe) - np.minimum(gb, pb)
        with np.errstate(divide="ignore", invalid="ignore"):
            return (inter > 0) & (inter / union >= threshold)
    ok = np.abs(gb - pb) <= collar
    if criterion == "onset_offset":
        ok &= np.abs(ge - pe) <= np.maximum(collar, pct * (ge - gb))
    return ok


def match_events(
    gt: pd.DataFrame,
    pred: pd.DataFrame,
    *,
    criterion: str = "iou",
    threshold: float = 0.4,
    collar_s: float | None = None,
    offset_collar_pct: float | None = None,
    by: Sequence[str] | None = None,
) -> Matching:
    """Match reference events to detected events one to one, optimally.

    Parameters
    ----------
    gt, pred : pandas.DataFrame
        Event tables with ``begin_s``, ``end_s`` and the columns named in ``by``.
    criterion : {"iou", "overlap", "onset", "onset_offset"}
        The pairing rule (see the module docstring).
    threshold : float
        IoU threshold for ``"iou"`` (inclusive).
    collar_s : float, optional
        Onset (and minimum offset) tolerance in seconds for the collar criteria (inclusive).
    offset_collar_pct : float, optional
        Offset tolerance as a fraction of the reference duration (``"onset_offset"``).
    by : sequence of str, optional
        Columns that must be equal for a pair (events never match across them). Default
        (None): :func:`default_by`, i.e. ``("recording",)`` for a binary detector's output
        and ``("recording", "label")`` when the predictions carry several labels.
        When both tables hold events but no group meets (recordings named differently,
        labels that never meet), an error is raised instead of a silent zero; predictions
        on recordings the ground truth does not know (``gt.attrs["recordings"]`` lists
        recordings without events) and labels on one side only are logged as warnings.

    Returns
    -------
    Matching
        Pairs and the TP / FP / FN counts. The number of pairs is the maximum possible;
        among maximum matchings the summed IoU is maximal.

    Raises
    ------
    AnnotationError
        When a table lacks a column, holds a non-finite time or an event ending before it
        begins (the message names the table's ``attrs["path"]`` when set, and the row), or
        when no group holds both ground truth and predictions.
    ConfigError
        For an unknown criterion or a bad threshold or collar.

    Examples
    --------
    >>> import pandas as pd
    >>> gt = pd.DataFrame({"recording": "a.wav", "begin_s": [1.5, 0.75], "end_s": [2.75, 3.25]})
    >>> pred = pd.DataFrame({"recording": "a.wav", "begin_s": [0.0, 0.5], "end_s": [2.25, 3.0]})
    >>> m = match_events(gt, pred, threshold=0.3, by=("recording",))
    >>> m.tp, m.fp, m.fn
    (2, 0, 0)
    """
    collar, pct = _check_params(criterion, threshold, collar_s, offset_collar_pct)
    if not isinstance(gt, pd.DataFrame) or not isinstance(pred, pd.DataFrame):
        _event_arrays(gt, "ground-truth", ())
        _event_arrays(pred, "predicted", ())
    by = default_by(gt, pred) if by is None else tuple(by)
    gb, ge, g_keys = _event_arrays(gt, "ground-truth", by)
    pb, pe, p_keys = _event_arrays(pred, "predicted", by)
    n_g, n_p = len(gb), len(pb)
    g_grp, p_grp = _group_codes(g_keys, p_keys, n_g, n_p)
    _check_groups(gt, pred, by, g_keys, p_keys, g_grp, p_grp)
    g_ord = np.lexsort((gb, g_grp))
    p_ord = np.lexsort((pb, p_grp))
    if criterion in ("iou", "overlap"):
        gi, pj = overlap_candidates(
            g_grp[g_ord], gb[g_ord], ge[g_ord], p_grp[p_ord], pb[p_ord], pe[p_ord]
        )
    else:
        gi, pj = onset_candidates(g_grp[g_ord], gb[g_ord], p_grp[p_ord], pb[p_ord], collar)
    gi = g_ord[gi]
    pj = p_ord[pj]
    ok = pair_criterion(
        gb[gi], ge[gi], pb[pj], pe[pj],
        criterion=criterion, threshold=threshold, collar_s=collar, offset_collar_pct=pct,
    )
    gi, pj = gi[ok], pj[ok]
    iou = _iou(gb[gi], ge[gi], pb[pj], pe[pj])
    chosen = assign(gi, pj, iou, n_g, n_p)
    gi, pj, iou = gi[chosen], pj[chosen], iou[chosen]
    order = np.argsort(gi, kind="stable")
    gi, pj, iou = gi[order], pj[order], iou[order]
    pairs = pd.DataFrame(
        {
            "gt": gt.index.to_numpy()[gi],
            "pred": pred.index.to_numpy()[pj],
            "iou": iou,
            "d_onset_s": pb[pj] - gb[gi],
            "d_offset_s": pe[pj] - ge[gi],
        }
    )
    gt_matched = np.zeros(n_g, dtype=bool)
    gt_matched[gi] = True
    pred_matched = np.zeros(n_p, dtype=bool)
    pred_matched[pj] = True
    tp = len(gi)
    return Matching(pairs, tp, n_p - tp, n_g - tp, gt_matched, pred_matched)


def _iou(gb: np.ndarray, ge: np.ndarray, pb: np.ndarray, pe: np.ndarray) -> np.ndarray:
    inter = np.minimum(ge, pe) - np.maximum(gb, pb)
    union = np.maximum(ge, pe) - np.minimum(gb, pb)
    with np.errstate(divide="ignore", invalid="ignore"):
        iou = np.where(inter > 0, inter / np.where(union > 0, union, 1.0), 0.0)
    return iou
