"""Tests of alpacaspot.io.tables: validated, atomic Parquet round trips."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from alpacaspot._atomic import atomic_path
from alpacaspot.errors import SchemaError
from alpacaspot.io import EVENTS, read_raven, read_table, write_table


def _events() -> pd.DataFrame:
    return EVENTS.validate(
        pd.DataFrame(
            {
                "recording": ["tape1/a.b.wav", "c.wav"],
                "begin_s": [0.25, 1.0],
                "end_s": [0.5, 1.75],
                "label": ["hum", "alarm"],
                "quality": [3, None],
                "score": [None, 0.5],
                "tape": ["tape1", "c"],
            }
        )
    )


def test_round_trip_events(tmp_path: Path) -> None:
    path = write_table(_events(), tmp_path / "sub" / "ev.parquet", schema="events")
    back = read_table(path, schema=EVENTS)
    pd.testing.assert_frame_equal(back[EVENTS.names], _events()[EVENTS.names])
    assert back["tape"].tolist() == ["tape1", "c"]


def test_round_trip_real_table(real_dir: Path, tmp_path: Path) -> None:
    events = read_raven(real_dir / "RR48_2013_D151.ABW.learning_detector.txt")
    back = read_table(
        write_table(events, tmp_path / "det.parquet", schema="events"), schema="events"
    )
    assert len(back) == 51
    pd.testing.assert_frame_equal(back[EVENTS.names], events[EVENTS.names])


def test_empty_table_round_trip(tmp_path: Path) -> None:
    back = read_table(
        write_table(EVENTS.empty(), tmp_path / "e.parquet", schema="events"), schema="events"
    )
    assert len(back) == 0 and list(back.columns) == EVENTS.names


def test_same_table_same_bytes(tmp_path: Path) -> None:
    write_table(_events(), tmp_path / "a.parquet", schema="events")
    write_table(_events(), tmp_path / "b.parquet", schema="events")
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()


def test_invalid_table_not_written(tmp_path: Path) -> None:
    with pytest.raises(SchemaError, match="out.parquet: events table lacks"):
        write_table(pd.DataFrame({"recording": ["a"]}), tmp_path / "out.parquet", schema="events")
    assert list(tmp_path.iterdir()) == []


def test_read_errors(tmp_path: Path) -> None:
    with pytest.raises(SchemaError, match="nope.parquet: table file does not exist"):
        read_table(tmp_path / "nope.parquet")
    (tmp_path / "text.parquet").write_text("not parquet")
    with pytest.raises(SchemaError, match="text.parquet: not a readable Parquet file"):
        read_table(tmp_path / "text.parquet")
    write_table(pd.DataFrame({"a": [1]}), tmp_path / "other.parquet")
    with pytest.raises(SchemaError, match="other.parquet: events table lacks"):
        read_table(tmp_path / "other.parquet", schema="events")
    with pytest.raises(SchemaError, match="unknown schema 'event'"):
        read_table(tmp_path / "other.parquet", schema="event")


def test_read_columns_subset(tmp_path: Path) -> None:
    path = write_table(_events(), tmp_path / "ev.parquet", schema="events")
    assert list(read_table(path, columns=["end_s"]).columns) == ["end_s"]


def test_killed_write_leaves_old_file(tmp_path: Path) -> None:
    path = write_table(_events(), tmp_path / "ev.parquet", schema="events")
    before = path.read_bytes()
    with pytest.raises(KeyboardInterrupt):
        with atomic_path(path) as tmp:
            tmp.write_bytes(b"half")
            raise KeyboardInterrupt
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ev.parquet"]


def test_table_metadata_round_trip_and_corruption(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from alpacaspot.io import read_table_metadata

    path = tmp_path / "t.parquet"
    write_table(pd.DataFrame({"a": [1, 2]}), path, metadata={"model": "abc", "hop_s": 0.05})
    assert read_table_metadata(path) == {"hop_s": 0.05, "model": "abc"}
    assert read_table(path)["a"].tolist() == [1, 2]
    plain = tmp_path / "plain.parquet"
    write_table(pd.DataFrame({"a": [1]}), plain)
    assert read_table_metadata(plain) == {}
    bad = tmp_path / "bad.parquet"
    pq.write_table(pa.table({"a": [1]}).replace_schema_metadata({b"alpacaspot": b"{nope"}), bad)
    with pytest.raises(SchemaError, match="corrupt alpacaspot metadata"):
        read_table_metadata(bad)
    with pytest.raises(SchemaError, match="does not exist"):
        read_table_metadata(tmp_path / "missing.parquet")
