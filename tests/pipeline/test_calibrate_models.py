"""Which tapes and settings the pipeline's calibration step uses, and its early checks."""

from __future__ import annotations

import logging

import pandas as pd
import pytest

from alpacaspot.errors import ConfigError
from alpacaspot.events import PostprocessConfig
from alpacaspot.io import write_table
from alpacaspot.pipeline.calibrate_models import (
    check_splits,
    held_out_tapes,
    search_grid,
    validation_tapes,
)
from alpacaspot.pipeline.run import PipelineSpec, run_pipeline


def _index(tmp_path, rows):
    write_table(pd.DataFrame(rows, columns=["tape", "split"]),
                tmp_path / "variant_index.parquet")
    return tmp_path


def test_held_out_tapes_are_val_and_test_tapes_without_training_clips(tmp_path, caplog):
    d = _index(tmp_path, [("T1", "train"), ("T2", "val"), ("T2", "val"), ("T3", "test"),
                          ("T4", "test"), ("T4", "train"), ("T5", "val"), ("T5", "test")])
    with caplog.at_level(logging.WARNING):
        assert held_out_tapes(d) == ["T2", "T3", "T5"]
    assert "T4" in caplog.text
    assert held_out_tapes(d, ["test"]) == ["T3"]
    # a tape split between val and test is held out from training, but not val alone
    assert validation_tapes(d) == held_out_tapes(d, ("val",)) == ["T2"]


@pytest.mark.parametrize("splits", [[], ["train"], ["val", "train"], ["valid"], "val"])
def test_bad_splits_are_refused(splits, tmp_path):
    with pytest.raises(ConfigError, match="calibration splits"):
        check_splits(splits)
    with pytest.raises(ConfigError, match="calibration splits"):
        held_out_tapes(_index(tmp_path, [("T1", "val")]), splits)


def test_missing_index_names_the_file(tmp_path):
    with pytest.raises(ConfigError, match="variant_index.parquet"):
        held_out_tapes(tmp_path)


def test_threshold_search_keeps_the_post_processing():
    post = PostprocessConfig(curve="centre", merge_gap_s=0.1, min_duration_s=0.05)
    grid = search_grid(post, "threshold")
    assert grid == {"base": post, "curves": ("centre",), "merge_gaps_s": (0.1,),
                    "min_durations_s": (0.05,)}
    assert search_grid(post, "full") == {"base": post}
    assert search_grid(None, "threshold")["curves"] == (PostprocessConfig().curve,)


def test_threshold_search_needs_the_refined_method_and_a_known_search():
    with pytest.raises(ConfigError, match="'animalspot'"):
        search_grid(PostprocessConfig(method="animalspot"), "threshold")
    assert search_grid(PostprocessConfig(method="animalspot"), "full")["base"].method == (
        "animalspot")
    with pytest.raises(ConfigError, match="calibration search"):
        search_grid(None, "grid")


@pytest.mark.parametrize("change, match", [
    ({"calibration_search": "everything"}, "calibration search"),
    ({"calibration_splits": ("train",)}, "calibration splits"),
    ({"post": {"method": "animalspot"}}, "refined"),
    ({"calibration_f1_tolerance": 1.5}, "f1_tolerance"),
    ({"calibration_f1_tolerance": "0.02"}, "f1_tolerance"),
])
def test_pipeline_refuses_bad_calibration_settings_before_any_work(tmp_path, change, match):
    spec = PipelineSpec(out=tmp_path / "run", training_corpus={}, benchmark_corpus={},
                        strategies={}, train_variants={},
                        benchmark_variants=[{"seq_len": 0.4, "hop": 0.05, "threshold": 0.5}],
                        **change)
    with pytest.raises(ConfigError, match=match):
        run_pipeline(spec)
    assert not (tmp_path / "run").exists()
