"""Tests of alpacaspot.evaluate.groundtruth."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from alpacaspot.errors import CorpusError
from alpacaspot.evaluate import load_ground_truth
from alpacaspot.io import write_raven


def test_corpus_folder_takes_tapes_from_recordings(benchmark):
    corpus = benchmark.parent / "corpus"
    gt = load_ground_truth(corpus, labels=("hum",))
    assert set(gt["tape"]) == {"tapeA", "tapeB", "tapeC"}
    assert (gt["label"] == "hum").all() and len(gt) == 36
    assert gt.attrs["path"] == str(corpus)
    assert gt["begin_s"].is_monotonic_increasing or gt["recording"].is_monotonic_increasing
    assert len(load_ground_truth(corpus / "corpus_index.parquet")) == 39


def test_seed_json_keeps_zero_start_and_quality(tmp_path):
    doc = {"meta": {}, "entries": [
        {"uid": "h1", "raw_path": str(tmp_path / "raw" / "t1.wav"), "raw_start_s": 0.0,
         "raw_end_s": 0.25, "quality": 4, "clip_path": "c.wav", "clip_start_s": 3.0,
         "clip_end_s": 3.25},
        {"uid": "h2", "raw_path": None, "clip_path": "clips/c2.wav", "clip_start_s": 1.0,
         "clip_end_s": 1.5, "quality": 1},
    ]}
    path = tmp_path / "corpus_index.json"
    path.write_text(json.dumps(doc))
    gt = load_ground_truth(path)
    assert gt[["recording", "begin_s", "end_s", "quality", "tape"]].values.tolist() == [
        ["clips/c2.wav", 1.0, 1.5, 1, "clips"], ["raw/t1.wav", 0.0, 0.25, 4, "raw"]]


def test_bad_json_names_file_and_entry(tmp_path):
    path = tmp_path / "corpus_index.json"
    path.write_text(json.dumps({"entries": [{"uid": "x", "raw_path": "a.wav"}]}))
    with pytest.raises(CorpusError, match=r"corpus_index.json.*entry 0"):
        load_ground_truth(path)
    path.write_text("{nope")
    with pytest.raises(CorpusError, match="corpus_index.json"):
        load_ground_truth(path)
    with pytest.raises(CorpusError, match="does not exist"):
        load_ground_truth(tmp_path / "missing.parquet")


def test_raven_tables(tmp_path):
    events = pd.DataFrame({"recording": ["t1.wav", "t1.wav"], "begin_s": [1.0, 2.0],
                           "end_s": [1.3, 2.4], "label": ["hum", "alarm"], "quality": [2, None]})
    write_raven(events, tmp_path / "tables" / "t1.selections.txt")
    gt = load_ground_truth(tmp_path / "tables", labels=["hum"])
    assert gt[["recording", "begin_s", "quality", "tape"]].values.tolist() == [
        ["t1.wav", 1.0, 2, "t1"]]
    assert len(load_ground_truth([tmp_path / "tables" / "t1.selections.txt"])) == 2


def test_dataframe_source_is_validated():
    with pytest.raises(Exception, match="begin_s"):
        load_ground_truth(pd.DataFrame({"recording": ["a"], "end_s": [1.0]}))
