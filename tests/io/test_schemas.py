"""Tests of alpacaspot.io.schemas: validation, coercion, empty tables."""

from __future__ import annotations

import pandas as pd
import pytest

from alpacaspot.errors import SchemaError
from alpacaspot.io.schemas import CLIPS, EVENTS, METRICS, RECORDINGS, SCHEMAS, WINDOW_SCORES


@pytest.mark.parametrize("schema", list(SCHEMAS.values()), ids=list(SCHEMAS))
def test_empty_tables_validate(schema) -> None:
    empty = schema.empty()
    assert list(empty.columns) == schema.names
    if schema.prefix is None:
        out = schema.validate(empty)
        assert list(out.columns) == schema.names and len(out) == 0
        pd.testing.assert_series_equal(out.dtypes, empty.dtypes)


def test_events_optional_columns_added_and_extras_kept() -> None:
    raw = pd.DataFrame({"tape": ["t1"], "end_s": [2], "begin_s": ["1.5"], "recording": ["a.b.wav"]})
    out = EVENTS.validate(raw)
    assert list(out.columns) == EVENTS.names + ["tape"]
    row = out.iloc[0]
    assert (row["recording"], row["begin_s"], row["end_s"], row["label"]) == (
        "a.b.wav",
        1.5,
        2.0,
        "",
    )
    assert row["channel"] == 1
    assert pd.isna(row["quality"]) and pd.isna(row["score"]) and pd.isna(row["low_hz"])
    assert str(out["quality"].dtype) == "Int64" and str(out["score"].dtype) == "Float64"
    assert out["recording"].dtype == object


def test_missing_label_values_become_empty_not_nan() -> None:
    out = EVENTS.validate(
        pd.DataFrame(
            {"recording": ["a", "b"], "begin_s": [0, 1], "end_s": [1, 2], "label": ["x", None]}
        )
    )
    assert out["label"].tolist() == ["x", ""]


def test_pandas_string_dtype_accepted() -> None:
    df = pd.DataFrame(
        {"recording": pd.Series(["a"], dtype="string"), "begin_s": [0.0], "end_s": [1.0]}
    )
    assert EVENTS.validate(df)["recording"].tolist() == ["a"]


def test_missing_required_column_named() -> None:
    with pytest.raises(
        SchemaError, match=r"x.parquet: events table lacks required column\(s\) \['end_s'\]"
    ):
        EVENTS.validate(pd.DataFrame({"recording": ["a"], "begin_s": [0.0]}), path="x.parquet")


@pytest.mark.parametrize(
    ("schema", "frame", "match"),
    [
        (
            EVENTS,
            {"recording": ["a"], "begin_s": ["abc"], "end_s": [1.0]},
            "'begin_s' must be of kind float",
        ),
        (
            EVENTS,
            {"recording": [None], "begin_s": [0.0], "end_s": [1.0]},
            "'recording' must not be empty",
        ),
        (
            EVENTS,
            {"recording": ["a"], "begin_s": [None], "end_s": [1.0]},
            "'begin_s' has a missing value in row 0",
        ),
        (
            EVENTS,
            {"recording": ["a"], "begin_s": [0.0], "end_s": [1.0], "quality": [1.5]},
            "whole numbers or nulls",
        ),
        (
            RECORDINGS,
            {
                "recording": ["a"],
                "tape": ["t"],
                "sample_rate": [48000.5],
                "channels": [1],
                "frames": [10],
                "duration_s": [1.0],
            },
            "'sample_rate' must hold whole numbers",
        ),
        (
            RECORDINGS,
            {
                "recording": ["a"],
                "tape": ["t"],
                "sample_rate": [None],
                "channels": [1],
                "frames": [10],
                "duration_s": [1.0],
            },
            "'sample_rate' has a missing value",
        ),
    ],
)
def test_bad_values(schema, frame: dict, match: str) -> None:
    with pytest.raises(SchemaError, match=match) as info:
        schema.validate(pd.DataFrame(frame), path="bad.parquet")
    assert str(info.value).startswith("bad.parquet")


def test_window_scores_need_a_class_column() -> None:
    base = {"recording": ["a"], "window": [0], "begin_s": [0.0], "end_s": [0.4]}
    with pytest.raises(SchemaError, match="at least one 'p_<class>' column"):
        WINDOW_SCORES.validate(pd.DataFrame(base))
    out = WINDOW_SCORES.validate(pd.DataFrame({**base, "p_target": ["0.5"], "p_noise": [0.5]}))
    assert list(out.columns) == ["recording", "window", "begin_s", "end_s", "p_noise", "p_target"]
    assert out["p_target"].dtype == "float64" and out["window"].dtype == "int64"


def test_not_a_dataframe() -> None:
    with pytest.raises(SchemaError, match="must be a pandas DataFrame, got dict"):
        CLIPS.validate({"clip": ["a.wav"]})


def test_metrics_and_index_reset() -> None:
    df = pd.DataFrame(
        {
            "model": ["m"],
            "tag": ["len400_hop050_th90"],
            "criterion": ["iou0.4"],
            "n_gt": [3],
            "n_pred": [2],
            "tp": [2],
            "fp": [0],
            "fn": [1],
            "precision": [1.0],
            "recall": [2 / 3],
            "f1": [0.8],
        },
        index=[7],
    )
    out = METRICS.validate(df)
    assert list(out.index) == [0] and out["tp"].dtype == "int64"
