"""Window scores -> events: thresholding and merging of sliding-window predictions.

Two methods work on the same stored window scores (one row per window, one ``p_<class>``
column per class):

``"refined"`` (default)
    Builds a score curve on the hop grid (step ``k`` spans ``[k * hop, (k + 1) * hop)``),
    either the mean of the windows covering each step's centre (``curve="mean"``) or the score
    of the window centred on it (``curve="centre"``), then finds runs above ``threshold`` with
    hysteresis (a run extends while the curve stays at or above ``low_threshold``), merges runs
    separated by at most ``merge_gap_s``, splits runs longer than ``max_duration_s`` at their
    weakest step and drops runs shorter than ``min_duration_s``. Onsets and offsets are at hop
    resolution, so events may be shorter than one window.
``"animalspot"``
    ANIMAL-SPOT's evaluation: windows with ``p >= threshold`` are joined into one selection
    while each starts at or before the current selection's end; every selection also gets the
    alpaca fork's ``CNN logit (mean)``, the overlap-weighted mean of ``ln(p / (1 - p))`` (``p``
    clamped to ``[1e-6, 1 - 1e-6]``) over all windows overlapping it. Selections are whole
    windows.

This module never imports torch: CPU evaluation jobs and :mod:`alpacaspot.evaluate` use it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd

from alpacaspot.errors import SchemaError
from alpacaspot.io.schemas import EVENTS, WINDOW_SCORES

__all__ = ["scores_to_events", "score_curve", "target_class", "METHODS", "CURVES"]

_log = logging.getLogger(__name__)

METHODS = ("refined", "animalspot")
CURVES = ("mean", "centre")
_LOGIT_EPS = 1e-6


def target_class(scores: pd.DataFrame, target: str | None = None) -> str:
    """Name the class whose probability column is the detection score.

    Parameters
    ----------
    scores : pandas.DataFrame
        Window scores with ``p_<class>`` columns.
    target : str, optional
        Class name to use; by default ``"target"`` when present, else the only class that is
        not ``"noise"``.

    Returns
    -------
    str

    Examples
    --------
    >>> import pandas as pd
    >>> target_class(pd.DataFrame({"p_noise": [0.1], "p_hum": [0.9]}))
    'hum'
    """
    classes = [c[2:] for c in scores.columns if isinstance(c, str) and c.startswith("p_")]
    if target is not None:
        if target not in classes:
            raise SchemaError(
                f"window scores have no column 'p_{target}'; classes present: {classes}"
            )
        return target
    if "target" in classes:
        return "target"
    others = [c for c in classes if c != "noise"]
    if len(others) != 1:
        raise SchemaError(
            f"cannot tell the target class among {classes}; pass target=<class name>"
        )
    return others[0]


def _hop_of(begin: np.ndarray, end: np.ndarray) -> float:
    if len(begin) > 1:
        return float(np.median(np.diff(begin)))
    return float(end[0] - begin[0]) if len(begin) else 0.0


def score_curve(
    begin_s: np.ndarray,
    end_s: np.ndarray,
    p: np.ndarray,
    *,
    hop_s: float | None = None,
    window_s: float | None = None,
    curve: str = "mean",
) -> tuple[np.ndarray, float]:
    """Score curve of one recording on the hop grid.

    Parameters
    ----------
    begin_s, end_s : numpy.ndarray
        Window start and end times (seconds), sorted, evenly spaced.
    p : numpy.ndarray
        Window scores.
    hop_s : float, optional
        Window step; inferred from ``begin_s`` when omitted.
    window_s : float, optional
        Window length; by default the longest ``end_s - begin_s``.
    curve : {"mean", "centre"}
        ``"mean"``: mean score of the windows covering each step's centre; ``"centre"``: score
        of the window whose centre is nearest to the step's centre (the mean of two on a
        tie).

    Returns
    -------
    values : numpy.ndarray
        One value per step; step ``k`` spans ``[begin_s[0] + k * hop, ... + hop)``.
    hop : float
        The step in seconds.

    Examples
    --------
    >>> import numpy as np
    >>> b = np.arange(5) * 0.1
    >>> v, h = score_curve(b, b + 0.2, np.array([0, 0, 1, 0, 0.0]), curve="centre")
    >>> v.round(2).tolist()
    [0.0, 0.0, 0.5, 0.5, 0.0, 0.0]
    """
    if curve not in CURVES:
        raise ValueError(f"curve must be one of {CURVES}, got {curve!r}")
    n = len(p)
    if n == 0:
        return np.zeros(0), float(hop_s or 0.0)
    hop = float(hop_s) if hop_s else _hop_of(begin_s, end_s)
    if hop <= 0:
        hop = float(end_s[0] - begin_s[0])
    width = float(window_s) if window_s else float(np.max(end_s - begin_s))
    origin = float(begin_s[0])
    n_steps = max(int(np.ceil((float(end_s[-1]) - origin) / hop - 1e-9)), 1)
    centres = (np.arange(n_steps) + 0.5) * hop
    p = np.asarray(p, dtype=np.float64)
    if curve == "centre":
        # the window(s) whose centre is nearest; two on a tie (even window/hop ratios)
        x = (centres - width / 2.0) / hop
        upper = np.clip(np.floor(x + 0.5 + 1e-9).astype(np.int64), 0, n - 1)
        lower = np.clip(np.ceil(x - 0.5 - 1e-9).astype(np.int64), 0, n - 1)
        return 0.5 * (p[upper] + p[lower]), hop
    # windows i with i*hop <= c < i*hop + width
    first = np.ceil((centres - width) / hop + 1e-9).astype(np.int64)
    last = np.floor(centres / hop + 1e-9).astype(np.int64)
    first = np.clip(first, 0, n - 1)
    last = np.clip(last, 0, n - 1)
    csum = np.concatenate([[0.0], np.cumsum(p)])
    count = np.maximum(last - first + 1, 1)
    return (csum[last + 1] - csum[first]) / count, hop


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start (inclusive) and stop (exclusive) indices of the True runs of ``mask``."""
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return edges[0::2], edges[1::2]


