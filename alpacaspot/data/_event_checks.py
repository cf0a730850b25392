"""Checks of a corpus's events against their audio, reported per table.

- A selection with ``end <= begin`` is a problem of its own (table, line, Selection).
- Selections ending after their audio are one problem per table, whatever the audio's name
  ("270 of 279 events lie beyond the audio's 10.0 s"); strict mode raises it, lenient mode
  logs it once and records it in ``Corpus.warnings``; the selections are dropped.
- Near-identical duplicates (:mod:`alpacaspot.io._raven_dedupe`) are dropped with one warning
  per table counting them. Overlapping calls of one label are kept.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from alpacaspot.data._issues import Issues
from alpacaspot.io.raven import duplicate_notes, near_duplicates

_LATE_S = 1e-3  # an end this close after the audio's end still counts as inside


def _where(row: pd.Series) -> str:
    sel = row.get("selection")
    return f"Selection {int(sel)}" if sel is not None and not pd.isna(sel) else "no Selection"


def _sources(events: pd.DataFrame, root: Path) -> list[str]:
    if "_table" in events.columns:
        return [str(t) for t in events["_table"]]
    return [str(root / r) for r in events["recording"]]


def _line(events: pd.DataFrame, i: int) -> int | None:
    if "_line" not in events.columns or pd.isna(events["_line"].iat[i]):
        return None
    return int(events["_line"].iat[i])


def check_events(events: pd.DataFrame, durations: dict[str, float], root: Path,
                 issues: Issues) -> pd.DataFrame:
    """The events that pass the checks above (index reset)."""
    events = events.reset_index(drop=True)
    if events.empty:
        return events
    sources = _sources(events, root)
    begin = events["begin_s"].to_numpy(np.float64)
    end = events["end_s"].to_numpy(np.float64)
    bad = ~(end > begin) | (begin < 0)
    for i in np.flatnonzero(bad):
        row = events.iloc[i]
        issues.report(f"{_where(row)} ({row['label']!r}, {row['recording']}) has begin "
                      f"{begin[i]:.3f} s and end {end[i]:.3f} s; expected 0 <= begin < end",
                      path=sources[i], line=_line(events, i))
    dur = events["recording"].map(durations).to_numpy(np.float64)
    late = ~bad & (end > dur + _LATE_S)
    src = np.asarray(sources, dtype=object)
    for table in sorted(set(src[late])):
        mine = src == table
        idx = np.flatnonzero(late & mine)
        first = events.iloc[idx[0]]
        recs = sorted(set(events["recording"].iloc[idx]))
        audio = ", ".join(f"{r} {durations[r]:.1f} s" for r in recs[:3])
        audio += f" and {len(recs) - 3} more" if len(recs) > 3 else ""
        what = (f"the audio's {durations[recs[0]]:.1f} s ({recs[0]})" if len(recs) == 1
                else f"their audio ({audio})")
        issues.report(f"{len(idx)} of {int(mine.sum())} events lie beyond {what}; first: "
                      f"{_where(first)}, {begin[idx[0]]:.3f}-{end[idx[0]]:.3f} s; they are "
                      "dropped", path=table, line=_line(events, int(idx[0])))
    keep = ~(bad | late)
    events = events[keep].reset_index(drop=True)
    kept_sources = [s for s, k in zip(sources, keep, strict=True) if k]
    dup_of = near_duplicates(events)
    for table, note in duplicate_notes(kept_sources, dup_of).items():
        issues.warn(note, path=table)
    return events[dup_of < 0].reset_index(drop=True)
