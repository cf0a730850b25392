"""The ``raven`` corpus layout: audio files and the Raven selection tables that annotate them.

Every ``*.txt`` file whose header holds a ``Begin Time (s)`` column is a selection table,
whatever its name (``X.Table.1.selections.txt``, ``LBH multiple selection table.txt``). A row
belongs to the audio its ``Begin File`` / ``Begin Path`` cell names (found anywhere in the
corpus); a table without those columns belongs to the audio its name starts with
(``X.Table.1.selections.txt`` -> ``X.wav``, or the one audio file whose name starts with ``X``),
looked up in the table's own folder first. A table naming no audio of the corpus, and rows
naming absent audio, are reported problems. Other ``.txt`` files (notes, descriptions) are
not tables and are skipped.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from alpacaspot.data._issues import Issues
from alpacaspot.errors import AlpacaspotError
from alpacaspot.io.layout import AUDIO_SUFFIXES
from alpacaspot.io.raven import AudioResolver, find_column, read_raven_rows

_BEGIN_COLUMNS = ("Begin Time (s)",)
_FILE_COLUMNS = ("Begin File", "Begin Path")


def _skip(rel: Path) -> bool:
    return any(p.startswith(("dataset_", ".")) for p in rel.parts[:-1]) or rel.name.startswith(".")


def _header(path: Path) -> list[str]:
    """Column names of a text file's first non-empty line (empty when unreadable)."""
    try:
        with open(path, "rb") as fh:
            for raw in fh:
                text = raw.decode("utf-8-sig", errors="replace").strip("\r\n")
                if text.strip():
                    return [c.strip() for c in text.split("\t")]
    except OSError:
        return []
    return []


def is_selection_table(path: Path) -> bool:
    """True when ``path``'s header names a ``Begin Time (s)`` column (any spelling of case)."""
    cols = _header(path)
    return len(cols) > 1 and any(find_column(cols, c) for c in _BEGIN_COLUMNS)


def list_files(root: Path) -> tuple[list[Path], list[Path]]:
    """Audio files and selection tables under ``root`` (sorted, dataset folders skipped)."""
    audio, tables = [], []
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root)
        if not p.is_file() or _skip(rel):
            continue
        if p.suffix.lower() in AUDIO_SUFFIXES:
            audio.append(p)
        elif p.suffix.lower() == ".txt" and is_selection_table(p):
            tables.append(p)
    return audio, tables


def _names_files(path: Path) -> bool:
    cols = _header(path)
    return any(find_column(cols, c) for c in _FILE_COLUMNS)


def read_raven_layout(
    root: Path, audio: list[Path], tables: list[Path], issues: Issues, label_column: str | None
) -> tuple[list[str], pd.DataFrame]:
    """Recordings (relative POSIX paths, sorted) that have annotations, and their events.

    The events keep ``_table`` and ``_line`` (where each row was read) for messages.
    """
    rel_of = {a: a.relative_to(root).as_posix() for a in audio}
    resolver = AudioResolver(root, files=list(rel_of.values()), collect_missing=True)
    frames: list[pd.DataFrame] = []
    annotated: set[str] = set()
    broken: set[str] = set()
    for table in tables:
        multi = _names_files(table)
        try:
            target = None if multi else resolver.resolve_stem(table)
        except AlpacaspotError as exc:
            issues.report(f"selection table names no audio file of the corpus ({exc.message})",
                          path=table)
            continue
        before = len(resolver.missing)
        try:
            ev = read_raven_rows([table], label_column=label_column, resolver=resolver)
        except AlpacaspotError as exc:
            excluded = f"; its recording {target} is excluded" if target else ""
            issues.report(f"malformed selection table ({exc.message}){excluded}", path=table,
                          line=exc.line, error=type(exc))
            if target:
                broken.add(target)
            continue
        missing = resolver.missing[before:]
        if missing:
            names = sorted({name for _, _, name in missing})
            shown = ", ".join(f"{n!r}" for n in names[:5]) + (" ..." if len(names) > 5 else "")
            issues.report(f"{len(missing)} selection(s) name audio that is not in the corpus "
                          f"({len(names)} file(s): {shown}; first at line {missing[0][1]}); "
                          "they are excluded", path=table, line=missing[0][1])
            ev = ev[ev["recording"] != ""]
        if target is not None:
            annotated.add(target)
        elif not missing and ev.empty:
            issues.report("multi-file selection table holds no selection", path=table)
        annotated.update(ev["recording"].tolist())
        if len(ev):
            frames.append(ev)
    recordings = []
    for a in audio:
        rel = rel_of[a]
        if rel in annotated:
            recordings.append(rel)
        elif rel not in broken:
            issues.report("audio file has no selection table (expected "
                          f"{a.stem}.Table.1.selections.txt beside it, or a table naming it in "
                          "'Begin File')", path=a)
    events = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return recordings, events
