"""Training datasets for ANIMAL-SPOT-style models, one folder per dataset strategy.

For each active strategy, ``<corpus>/dataset_<name>/`` (or ``<dataset_root>/dataset_<name>/``)
receives:

- flat clip WAVs named ``CLASS-LABELINFO_ID_YEAR_TAPE_STARTMS_ENDMS.wav`` (real year and tape;
  ``0000`` for a recording without a date in its name),
- ``train.csv``, ``val.csv``, ``test.csv`` (one clip file name per line, no header), and
  the extensionless ``train``, ``val``, ``test`` index files naming them, through which
  upstream ANIMAL-SPOT reuses the split (:mod:`alpacaspot.data.split_index`),
- ``variant_index.parquet`` (CLIPS schema plus ``year``) and ``variant_index.json`` (the
  fork's ``meta``/``entries`` view plus provenance: corpus hash, strategy, seed, package
  version, noise shortfall),
- ``selection_tables/<recording>.selections.txt``: the target clips of each recording as a
  Raven table,
- with ``generate_spectrograms``: ``spectrograms/<clip>.png``.

Same corpus, strategies and seed give byte-identical folders except for ``created_at`` in
``variant_index.json``. Clips of an earlier run that are still wanted are kept; stale ones
are removed.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from alpacaspot._atomic import atomic_write_text
from alpacaspot.data.clips import extract_clips
from alpacaspot.data.corpus import (
    INDEX_FILE,
    RECORDINGS_FILE,
    REGIONS_FILE,
    Corpus,
    build_corpus_index,
)
from alpacaspot.data.hard_negatives import read_window_scores
from alpacaspot.data.sampling import sample_calls, sample_windows
from alpacaspot.data.split_index import write_split_index
from alpacaspot.data.splits import SPLITS, assign_splits
from alpacaspot.data.strategy import Strategy, load_strategies
from alpacaspot.errors import CorpusError
from alpacaspot.io.schemas import CLIPS
from alpacaspot.io.tables import write_table

__all__ = ["prepare_datasets", "prepare_variant"]

_log = logging.getLogger(__name__)


def _version() -> str:
    from alpacaspot import __version__

    return str(__version__)


def _corpus_hash(corpus: Corpus) -> str:
    h = hashlib.sha256()
    saved = False
    for name in (INDEX_FILE, RECORDINGS_FILE, REGIONS_FILE):
        p = corpus.root / name
        if p.is_file():
            saved = True
            h.update(name.encode())
            h.update(p.read_bytes())
    if not saved:  # an index held in memory only (the corpus folder is read-only)
        for table in (corpus.events, corpus.recordings):
            h.update(pd.util.hash_pandas_object(table.astype(str), index=False).to_numpy()
                     .tobytes())
    return h.hexdigest()


def _load_corpus(root: Path, *, save: bool = True) -> Corpus:
    if (root / INDEX_FILE).is_file() and (root / RECORDINGS_FILE).is_file():
        return Corpus.load(root)
    _log.info("%s: no corpus index yet, building it (layout auto)", root)
    corpus = build_corpus_index(root, layout="auto")
    if save:
        corpus.save()
    return corpus


def _year(year: object) -> int:
    """A clip name's year field: the recording's year, 0 (``0000``) when unknown."""
    return 0 if pd.isna(year) else int(year)  # type: ignore[call-overload]


def _name_clips(clips: pd.DataFrame, root: Path, strat: Strategy) -> list[str]:
    from alpacaspot.io.animalspot import format_clip_name

    names = []
    for i, row in enumerate(clips.to_dict("records")):
        if pd.isna(row["year"]) and strat.require_year:
            raise CorpusError(f"recording has no year (no YYYYMMDD date in its name), which "
                              f"strategy {strat.name!r} requires (require_year); pass tape_fn "
                              "to build_corpus_index", path=root / row["recording"])
        info = str(row["label"])
        if not pd.isna(row["quality"]):
            info = f"{info}-q{int(row['quality'])}"
        names.append(format_clip_name(
            class_name=row["class"], label=info, id=i, year=_year(row["year"]), tape=row["tape"],
            start_ms=int(round(row["begin_s"] * 1000)), end_ms=int(round(row["end_s"] * 1000))))
    return names


def _json_view(clips: pd.DataFrame, strat: Strategy, corpus: Corpus, corpus_hash: str,
               shortfall: list[dict[str, object]]) -> dict[str, Any]:
    entries = []
    for i, row in enumerate(clips.to_dict("records")):
        q = row["quality"]
        entries.append({
            "uid": f"{i:06d}", "fn": row["clip"], "class": row["class"], "label": row["label"],
            "tape_key": f"{_year(row['year']):04d}_{row['tape']}", "recording": row["recording"],
            "quality": None if pd.isna(q) else int(q), "source": row["source"],
            "start_ms": int(round(row["begin_s"] * 1000)),
            "end_ms": int(round(row["end_s"] * 1000)),
            "start_s": row["begin_s"], "end_s": row["end_s"], "split": row["split"],
        })
    counts = {s: {c: int(((clips["split"] == s) & (clips["class"] == c)).sum())
                  for c in ("target", "noise")} for s in SPLITS}
    meta = {
        "created_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "split_strategy": strat.split_strategy,
        "strategy": strat.to_dict(),
        "seed": strat.seed,
        "corpus": corpus.root.name,
        "corpus_hash": corpus_hash,
        "package": "alpacaspot",
        "package_version": _version(),
        "n_total": len(clips),
        "n_target": int((clips["class"] == "target").sum()),
        "n_noise": int((clips["class"] == "noise").sum()),
        "n_hard_negative": int((clips["source"] == "hard_negative").sum()),
        "split_counts": counts,
        "tapes_per_split": {s: sorted(clips.loc[clips["split"] == s, "tape"].unique().tolist())
                            for s in SPLITS},
        "noise_shortfall": shortfall,
    }
    return {"meta": meta, "entries": entries}


def _write_selection_tables(clips: pd.DataFrame, out: Path) -> None:
    from alpacaspot.io import write_raven

    folder = out / "selection_tables"
    targets = clips[clips["class"] == "target"]
    wanted = set()
    for rec, grp in targets.groupby("recording", sort=True):
        ev = pd.DataFrame({"recording": grp["recording"], "begin_s": grp["begin_s"],
                           "end_s": grp["end_s"], "label": grp["label"],
                           "quality": grp["quality"], "clip": grp["clip"],
                           "split": grp["split"]})
        dest = folder / f"{rec}.selections.txt"
        wanted.add(dest)
        write_raven(ev, dest)
    for stale in sorted(folder.rglob("*.selections.txt")) if folder.is_dir() else []:
        if stale not in wanted:
            stale.unlink()


def _remove_stale(out: Path, keep: set[str], sub: str | None, suffix: str) -> None:
    folder = out if sub is None else out / sub
    if not folder.is_dir():
        return
    for p in sorted(folder.glob(f"*{suffix}")):
        if p.is_file() and p.name not in keep:
            p.unlink()


def prepare_variant(
    corpus: Corpus,
    strat: Strategy,
    *,
    generate_spectrograms: bool = False,
    workers: int | None = None,
    progress: bool | None = None,
    dataset_root: str | os.PathLike[str] | None = None,
) -> Path:
    """Build one dataset folder ``<dataset_root>/dataset_<strat.name>/``; see the module
    docstring (``dataset_root`` defaults to the corpus folder).

    Examples
    --------
    >>> # see prepare_datasets
    """
    rng = np.random.default_rng(strat.seed)
    shortfall: list[dict[str, object]] = []
    if strat.sampling == "calls":
        clips, shortfall = sample_calls(corpus, strat, rng)
    else:
        hard = None if strat.hard_negatives is None else read_window_scores(strat.hard_negatives)
        clips = sample_windows(corpus, strat, rng, hard_scores=hard)
    clips["split"] = assign_splits(clips, strategy=strat.split_strategy, seed=strat.seed,
                                   fractions=strat.split_fractions)
    clips["clip"] = _name_clips(clips, corpus.root, strat)
    out = Path(dataset_root if dataset_root is not None else corpus.root) / f"dataset_{strat.name}"
    out.mkdir(parents=True, exist_ok=True)
    names = set(clips["clip"])
    _remove_stale(out, names, None, ".wav")
    png_dir = out / "spectrograms" if generate_spectrograms else None
    if png_dir is not None:
        _remove_stale(out, {n[:-4] + ".png" for n in names}, "spectrograms", ".png")
    written = extract_clips(corpus.root, clips, out, workers=workers, png_dir=png_dir,
                            progress=progress)
    for split in SPLITS:
        lines = clips.loc[clips["split"] == split, "clip"].tolist()
        atomic_write_text(out / f"{split}.csv", "".join(f"{n}\n" for n in lines))
    write_split_index(out)  # upstream ANIMAL-SPOT reuses the split only through these
    table = clips[["clip", "class", "label", "recording", "tape", "begin_s", "end_s", "split",
                   "source", "quality", "year"]]
    write_table(table, out / "variant_index.parquet", schema=CLIPS)
    view = _json_view(clips, strat, corpus, _corpus_hash(corpus), shortfall)
    atomic_write_text(out / "variant_index.json", json.dumps(view, indent=2) + "\n")
    _write_selection_tables(clips, out)
    _log.info("%s: %d clips (%d new), %s", out, len(clips), written,
              view["meta"]["split_counts"])
    return out


def prepare_datasets(
    corpus_root: str | os.PathLike[str],
    strategies: str | os.PathLike[str] | dict[str, Any],
    *,
    generate_spectrograms: bool = False,
    workers: int | None = None,
    progress: bool | None = None,
    dataset_root: str | os.PathLike[str] | None = None,
) -> dict[str, Path]:
    """Build the dataset folder of every active strategy of ``strategies``.

    Parameters
    ----------
    corpus_root : path-like
        Corpus folder. Its ``corpus_index.parquet`` is read; when missing the index is built
        (``layout="auto"``, strict) and saved first.
    strategies : path-like or dict
        A strategies JSON file in the fork's format, or its content
        (see :mod:`alpacaspot.data.strategy`).
    generate_spectrograms : bool, default False
        Also write ``spectrograms/<clip>.png``.
    workers : int, optional
        Clip-extraction processes (default: the usable cores, at most 8).
    progress : bool, optional
        Progress bars (None: only on a terminal).
    dataset_root : path-like, optional
        Folder that receives the ``dataset_<name>/`` folders (default: the corpus folder,
        the seed's layout). When given, nothing is written into the corpus folder: an index
        missing there is built in memory and not saved.

    Returns
    -------
    dict
        Strategy name -> dataset folder.

    Raises
    ------
    ConfigError
        Unknown strategy keys or values.
    CorpusError
        A split that cannot be filled, a tape without room for noise clips, a recording
        without a year under ``require_year``, a corpus without target calls.

    Examples
    --------
    >>> import tempfile
    >>> from alpacaspot.data import make_synthetic_corpus
    >>> root = make_synthetic_corpus(tempfile.mkdtemp(), n_tapes=4, minutes_per_tape=1.0,
    ...                              seed=0, sr=16000)
    >>> out = prepare_datasets(root, {"strategies": {"v1": {"seed": 1}}}, workers=1)
    >>> sorted(p.name for p in out["v1"].glob("*.csv"))
    ['test.csv', 'train.csv', 'val.csv']
    """
    root = Path(corpus_root)
    if not root.is_dir():
        raise CorpusError("corpus folder does not exist", path=root)
    active = load_strategies(strategies)
    corpus = _load_corpus(root, save=dataset_root is None)
    return {s.name: prepare_variant(corpus, s, generate_spectrograms=generate_spectrograms,
                                    workers=workers, progress=progress,
                                    dataset_root=dataset_root) for s in active}
