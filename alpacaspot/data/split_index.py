"""The extensionless split index files upstream ANIMAL-SPOT reuses a split through.

Upstream ANIMAL-SPOT keeps an existing split only when the dataset root holds ``train``,
``val`` and ``test`` (no extension), each listing CSV paths relative to the root, one per line
(``#`` lines skipped); of each CSV row it uses the file name, joined to that CSV's folder.
Without them it splits again at random and overwrites ``train.csv``/``val.csv``/``test.csv``.
Writing them next to the CSVs makes upstream train on alpacaspot's tape-aware split; the
alpaca fork, which reads the CSVs directly, is unaffected.
"""

from __future__ import annotations

import os
from pathlib import Path

from alpacaspot._atomic import atomic_write_text
from alpacaspot.errors import CorpusError

__all__ = ["SPLIT_INDEX_NAMES", "write_split_index"]

SPLIT_INDEX_NAMES: tuple[str, ...] = ("train", "val", "test")


def write_split_index(dataset_dir: str | os.PathLike[str]) -> list[Path]:
    """Write ``train``, ``val`` and ``test`` index files pointing at the split CSVs.

    Parameters
    ----------
    dataset_dir : path-like
        A dataset variant folder holding ``train.csv``, ``val.csv`` and ``test.csv``.

    Returns
    -------
    list of pathlib.Path
        The three index files, written atomically.

    Raises
    ------
    CorpusError
        When a split CSV is missing (named).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> for s in ("train", "val", "test"):
    ...     _ = (d / f"{s}.csv").write_text("target-_1_2020_t1_0_400.wav\\n")
    >>> [p.name for p in write_split_index(d)]
    ['train', 'val', 'test']
    >>> (d / "val").read_text()
    'val.csv\\n'
    """
    root = Path(dataset_dir)
    written = []
    for split in SPLIT_INDEX_NAMES:
        csv = root / f"{split}.csv"
        if not csv.is_file():
            raise CorpusError(f"no {split}.csv to index", path=csv)
        target = root / split
        atomic_write_text(target, f"{csv.name}\n")
        written.append(target)
    return written
