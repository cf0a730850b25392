"""Ground truth for evaluation: read reference events (plus their tapes) from any source.

Accepted sources: an events DataFrame; a corpus folder (``corpus_index.parquet`` with
``corpus_recordings.parquet``, or the seed's ``corpus_index.json``); one of those files; Raven
selection tables (a ``.txt`` file, a list of them, or a folder of them). The result is an
events table with a ``tape`` column, ``recording`` as the audio path relative to the corpus
root (POSIX), and ``attrs["path"]`` naming the source for error messages.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

import pandas as pd

from alpacaspot.errors import CorpusError, SchemaError
from alpacaspot.io.layout import CORPUS_INDEX_FILE, CORPUS_RECORDINGS_FILE, default_tape
from alpacaspot.io.schemas import EVENTS
from alpacaspot.io.tables import read_table

__all__ = ["GroundTruthSource", "load_ground_truth", "default_tape"]

_log = logging.getLogger(__name__)

GroundTruthSource = (
    pd.DataFrame | str | os.PathLike[str] | Sequence[str | os.PathLike[str]]
)




def _with_tapes(events: pd.DataFrame, recordings: pd.DataFrame | None) -> pd.DataFrame:
    events = events.copy()
    tapes = None
    if recordings is not None and {"recording", "tape"} <= set(recordings.columns):
        tapes = dict(zip(recordings["recording"].astype(str), recordings["tape"].astype(str),
                         strict=True))
    if "tape" in events.columns:
        missing = events["tape"].isna()
    else:
        events["tape"] = None
        missing = pd.Series(True, index=events.index)
    if missing.any():
        rec = events.loc[missing, "recording"].astype(str)
        events.loc[missing, "tape"] = [
            (tapes or {}).get(r, default_tape(r)) for r in rec
        ]
    events["tape"] = events["tape"].astype(str).astype(object)
    return events


def _read_corpus_parquet(path: Path) -> pd.DataFrame:
    events = read_table(path, schema=EVENTS)
    rec_path = path.with_name(CORPUS_RECORDINGS_FILE)
    recordings = read_table(rec_path) if rec_path.is_file() else None
    return _known(_with_tapes(events, recordings), recordings)


def _known(events: pd.DataFrame, recordings: pd.DataFrame | None) -> pd.DataFrame:
    """Record the corpus's recordings (with or without events) in ``attrs["recordings"]``."""
    if recordings is not None and "recording" in recordings.columns:
        events.attrs["recordings"] = sorted(recordings["recording"].astype(str))
    return events


def _rel(path_text: str, root: Path) -> str:
    p = Path(path_text)
    if p.is_absolute():
        try:
            return p.relative_to(root).as_posix()
        except ValueError:
            return p.as_posix()
    return PurePosixPath(path_text.replace("\\", "/")).as_posix()


def _entry_event(entry: dict, i: int, root: Path, path: Path) -> dict:
    if not isinstance(entry, dict):
        raise CorpusError(f"entry {i} must be an object, got {type(entry).__name__}", path=path)

    def has(key: str) -> bool:
        return entry.get(key) is not None  # a time of 0.0 is a time, not a missing value

    for rec_key, b_key, e_key in (
        ("recording", "begin_s", "end_s"),
        ("raw_path", "raw_start_s", "raw_end_s"),
        ("clip_path", "clip_start_s", "clip_end_s"),
    ):
        if has(rec_key) and has(b_key) and has(e_key):
            break
    else:
        raise CorpusError(
            f"entry {i} names no recording with times; expected recording/begin_s/end_s, "
            f"raw_path/raw_start_s/raw_end_s or clip_path/clip_start_s/clip_end_s, got "
            f"keys {sorted(entry)}",
            path=path,
        )
    try:
        begin, end = float(entry[b_key]), float(entry[e_key])
    except (TypeError, ValueError):
        raise CorpusError(
            f"entry {i}: {b_key}/{e_key} must be numbers, got {entry[b_key]!r}, {entry[e_key]!r}",
            path=path,
        ) from None
    tape = entry.get("tape", entry.get("tape_key"))
    return {
        "recording": _rel(str(entry[rec_key]), root),
        "begin_s": begin,
        "end_s": end,
        "label": str(entry.get("label") or "hum"),
        "quality": entry.get("quality"),
        "tape": None if tape is None else str(tape),
    }


