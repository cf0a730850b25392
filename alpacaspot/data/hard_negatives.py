"""Hard negatives: the noise windows an earlier model scored highest, kept for training.

Windows sampling keeps ``noise_ratio`` noise windows per target window. Drawn at random, most
of them are easy (silence, steady background); the windows that fool a detector (grumbles,
machinery, chirps, rain) are rare among them. With a strategy's ``hard_negatives`` set to the
window scores of an earlier model over the corpus (:func:`alpacaspot.detect.predict_scores`
with ``root`` the corpus folder), a ``hard_negative_fraction`` of the kept noise windows are
the ones that model scored highest, and the rest are drawn at random as before. A noise window
that overlaps a target call (of any quality) is never a hard negative: its high score is no
mistake of the model.

Torch-free: the scores are read from their Parquet files.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from alpacaspot.errors import CorpusError
from alpacaspot.io import read_table
from alpacaspot.io.schemas import WINDOW_SCORES
from alpacaspot.io.tables import parquet_files

__all__ = ["read_window_scores", "scores_at_windows", "overlaps_any", "pick_noise_windows"]


def read_window_scores(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Window scores from one Parquet file or every ``*.parquet`` under a folder.

    Parameters
    ----------
    path : path-like
        A scores file or a folder of them (as :func:`alpacaspot.detect.predict_scores`
        writes with ``out_dir``).

    Returns
    -------
    pandas.DataFrame
        ``recording, window, begin_s, end_s, p_<class>...``, files in sorted order.

    Raises
    ------
    CorpusError
        No such file or folder, or a folder without scores.

    Examples
    --------
    >>> import tempfile
    >>> read_window_scores(tempfile.mkdtemp())  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    CorpusError: no window scores (*.parquet) under this folder
    """
    p = Path(path)
    if not p.exists():
        raise CorpusError("hard-negative window scores: no such file or folder", path=p)
    files = [p] if p.is_file() else parquet_files(p)
    if not files:
        raise CorpusError("no window scores (*.parquet) under this folder", path=p)
    return pd.concat([read_table(f, schema=WINDOW_SCORES) for f in files], ignore_index=True)


def _target_column(scores: pd.DataFrame, target_class: str, source: object) -> str:
    wanted = f"p_{target_class}"
    if wanted in scores.columns:
        return wanted
    others = [c for c in scores.columns if c.startswith("p_") and c != "p_noise"]
    if len(others) != 1:
        raise CorpusError(f"window scores need a {wanted!r} column (or exactly one p_ column "
                          f"besides p_noise), got {sorted(others)}", path=source)
    return others[0]


def scores_at_windows(
    windows: pd.DataFrame,
    scores: pd.DataFrame,
    *,
    target_class: str = "target",
    source: object = None,
) -> np.ndarray:
    """Each window's score: that of the scored window with the nearest centre.

    Parameters
    ----------
    windows : pandas.DataFrame
        ``recording, begin_s, end_s`` of the candidate windows.
    scores : pandas.DataFrame
        Window scores of the same recordings (names relative to the same root).
    target_class : str
        The score column is ``p_<target_class>`` (or the only ``p_`` column besides
        ``p_noise``).
    source : path-like, optional
        Named in errors.

    Returns
    -------
    numpy.ndarray
        float64, one per window; NaN where the recording has no scores or the nearest scored
        centre is more than half the window's length away.

    Raises
    ------
    CorpusError
        No score column, or scores that name none of the windows' recordings (the scores were
        made with another ``root``).

    Examples
    --------
    >>> w = pd.DataFrame({"recording": ["a", "a", "b"], "begin_s": [0.0, 1.0, 0.0],
    ...                   "end_s": [0.4, 1.4, 0.4]})
    >>> s = pd.DataFrame({"recording": "a", "window": [0, 1], "begin_s": [0.0, 1.05],
    ...                   "end_s": [0.4, 1.45], "p_noise": [0.9, 0.2], "p_target": [0.1, 0.8]})
    >>> scores_at_windows(w, s).tolist()
    [0.1, 0.8, nan]
    """
    column = _target_column(scores, target_class, source)
    out = np.full(len(windows), np.nan)
    if len(windows) == 0:
        return out
    recs = windows["recording"].astype(str).to_numpy()
    centres = ((windows["begin_s"] + windows["end_s"]) / 2).to_numpy(np.float64)
    half = ((windows["end_s"] - windows["begin_s"]) / 2).to_numpy(np.float64)
    matched = False
    for rec, part in scores.groupby(scores["recording"].astype(str), sort=True):
        rows = np.flatnonzero(recs == rec)
        if len(rows) == 0:
            continue
        matched = True
        part = part.sort_values("begin_s", kind="stable")
        sc = ((part["begin_s"] + part["end_s"]) / 2).to_numpy(np.float64)
        p = part[column].to_numpy(np.float64)
        i = np.searchsorted(sc, centres[rows])
        left = np.clip(i - 1, 0, len(sc) - 1)
        right = np.clip(i, 0, len(sc) - 1)
        nearest = np.where(np.abs(sc[left] - centres[rows]) <= np.abs(sc[right] - centres[rows]),
                           left, right)
        close = np.abs(sc[nearest] - centres[rows]) <= half[rows] + 1e-9
        out[rows[close]] = p[nearest[close]]
    if not matched:
        raise CorpusError(
            f"the window scores name none of the {len(set(recs))} recording(s) "
            f"({sorted(set(recs))[:3]}...); score the corpus with root=<corpus folder>",
            path=source)
    return out


