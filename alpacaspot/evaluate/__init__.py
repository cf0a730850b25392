"""Evaluation: event matching, metrics, threshold sweeps, benchmark tables and plots.

Nothing here imports torch or :mod:`alpacaspot.detect`; post-processing of window scores is
passed in as a callable. Plots live in :mod:`alpacaspot.evaluate.plots` (imported on demand,
so that matplotlib loads only when drawing).
"""

from alpacaspot.evaluate.benchmark import criterion_name, evaluate_benchmark
from alpacaspot.evaluate.calibration import (
    apply_temperature,
    check_f1_tolerance,
    choose_operating_point,
    expected_calibration_error,
    f1_standard_error,
    fit_temperature,
    window_labels,
)
from alpacaspot.evaluate.groundtruth import default_tape, load_ground_truth
from alpacaspot.evaluate.matching import CRITERIA, Matching, match_events, pair_criterion
from alpacaspot.evaluate.metrics import (
    count_correlation,
    event_metrics,
    metrics_from_matching,
    per_group_metrics,
    prf,
)
from alpacaspot.evaluate.report import (
    BenchmarkReport,
    DetectionView,
    benchmark_report,
    results_table,
)
from alpacaspot.evaluate.runs import (
    attach_tapes,
    discover_runs,
    format_tag,
    load_detections,
    load_scores,
    parse_tag,
    scores_dir,
)
from alpacaspot.evaluate.sweep import (
    average_precision,
    default_thresholds,
    summarize_sweep,
    sweep_thresholds,
)

__all__ = [
    "BenchmarkReport",
    "CRITERIA",
    "DetectionView",
    "Matching",
    "apply_temperature",
    "attach_tapes",
    "average_precision",
    "benchmark_report",
    "check_f1_tolerance",
    "choose_operating_point",
    "f1_standard_error",
    "count_correlation",
    "criterion_name",
    "default_tape",
    "default_thresholds",
    "discover_runs",
    "evaluate_benchmark",
    "event_metrics",
    "expected_calibration_error",
    "fit_temperature",
    "format_tag",
    "load_detections",
    "load_ground_truth",
    "load_scores",
    "match_events",
    "metrics_from_matching",
    "pair_criterion",
    "parse_tag",
    "per_group_metrics",
    "prf",
    "results_table",
    "scores_dir",
    "summarize_sweep",
    "sweep_thresholds",
    "window_labels",
]
