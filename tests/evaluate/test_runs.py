"""Tests of alpacaspot.evaluate.runs."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alpacaspot.errors import ConfigError
from alpacaspot.evaluate import discover_runs, format_tag, load_detections, parse_tag


def test_tags_round_not_truncate():
    assert format_tag(0.4, 0.05, 0.57) == "len400_hop050_th57"
    assert format_tag(0.4, 0.05, 0.9) == "len400_hop050_th90"
    assert format_tag(0.4, 0.05, 0.05) == "len400_hop050_th05"
    assert format_tag(0.4, 0.05, 0.975) == "len400_hop050_th975"
    assert format_tag(1.0, 0.1, 1.0) == "len1000_hop100_th100"
    assert parse_tag("len1000_hop100_th100") == (1.0, 0.1, 1.0)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 999), st.integers(1, 999), st.integers(1, 99))
def test_tag_round_trip(seq_ms, hop_ms, th):
    assert parse_tag(format_tag(seq_ms / 1000, hop_ms / 1000, th / 100)) == (
        seq_ms / 1000, hop_ms / 1000, th / 100)


def test_bad_tag():
    with pytest.raises(ConfigError, match="len400"):
        parse_tag("len400_hop50")


def test_discovery_at_any_depth(benchmark):
    runs = discover_runs(benchmark / "runs")
    assert runs["model"].tolist() == ["modelA"] * 3 + ["nested/modelB"] * 2
    assert runs["tag"].tolist()[:3] == ["len200_hop100_th50", "len200_hop100_th90",
                                        "len400_hop050_th90"]
    assert load_detections(runs["run_dir"].iloc[2]) is None
    det = load_detections(runs["run_dir"].iloc[0])
    assert len(det) > 0 and det.attrs["path"].endswith("index.parquet")


def test_missing_runs_folder(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        discover_runs(tmp_path / "nope")