def _split_long(values: np.ndarray, start: int, stop: int, max_steps: int) -> list[tuple[int, int]]:
    if stop - start <= max_steps or stop - start < 2:
        return [(start, stop)]
    inner = values[start + 1 : stop - 1]
    cut = start + 1 + int(np.argmin(inner)) if len(inner) else start + (stop - start) // 2
    return _split_long(values, start, cut, max_steps) + _split_long(values, cut, stop, max_steps)


def _refined(
    rec: pd.DataFrame,
    p: np.ndarray,
    *,
    threshold: float,
    low_threshold: float,
    min_duration_s: float,
    merge_gap_s: float,
    max_duration_s: float | None,
    curve: str,
    hop_s: float | None,
    window_s: float | None,
) -> list[tuple[float, float, float]]:
    begin = rec["begin_s"].to_numpy(np.float64)
    end = rec["end_s"].to_numpy(np.float64)
    values, hop = score_curve(begin, end, p, hop_s=hop_s, window_s=window_s, curve=curve)
    if len(values) == 0:
        return []
    origin, limit = float(begin[0]), float(end.max())
    starts, stops = _runs(values >= low_threshold)
    keep = [
        (int(a), int(b))
        for a, b in zip(starts, stops, strict=True)
        if values[a:b].max() >= threshold
    ]
    gap_steps = int(np.floor(merge_gap_s / hop + 1e-9)) if merge_gap_s > 0 else 0
    merged: list[tuple[int, int]] = []
    for a, b in keep:
        if merged and a - merged[-1][1] <= gap_steps:
            merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    if max_duration_s is not None and max_duration_s > 0:
        max_steps = max(int(np.floor(max_duration_s / hop + 1e-9)), 1)
        merged = [piece for a, b in merged for piece in _split_long(values, a, b, max_steps)]
    out = []
    for a, b in merged:
        t0 = origin + a * hop
        t1 = min(origin + b * hop, limit)
        if t1 - t0 + 1e-9 < min_duration_s or t1 <= t0:
            continue
        out.append((t0, t1, float(values[a:b].mean())))
    return out


