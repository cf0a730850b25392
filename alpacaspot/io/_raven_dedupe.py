"""Near-identical selections: the same call written twice, in one table or in two.

Overlapping calls of one label are real (two animals hum at once, birds chorus) and are
kept. Only rows that describe the same selection are duplicates: same recording, label and
channel, begin and end within :data:`DUP_TOLERANCE_S`, and frequency boxes overlapping almost
entirely (intersection over union >= :data:`DUP_BOX_OVERLAP`; a row without a box is judged
by its times). The first row (in reading order) is kept; later ones repeat it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

DUP_TOLERANCE_S = 0.010
"""Begin and end of two duplicate rows differ by at most this many seconds."""

DUP_BOX_OVERLAP = 0.9
"""Frequency boxes of two duplicate rows overlap by at least this intersection over union."""


def _box_overlap(a_lo: float, a_hi: float, b_lo: float, b_hi: float) -> float:
    if any(math.isnan(v) for v in (a_lo, a_hi, b_lo, b_hi)):
        return 1.0
    union = max(a_hi, b_hi) - min(a_lo, b_lo)
    if union <= 1.0:  # boxes narrower than 1 Hz: equal when they lie within 1 Hz
        return 1.0 if abs(a_lo - b_lo) <= 1.0 and abs(a_hi - b_hi) <= 1.0 else 0.0
    return max(0.0, min(a_hi, b_hi) - max(a_lo, b_lo)) / union


def near_duplicates(
    events: pd.DataFrame,
    *,
    tolerance_s: float = DUP_TOLERANCE_S,
    box_overlap: float = DUP_BOX_OVERLAP,
) -> np.ndarray:
    """For each row, the position of the earlier row it repeats, or -1 when it is kept.

    Parameters
    ----------
    events : pandas.DataFrame
        Events with ``recording, begin_s, end_s, label``; ``channel``, ``low_hz`` and
        ``high_hz`` are used when present.
    tolerance_s : float
        Largest begin and end difference of duplicates, seconds.
    box_overlap : float
        Smallest intersection over union of duplicate frequency boxes.

    Returns
    -------
    numpy.ndarray
        int64, one entry per row (positions, not index labels).

    Examples
    --------
    >>> ev = pd.DataFrame({"recording": ["a.wav"] * 3, "begin_s": [1.0, 1.004, 1.1],
    ...                    "end_s": [2.0, 2.0, 1.5], "label": ["hum"] * 3})
    >>> near_duplicates(ev).tolist()
    [-1, 0, -1]
    """
    n = len(events)
    out = np.full(n, -1, dtype=np.int64)
    if n < 2:
        return out
    begin = events["begin_s"].to_numpy(np.float64)
    end = events["end_s"].to_numpy(np.float64)
    nan = np.full(n, np.nan)
    low = pd.to_numeric(events["low_hz"], errors="coerce").to_numpy(np.float64) \
        if "low_hz" in events else nan
    high = pd.to_numeric(events["high_hz"], errors="coerce").to_numpy(np.float64) \
        if "high_hz" in events else nan
    channel = events["channel"].astype(object).where(events["channel"].notna(), 1) \
        if "channel" in events else pd.Series([1] * n)
    keys = pd.DataFrame({"r": events["recording"].astype(str).to_numpy(),
                         "l": events["label"].astype(str).to_numpy(),
                         "c": channel.astype(str).to_numpy()})
    for positions in keys.groupby(["r", "l", "c"], sort=False).indices.values():
        pos = np.asarray(positions)
        pos = pos[np.lexsort((pos, begin[pos]))]
        kept: list[int] = []
        for p in pos:
            kept = [k for k in kept if begin[k] >= begin[p] - tolerance_s]
            for k in kept:
                if (abs(end[k] - end[p]) <= tolerance_s
                        and _box_overlap(low[k], high[k], low[p], high[p]) >= box_overlap):
                    out[p] = k
                    break
            else:
                kept.append(int(p))
    return out


def duplicate_notes(tables: Sequence[str], dup_of: np.ndarray) -> dict[str, str]:
    """One sentence per table that lost rows as duplicates, counting them.

    Parameters
    ----------
    tables : sequence of str
        The table file of each row.
    dup_of : numpy.ndarray
        :func:`near_duplicates` of the same rows.

    Returns
    -------
    dict
        Table -> sentence (tables without duplicates are absent).

    Examples
    --------
    >>> duplicate_notes(["a.txt", "a.txt", "b.txt"], np.array([-1, -1, 0]))
    {'b.txt': '1 selection(s) repeat those of a.txt and are counted once'}
    """
    notes: dict[str, str] = {}
    for table in sorted({tables[i] for i in np.flatnonzero(dup_of >= 0)}):
        rows = [i for i in np.flatnonzero(dup_of >= 0) if tables[i] == table]
        same = sum(1 for i in rows if tables[dup_of[i]] == table)
        others = sorted({tables[dup_of[i]] for i in rows} - {table})
        parts = []
        if same:
            parts.append(f"{same} near-identical duplicate selection(s) dropped (same label "
                         f"and channel, begin and end within {DUP_TOLERANCE_S * 1000:.0f} ms, "
                         "frequency boxes overlapping)")
        if len(rows) > same:
            parts.append(f"{len(rows) - same} selection(s) repeat those of "
                         f"{', '.join(others)} and are counted once")
        notes[table] = "; ".join(parts)
    return notes
