"""The ``raven`` corpus layout: audio files with Raven selection tables beside them.

A recording ``<dir>/<stem>.wav`` is annotated by ``<dir>/<stem>.selections.txt`` or
``<dir>/<stem>.Table.<n>.selections.txt`` (several such tables are concatenated). Any other
``*.selections.txt`` is read as a multi-file table whose ``Begin Path``/``Begin File`` column
names the audio (relative to the corpus root).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from alpacaspot.data._issues import _Issues
from alpacaspot.errors import AlpacaspotError

AUDIO_SUFFIXES = (".wav", ".flac")
_TABLE = re.compile(r"^(?P<stem>.+?)(\.Table\.[0-9]+)?\.selections\.txt$", re.IGNORECASE)


def _skip(rel: Path) -> bool:
    return any(p.startswith(("dataset_", ".")) for p in rel.parts[:-1]) or rel.name.startswith(".")


def list_files(root: Path) -> tuple[list[Path], list[Path]]:
    """Audio files and selection tables under ``root`` (sorted, dataset folders skipped)."""
    audio, tables = [], []
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root)
        if not p.is_file() or _skip(rel):
            continue
        if p.suffix.lower() in AUDIO_SUFFIXES:
            audio.append(p)
        elif p.name.lower().endswith(".selections.txt"):
            tables.append(p)
    return audio, tables


def read_raven_layout(
    root: Path, audio: list[Path], tables: list[Path], issues: _Issues, label_column: str | None
) -> tuple[list[str], pd.DataFrame]:
    """Recordings (relative POSIX paths, sorted) that have annotations, and their events."""
    from alpacaspot.io import read_raven

    by_stem: dict[tuple[Path, str], Path] = {(a.parent, a.stem): a for a in audio}
    rel_of = {a: a.relative_to(root).as_posix() for a in audio}
    frames: list[pd.DataFrame] = []
    annotated: set[str] = set()
    broken: set[str] = set()
    for table in tables:
        m = _TABLE.match(table.name)
        target = by_stem.get((table.parent, m.group("stem"))) if m else None
        if target is not None:
            try:
                ev = read_raven([table], label_column=label_column)
            except AlpacaspotError as exc:
                issues.report(f"malformed selection table ({exc.message}); its recording "
                              f"{rel_of[target]} is excluded", path=table, line=exc.line,
                              error=type(exc))
                broken.add(rel_of[target])
                continue
            ev = ev.assign(recording=rel_of[target])
            annotated.add(rel_of[target])
            frames.append(ev)
            continue
        try:
            ev = read_raven([table], label_column=label_column, audio_root=root)
        except AlpacaspotError as exc:
            issues.report(f"table matches no audio file and names none ({exc.message})",
                          path=table)
            continue
        known = set(rel_of.values())
        for row, rec in enumerate(ev["recording"].tolist()):
            if rec not in known:
                issues.report(f"table names audio {rec!r} that is not in the corpus",
                              path=table, line=row)
        ev = ev[ev["recording"].isin(known)]
        annotated.update(ev["recording"].tolist())
        frames.append(ev)
    recordings = []
    for a in audio:
        rel = rel_of[a]
        if rel in annotated:
            recordings.append(rel)
        elif rel not in broken:
            issues.report("audio file has no selection table "
                          f"(expected {a.stem}.selections.txt or {a.stem}.Table.1.selections.txt)",
                          path=a)
    events = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return recordings, events