def _logit(p: np.ndarray) -> np.ndarray:
    q = np.clip(p, _LOGIT_EPS, 1.0 - _LOGIT_EPS)
    return np.log(q / (1.0 - q))


def _animalspot(
    rec: pd.DataFrame, p: np.ndarray, *, threshold: float, decimals: int | None, sr: int | None
) -> list[tuple[float, float, float, float]]:
    t0 = rec["begin_s"].to_numpy(np.float64)
    t1 = rec["end_s"].to_numpy(np.float64)
    if sr is not None:  # ANIMAL-SPOT's log end: the window's last sample
        t1 = (np.rint(t1 * sr) - 1.0) / sr
    if decimals is not None:
        t0, t1 = np.round(t0, decimals), np.round(t1, decimals)
    order = np.argsort(t0, kind="stable")
    t0, t1, p = t0[order], t1[order], p[order]
    pos = np.flatnonzero(p >= threshold)
    if len(pos) == 0:
        return []
    # A positive window joins the open selection when it starts at or before that selection's
    # end; windows have one length, so the open selection's end is the running maximum end.
    ends_so_far = np.maximum.accumulate(t1[pos])
    starts_new = np.ones(len(pos), dtype=bool)
    starts_new[1:] = t0[pos[1:]] > ends_so_far[:-1]
    first = np.flatnonzero(starts_new)
    last = np.append(first[1:], len(pos)) - 1
    begins = t0[pos[first]]
    ends = np.maximum.reduceat(t1[pos], first)
    logits = _logit(p)
    lo = np.searchsorted(np.maximum.accumulate(t1), begins, side="right")
    hi = np.searchsorted(t0, ends, side="left")
    out = []
    for b, e, a, z, k0, k1 in zip(begins.tolist(), ends.tolist(), lo, hi, first, last,
                                  strict=True):
        seg = slice(int(a), int(z))
        overlap = np.minimum(t1[seg], e) - np.maximum(t0[seg], b)
        mask = overlap > 0
        weights = overlap[mask]
        logit_mean = (float(np.sum(weights * logits[seg][mask]) / np.sum(weights))
                      if mask.any() else 0.0)
        members = pos[k0:k1 + 1]
        inside = members[(t0[members] >= b) & (t1[members] <= e)]
        score = float(p[inside].mean()) if len(inside) else float(p[seg][mask].mean())
        out.append((b, e, score, logit_mean))
    return out


