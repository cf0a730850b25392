"""Writing the events table as a Raven Pro selection table (see :mod:`alpacaspot.io.raven`)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from alpacaspot._atomic import atomic_write_text
from alpacaspot.errors import AnnotationError
from alpacaspot.io._raven_parse import norm
from alpacaspot.io.schemas import EVENTS

_STANDARD = (
    "Selection", "View", "Channel", "Begin Time (s)", "End Time (s)", "Low Freq (Hz)",
    "High Freq (Hz)", "Begin File", "Begin Path", "File Offset (s)", "File Offset",
)  # fmt: skip


def _text(value: object, what: str, path: Path) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    text = str(value)
    if "\t" in text or "\n" in text or "\r" in text:
        raise AnnotationError(
            f"{what} value {text!r} holds a tab or line break; Raven cells cannot", path=path
        )
    return text


def write_raven(
    events: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    label_column: str = "Annotation",
    score_column: str = "Score",
    durations: Mapping[str, float] | None = None,
) -> Path:
    """Write events as a Raven Pro selection table, atomically.

    Columns: ``Selection, View, Channel, Begin Time (s), End Time (s), Low Freq (Hz),
    High Freq (Hz), Begin File, Begin Path, File Offset (s)``, the label column, then
    ``Quality`` and the score column when any value is present, then every extra column of
    ``events``. ``Begin File`` is the recording's base name, ``Begin Path`` the recording
    and ``File Offset (s)`` the begin time in the recording, so the table is a multi-file
    table whatever the number of recordings. Selections keep their numbers when these are
    present and unique, else are numbered 1..n.

    Parameters
    ----------
    events : pandas.DataFrame
        EVENTS table (validated).
    path : path-like
        Destination (``*.selections.txt``); parent folders are created.
    label_column : str, default "Annotation"
        Header of the label column.
    score_column : str, default "Score"
        Header of the score column.
    durations : mapping, optional
        Duration in seconds of each recording. When given, ``Begin Time (s)`` runs on the
        concatenated timeline of the recordings in sorted order, as Raven Pro writes
        multi-file tables; otherwise it equals the file's time.

    Returns
    -------
    pathlib.Path
        The written path.

    Raises
    ------
    AnnotationError
        A cell holding a tab or line break, or a recording missing from ``durations``.

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "det.selections.txt"
    >>> ev = pd.DataFrame({"recording": ["a.wav"], "begin_s": [1.25], "end_s": [1.5],
    ...                    "label": ["hum"], "score": [0.9]})
    >>> _ = write_raven(ev, p)
    >>> p.read_text().splitlines()[0].split("\\t")[7:]
    ['Begin File', 'Begin Path', 'File Offset (s)', 'Annotation', 'Score']
    >>> from alpacaspot.io import read_raven
    >>> read_raven(p)[["recording", "begin_s", "end_s", "label", "score"]].values.tolist()
    [['a.wav', 1.25, 1.5, 'hum', 0.9]]
    """
    p = Path(path)
    ev = EVENTS.validate(events, path=p)
    n = len(ev)
    sel = ev["selection"]
    if n and sel.notna().all() and sel.is_unique:
        selection = [int(v) for v in sel]
    else:
        selection = list(range(1, n + 1))
    begin = ev["begin_s"].to_numpy(np.float64)
    end = ev["end_s"].to_numpy(np.float64)
    timeline = begin.copy()
    if durations is not None:
        start_of: dict[str, float] = {}
        total = 0.0
        for rec in sorted(set(ev["recording"])):
            if rec not in durations:
                raise AnnotationError(f"durations lack recording {rec!r}", path=p)
            start_of[rec] = total
            total += float(durations[rec])
        timeline = begin + ev["recording"].map(start_of).to_numpy(np.float64)
    header = list(_STANDARD[:8]) + ["Begin Path", "File Offset (s)", label_column]
    write_quality = bool(ev["quality"].notna().any())
    write_score = bool(ev["score"].notna().any())
    if write_quality:
        header.append("Quality")
    if write_score:
        header.append(score_column)
    taken = {norm(h) for h in header} | {norm(c) for c in _STANDARD} | {norm("Begin time (s)")}
    extras = [c for c in ev.columns if c not in EVENTS.names and norm(str(c)) not in taken]
    header += [str(c) for c in extras]

    def num(v: object) -> str:
        return "" if pd.isna(v) else repr(float(v))

    lines = ["\t".join(header)]
    for i in range(n):
        rec = _text(ev["recording"].iat[i], "recording", p)
        ch = ev["channel"].iat[i]
        row = [
            str(selection[i]),
            "Spectrogram 1",
            "1" if pd.isna(ch) else str(int(ch)),
            repr(float(timeline[i])),
            repr(float(timeline[i] + (end[i] - begin[i]))),
            num(ev["low_hz"].iat[i]),
            num(ev["high_hz"].iat[i]),
            rec.rsplit("/", 1)[-1],
            rec,
            repr(float(begin[i])),
            _text(ev["label"].iat[i], "label", p),
        ]
        if write_quality:
            q = ev["quality"].iat[i]
            row.append("" if pd.isna(q) else str(int(q)))
        if write_score:
            row.append(num(ev["score"].iat[i]))
        row += [_text(ev[c].iat[i], str(c), p) for c in extras]
        lines.append("\t".join(row))
    atomic_write_text(p, "\n".join(lines) + "\n")
    return p
