from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from alpacaspot.data.strategy import Strategy, load_strategies
from alpacaspot.errors import ConfigError

FORK = {
    "active_strategies": ["v1_random", "v2_q"],
    "strategies": {
        "v1_random": {"split_strategy": "random", "seed": 42, "min_quality": None,
                      "noise_per_hum": 1.5,
                      "noise_mining": {"margin_s": 0.3, "fallback_raw": False}},
        "v2_q": {"split_strategy": "quality_balanced", "seed": 1, "min_quality": 3},
        "unused": {"split_strategy": "by_tape"},
    },
}


def test_fork_format(tmp_path: Path) -> None:
    p = tmp_path / "dataset_prep_configs.json"
    p.write_text(json.dumps(FORK))
    strategies = load_strategies(p)
    assert [s.name for s in strategies] == ["v1_random", "v2_q"]
    first = strategies[0]
    assert (first.margin_s, first.fallback_raw, first.noise_per_hum) == (0.3, False, 1.5)
    assert strategies[1].min_quality == 3 and strategies[1].sampling == "calls"
    again = {k: v for k, v in first.to_dict().items() if k != "name"}
    assert Strategy.from_dict("x", again) == dataclasses.replace(first, name="x")


@pytest.mark.parametrize("entry, match", [
    ({"split_strategy": "weird"}, "split_strategy"),
    ({"colour": 1}, "unknown key"),
    ({"sampling": "frames"}, "sampling"),
    ({"min_quality": 7}, "min_quality"),
    ({"noise_mining": {"margin": 1}}, "noise_mining"),
    ({"hop_s": 0}, "hop_s"),
])
def test_bad_entries(tmp_path: Path, entry: dict, match: str) -> None:
    p = tmp_path / "s.json"
    p.write_text(json.dumps({"strategies": {"a": entry}}))
    with pytest.raises(ConfigError, match=match) as err:
        load_strategies(p)
    assert "s.json" in str(err.value)


def test_bad_files(tmp_path: Path) -> None:
    p = tmp_path / "broken.json"
    p.write_text("{\n  'x': 1\n}")
    with pytest.raises(ConfigError, match="line 2") as err:
        load_strategies(p)
    assert "broken.json" in str(err.value)
    with pytest.raises(ConfigError, match="not defined"):
        load_strategies({"active_strategies": ["b"], "strategies": {"a": {}}})
    with pytest.raises(ConfigError, match="cannot read"):
        load_strategies(tmp_path / "missing.json")