def scores_to_events(
    scores: pd.DataFrame,
    *,
    threshold: float,
    method: str = "refined",
    target: str | None = None,
    low_threshold: float | None = None,
    min_duration_s: float = 0.0,
    merge_gap_s: float = 0.0,
    max_duration_s: float | None = None,
    curve: str = "mean",
    hop_s: float | None = None,
    window_s: float | None = None,
    low_hz: float | None = None,
    high_hz: float | None = None,
    decimals: int | None = 3,
    sr: int | None = None,
    recordings: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Turn window scores into detected events.

    Parameters
    ----------
    scores : pandas.DataFrame
        Window-scores table (``recording, window, begin_s, end_s, p_<class>...``), one or
        many recordings.
    threshold : float
        Detection threshold on the target probability (``p >= threshold``).
    method : {"refined", "animalspot"}
        Post-processing (see the module docstring).
    target : str, optional
        Target class name (default: ``"target"``, else the only non-``noise`` class). It is
        the events' ``label``.
    low_threshold : float, optional
        ``refined``: hysteresis threshold at which a run ends (default ``threshold``).
    min_duration_s, merge_gap_s : float
        ``refined``: drop shorter events; merge events separated by at most this gap.
    max_duration_s : float, optional
        ``refined``: split longer events at their weakest step.
    curve : {"mean", "centre"}
        ``refined``: how the step curve is built from the windows.
    hop_s, window_s : float, optional
        Window step and length; inferred from the table when omitted.
    low_hz, high_hz : float, optional
        Frequency band written to every event (e.g. the spectrogram's fmin and fmax).
    decimals : int or None
        ``animalspot``: round window times like ANIMAL-SPOT's log (3 decimals); None keeps
        them exact.
    sr : int, optional
        ``animalspot``: sample rate of the scored audio. When given, window ends are taken as
        ANIMAL-SPOT logs them (the window's last sample); leave None for tables read from
        ANIMAL-SPOT logs.
    recordings : sequence of str, optional
        Restrict to these recordings.

    Returns
    -------
    pandas.DataFrame
        EVENTS table sorted by recording and onset, ``selection`` numbered from 1 per
        recording, ``score`` the mean target probability (``refined``: the mean of the curve
        over the event); ``animalspot`` adds a ``cnn_logit_mean`` column.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"recording": "a.wav", "window": range(6),
    ...                   "begin_s": [i * 0.1 for i in range(6)],
    ...                   "end_s": [i * 0.1 + 0.2 for i in range(6)],
    ...                   "p_noise": [.9, .1, .1, .9, .9, .9],
    ...                   "p_target": [.1, .9, .9, .1, .1, .1]})
    >>> ev = scores_to_events(s, threshold=0.5, method="animalspot")
    >>> ev[["begin_s", "end_s"]].values.tolist()
    [[0.1, 0.4]]
    >>> ev = scores_to_events(s, threshold=0.6, curve="centre")
    >>> ev[["begin_s", "end_s"]].round(3).values.tolist()
    [[0.2, 0.3]]
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if not 0.0 <= float(threshold) <= 1.0:
        raise ValueError(f"threshold must lie in [0, 1], got {threshold}")
    low = float(threshold) if low_threshold is None else float(low_threshold)
    if low > threshold:
        raise ValueError(f"low_threshold ({low}) must not exceed threshold ({threshold})")
    scores = WINDOW_SCORES.validate(scores)
    label = target_class(scores, target)
    column = f"p_{label}"
    rows: list[dict[str, object]] = []
    if recordings is not None:
        scores = scores[scores["recording"].isin(list(recordings))]
    for name, rec in scores.groupby("recording", sort=True):
        rec = rec.sort_values("begin_s", kind="stable")
        p = rec[column].to_numpy(np.float64)
        if method == "refined":
            found = _refined(
                rec, p, threshold=float(threshold), low_threshold=low,
                min_duration_s=min_duration_s, merge_gap_s=merge_gap_s,
                max_duration_s=max_duration_s, curve=curve, hop_s=hop_s, window_s=window_s,
            )
            extra: list[dict[str, float]] = [{} for _ in found]
        else:
            full = _animalspot(rec, p, threshold=float(threshold), decimals=decimals, sr=sr)
            found = [(b, e, s) for b, e, s, _ in full]
            extra = [{"cnn_logit_mean": lg} for *_, lg in full]
        for k, ((b, e, s), more) in enumerate(zip(found, extra, strict=True), start=1):
            rows.append({"recording": str(name), "begin_s": b, "end_s": e, "low_hz": low_hz,
                         "high_hz": high_hz, "label": label, "channel": 1, "selection": k,
                         "score": s, **more})
    if not rows:
        table = EVENTS.empty()
        if method == "animalspot":
            table["cnn_logit_mean"] = pd.Series([], dtype="float64")
        return table
    table = pd.DataFrame(rows)
    for col in ("low_hz", "high_hz"):
        table[col] = table[col].astype("Float64")
    return EVENTS.validate(table)
