"""Benchmark evaluation: every run under ``BENCHMARK/runs`` against the ground truth.

Writes ``metrics.csv`` (one row per model, tag and matching criterion) and
``metrics_per_tape.csv`` (the same per tape), each also as Parquet, with the alpaca fork's
columns plus median boundary errors, per-quality counts, and for each (model, window, hop)
group the average precision and the F1-best threshold over its tags. With a post-processing
callable, a fine threshold sweep over the stored window scores adds ``ap_sweep``,
``best_threshold_sweep`` and ``best_f1_sweep`` and writes ``metrics_sweep.csv``. The matched
pairs go to ``metrics_pairs.parquet`` for boundary-error plots.

The headline is the F1 at the model's stored operating point (chosen on validation tapes,
never on these): ``op_f1``, ``op_precision``, ``op_recall``, ``op_threshold`` per (model,
window, hop, criterion), from the stored window scores of a calibrated model (NaN for a
model without one). ``best_threshold_f1`` is the secondary figure: the best F1 over the
thresholds tried on the benchmark itself (the fine sweep's when there is one, else the
tags'), an optimistic bound no user can choose in advance.

The ``mode`` column says how a run's window scores were computed (``exact`` or ``shared``,
from the scores files' metadata; ``exact`` without stored scores), so exact and shared runs
of one model (``<model>`` and ``<model>.shared``) are told apart.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from alpacaspot._atomic import atomic_write_text
from alpacaspot.errors import ConfigError
from alpacaspot.evaluate.groundtruth import GroundTruthSource, load_ground_truth
from alpacaspot.evaluate.matching import CRITERIA, match_events
from alpacaspot.evaluate.metrics import count_correlation, metrics_from_matching, per_group_metrics
from alpacaspot.evaluate.runs import (
    attach_tapes,
    discover_runs,
    load_detections,
    load_scores,
    scores_dir,
    scores_mode,
)
from alpacaspot.evaluate.sweep import PostProcess, summarize_sweep, sweep_thresholds
from alpacaspot.events import operating_point
from alpacaspot.io.schemas import METRICS
from alpacaspot.io.tables import write_table

__all__ = ["evaluate_benchmark", "criterion_name"]

_log = logging.getLogger(__name__)
_KEYS = ["model", "tag", "criterion", "mode", "variant", "layer", "seq_s", "hop_s",
         "threshold"]


def criterion_name(criterion: str, *, iou: float, collar_s: float, offset_collar_pct: float) -> str:
    """Short text naming a matching criterion and its parameters.

    Examples
    --------
    >>> criterion_name("iou", iou=0.4, collar_s=0.2, offset_collar_pct=0.2)
    'iou>=0.4'
    >>> criterion_name("onset_offset", iou=0.4, collar_s=0.2, offset_collar_pct=0.2)
    'onset_offset<=0.2s/20%'
    """
    if criterion == "iou":
        return f"iou>={iou:g}"
    if criterion == "overlap":
        return "overlap"
    if criterion == "onset":
        return f"onset<={collar_s:g}s"
    return f"onset_offset<={collar_s:g}s/{offset_collar_pct * 100:g}%"


def _write_both(table: pd.DataFrame, csv_path: Path, *, schema: object = None) -> None:
    atomic_write_text(csv_path, table.to_csv(index=False, lineterminator="\n"))
    write_table(table, csv_path.with_suffix(".parquet"), schema=schema)


def _tape_correlation(per_tape: pd.DataFrame) -> tuple[float, float]:
    return count_correlation(per_tape["n_gt"].to_numpy(), per_tape["n_pred"].to_numpy())


def _group_summaries(metrics: pd.DataFrame) -> pd.DataFrame:
    """AP and best threshold over the tags of each (model, seq, hop, criterion) group."""
    rows = []
    for key, grp in metrics.groupby(["model", "seq_s", "hop_s", "criterion"], sort=True):
        rows.append(dict(zip(["model", "seq_s", "hop_s", "criterion"], key, strict=True))
                    | summarize_sweep(grp))
    cols = ["model", "seq_s", "hop_s", "criterion", "ap", "best_threshold", "best_f1"]
    return pd.DataFrame(rows, columns=cols)


def evaluate_benchmark(
    gt: GroundTruthSource,
    runs_root: str | os.PathLike[str],
    *,
    iou: float = 0.4,
    labels: Sequence[str] | None = None,
    post: PostProcess | None = None,
    criteria: Sequence[str] = ("iou",),
    collar_s: float = 0.2,
    offset_collar_pct: float = 0.2,
    thresholds: Iterable[float] | None = None,
    out: str | os.PathLike[str] | None = None,
    progress: bool | None = None,
) -> pd.DataFrame:
    """Evaluate every benchmark run below ``runs_root``; write the metrics tables.

    Parameters
    ----------
    gt : DataFrame or path
        Ground truth: a corpus folder, ``corpus_index.parquet``, the seed's
        ``corpus_index.json``, Raven tables or an events DataFrame (see
        :func:`~alpacaspot.evaluate.load_ground_truth`). Tapes come from its ``tape`` column
        or ``corpus_recordings.parquet``.
    runs_root : path
        ``BENCHMARK/runs``: run folders ``<model>/<tag>/evaluation/`` at any depth.
    iou : float
        IoU threshold of the ``"iou"`` criterion.
    labels : sequence of str, optional
        Target labels kept from the ground truth (e.g. ``("hum",)``); all labels when None.
        Detections are matched per recording (binary detection).
    post : callable, optional
        ``post(scores, threshold) -> events``; enables the fine sweep over stored scores.
    criteria : sequence of str
        Matching criteria, each giving its own rows (``"iou"``, ``"overlap"``, ``"onset"``,
        ``"onset_offset"``).
    collar_s, offset_collar_pct : float
        Parameters of the collar criteria.
    thresholds : iterable of float, optional
        Thresholds of the fine sweep (default: 0.01..0.99 and 0.975, 0.985).
    out : path, optional
        The metrics CSV; default ``<runs_root>/../metrics.csv``. ``metrics_per_tape.csv``,
        ``metrics_sweep.csv``, ``metrics_pairs.parquet`` and Parquet copies go beside it.
    progress : bool, optional
        Show progress bars (None: only on a terminal).

    Returns
    -------
    pandas.DataFrame
        The metrics table (one row per model, tag and criterion).

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> ev = root / "runs" / "m1" / "len400_hop050_th90" / "evaluation"
    >>> ev.mkdir(parents=True)
    >>> gt = pd.DataFrame({"recording": ["a.wav"], "begin_s": [1.0], "end_s": [1.3]})
    >>> from alpacaspot.io import write_table
    >>> _ = write_table(gt, ev / "index.parquet", schema="events")
    >>> m = evaluate_benchmark(gt, root / "runs", progress=False)
    >>> m[["model", "tag", "tp", "f1"]].values.tolist()
    [['m1', 'len400_hop050_th90', 1, 1.0]]
    """
    for c in criteria:
        if c not in CRITERIA:
            raise ConfigError(f"unknown matching criterion {c!r}; expected one of {CRITERIA}")
    truth = load_ground_truth(gt, labels=labels)
    runs = discover_runs(runs_root)
    out_path = Path(out) if out is not None else Path(runs_root).parent / "metrics.csv"
    match_kw = {"iou": iou, "collar_s": collar_s, "offset_collar_pct": offset_collar_pct}
    rows, tape_rows, pair_tables = [], [], []
    modes: dict[tuple[str, float, float], str] = {}
    disable = None if progress is None else not progress
    for run in tqdm(runs.itertuples(index=False), total=len(runs), desc="runs", unit="run",
                    disable=disable):
        pred = load_detections(run.run_dir)
        if pred is None:
            _log.warning("run %s has no evaluation output; skipped", run.run_dir)
            continue
        pred = attach_tapes(pred, truth)
        group = (run.model, run.seq_s, run.hop_s)
        if group not in modes:
            modes[group] = scores_mode(scores_dir(runs_root, *group))
        keys = {"model": run.model, "tag": run.tag, "mode": modes[group], "variant": run.tag,
                "layer": "evaluation", "seq_s": run.seq_s, "hop_s": run.hop_s,
                "threshold": run.threshold}
        for crit in criteria:
            m = match_events(truth, pred, criterion=crit, threshold=iou, collar_s=collar_s,
                             offset_collar_pct=offset_collar_pct, by=("recording",))
            name = criterion_name(crit, **match_kw)
            per_tape = per_group_metrics(truth, pred, m, column="tape")
            pearson, spearman = _tape_correlation(per_tape)
            rows.append(keys | {"criterion": name} | metrics_from_matching(truth, pred, m)
                        | {"pearson_calls": pearson, "spearman_calls": spearman})
            tape_rows.append(per_tape.assign(**keys, criterion=name))
            pairs = m.pairs
            pair_tables.append(pd.DataFrame({
                **{k: keys[k] for k in ("model", "tag")}, "criterion": name,
                "recording": truth["recording"].to_numpy()[pairs["gt"].to_numpy()],
                "tape": truth["tape"].to_numpy()[pairs["gt"].to_numpy()],
                "gt_begin_s": truth["begin_s"].to_numpy()[pairs["gt"].to_numpy()],
                "iou": pairs["iou"], "d_onset_s": pairs["d_onset_s"],
                "d_offset_s": pairs["d_offset_s"],
            }))
    metrics = _finish(pd.DataFrame(rows), truth)
    if len(metrics):
        metrics = metrics.merge(_group_summaries(metrics), how="left",
                                on=["model", "seq_s", "hop_s", "criterion"])
    if post is not None and len(metrics):
        sweep = _fine_sweeps(truth, runs_root, metrics, post, criteria, match_kw, thresholds,
                             disable)
        if len(sweep):
            _write_both(sweep, out_path.with_name(out_path.stem + "_sweep.csv"))
            summary = (sweep.groupby(["model", "seq_s", "hop_s", "criterion"], sort=True)
                       .apply(lambda g: pd.Series(summarize_sweep(g)), include_groups=False)
                       .add_suffix("_sweep").reset_index())
            metrics = metrics.merge(summary, how="left",
                                    on=["model", "seq_s", "hop_s", "criterion"])
    if len(metrics):
        metrics = _with_operating_point(metrics, truth, runs_root, criteria, match_kw)
    per_tape_all = _finish(pd.concat(tape_rows, ignore_index=True) if tape_rows else
                           pd.DataFrame(), truth, first=["tape"])
    _write_both(metrics, out_path, schema=METRICS)
    _write_both(per_tape_all, out_path.with_name(out_path.stem + "_per_tape.csv"),
                schema=METRICS)
    pairs_all = (pd.concat(pair_tables, ignore_index=True) if pair_tables else pd.DataFrame(
        columns=["model", "tag", "criterion", "recording", "tape", "gt_begin_s", "iou",
                 "d_onset_s", "d_offset_s"]))
    write_table(pairs_all, out_path.with_name(out_path.stem + "_pairs.parquet"))
    _log.info("evaluated %d run(s); metrics in %s", len(runs), out_path)
    return metrics


_OP_COLUMNS = ["op_f1", "op_precision", "op_recall", "op_threshold"]


def _with_operating_point(metrics: pd.DataFrame, truth: pd.DataFrame,
                          runs_root: str | os.PathLike[str], criteria: Sequence[str],
                          match_kw: dict[str, float]) -> pd.DataFrame:
    """Add the F1 at each model's stored operating point and ``best_threshold_f1``."""
    rows = []
    groups = metrics[["model", "seq_s", "hop_s"]].drop_duplicates().itertuples(index=False)
    for model, seq_s, hop_s in groups:
        scores = load_scores(scores_dir(runs_root, model, seq_s, hop_s))
        op = None if scores is None else operating_point(scores)
        if op is None or op.threshold is None:
            continue
        for crit in criteria:
            sw = sweep_thresholds(truth, scores, [op.threshold], post=op, criterion=crit,
                                  iou=match_kw["iou"], collar_s=match_kw["collar_s"],
                                  offset_collar_pct=match_kw["offset_collar_pct"],
                                  progress=False)
            at = sw.iloc[0]
            rows.append({"model": model, "seq_s": seq_s, "hop_s": hop_s,
                         "criterion": criterion_name(crit, **match_kw),
                         "op_f1": at["f1"], "op_precision": at["precision"],
                         "op_recall": at["recall"], "op_threshold": op.threshold})
    keys = ["model", "seq_s", "hop_s", "criterion"]
    if rows:
        metrics = metrics.merge(pd.DataFrame(rows), how="left", on=keys)
    else:
        metrics = metrics.assign(**{c: np.nan for c in _OP_COLUMNS})
    best = metrics["best_f1_sweep"] if "best_f1_sweep" in metrics else metrics["best_f1"]
    metrics["best_threshold_f1"] = best.fillna(metrics["best_f1"])
    return metrics


