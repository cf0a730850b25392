"""The benchmark report: the printed results table and the analysis figures, from metric files.

:func:`benchmark_report` reads what :func:`~alpacaspot.evaluate.evaluate_benchmark` wrote
(``metrics.csv`` and, beside it, ``metrics_per_tape.csv``, ``metrics_sweep.csv``,
``metrics_pairs.parquet`` when present), draws the figures with
:mod:`alpacaspot.evaluate.plots` and returns them with the results table.
``examples/metrics_analysis.py`` and :func:`alpacaspot.pipeline.run_pipeline` both call it.
Torch-free; matplotlib is loaded when drawing.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from alpacaspot.errors import SchemaError

__all__ = ["BenchmarkReport", "DetectionView", "FIGURE_NAMES", "results_table",
           "best_per_model", "benchmark_report"]

_log = logging.getLogger(__name__)

PathLike = str | os.PathLike[str]

#: File names (without ``.png``) of the report's figures, in drawing order.
FIGURE_NAMES: tuple[str, ...] = ("leaderboard", "threshold_curves", "pr_curves", "tape_recall",
                                 "boundary_errors", "detections")

_TABLE_COLUMNS = ("model", "tag", "criterion", "mode", "n_gt", "n_pred", "tp", "precision",
                  "recall", "f1", "median_dstart_ms", "median_dend_ms", "ap", "best_threshold")


@dataclass(frozen=True)
class DetectionView:
    """One stretch of one recording to draw with its ground truth and detections.

    Parameters
    ----------
    audio : path
        The recording.
    gt : path
        Ground truth: anything :func:`~alpacaspot.evaluate.load_ground_truth` reads.
    run : path
        The run folder whose detections to draw.
    recording : str, optional
        The recording's name in the tables.
    labels : tuple of str
        Ground-truth labels to draw (empty: all).
    start_s, end_s : float
        The stretch, in seconds.
    """

    audio: PathLike
    gt: PathLike | pd.DataFrame
    run: PathLike
    recording: str | None = None
    labels: tuple[str, ...] = ("hum",)
    start_s: float = 0.0
    end_s: float = 30.0


@dataclass(frozen=True)
class BenchmarkReport:
    """What :func:`benchmark_report` produced.

    Attributes
    ----------
    table : str
        The results table (best F1 first), as printed.
    figures : tuple of Path
        The PNG files written, sorted by name.
    """

    table: str
    figures: tuple[Path, ...]


def results_table(metrics: pd.DataFrame, *, top: int = 15) -> str:
    """The results table: the ``top`` rows of ``metrics`` by F1, as fixed-width text.

    With a ``mode`` column (``exact``/``shared``), exact and shared runs of a model are ranked
    together, each row naming its mode.

    Examples
    --------
    >>> m = pd.DataFrame({"model": ["a", "b"], "tag": ["t", "t"], "f1": [0.5, 0.75]})
    >>> print(results_table(m))
    model tag   f1
        b   t 0.75
        a   t 0.50
    """
    if "f1" not in metrics.columns:
        raise SchemaError(f"the results table needs an 'f1' column; got {list(metrics.columns)}",
                          path=metrics.attrs.get("path"))
    cols = [c for c in _TABLE_COLUMNS if c in metrics.columns]
    ranked = metrics.sort_values("f1", ascending=False, kind="stable")
    return ranked[cols].head(top).to_string(index=False)


def best_per_model(metrics: pd.DataFrame, *, criterion: str = "iou") -> pd.DataFrame:
    """Best F1 per model: its tag, AP, F1-best threshold and median boundary errors.

    A model's shared-mode runs (``<model>.shared``) are a model of their own here; see
    :func:`alpacaspot.pipeline.demo.results_table` for both modes side by side.

    Parameters
    ----------
    metrics : pandas.DataFrame
        One row per (model, tag, criterion), as in ``metrics.csv``.
    criterion : str
        Keep the criteria whose name starts with this (``"iou"`` matches ``iou0.4``).

    Examples
    --------
    >>> m = pd.DataFrame({"model": ["a", "a"], "tag": ["t1", "t2"], "criterion": "iou",
    ...                   "f1": [0.5, 0.7], "precision": [0.5, 0.7], "recall": [0.5, 0.7]})
    >>> best_per_model(m)["tag"].tolist()
    ['t2']
    """
    rows = metrics
    if "criterion" in metrics:
        rows = metrics[metrics["criterion"].astype(str).str.startswith(criterion)]
    if rows.empty:
        return rows
    best = rows.sort_values(["model", "f1", "tag"], ascending=[True, False, True])
    best = best.groupby("model", sort=True).head(1)
    wanted = ["model", "tag", "criterion", "mode", "f1", "precision", "recall", "ap",
              "best_threshold",
              "median_dstart_ms", "median_dend_ms"]
    return best[[c for c in wanted if c in best.columns]].reset_index(drop=True)


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        table = pd.read_csv(path)
    except FileNotFoundError:
        raise SchemaError("metrics file does not exist", path=path) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise SchemaError(f"not a readable metrics table ({exc})", path=path) from None
    table.attrs["path"] = str(path)
    return table


def benchmark_report(
    metrics_path: PathLike,
    figures_dir: PathLike,
    *,
    criterion: str | None = None,
    top: int = 15,
    view: DetectionView | None = None,
) -> BenchmarkReport:
    """Draw the benchmark figures and make the results table from ``metrics.csv``.

    Figures (``<figures_dir>/<name>.png``, names in :data:`FIGURE_NAMES`): the leaderboard;
    precision/recall/F1 against the threshold and PR curves (from ``metrics_sweep.csv`` when
    present, else one point per tag); recall per tape (when ``metrics_per_tape.csv`` exists);
    boundary errors (when ``metrics_pairs.parquet`` exists); the detection view when ``view``
    is given.

    Parameters
    ----------
    metrics_path : path
        ``metrics.csv`` as :func:`~alpacaspot.evaluate.evaluate_benchmark` writes it; the other
        tables are looked for beside it (``metrics_per_tape.csv``, ...).
    figures_dir : path
        Folder of the PNG files (created).
    criterion : str, optional
        Matching criterion to plot (default: the first).
    top : int
        Rows of the results table.
    view : DetectionView, optional
        A stretch of a recording to draw.

    Returns
    -------
    BenchmarkReport

    Raises
    ------
    SchemaError
        When ``metrics.csv`` is missing, unreadable or lacks the columns a figure needs.

    Examples
    --------
    >>> report = benchmark_report("BENCHMARK/metrics.csv", "figures")  # doctest: +SKIP
    >>> print(report.table)  # doctest: +SKIP
    """
    from alpacaspot.evaluate import plots

    metrics_path = Path(metrics_path)
    figures = Path(figures_dir)
    figures.mkdir(parents=True, exist_ok=True)

    def beside(suffix: str) -> Path:
        return metrics_path.with_name(metrics_path.stem + suffix)

    metrics = _read_csv(metrics_path)
    table = results_table(metrics, top=top)
    plots.plot_leaderboard(metrics, criterion=criterion, path=figures / "leaderboard.png")
    written = [figures / "leaderboard.png"]
    sweep_path = beside("_sweep.csv")
    curves = _read_csv(sweep_path) if sweep_path.is_file() else metrics
    plots.plot_threshold_curves(curves, criterion=criterion,
                                path=figures / "threshold_curves.png")
    plots.plot_pr_curves(curves, criterion=criterion, path=figures / "pr_curves.png")
    written += [figures / "threshold_curves.png", figures / "pr_curves.png"]
    per_tape_path = beside("_per_tape.csv")
    if per_tape_path.is_file():
        plots.plot_tape_heatmap(_read_csv(per_tape_path), criterion=criterion,
                                path=figures / "tape_recall.png")
        written.append(figures / "tape_recall.png")
    else:
        _log.info("no %s: no per-tape figure", per_tape_path)
    pairs_path = beside("_pairs.parquet")
    if pairs_path.is_file():
        plots.plot_boundary_errors(pd.read_parquet(pairs_path), criterion=criterion,
                                   path=figures / "boundary_errors.png")
        written.append(figures / "boundary_errors.png")
    if view is not None:
        from alpacaspot.evaluate.groundtruth import load_ground_truth
        from alpacaspot.evaluate.runs import load_detections

        gt = load_ground_truth(view.gt, labels=list(view.labels) or None)
        pred = load_detections(view.run)
        plots.plot_detections(view.audio, gt, pred, start_s=view.start_s, end_s=view.end_s,
                              recording=view.recording, path=figures / "detections.png")
        written.append(figures / "detections.png")
    return BenchmarkReport(table=table, figures=tuple(sorted(written)))
