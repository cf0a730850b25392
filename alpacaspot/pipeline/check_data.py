"""Pre-run checks of the data: a corpus index against its audio, and dataset variants.

Used by :func:`alpacaspot.pipeline.check`; every function adds problems to a collector and
raises nothing for bad input (a raised :class:`~alpacaspot.errors.AlpacaspotError` is turned
into one problem by the caller's guard). Nothing here imports torch.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pandas as pd
from tqdm import tqdm

from alpacaspot.io.layout import AUDIO_SUFFIXES, CORPUS_INDEX_FILE, CORPUS_RECORDINGS_FILE
from alpacaspot.io.schemas import CLIPS, EVENTS, RECORDINGS
from alpacaspot.io.tables import read_table
from alpacaspot.pipeline.problems import Collector

__all__ = ["AUDIO_SUFFIXES", "check_corpus", "check_dataset", "corpus_duration_s"]

_log = logging.getLogger(__name__)

_SPLITS = ("train", "val", "test")
_CLASSES = ("target", "noise")
_MAX_LISTED = 5  # example paths named in one problem
_TIME_TOLERANCE_S = 1e-3


def _examples(items: list[str]) -> str:
    shown = ", ".join(items[:_MAX_LISTED])
    more = len(items) - _MAX_LISTED
    return shown + (f" and {more} more" if more > 0 else "")


def _rebuild_hint(corpus: Path) -> str:
    return (
        f"rebuild the index with alpacaspot.data.build_corpus_index({os.fspath(corpus)!r}).save() "
        "or restore the audio files"
    )


def _is_derived(folder: str) -> bool:
    """Folders holding audio cut from the recordings: datasets, and the alpaca layout's
    annotated clips and per-hum files."""
    return (folder.startswith(("dataset_", ".")) or "labelled_recordings" in folder
            or "segmented" in folder)


def corpus_files(corpus: Path) -> list[Path]:
    """The files a corpus is made of (audio, annotation tables, notes), sorted.

    Skips derived-audio folders (datasets, the alpaca layout's cut clips) and hidden files
    and folders; the index files are included.

    Examples
    --------
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> for f in ("T1/a.wav", "T1/a.txt", "dataset_calls/x.wav", ".hidden/y.wav"):
    ...     (root / f).parent.mkdir(parents=True, exist_ok=True); (root / f).touch()
    >>> [p.relative_to(root).as_posix() for p in corpus_files(root)]
    ['T1/a.txt', 'T1/a.wav']
    """
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(corpus):
        top = Path(dirpath) == corpus
        dirnames[:] = sorted(d for d in dirnames if not (top and _is_derived(d))
                             and not d.startswith("."))
        found += [Path(dirpath, name) for name in sorted(filenames) if not name.startswith(".")]
    return found


def audio_on_disk(corpus: Path) -> list[str]:
    """Audio files under ``corpus`` (POSIX, relative), skipping derived-audio folders.

    Examples
    --------
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> (root / "T1").mkdir(); (root / "T1" / "a.wav").touch(); (root / "T1" / "a.txt").touch()
    >>> audio_on_disk(root)
    ['T1/a.wav']
    """
    return [p.relative_to(corpus).as_posix() for p in corpus_files(corpus)
            if p.suffix.lower() in AUDIO_SUFFIXES]


def check_corpus(
    sink: Collector, stage: str, corpus: str | os.PathLike[str]
) -> pd.DataFrame | None:
    """Check a corpus index against the audio on disk.

    Reports a missing or unreadable ``corpus_recordings.parquet`` / ``corpus_index.parquet``,
    events naming recordings the index lacks or lying outside their audio, audio files that
    are missing or changed (size and mtime where the index recorded them, else the header's
    sample rate, channels and frames), and (as warnings) audio on disk the index does not
    list and a missing seed-compatible ``corpus_index.json``.

    Parameters
    ----------
    sink : collector
        Receives the problems (``sink.add(stage, path, message, hint, severity=...)``).
    stage : str
        Stage name put on every problem.
    corpus : path-like
        The corpus root.

    Returns
    -------
    pandas.DataFrame or None
        The recordings table when it could be read.

    Examples
    --------
    >>> from alpacaspot.pipeline.problems import Collector
    >>> sink = Collector()
    >>> check_corpus(sink, "benchmark", "/nonexistent/corpus")
    >>> sink.problems[0].message
    'corpus folder does not exist'
    """
    from alpacaspot.io.audio import audio_info

    root = Path(corpus)
    if not root.is_dir():
        sink.add(stage, root, "corpus folder does not exist",
                 "check the corpus path in the variants file or the factory call")
        return None
    rec_path = root / CORPUS_RECORDINGS_FILE
    ev_path = root / CORPUS_INDEX_FILE
    for p in (rec_path, ev_path):
        if not p.is_file():
            sink.add(stage, p, "corpus index file is missing", _rebuild_hint(root))
    if not (root / "corpus_index.json").is_file():
        sink.add(stage, root / "corpus_index.json",
                 "seed-compatible corpus_index.json is missing", _rebuild_hint(root),
                 severity="warning")
    if not rec_path.is_file():
        return None
    recordings = read_table(rec_path, schema=RECORDINGS)
    if len(recordings) == 0:
        sink.add(stage, rec_path, "corpus index lists no recordings", _rebuild_hint(root))
    dup = recordings["recording"][recordings["recording"].duplicated()].tolist()
    if dup:
        sink.add(stage, rec_path, f"recordings listed twice: {_examples(sorted(set(dup)))}",
                 _rebuild_hint(root))
    _check_audio_files(sink, stage, root, rec_path, recordings, audio_info)
    if ev_path.is_file():
        _check_events(sink, stage, root, ev_path, recordings)
    listed = set(recordings["recording"])
    extra = [r for r in audio_on_disk(root) if r not in listed]
    if extra:
        sink.add(stage, root,
                 f"{len(extra)} audio file(s) on disk are not in the corpus index "
                 f"({len(listed)} indexed): {_examples(extra)}",
                 _rebuild_hint(root) + " if they belong to the corpus", severity="warning")
    return recordings


def _check_audio_files(
    sink: Collector,
    stage: str,
    root: Path,
    rec_path: Path,
    recordings: pd.DataFrame,
    audio_info: object,
) -> None:
    missing: list[str] = []
    changed: list[str] = []
    has_size = "size_bytes" in recordings.columns
    has_mtime = "mtime_ns" in recordings.columns
    rows = tqdm(recordings.itertuples(index=False), total=len(recordings), disable=None,
                desc=f"check {root.name}", unit="file", leave=False)
    for row in rows:
        rel = str(row.recording)
        path = root / rel
        if not path.is_file():
            missing.append(rel)
            continue
        st = path.stat()
        if has_size and not pd.isna(row.size_bytes) and int(row.size_bytes) != st.st_size:
            changed.append(f"{rel} (size {st.st_size} B, indexed {int(row.size_bytes)} B)")
            continue
        if has_mtime and not pd.isna(row.mtime_ns) and int(row.mtime_ns) != st.st_mtime_ns:
            changed.append(f"{rel} (modified after indexing)")
            continue
        if not has_size:
            info = audio_info(path)  # type: ignore[operator]
            got = (info.sample_rate, info.channels, info.frames)
            want = (int(row.sample_rate), int(row.channels), int(row.frames))
            if got != want:
                changed.append(f"{rel} (sr/channels/frames {got}, indexed {want})")
    if missing:
        sink.add(stage, rec_path,
                 f"{len(missing)} of {len(recordings)} indexed audio file(s) are missing: "
                 f"{_examples(missing)}", _rebuild_hint(root))
    if changed:
        sink.add(stage, rec_path,
                 f"{len(changed)} audio file(s) changed since indexing: {_examples(changed)}",
                 _rebuild_hint(root))


def _check_events(
    sink: Collector, stage: str, root: Path, ev_path: Path, recordings: pd.DataFrame
) -> None:
    events = read_table(ev_path, schema=EVENTS)
    known = set(recordings["recording"])
    unknown = sorted(set(events["recording"]) - known)
    if unknown:
        sink.add(stage, ev_path,
                 f"events name {len(unknown)} recording(s) missing from "
                 f"corpus_recordings.parquet: {_examples(unknown)}", _rebuild_hint(root))
    bad_order = events.index[events["end_s"] <= events["begin_s"]].tolist()
    if bad_order:
        sink.add(stage, ev_path,
                 f"{len(bad_order)} event(s) end before they begin (rows "
                 f"{_examples([str(i) for i in bad_order])})", _rebuild_hint(root))
    durations = recordings.drop_duplicates("recording").set_index("recording")["duration_s"]
    dur = events["recording"].map(durations)
    outside = events.index[
        dur.notna() & (events["end_s"] > dur + _TIME_TOLERANCE_S)
    ].tolist()
    if outside:
        sink.add(stage, ev_path,
                 f"{len(outside)} event(s) end after their recording's audio (rows "
                 f"{_examples([str(i) for i in outside])})", _rebuild_hint(root))


def corpus_duration_s(corpus: str | os.PathLike[str]) -> float:
    """Total audio duration of a corpus from its index (0.0 when the index is unreadable).

    Examples
    --------
    >>> corpus_duration_s("/nonexistent")
    0.0
    """
    path = Path(corpus) / CORPUS_RECORDINGS_FILE
    if not path.is_file():
        return 0.0
    try:
        table = read_table(path, columns=["duration_s"])
    except Exception:  # noqa: BLE001 - an estimate only; check_corpus reports the cause
        return 0.0
    return float(pd.to_numeric(table["duration_s"], errors="coerce").fillna(0.0).sum())


def check_dataset(sink: Collector, stage: str, dataset: str | os.PathLike[str]) -> None:
    """Check a dataset variant: non-empty splits, both classes, split lists and clip files.

    Parameters
    ----------
    sink : collector
        Receives the problems.
    stage : str
        Stage name put on every problem.
    dataset : path-like
        The dataset variant folder (``<corpus>/dataset_<variant>``).

    Examples
    --------
    >>> from alpacaspot.pipeline.problems import Collector
    >>> sink = Collector()
    >>> check_dataset(sink, "train", "/nonexistent/dataset_x")
    >>> sink.problems[0].message
    'dataset variant folder does not exist'
    """
    root = Path(dataset)
    hint = (f"prepare the dataset with alpacaspot.data.prepare_datasets for the corpus "
            f"{os.fspath(root.parent)!r}")
    if not root.is_dir():
        sink.add(stage, root, "dataset variant folder does not exist", hint)
        return
    index_path = root / "variant_index.parquet"
    if not index_path.is_file():
        sink.add(stage, index_path, "dataset variant index is missing", hint)
        return
    clips = read_table(index_path, schema=CLIPS)
    bad_split = sorted(set(clips["split"]) - set(_SPLITS))
    if bad_split:
        sink.add(stage, index_path, f"unknown split value(s) {bad_split}; expected {_SPLITS}",
                 hint)
    bad_class = sorted(set(clips["class"]) - set(_CLASSES))
    if bad_class:
        sink.add(stage, index_path,
                 f"unknown class value(s) {bad_class}; expected {_CLASSES}", hint)
    for split in _SPLITS:
        part = clips[clips["split"] == split]
        if len(part) == 0:
            sink.add(stage, index_path, f"split '{split}' is empty",
                     hint + " with more tapes or other split fractions")
            continue
        absent = [c for c in _CLASSES if not (part["class"] == c).any()]
        if absent:
            sink.add(stage, index_path,
                     f"split '{split}' has no clip of class {absent} "
                     f"({len(part)} clips)", hint + " so that every split holds both classes")
        _check_split_list(sink, stage, root / f"{split}.csv", part, hint)
    missing = [c for c in sorted(clips["clip"]) if not (root / c).is_file()]
    if missing:
        sink.add(stage, root,
                 f"{len(missing)} of {len(clips)} clip file(s) are missing: "
                 f"{_examples(missing)}", hint)


def _check_split_list(
    sink: Collector, stage: str, list_path: Path, part: pd.DataFrame, hint: str
) -> None:
    if not list_path.is_file():
        sink.add(stage, list_path, "split list is missing", hint)
        return
    listed = {
        line.strip()
        for line in list_path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    }
    names = {Path(c).name for c in part["clip"]}
    if listed != names:
        only_list = sorted(listed - names)
        only_index = sorted(names - listed)
        detail = []
        if only_list:
            detail.append(f"{len(only_list)} only in the list ({_examples(only_list)})")
        if only_index:
            detail.append(f"{len(only_index)} only in variant_index.parquet "
                          f"({_examples(only_index)})")
        sink.add(stage, list_path,
                 "split list and variant_index.parquet disagree: " + "; ".join(detail), hint)
