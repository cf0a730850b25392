"""The pipeline's corpus-index step: build the index when it is missing or stale."""

from __future__ import annotations

import logging
from pathlib import Path

from alpacaspot._atomic import atomic_write_text
from alpacaspot.io.layout import CORPUS_INDEX_FILE, CORPUS_RECORDINGS_FILE

__all__ = ["index_is_current", "index_corpus"]

_log = logging.getLogger(__name__)


def index_is_current(root: Path) -> bool:
    """The saved index lists the audio on disk, and no corpus file changed after it.

    Examples
    --------
    >>> import tempfile
    >>> index_is_current(Path(tempfile.mkdtemp()))  # no index yet
    False
    """
    from alpacaspot.io import read_table
    from alpacaspot.pipeline.check_data import audio_on_disk, corpus_files

    files = [root / CORPUS_INDEX_FILE, root / CORPUS_RECORDINGS_FILE]
    if not all(f.is_file() for f in files):
        return False
    listed = read_table(files[1], columns=["recording"])["recording"].astype(str)
    if set(listed) != set(audio_on_disk(root)):
        return False
    built = min(f.stat().st_mtime_ns for f in files)
    outputs = {CORPUS_INDEX_FILE, CORPUS_RECORDINGS_FILE, "corpus_index.json",
               "corpus_regions.parquet"}
    return all(f.stat().st_mtime_ns <= built for f in corpus_files(root)
               if f.name not in outputs or f.parent != root)


def index_corpus(root: Path, *, strict: bool, problems_file: Path) -> list[str]:
    """Build and save the corpus index when missing or stale; return the problems reported.

    Stale: an audio file was added or removed, or a corpus file (audio, annotation table)
    changed after the index was written (a regenerated synthetic corpus, an edited table).

    Examples
    --------
    >>> index_corpus(Path("corpus"), strict=True,
    ...              problems_file=Path("logs/corpus_problems.txt"))  # doctest: +SKIP
    []
    """
    from alpacaspot.data import build_corpus_index

    if index_is_current(root):
        return []
    corpus = build_corpus_index(root, strict=strict)
    corpus.save()
    if corpus.warnings:
        before = problems_file.read_text(encoding="utf-8") if problems_file.is_file() else ""
        atomic_write_text(problems_file, before + "".join(f"{root}: {w}\n"
                                                          for w in corpus.warnings))
        _log.warning("corpus %s: %d problem(s) reported (what each one excluded or kept is "
                     "said there); see %s", root, len(corpus.warnings), problems_file)
    return list(corpus.warnings)