def overlaps_any(windows: pd.DataFrame, events: pd.DataFrame) -> np.ndarray:
    """Whether each window overlaps any event of its recording (touching ends do not count).

    Examples
    --------
    >>> w = pd.DataFrame({"recording": ["a", "a", "b"], "begin_s": [0.0, 1.0, 0.0],
    ...                   "end_s": [0.4, 1.4, 0.4]})
    >>> ev = pd.DataFrame({"recording": ["a"], "begin_s": [1.3], "end_s": [1.6]})
    >>> overlaps_any(w, ev).tolist()
    [False, True, False]
    """
    out = np.zeros(len(windows), dtype=bool)
    recs = windows["recording"].astype(str).to_numpy()
    for rec, ev in events.groupby(events["recording"].astype(str), sort=True):
        rows = np.flatnonzero(recs == rec)
        if len(rows) == 0:
            continue
        ev = ev.sort_values("begin_s", kind="stable")
        begins = ev["begin_s"].to_numpy(np.float64)
        ends = np.maximum.accumulate(ev["end_s"].to_numpy(np.float64))
        wb = windows["begin_s"].to_numpy(np.float64)[rows]
        we = windows["end_s"].to_numpy(np.float64)[rows]
        # the last event starting before the window ends; any earlier one ends no later
        k = np.searchsorted(begins, we, side="left") - 1
        out[rows] = (k >= 0) & (ends[np.maximum(k, 0)] > wb)
    return out


def pick_noise_windows(
    scores: np.ndarray,
    n_keep: int,
    fraction: float,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Which of the noise windows to keep: the hardest ``fraction``, the rest at random.

    Parameters
    ----------
    scores : numpy.ndarray
        One per noise window: an earlier model's score, NaN where the window may not be a
        hard negative (no score, or it overlaps a target call).
    n_keep : int
        How many to keep (at most ``len(scores)``).
    fraction : float
        Share of ``n_keep`` taken by highest score (fewer when fewer windows have one); ties
        go to the earlier window.
    rng : numpy.random.Generator
        Draws the rest from the windows not taken.

    Returns
    -------
    keep : numpy.ndarray
        Sorted positions into ``scores`` of every kept window.
    hard : numpy.ndarray
        Sorted positions of those taken by score (a subset of ``keep``).

    Examples
    --------
    >>> s = np.array([0.1, 0.9, np.nan, 0.8, 0.2, 0.0])
    >>> keep, hard = pick_noise_windows(s, 2, 1.0, np.random.default_rng(0))
    >>> keep.tolist(), hard.tolist()
    ([1, 3], [1, 3])
    >>> keep, hard = pick_noise_windows(s, 4, 0.5, np.random.default_rng(0))
    >>> len(keep), hard.tolist()
    (4, [1, 3])
    """
    n = len(scores)
    n_keep = min(int(n_keep), n)
    finite = np.flatnonzero(np.isfinite(scores))
    n_hard = min(int(round(fraction * n_keep)), len(finite))
    order = finite[np.lexsort((finite, -scores[finite]))]
    hard = order[:n_hard]
    rest = np.setdiff1d(np.arange(n), hard)
    drawn = rng.choice(rest, size=n_keep - n_hard, replace=False)
    return np.sort(np.concatenate([hard, drawn]).astype(np.int64)), np.sort(hard)
