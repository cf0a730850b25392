"""PostprocessConfig: validation, the derived cfg lines, JSON and the operating-point hook."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alpacaspot.detect.cfg import EVALUATE_EXTRA_KEYS
from alpacaspot.errors import ConfigError
from alpacaspot.events import OPERATING_POINT_KEY, PostprocessConfig, scores_to_events
from alpacaspot.io.animalspot import read_cfg, write_cfg
from alpacaspot.pipeline.variants import POSTPROCESS_KEYS


def _scores(p):
    p = np.asarray(p, dtype=float)
    i = np.arange(len(p))
    return pd.DataFrame({"recording": "a.wav", "window": i, "begin_s": i * 0.05,
                         "end_s": i * 0.05 + 0.4, "p_noise": 1 - p, "p_target": p})


@pytest.mark.parametrize("changes, match", [
    ({"method": "magic"}, "method"),
    ({"curve": "wiggly"}, "curve"),
    ({"threshold": 1.5}, "threshold"),
    ({"threshold": float("nan")}, "threshold"),
    ({"threshold": True}, "threshold"),
    ({"threshold": 0.5, "low_threshold": 0.7}, "low_threshold"),
    ({"min_duration_s": -0.1}, "min_duration_s"),
    ({"merge_gap_s": None}, "merge_gap_s"),
    ({"decimals": 2.5}, "decimals"),
    ({"sr": 0}, "sr"),
    ({"target": ""}, "target"),
])
def test_bad_settings_are_config_errors(changes, match):
    with pytest.raises(ConfigError, match=match):
        PostprocessConfig(**changes)


def test_replace_refuses_unknown_settings():
    with pytest.raises(ConfigError, match="smooth"):
        PostprocessConfig().replace(smooth=3)
    with pytest.raises(ConfigError, match="smooth"):
        scores_to_events(_scores([0.9]), threshold=0.5, smooth=3)


def test_numbers_are_normalised():
    c = PostprocessConfig(threshold=1, merge_gap_s=0)
    assert isinstance(c.threshold, float) and isinstance(c.merge_gap_s, float)
    assert c == PostprocessConfig(threshold=1.0)


def test_cfg_keys_are_derived_everywhere():
    keys = PostprocessConfig.cfg_keys()
    assert set(keys) - {"threshold"} <= set(EVALUATE_EXTRA_KEYS)
    assert set(POSTPROCESS_KEYS) == set(keys) - {"threshold"}
    assert set(PostprocessConfig.cfg_help()) == set(keys)
    assert all(PostprocessConfig.cfg_help().values())
    assert "target_class" in keys and "target" not in keys


def test_cfg_items_round_trip_through_an_eval_cfg(tmp_path):
    c = PostprocessConfig(method="refined", threshold=0.975, curve="centre", low_threshold=0.5,
                          merge_gap_s=0.1, max_duration_s=3.0, target="hum", low_hz=200.0)
    items = c.to_cfg_items()
    assert items["max_duration_s"] == "3" and items["target_class"] == "hum"
    path = write_cfg(tmp_path / "eval.cfg", items, kind="evaluate",
                     extra_keys=EVALUATE_EXTRA_KEYS)
    values = read_cfg(path, kind="evaluate", extra_keys=EVALUATE_EXTRA_KEYS)
    assert PostprocessConfig.from_mapping(values) == c


def test_from_mapping_names_key_file_and_line(tmp_path):
    lines = {"threshold": 2, "curve": 3}
    with pytest.raises(ConfigError, match=r"x\.cfg, line 3: curve: must be one of") as info:
        PostprocessConfig.from_mapping({"threshold": "0.5", "curve": "nope"},
                                       path=tmp_path / "x.cfg", line_of=lines.get)
    assert "nope" in str(info.value)
    with pytest.raises(ConfigError, match="line 2: threshold: expected a number"):
        PostprocessConfig.from_mapping({"threshold": "high"}, path="x.cfg", line_of=lines.get)
    with pytest.raises(ConfigError, match="not a flag"):
        PostprocessConfig.from_mapping({"threshold": True})
    with pytest.raises(ConfigError, match="unknown post-processing keys"):
        PostprocessConfig.from_mapping({"target": "hum"})


def test_unused_keys_of_another_method():
    assert PostprocessConfig(method="animalspot").unused_cfg_keys(
        ["threshold", "curve", "merge_gap_s", "decimals", "low_hz"]) == ["curve", "merge_gap_s"]
    assert PostprocessConfig().unused_cfg_keys(["curve", "merge_gap_s"]) == []


def test_no_threshold_asks_for_one():
    with pytest.raises(ConfigError, match="threshold="):
        scores_to_events(_scores([0.9]))
    with pytest.raises(ConfigError, match="threshold="):
        scores_to_events(_scores([0.9]), PostprocessConfig(method="animalspot"))


def test_stored_operating_point_is_the_default():
    s = _scores([0.1, 0.95, 0.6, 0.1])
    s.attrs[OPERATING_POINT_KEY] = PostprocessConfig(method="animalspot",
                                                     threshold=0.9).to_json()
    stored = scores_to_events(s)
    assert stored.equals(scores_to_events(s, threshold=0.9, method="animalspot"))
    lower = scores_to_events(s, threshold=0.5)  # overrides apply on top of the stored point
    assert lower.equals(scores_to_events(s, PostprocessConfig(method="animalspot",
                                                              threshold=0.5)))
    explicit = PostprocessConfig(threshold=0.9)  # an explicit config wins over the stored one
    assert "cnn_logit_mean" not in scores_to_events(s, explicit).columns
    s.attrs[OPERATING_POINT_KEY] = '{"threshold": 7}'
    with pytest.raises(ConfigError, match="operating point"):
        scores_to_events(s)


def test_config_argument_must_be_a_config():
    with pytest.raises(ConfigError, match="PostprocessConfig"):
        scores_to_events(_scores([0.9]), {"threshold": 0.5})  # type: ignore[arg-type]


_configs = st.builds(
    PostprocessConfig,
    method=st.sampled_from(["refined", "animalspot"]),
    threshold=st.one_of(st.none(), st.floats(0.5, 1.0)),
    curve=st.sampled_from(["mean", "centre"]),
    low_threshold=st.one_of(st.none(), st.floats(0.0, 0.5)),
    min_duration_s=st.floats(0, 10), merge_gap_s=st.floats(0, 10),
    max_duration_s=st.one_of(st.none(), st.floats(0.01, 100)),
    target=st.one_of(st.none(), st.sampled_from(["hum", "target"])),
    low_hz=st.one_of(st.none(), st.floats(0, 48000)),
    decimals=st.one_of(st.none(), st.integers(0, 6)),
    sr=st.one_of(st.none(), st.integers(1, 192000)),
)


@settings(max_examples=80, deadline=None)
@given(c=_configs)
def test_json_and_cfg_round_trips(c):
    assert PostprocessConfig.from_json(c.to_json()) == c
    assert PostprocessConfig.from_mapping(c.to_cfg_items()) == c.replace(
        hop_s=None, window_s=None, decimals=3, sr=None)
