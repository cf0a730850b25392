"""A user's corpus seen from inside a pipeline run, without writing into it.

A user's data folder may be read-only or shared, so the pipeline never writes there. It
mirrors the corpus under its own output folder: the same folders, each file a symbolic link
to the user's file. The corpus index and (by default) the datasets are written into the
mirror, where every later step finds them beside the audio as in a corpus the pipeline made
itself; ``recording`` paths are the same in both. Hidden files and the ``dataset_*`` folders
of earlier runs are not mirrored.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from alpacaspot.errors import CorpusError

__all__ = ["mirror_corpus"]

_log = logging.getLogger(__name__)


def _skipped(rel: Path) -> bool:
    return any(p.startswith(".") for p in rel.parts) or any(
        p.startswith("dataset_") for p in rel.parts[:-1])


def mirror_corpus(source: str | os.PathLike[str], dest: str | os.PathLike[str]) -> Path:
    """Mirror ``source``'s files into ``dest`` as symbolic links; return ``dest``.

    Re-running adds links for new files, re-points links whose target moved and removes
    links to files that are gone; files the pipeline wrote into ``dest`` (the index, the
    datasets) are kept.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> src = pathlib.Path(tempfile.mkdtemp()); _ = (src / "a.txt").write_text("x")
    >>> view = mirror_corpus(src, pathlib.Path(tempfile.mkdtemp()) / "view")
    >>> (view / "a.txt").is_symlink(), (view / "a.txt").read_text()
    (True, 'x')
    """
    src = Path(source).absolute()
    out = Path(dest).absolute()
    if not src.is_dir():
        raise CorpusError("corpus folder does not exist", path=src)
    if out == src or src in out.parents:
        raise CorpusError(f"the pipeline's copy of the corpus ({out}) must lie outside the "
                          "corpus folder", path=src)
    wanted: set[Path] = set()
    for dirpath, dirnames, filenames in os.walk(src):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not _skipped((here / d).relative_to(src)))
        for name in sorted(filenames):
            rel = (here / name).relative_to(src)
            if _skipped(rel):
                continue
            target = (here / name).resolve()
            link = out / rel
            wanted.add(link)
            if link.is_symlink() and Path(os.readlink(link)) == target:
                continue
            link.parent.mkdir(parents=True, exist_ok=True)
            if link.is_symlink():
                link.unlink()
            elif link.exists():
                continue  # a file the pipeline wrote (the index): keep it
            try:
                link.symlink_to(target)
            except OSError as exc:
                raise CorpusError(f"cannot link the corpus file into the run folder ({exc}); "
                                  "the pipeline needs a file system with symbolic links",
                                  path=link) from None
    for link in sorted(p for p in out.rglob("*") if p.is_symlink()):
        if link not in wanted:
            link.unlink()
    _log.info("corpus %s mirrored into %s (%d files)", src, out, len(wanted))
    return out
