"""The demo's embedded pipeline: one window length everywhere, the field recipe where it
belongs."""

from __future__ import annotations

from pathlib import Path

import pytest

from alpacaspot.errors import ConfigError
from alpacaspot.pipeline.demo import BUDGETS, FIELD_RECIPE, demo_spec


@pytest.mark.parametrize("budget", sorted(BUDGETS))
def test_every_step_uses_the_budget_s_window(tmp_path: Path, budget: str) -> None:
    spec = demo_spec(tmp_path, budget=budget)
    window_s = BUDGETS[budget]["window_s"]
    assert spec.strategies["strategies"]["windows"]["window_s"] == window_s
    assert spec.train_variants["globals"]["sequence_len"] == pytest.approx(window_s * 1000)
    assert {v["seq_len"] for v in spec.benchmark_variants["variants"]} == {window_s}


@pytest.mark.parametrize("budget", sorted(BUDGETS))
def test_only_the_windows_model_trains_with_the_field_recipe(tmp_path: Path,
                                                             budget: str) -> None:
    variants = demo_spec(tmp_path, budget=budget).train_variants
    width = BUDGETS[budget]["width"]
    assert variants["globals"]["augmentation"] is False
    assert variants[f"windows_w{width}"] == {"dataset": "dataset_windows", **FIELD_RECIPE}
    assert variants[f"calls_w{width}"] == {"dataset": "dataset_calls"}
    assert FIELD_RECIPE["augmentation"] is True and FIELD_RECIPE["augment_policy"] == "field"


def test_an_unknown_budget_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="budget must be one of"):
        demo_spec(tmp_path, budget="huge")
