"""The split index files upstream ANIMAL-SPOT reads, checked with its reading rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from alpacaspot.data import prepare_datasets
from alpacaspot.data.split_index import write_split_index
from alpacaspot.errors import CorpusError
from alpacaspot.io import read_table


def upstream_split(root: Path, split: str) -> list[Path]:
    """The clips upstream ANIMAL-SPOT takes for ``split`` (REFERENCE.md's rule): the index file
    lists CSVs relative to the root (``#`` lines skipped); of each CSV row only the file name
    in the first column counts, joined to that CSV's folder."""
    clips = []
    for line in (root / split).read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        csv = root / line.strip()
        for row in csv.read_text().splitlines():
            if row.strip():
                clips.append(csv.parent / Path(row.split(",")[0]).name)
    return clips


def test_prepare_writes_index_files_upstream_reads(raven_corpus: Path) -> None:
    strat = {"strategies": {"v": {"seed": 1}}}
    out = prepare_datasets(raven_corpus, strat, workers=1)["v"]
    table = read_table(out / "variant_index.parquet")
    for split in ("train", "val", "test"):
        clips = upstream_split(out, split)
        expected = sorted(table.loc[table["split"] == split, "clip"])
        assert expected, split
        assert sorted(p.name for p in clips) == expected
        assert all(p.is_file() for p in clips)


def test_missing_csv_is_named(tmp_path: Path) -> None:
    (tmp_path / "train.csv").write_text("a.wav\n")
    with pytest.raises(CorpusError, match="val.csv"):
        write_split_index(tmp_path)