def _finish(table: pd.DataFrame, truth: pd.DataFrame, first: Sequence[str] = ()) -> pd.DataFrame:
    """Key columns first, sorted rows; an empty table still has the schema's columns."""
    if len(table) == 0:
        base = METRICS.empty()
        for col in [*_KEYS, *first]:
            if col not in base.columns:
                base[col] = pd.Series([], dtype="object")
        return base
    lead = [c for c in [*_KEYS, *first] if c in table.columns]
    table = table[lead + [c for c in table.columns if c not in lead]]
    return table.sort_values([*lead[:3], *first], kind="stable").reset_index(drop=True)


def _fine_sweeps(
    truth: pd.DataFrame,
    runs_root: str | os.PathLike[str],
    metrics: pd.DataFrame,
    post: PostProcess,
    criteria: Sequence[str],
    match_kw: dict[str, float],
    thresholds: Iterable[float] | None,
    disable: bool | None,
) -> pd.DataFrame:
    ths = None if thresholds is None else np.asarray(list(thresholds), dtype=np.float64)
    tables = []
    groups = metrics[["model", "seq_s", "hop_s"]].drop_duplicates().itertuples(index=False)
    for model, seq_s, hop_s in groups:
        folder = scores_dir(runs_root, model, seq_s, hop_s)
        scores = load_scores(folder)
        if scores is None:
            _log.info("no stored window scores in %s; no fine sweep", folder)
            continue
        for crit in criteria:
            sw = sweep_thresholds(
                truth, scores, ths, post=post, criterion=crit, iou=match_kw["iou"],
                collar_s=match_kw["collar_s"], offset_collar_pct=match_kw["offset_collar_pct"],
                progress=None if disable is None else not disable,
            )
            tables.append(sw.assign(model=model, seq_s=seq_s, hop_s=hop_s,
                                    criterion=criterion_name(crit, **match_kw)))
    if not tables:
        return pd.DataFrame()
    sweep = pd.concat(tables, ignore_index=True)
    lead = ["model", "seq_s", "hop_s", "criterion", "threshold"]
    return sweep[lead + [c for c in sweep.columns if c not in lead]]