def _read_corpus_json(path: Path) -> pd.DataFrame:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorpusError(f"not a readable corpus index JSON ({exc})", path=path) from None
    entries = doc.get("entries") if isinstance(doc, dict) else doc
    if not isinstance(entries, list):
        raise CorpusError("corpus index JSON needs a list of 'entries'", path=path)
    rows = [_entry_event(e, i, path.parent, path) for i, e in enumerate(entries)]
    table = pd.DataFrame(rows, columns=["recording", "begin_s", "end_s", "label", "quality",
                                        "tape"])
    try:
        events = EVENTS.validate(table, path=path)
    except SchemaError as exc:
        raise CorpusError(exc.message, path=path) from None
    rec_path = path.with_name(CORPUS_RECORDINGS_FILE)
    recordings = read_table(rec_path) if rec_path.is_file() else None
    return _known(_with_tapes(events, recordings), recordings)


def _read_raven_tables(paths: list[Path], audio_root: str | os.PathLike[str] | None,
                       label_column: str | None) -> pd.DataFrame:
    from alpacaspot.io import read_raven

    events = read_raven(paths, label_column=label_column, audio_root=audio_root)
    return _with_tapes(events, None)


def load_ground_truth(
    source: GroundTruthSource,
    *,
    labels: Sequence[str] | None = None,
    audio_root: str | os.PathLike[str] | None = None,
    label_column: str | None = None,
) -> pd.DataFrame:
    """Read reference events with their tapes.

    Parameters
    ----------
    source : DataFrame, path or list of paths
        An events DataFrame, a corpus folder, ``corpus_index.parquet``, the seed's
        ``corpus_index.json``, or Raven selection tables (files or a folder of ``*.txt``).
    labels : sequence of str, optional
        Keep only events with these labels (e.g. ``("hum",)``).
    audio_root, label_column
        Passed to :func:`alpacaspot.io.read_raven` for Raven tables.

    Returns
    -------
    pandas.DataFrame
        An events table plus ``tape`` (where no corpus table names it:
        :func:`~alpacaspot.io.layout.default_tape`); ``attrs["path"]`` names the source file
        or folder;
        from a corpus, ``attrs["recordings"]`` lists every recording (also those without
        events), so predictions there are false positives and not a naming mistake.

    Raises
    ------
    CorpusError
        When the source does not exist or is not a known ground-truth format.

    Examples
    --------
    >>> import pandas as pd
    >>> gt = load_ground_truth(pd.DataFrame({"recording": ["t/a.wav"], "begin_s": [0.0],
    ...                                      "end_s": [0.3], "label": ["hum"]}))
    >>> gt[["recording", "tape"]].values.tolist()
    [['t/a.wav', 't']]
    """
    origin: str | None = None
    if isinstance(source, pd.DataFrame):
        events = _with_tapes(EVENTS.validate(source, path=source.attrs.get("path")), None)
        origin = source.attrs.get("path")
    elif isinstance(source, (str, os.PathLike)):
        path = Path(source)
        origin = str(path)
        if path.is_dir():
            if (path / CORPUS_INDEX_FILE).is_file():
                events = _read_corpus_parquet(path / CORPUS_INDEX_FILE)
            elif (path / "corpus_index.json").is_file():
                events = _read_corpus_json(path / "corpus_index.json")
            else:
                tables = sorted(path.rglob("*.txt"))
                if not tables:
                    raise CorpusError(
                        "folder holds no corpus_index.parquet, corpus_index.json or Raven "
                        "*.txt tables", path=path)
                events = _read_raven_tables(tables, audio_root, label_column)
        elif not path.is_file():
            raise CorpusError("ground-truth file does not exist", path=path)
        elif path.suffix == ".parquet":
            events = _read_corpus_parquet(path)
        elif path.suffix == ".json":
            events = _read_corpus_json(path)
        else:
            events = _read_raven_tables([path], audio_root, label_column)
    else:
        paths = [Path(p) for p in source]
        origin = ", ".join(str(p) for p in paths[:3]) + (" ..." if len(paths) > 3 else "")
        events = _read_raven_tables(paths, audio_root, label_column)
    known = events.attrs.get("recordings")
    if labels is not None:
        events = events[events["label"].astype(str).isin([str(x) for x in labels])]
    elif events["label"].nunique() > 1:
        _log.warning("ground truth holds labels %s; all are evaluated (pass labels= to "
                     "choose the target)", sorted(events["label"].astype(str).unique()))
    events = events.sort_values(["recording", "begin_s", "end_s"], kind="stable")
    events = events.reset_index(drop=True)
    events.attrs["path"] = origin
    if known is not None:
        events.attrs["recordings"] = known
    return events
