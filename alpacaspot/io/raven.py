"""Raven selection tables to and from the events table.

Raven Pro writes tab-separated text: one row per selection and view, columns such as
``Selection, View, Channel, Begin Time (s), End Time (s), Low Freq (Hz), High Freq (Hz)``,
optional ``Begin File`` / ``Begin Path`` / ``File Offset (s)`` for tables spanning several
audio files, and annotation columns. :func:`read_raven` accepts the variants found in the
field (BOM, CRLF, trailing tabs, short rows, several views per selection, ANIMAL-SPOT's
``Begin time (s)`` spelling) and returns the EVENTS table; :func:`write_raven` writes Raven
Pro's own spelling, and reading what it wrote gives the same events back.

The corpus readers of :mod:`alpacaspot.data` share the pieces below it: column lookup
(:func:`find_column`), audio-name resolution (:class:`AudioResolver`) and the near-duplicate
rule (:func:`near_duplicates`, :func:`duplicate_notes`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from alpacaspot.errors import AnnotationError
from alpacaspot.io._raven_dedupe import duplicate_notes, near_duplicates
from alpacaspot.io._raven_parse import (
    RavenTable,
    find_column,
    parse_floats,
    parse_int,
    read_raven_text,
)
from alpacaspot.io._raven_resolve import AudioResolver
from alpacaspot.io._raven_write import write_raven
from alpacaspot.io.schemas import EVENTS

__all__ = ["read_raven", "write_raven", "LABEL_COLUMNS", "SCORE_COLUMNS",
           # shared with the corpus readers of alpacaspot.data
           "AudioResolver", "find_column", "near_duplicates", "duplicate_notes"]

SOURCE_COLUMNS = ("_table", "_line")
"""Columns :func:`read_raven_rows` adds: the table file and the 1-based line of each row."""

_log = logging.getLogger(__name__)

LABEL_COLUMNS: tuple[str, ...] = ("Annotation", "Species", "Sound type", "Tags", "Label")
"""Columns searched, in order, for the label when ``label_column`` is not given."""

SCORE_COLUMNS: tuple[str, ...] = ("Score", "Confidence")
"""Columns searched, in order, for a detection score."""

_BEGIN = "Begin Time (s)"
_END = "End Time (s)"
_OFFSETS = ("File Offset (s)", "File Offset")


def _as_paths(paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]]) -> list[Path]:
    if isinstance(paths, (str, os.PathLike)):
        items = [Path(paths)]
    else:
        items = [Path(p) for p in paths]
    out: list[Path] = []
    for p in items:
        if p.is_dir():
            out.extend(sorted(q for q in p.glob("*.txt") if q.is_file()))
        else:
            out.append(p)
    return out


def read_raven(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    label_column: str | None = None,
    audio_root: str | os.PathLike[str] | None = None,
) -> pd.DataFrame:
    """Read Raven selection tables into one events table.

    Parameters
    ----------
    paths : path-like or iterable of path-like
        Selection table files; a folder stands for its ``*.txt`` files (sorted).
    label_column : str, optional
        Column holding the label (matched ignoring case). Default: the first present of
        :data:`LABEL_COLUMNS`; none present gives empty labels.
    audio_root : path-like, optional
        Folder holding the audio. When given, ``recording`` is the audio file's path
        relative to it (POSIX), the audio must exist, and events beyond the audio's end are
        dropped (events running past it are cut at it) with a warning that counts them.

    Returns
    -------
    pandas.DataFrame
        EVENTS table (``recording, begin_s, end_s, low_hz, high_hz, label, quality,
        channel, selection, score``) followed by every other column of the tables (as
        strings), sorted by recording, begin, end, channel and selection. One event per
        selection even when a table repeats it for several views. ``quality`` comes from a
        ``Quality`` column, ``score`` from ``Score`` or ``Confidence``; both are null where
        absent. Selections that repeat those of another table read in the same call (per-file
        tables beside a multi-file table of the same files: same recording, label and
        channel, begin and end within 10 ms, frequency boxes overlapping almost entirely) are
        counted once, with one warning per table that counts them.

    Notes
    -----
    The audio file of a row is its ``Begin File``, else the base name of its ``Begin Path``
    (Windows or POSIX). With a ``File Offset (s)`` (or ``File Offset``) column, the event's
    own-file times are ``begin = offset`` and ``end = offset + (End Time - Begin Time)``;
    otherwise ``Begin Time``/``End Time`` are the file's times. A table without a file
    column belongs to the audio named by its stem: ``X.Table.1.selections.txt``,
    ``X.selections.txt`` and ``X.txt`` give ``X.wav`` or, under ``audio_root``, the one
    audio file named ``X.*`` or else starting with ``X``.

    Raises
    ------
    AnnotationError
        Missing or empty file, missing time columns, non-numeric or negative times, begin
        after end, an unknown ``label_column``, an audio file that cannot be found (or is
        ambiguous) under ``audio_root``; the message names the file and line.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "tape1.Table.1.selections.txt").write_text(
    ...     "Selection\\tView\\tChannel\\tBegin Time (s)\\tEnd Time (s)\\tAnnotation\\n"
    ...     "1\\tWaveform 1\\t1\\t1.5\\t1.8\\thum\\n"
    ...     "1\\tSpectrogram 1\\t1\\t1.5\\t1.8\\thum\\n")
    >>> ev = read_raven(d / "tape1.Table.1.selections.txt")
    >>> ev[["recording", "begin_s", "end_s", "label"]].values.tolist()
    [['tape1.wav', 1.5, 1.8, 'hum']]
    """
    root = None if audio_root is None else Path(audio_root)
    resolver = AudioResolver(root)
    events = read_raven_rows(_as_paths(paths), label_column=label_column, resolver=resolver)
    if len(events) == 0:
        return EVENTS.empty()
    tables = events["_table"].tolist()
    dup_of = near_duplicates(events)
    across = np.array([d >= 0 and tables[d] != tables[i] for i, d in enumerate(dup_of)],
                      dtype=bool)
    if across.any():
        notes = duplicate_notes(tables, np.where(across, dup_of, -1))
        for table, note in notes.items():
            _log.warning("%s: %s", table, note)
        events = events.loc[~across].reset_index(drop=True)
    events = events.drop(columns=list(SOURCE_COLUMNS))
    if root is not None:
        events = _clip_to_audio(events, resolver)
    events = events.sort_values(
        ["recording", "begin_s", "end_s", "channel", "selection"], kind="mergesort"
    ).reset_index(drop=True)
    return EVENTS.validate(events)


def read_raven_rows(
    paths: list[Path], *, label_column: str | None, resolver: AudioResolver
) -> pd.DataFrame:
    """Every selection of ``paths`` in reading order, with its table and line.

    The rows of :func:`read_raven` before de-duplication, clipping and sorting, plus
    :data:`SOURCE_COLUMNS` (``_table``: the table's path as given, ``_line``: 1-based line).
    Extra table columns are strings (empty where a table lacks them).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "t.selections.txt").write_text(
    ...     "Selection\\tBegin Time (s)\\tEnd Time (s)\\n7\\t1.5\\t1.8\\n")
    >>> rows = read_raven_rows([d / "t.selections.txt"], label_column=None,
    ...                        resolver=AudioResolver(None))
    >>> rows[["recording", "selection", "_line"]].values.tolist()
    [['t.wav', 7, 2]]
    """
    frames = [_read_one(path, label_column=label_column, resolver=resolver) for path in paths]
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=[*EVENTS.names, *SOURCE_COLUMNS])
    events = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    for col in events.columns:
        if col not in EVENTS.names and col not in SOURCE_COLUMNS:
            events[col] = events[col].astype(object).where(events[col].notna(), "")
    return events


def _read_one(path: Path, *, label_column: str | None, resolver: AudioResolver) -> pd.DataFrame:
    table = read_raven_text(path)
    begin_col = find_column(table.columns, _BEGIN)
    end_col = find_column(table.columns, _END)
    if begin_col is None or end_col is None:
        raise AnnotationError(
            f"table lacks a '{_BEGIN}' / '{_END}' column (ANIMAL-SPOT's 'Begin time (s)' "
            f"also accepted); got columns {table.columns}",
            path=path,
            line=1,
        )
    if label_column is not None:
        label_col = find_column(table.columns, label_column)
        if label_col is None:
            raise AnnotationError(
                f"label column {label_column!r} not found; columns are {table.columns}",
                path=path,
                line=1,
            )
    else:
        label_col = next(
            (c for c in (find_column(table.columns, n) for n in LABEL_COLUMNS) if c), None
        )
    score_col = next((c for c in (find_column(table.columns, n) for n in SCORE_COLUMNS) if c), None)
    table = _dedupe_views(table)
    n = len(table.rows)
    if n == 0:
        return EVENTS.empty()
    lines = table.lines
    cell = table.column

    begin = parse_floats(cell(begin_col), path, lines, begin_col)
    end = parse_floats(cell(end_col), path, lines, end_col)
    for i in range(n):
        if np.isnan(begin[i]) or np.isnan(end[i]):
            raise AnnotationError(
                f"empty '{begin_col if np.isnan(begin[i]) else end_col}' cell; expected seconds",
                path=path,
                line=lines[i],
            )
        if begin[i] < 0 or end[i] < 0:
            raise AnnotationError(
                f"negative time (begin {begin[i]}, end {end[i]}); expected seconds >= 0",
                path=path,
                line=lines[i],
            )
        if begin[i] > end[i]:
            raise AnnotationError(
                f"begin time {begin[i]} is after end time {end[i]}", path=path, line=lines[i]
            )
    offset_col = next((c for c in (find_column(table.columns, o) for o in _OFFSETS) if c), None)
    if offset_col is not None:
        offsets = parse_floats(cell(offset_col), path, lines, offset_col)
        has = ~np.isnan(offsets)
        if np.any(offsets[has] < 0):
            bad = int(np.flatnonzero(has & (offsets < 0))[0])
            raise AnnotationError(f"negative '{offset_col}'", path=path, line=lines[bad])
        # Where the offset equals Begin Time the table's times are the file's own: keep
        # End Time as written instead of offset + (end - begin), which rounds.
        same = has & (offsets == begin)
        shifted = has & ~same
        end = np.where(shifted, offsets + (end - begin), end)
        begin = np.where(has, offsets, begin)

    recordings = _recordings(table, path, resolver)
    out: dict[str, object] = {
        "recording": recordings,
        "begin_s": begin,
        "end_s": end,
        "low_hz": _floats(table, "Low Freq (Hz)", path),
        "high_hz": _floats(table, "High Freq (Hz)", path),
        "label": [v.strip() for v in cell(label_col)] if label_col else [""] * n,
        "quality": _ints(table, "Quality", path),
        "channel": _ints(table, "Channel", path, default=1),
        "selection": _ints(table, "Selection", path, fallback=range(1, n + 1)),
        "score": _floats(table, score_col, path) if score_col else [None] * n,
    }
    out["_table"] = [str(path)] * n
    out["_line"] = list(lines)
    consumed = {begin_col, end_col, label_col, score_col, offset_col}
    for name in ("Low Freq (Hz)", "High Freq (Hz)", "Quality", "Channel", "Selection"):
        consumed.add(find_column(table.columns, name))
    for col in table.columns:
        if col in consumed:
            continue
        key = col if col not in out and col not in SOURCE_COLUMNS else f"raven_{col}"
        out[key] = list(cell(col))
    return pd.DataFrame(out)


def _dedupe_views(table: RavenTable) -> RavenTable:
    sel = find_column(table.columns, "Selection")
    if sel is None:
        return table
    view = find_column(table.columns, "View")
    file_col = find_column(table.columns, "Begin File")
    keep: dict[tuple[str, str], int] = {}
    sels, files = table.column(sel), table.column(file_col)
    for i in range(len(table.rows)):
        key = (sels[i], files[i])
        if key[0] == "":
            keep[(f"#{i}", "")] = i
        elif key not in keep:
            keep[key] = i
        elif _is_spectrogram(table.cell(i, view)) and not _is_spectrogram(
            table.cell(keep[key], view)
        ):
            keep[key] = i
    chosen = sorted(keep.values())
    return table.subset(chosen)


def _is_spectrogram(view: str) -> bool:
    return view.lower().startswith("spectrogram")


def _recordings(table: RavenTable, path: Path, resolver: AudioResolver) -> list[str]:
    file_col = find_column(table.columns, "Begin File")
    path_col = find_column(table.columns, "Begin Path")
    stem_audio: str | None = None
    out = []
    names, fulls = table.column(file_col), table.column(path_col)
    for i, line in enumerate(table.lines):
        name, full = names[i], fulls[i]
        if not name and full:
            name = full.replace("\\", "/").rsplit("/", 1)[-1]
        if name:
            out.append(resolver.resolve_named(name, full, path, line))
        else:
            if stem_audio is None:
                stem_audio = resolver.resolve_stem(path)
            out.append(stem_audio)
    return out


def _floats(table: RavenTable, name: str, path: Path) -> list[float | None]:
    col = find_column(table.columns, name)
    if col is None:
        return [None] * len(table.rows)
    values = parse_floats(table.column(col), path, table.lines, col)
    return [None if np.isnan(v) else float(v) for v in values]


def _ints(
    table: RavenTable,
    name: str,
    path: Path,
    *,
    default: int | None = None,
    fallback: Iterable[int] | None = None,
) -> list[int | None]:
    col = find_column(table.columns, name)
    if col is None:
        return list(fallback) if fallback is not None else [default] * len(table.rows)
    cells = table.column(col)
    values = parse_floats(cells, path, table.lines, col)
    whole = np.isnan(values) | (values == np.round(values))
    if not whole.all():
        bad = int(np.flatnonzero(~whole)[0])
        parse_int(cells[bad], path, table.lines[bad], col)  # raises with the line
    return [default if np.isnan(v) else int(v) for v in values]


def _clip_to_audio(events: pd.DataFrame, resolver: AudioResolver) -> pd.DataFrame:
    duration = events["recording"].map(resolver.duration).to_numpy(np.float64)
    beyond = events["begin_s"].to_numpy(np.float64) >= duration
    if beyond.any():
        _log.warning(
            "dropped %d of %d events beyond the end of their audio", int(beyond.sum()), len(events)
        )
    events = events.loc[~beyond].reset_index(drop=True)
    duration = duration[~beyond]
    over = events["end_s"].to_numpy(np.float64) > duration
    if over.any():
        _log.warning("cut %d events running past the end of their audio", int(over.sum()))
        events.loc[over, "end_s"] = duration[over]
    return events
