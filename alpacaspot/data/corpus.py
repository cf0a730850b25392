"""The corpus index: every recording of an annotated corpus and every annotated event.

A corpus folder is read in one of two layouts (``raven``: audio with Raven tables beside it;
``alpaca``: the fork's raw/labelled/segmented folders) into two tables that join on
``recording`` (the audio path relative to the corpus root, POSIX):

- ``Corpus.recordings``: the RECORDINGS schema (``recording, tape, year, sample_rate, ...``),
- ``Corpus.events``: the EVENTS schema plus ``tape`` and ``year``,

and, for layouts where only parts of the audio were annotated, ``Corpus.regions``
(``recording, begin_s, end_s, clip``). ``Corpus.save()`` writes ``corpus_index.parquet``,
``corpus_recordings.parquet`` (``corpus_regions.parquet``) and the seed-compatible
``corpus_index.json``; user files are never renamed or modified.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from alpacaspot._atomic import atomic_write_text
from alpacaspot.data._alpaca_layout import alpaca_tape, is_alpaca_layout, read_alpaca_layout
from alpacaspot.data._event_checks import check_events
from alpacaspot.data._finite import first_nonfinite
from alpacaspot.data._issues import Issues
from alpacaspot.data._naming import clean_field, year_from_name
from alpacaspot.data._raven_layout import list_files, read_raven_layout
from alpacaspot.errors import AlpacaspotError, AudioError, ConfigError, CorpusError
from alpacaspot.io.layout import (
    AUDIO_SUFFIXES,
    CORPUS_INDEX_FILE,
    CORPUS_RECORDINGS_FILE,
    default_tape,
)
from alpacaspot.io.schemas import EVENTS, RECORDINGS
from alpacaspot.io.tables import read_table, write_table

__all__ = ["Corpus", "build_corpus_index", "INDEX_FILE", "RECORDINGS_FILE", "REGIONS_FILE"]

_log = logging.getLogger(__name__)
INDEX_FILE = CORPUS_INDEX_FILE
RECORDINGS_FILE = CORPUS_RECORDINGS_FILE
REGIONS_FILE = "corpus_regions.parquet"
_JSON_FILE = "corpus_index.json"
_LAYOUTS = ("auto", "raven", "alpaca")

TapeFn = Callable[[str], "tuple[str, int | None]"]


@dataclass
class Corpus:
    """An indexed corpus.

    Attributes
    ----------
    root : pathlib.Path
        Corpus folder.
    recordings : pandas.DataFrame
        RECORDINGS table, sorted by ``recording``.
    events : pandas.DataFrame
        EVENTS table plus ``tape`` (str) and ``year`` (nullable int), sorted by recording
        and onset.
    regions : pandas.DataFrame or None
        Annotated spans (``recording, begin_s, end_s, clip``) when only parts of the audio
        were annotated; None means every recording was annotated whole.
    layout : str
        ``raven`` or ``alpaca``.
    warnings : list of str
        Problems counted instead of raised (``strict=False``).

    Examples
    --------
    >>> import tempfile
    >>> from alpacaspot.data import make_synthetic_corpus
    >>> root = make_synthetic_corpus(tempfile.mkdtemp(), n_tapes=1, minutes_per_tape=0.2,
    ...                              seed=0, sr=16000)
    >>> corpus = build_corpus_index(root)
    >>> corpus.save(); Corpus.load(root).recordings["tape"].tolist()
    ['T01']
    """

    root: Path
    recordings: pd.DataFrame
    events: pd.DataFrame
    regions: pd.DataFrame | None = None
    layout: str = "raven"
    warnings: list[str] = field(default_factory=list)

    def save(self) -> None:
        """Write the index files (atomically) into :attr:`root`."""
        write_table(self.events, self.root / INDEX_FILE, schema=EVENTS)
        write_table(self.recordings, self.root / RECORDINGS_FILE, schema=RECORDINGS)
        if self.regions is not None:
            write_table(self.regions, self.root / REGIONS_FILE)
        elif (self.root / REGIONS_FILE).exists():
            (self.root / REGIONS_FILE).unlink()
        atomic_write_text(self.root / _JSON_FILE, json.dumps(self._json_view(), indent=2) + "\n")

    @classmethod
    def load(cls, root: str | os.PathLike[str]) -> Corpus:
        """Read a saved index from ``root``.

        Raises
        ------
        CorpusError
            When ``corpus_index.parquet`` or ``corpus_recordings.parquet`` is missing.
        """
        r = Path(root)
        for name in (INDEX_FILE, RECORDINGS_FILE):
            if not (r / name).is_file():
                raise CorpusError(f"no {name}: build the index with build_corpus_index()",
                                  path=r / name)
        events = read_table(r / INDEX_FILE, schema=EVENTS)
        recordings = read_table(r / RECORDINGS_FILE, schema=RECORDINGS)
        regions = read_table(r / REGIONS_FILE) if (r / REGIONS_FILE).is_file() else None
        return cls(r, recordings, events, regions, layout="alpaca" if regions is not None
                   else "raven")

    def _json_view(self) -> dict[str, object]:
        ev = self.events
        entries = []
        for i, row in enumerate(ev.itertuples(index=False)):
            clip = getattr(row, "clip", None) if "clip" in ev.columns else None
            reg_b, reg_e = 0.0, None
            if clip is not None and self.regions is not None and isinstance(clip, str):
                reg = self.regions[self.regions["clip"] == clip].iloc[0]
                reg_b, reg_e = float(reg["begin_s"]), float(reg["end_s"])
            q = row.quality
            entries.append({
                "uid": f"{i:06d}",
                "corpus_name": self.root.name,
                "label": row.label,
                "hum_path": getattr(row, "hum_path", None) if "hum_path" in ev.columns else None,
                "clip_path": clip if isinstance(clip, str) else row.recording,
                "raw_path": row.recording,
                "quality": None if pd.isna(q) else int(q),
                "dur_s": round(row.end_s - row.begin_s, 6),
                "clip_dur_s": None if reg_e is None else round(reg_e - reg_b, 6),
                "clip_start_s": round(row.begin_s - reg_b, 6),
                "clip_end_s": round(row.end_s - reg_b, 6),
                "raw_start_s": round(row.begin_s, 6),
                "raw_end_s": round(row.end_s, 6),
                "clip_uid": clip if isinstance(clip, str) else row.recording,
                "raw_uid": row.recording,
                "tape": row.tape,
                "year": None if pd.isna(row.year) else int(row.year),
            })
        labels = ev["label"].value_counts().sort_index()
        quality = ev.loc[ev["quality"].notna(), "quality"].astype(int).value_counts().sort_index()
        return {
            "meta": {"corpus_name": self.root.name, "layout": self.layout,
                     "n_recordings": len(self.recordings), "n_events": len(ev),
                     "duration_s": round(float(self.recordings["duration_s"].sum()), 3)},
            "distribution": {"labels": {str(k): int(v) for k, v in labels.items()},
                             "quality": {f"Q{k}": int(v) for k, v in quality.items()}},
            "entries": entries,
        }


def build_corpus_index(
    root: str | os.PathLike[str],
    *,
    layout: str = "auto",
    strict: bool = True,
    tape_fn: TapeFn | None = None,
    clip_time_unit: str | None = None,
    label_column: str | None = None,
    progress: bool | None = None,
) -> Corpus:
    """Index an annotated corpus folder (nothing is written; call :meth:`Corpus.save`).

    Parameters
    ----------
    root : path-like
        Corpus folder.
    layout : {"auto", "raven", "alpaca"}
        ``auto`` picks ``alpaca`` when ``raw_recordings/`` and a ``*segmented*`` folder exist,
        else ``raven``.
    strict : bool, default True
        Raise at the end on every problem found (unreadable audio, audio with NaN or infinite
        samples, audio without a table, a table naming no audio of the corpus, selections
        naming missing audio, selections ending after their audio: one problem per table).
        With False each problem is logged, recorded in ``Corpus.warnings`` and the offending
        item skipped. Near-identical duplicate selections (same recording, label and
        channel, begin and end within 10 ms, frequency boxes overlapping almost entirely, in
        one table or across tables) are dropped in both modes with one warning per table
        (also in ``Corpus.warnings``); overlapping calls of one label are kept.
    tape_fn : callable, optional
        ``tape_fn(recording) -> (tape, year)`` for the relative recording path; the default
        takes the tape from the layout (raven: :func:`alpacaspot.io.layout.default_tape`, the
        first folder, else the file stem; alpaca: ``<animal>-<YYYYMMDD>``) and the year from
        a ``YYYYMMDD`` date in the file name.
    clip_time_unit : {"s", "min"}, optional
        Unit of the clip-name times of the ``alpaca`` layout (required there unless
        ``corpus_layout.json`` states it).
    label_column : str, optional
        Raven column holding the label (default: the reader's choice, e.g. ``Annotation``).
    progress : bool, optional
        Progress bar (None: only on a terminal).

    Returns
    -------
    Corpus

    Examples
    --------
    >>> import tempfile
    >>> from alpacaspot.data import make_synthetic_corpus
    >>> root = make_synthetic_corpus(tempfile.mkdtemp(), n_tapes=2, minutes_per_tape=0.2,
    ...                              seed=1, sr=16000)
    >>> build_corpus_index(root).recordings["recording"].str.split("/").str[0].tolist()
    ['T01', 'T02']
    """
    r = Path(root)
    if not r.is_dir():
        raise CorpusError("corpus folder does not exist", path=r)
    if layout not in _LAYOUTS:
        raise ConfigError(f"layout must be one of {_LAYOUTS}, got {layout!r}")
    if layout == "auto":
        layout = "alpaca" if is_alpaca_layout(r) else "raven"
    issues = Issues(strict)
    regions = None
    if layout == "raven":
        audio, tables = list_files(r)
        if not audio:
            raise CorpusError(f"corpus holds no audio file ({', '.join(sorted(AUDIO_SUFFIXES))})",
                              path=r)
        recs, events = read_raven_layout(r, audio, tables, issues, label_column)
    else:
        recs, events, regions = read_alpaca_layout(r, issues, clip_time_unit)
    rows = []
    for rec in tqdm(recs, desc="audio headers", disable=None if progress is None
                    else not progress, unit="file"):
        from alpacaspot.io import audio_info

        try:
            info = audio_info(r / rec)
            bad = first_nonfinite(r / rec, info.subtype)
        except AlpacaspotError as exc:
            issues.report(f"unreadable audio ({exc.message})", path=r / rec, error=AudioError)
            continue
        except (OSError, RuntimeError) as exc:  # soundfile's errors while reading samples
            issues.report(f"unreadable audio samples ({exc})", path=r / rec, error=AudioError)
            continue
        if bad is not None:
            issues.report(f"audio holds a NaN or infinite sample (first at frame {bad[0]}, "
                          f"channel {bad[1] + 1}); expected finite samples: repair or "
                          "re-export the file", path=r / rec, error=AudioError)
            continue
        if tape_fn is not None:
            tape, year = tape_fn(rec)
            tape = clean_field(str(tape))
        elif layout == "alpaca":
            tape, year = alpaca_tape(Path(rec).name)
        else:
            tape, year = default_tape(rec), year_from_name(rec)
        rows.append(dict(recording=rec, tape=tape, year=year, sample_rate=info.sample_rate,
                         channels=info.channels, frames=info.frames, duration_s=info.duration_s))
    recordings = RECORDINGS.validate(pd.DataFrame(rows, columns=RECORDINGS.names))
    events = EVENTS.validate(events if len(events) else EVENTS.empty())
    events = events[events["recording"].isin(set(recordings["recording"]))]
    durations = dict(zip(recordings["recording"], recordings["duration_s"], strict=False))
    events = check_events(events, durations, r, issues)
    events = events.sort_values(["recording", "begin_s", "end_s", "label"], kind="stable")
    events = events.reset_index(drop=True)
    meta = recordings.set_index("recording")
    events["tape"] = events["recording"].map(meta["tape"]).astype(object)
    events["year"] = events["recording"].map(meta["year"]).astype("Int64")
    events["selection"] = pd.array(np.arange(1, len(events) + 1), dtype="Int64")
    events = events[[c for c in [*EVENTS.names, "tape", "year", "clip", "hum_path"]
                     if c in events.columns]]
    if regions is not None and len(regions):
        regions = regions[regions["recording"].isin(durations)]
        late = regions["end_s"].to_numpy() > regions["recording"].map(durations).to_numpy() + 1e-3
        for reg in regions[late].itertuples(index=False):
            issues.report(f"labelled clip {reg.begin_s:.3f}-{reg.end_s:.3f} s ends after the "
                          f"audio ({durations[reg.recording]:.3f} s)", path=r / str(reg.clip))
        regions = regions[~late]
        regions = regions.sort_values(["recording", "begin_s"], kind="stable")
        regions = regions.reset_index(drop=True)
    issues.raise_if_strict(r)
    _log.info("corpus %s: %d recordings, %d events, %d warnings", r, len(recordings),
              len(events), len(issues.items))
    return Corpus(r, recordings, EVENTS.validate(events), regions, layout, issues.items)
