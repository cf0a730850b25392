"""Tests of alpacaspot.pipeline.problems: what every pre-run check reports to."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from alpacaspot.errors import ConfigError
from alpacaspot.pipeline.problems import CheckReport, Collector, Problem


def test_guard_turns_errors_into_problems_and_lets_the_rest_run(tmp_path: Path) -> None:
    sink = Collector()
    with sink.guard("train", "variants", tmp_path / "v.json", hint="fix the file"):
        raise ConfigError("expected a list", path=tmp_path / "v.json", line=3)
    with sink.guard("benchmark", "corpus", tmp_path / "c"):
        (tmp_path / "c" / "missing.parquet").read_bytes()
    with sink.guard("evaluate", "scores"):
        pass
    sink.add("train", None, "low disk", severity="warning")
    assert sink.checks == ["train:variants", "benchmark:corpus", "evaluate:scores"]
    first, second, third = sink.problems
    assert first == Problem("train", str(tmp_path / "v.json"), "line 3: expected a list",
                            "fix the file")
    assert second.path == str(tmp_path / "c" / "missing.parquet")
    assert second.message.startswith("corpus: ") and second.severity == "error"
    assert third.severity == "warning"
    report = CheckReport(root="r", stages=("train",), problems=tuple(sink.problems))
    assert not report.ok and len(report.errors) == 2 and len(report.warnings) == 1


def test_other_exceptions_are_not_swallowed() -> None:
    sink = Collector()
    with pytest.raises(ZeroDivisionError), sink.guard("train", "maths"):
        _ = 1 / 0
    assert sink.problems == []


def test_former_names_stay_importable_from_check() -> None:
    check_module = importlib.import_module("alpacaspot.pipeline.check")
    assert check_module._Collector is Collector
    assert check_module.Problem is Problem and check_module.CheckReport is CheckReport
