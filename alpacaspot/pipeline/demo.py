"""The demo: the whole pipeline on a synthetic alpaca corpus, on this machine.

``make demo`` runs :func:`run_demo` through ``examples/run_pipeline.py``. The environment
variable ``ALPACASPOT_DEMO_BUDGET`` picks the budget: ``full`` (the README's figures) or
``small`` (a quick smoke run used by the tests).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import pandas as pd

from alpacaspot.errors import ConfigError
from alpacaspot.pipeline.run import PipelineResult, PipelineSpec, run_pipeline

__all__ = ["BUDGETS", "FIELD_RECIPE", "POSTPROCESS", "SHARED_COLUMNS", "demo_spec", "run_demo",
           "results_table"]

_log = logging.getLogger(__name__)

#: Event post-processing of the demo: the curve of the window centred on each hop; runs closer
#: than two hops merge, and events shorter than 0.1 s (a hum's median is 0.27 s) are dropped.
POSTPROCESS: dict[str, Any] = {"curve": "centre", "merge_gap_s": 0.1, "min_duration_s": 0.1}

#: Sizes per budget: corpus tapes and minutes, network width, epochs, window length.
BUDGETS: dict[str, dict[str, Any]] = {
    "full": {"train_tapes": 8, "train_minutes": 3.0, "bench_tapes": 6, "bench_minutes": 3.0,
             "width": 16, "epochs": 8, "window_s": 0.8, "windows_hop_s": 0.05,
             "thresholds": [0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99]},
    "small": {"train_tapes": 3, "train_minutes": 1.0, "bench_tapes": 2, "bench_minutes": 0.5,
              "width": 8, "epochs": 1, "window_s": 0.4, "windows_hop_s": 0.1,
              "thresholds": [0.5, 0.9]},
}

#: Training settings of the windows variant on top of the common ones: field-audio
#: augmentation (background of other clips mixed in, EQ tilt, small shifts, masks) and a moving
#: average of the weights, the recipe that held up best on recordings unlike the training
#: tapes (``benchmarks/bench_generalisation.py``).
FIELD_RECIPE: dict[str, Any] = {"augmentation": True, "augment_policy": "field",
                                "ema_decay": 0.995}


def demo_spec(out: str | os.PathLike[str], *, budget: str | None = None,
              executor: str = "local") -> PipelineSpec:
    """The demo's embedded default pipeline.

    Two dataset variants (ANIMAL-SPOT call-centred clips; windows along the tapes labelled by
    whether their centre lies in a hum, four noise windows per hum window, since decoys and
    background bursts cause most false events), a narrow ResNet-18 on each (width 16 and
    0.8 s windows in the full budget) on spectrograms that keep every frequency bin
    (``freq_compression=linear_interp``; ANIMAL-SPOT's nearest-neighbour resize drops 43 of
    the 171 bins of 0-4 kHz, and with it the detector missed more faint hums). The windows
    model trains with :data:`FIELD_RECIPE` (field-audio augmentation and a moving average of
    the weights, chosen on the domain-shift benchmark's validation sets, as were the window
    length and width), the call-clip model without augmentation. Events come from the curve
    of the window centred on each hop with fragments merged and blips dropped
    (:data:`POSTPROCESS`), at thresholds up to 0.99. After training, each model is calibrated
    on its dataset's validation and test tapes (the pipeline's default): a temperature and the
    threshold of :data:`POSTPROCESS`, stored in the model.

    Parameters
    ----------
    out : path
        Output folder.
    budget : {"full", "small"}, optional
        Default: ``$ALPACASPOT_DEMO_BUDGET`` or ``"full"``.
    executor : {"local", "slurm"}

    Returns
    -------
    PipelineSpec

    Examples
    --------
    >>> demo_spec("demo_run", budget="small").train_variants["active_variants"]
    ['calls_w8', 'windows_w8']
    """
    name = budget or os.environ.get("ALPACASPOT_DEMO_BUDGET", "full")
    if name not in BUDGETS:
        raise ConfigError(f"demo budget must be one of {sorted(BUDGETS)}, got {name!r}")
    b = BUDGETS[name]
    width = b["width"]
    strategies = {
        "active_strategies": ["calls", "windows"],
        "strategies": {
            "calls": {"split_strategy": "by_tape", "seed": 7, "min_quality": 1,
                      "noise_per_hum": 1.5, "noise_mining": {"margin_s": 0.2,
                                                             "fallback_raw": True},
                      "sampling": "calls", "context_s": 0.1},
            "windows": {"split_strategy": "by_tape", "seed": 7, "min_quality": 1,
                        "sampling": "windows", "window_s": b["window_s"],
                        "hop_s": b["windows_hop_s"],
                        "noise_ratio": 4.0},
        },
    }
    common = {"sequence_len": round(b["window_s"] * 1000), "n_fft": 2048, "hop_length": 1024,
              "sr": 48000, "n_freq_bins": 128, "fmin": 0, "fmax": 4000,
              "freq_compression": "linear_interp", "width": width,
              "max_train_epochs": b["epochs"], "epochs_per_eval": 1, "batch_size": 32,
              "lr": 3e-5, "early_stopping_patience_epochs": 6, "lr_patience_epochs": 3,
              "seed": 1, "num_workers": 0, "augmentation": False}
    train_variants = {
        "globals": {**common, "slurm": {"partition": "gpu", "time": "02:00:00", "gpus": 1,
                                        "cpus": 2, "mem": "8G"}},
        f"calls_w{width}": {"dataset": "dataset_calls"},
        f"windows_w{width}": {"dataset": "dataset_windows", **FIELD_RECIPE},
        "active_variants": [f"calls_w{width}", f"windows_w{width}"],
    }
    bench_variants = [{"seq_len": b["window_s"], "hop": 0.05, "threshold": t}
                      for t in b["thresholds"]]
    return PipelineSpec(
        out=out,
        training_corpus={"n_tapes": b["train_tapes"], "minutes_per_tape": b["train_minutes"],
                         "seed": 11},
        benchmark_corpus={"n_tapes": b["bench_tapes"], "minutes_per_tape": b["bench_minutes"],
                          "seed": 2024},
        strategies=strategies,
        train_variants=train_variants,
        benchmark_variants={"slurm": {"partition": "gpu", "time": "01:00:00", "gpus": 1,
                                      "evaluate": {"partition": "cpu", "gpus": None}},
                            "postprocess": dict(POSTPROCESS),
                            "variants": bench_variants},
        post=dict(POSTPROCESS),
        executor=executor,
    )


#: Columns of a model's shared-mode runs that :func:`results_table` puts beside the exact
#: ones (with the suffix ``_shared``).
SHARED_COLUMNS: tuple[str, ...] = ("op_f1", "op_precision", "op_recall", "f1",
                                   "best_threshold_f1")


def results_table(metrics: pd.DataFrame, *, criterion: str = "iou") -> pd.DataFrame:
    """Per model: F1 at its stored operating point (the headline) and the best tag's F1.

    The best tag comes from :func:`alpacaspot.evaluate.report.best_per_model`; the
    operating-point columns (``op_f1``, ``op_precision``, ``op_recall``, ``op_threshold``,
    chosen on held-out tapes of the training corpus) and ``best_threshold_f1`` (the best F1
    over thresholds tried on the benchmark itself) are added when the metrics have them.
    When the metrics hold shared-mode runs (``mode`` column; run ``<model>.shared``), each
    model keeps one row and its shared-mode figures stand beside the exact ones:
    ``op_f1_shared`` after ``op_f1``, and so on for :data:`SHARED_COLUMNS` (same operating
    point: the fitted model keeps it).

    Examples
    --------
    >>> m = pd.DataFrame({"model": ["a", "a"], "tag": ["t1", "t2"], "criterion": "iou",
    ...                   "f1": [0.5, 0.7], "precision": [0.5, 0.7], "recall": [0.5, 0.7],
    ...                   "op_f1": 0.65, "op_threshold": 0.4, "best_threshold_f1": 0.72})
    >>> results_table(m)[["tag", "op_f1", "best_threshold_f1"]].values.tolist()
    [['t2', 0.65, 0.72]]
    >>> both = pd.concat([m.assign(mode="exact"), m.assign(model="a.shared", mode="shared",
    ...                                                    op_f1=0.6)])
    >>> results_table(both)[["model", "op_f1", "op_f1_shared"]].values.tolist()
    [['a', 0.65, 0.6]]
    """
    if "mode" not in metrics.columns or not (metrics["mode"] == "shared").any():
        return _one_mode_table(metrics, criterion)
    from alpacaspot.evaluate.runs import base_model

    is_shared = metrics["mode"] == "shared"
    shared = metrics[is_shared].assign(
        model=[base_model(str(m), "shared") for m in metrics.loc[is_shared, "model"]])
    exact = _one_mode_table(metrics[~is_shared], criterion)
    fast = _one_mode_table(shared, criterion)
    cols = [c for c in SHARED_COLUMNS if c in fast.columns]
    fast = fast[["model", *cols]].rename(columns={c: f"{c}_shared" for c in cols})
    table = (exact.merge(fast, how="outer", on="model") if len(exact.columns) else fast)
    order: list[str] = []
    for c in table.columns:
        if c.endswith("_shared"):
            continue
        order.append(c)
        if f"{c}_shared" in table.columns:
            order.append(f"{c}_shared")
    order += [c for c in table.columns if c not in order]
    return table[order].sort_values("model", kind="stable").reset_index(drop=True)


def _one_mode_table(metrics: pd.DataFrame, criterion: str) -> pd.DataFrame:
    from alpacaspot.evaluate.report import best_per_model

    table = best_per_model(metrics.drop(columns=["mode"], errors="ignore"),
                           criterion=criterion)
    extra = [c for c in ("op_f1", "op_precision", "op_recall", "op_threshold",
                         "best_threshold_f1") if c in metrics.columns]
    if table.empty or not extra:
        return table
    rows = metrics.loc[metrics["model"].isin(table["model"]) & metrics["criterion"].isin(
        table["criterion"]), ["model", "criterion", *extra]]
    rows = rows.drop_duplicates(["model", "criterion"])
    table = table.merge(rows, how="left", on=["model", "criterion"])
    lead = ["model", *[c for c in extra if c.startswith("op_")]]
    return table[lead + [c for c in table.columns if c not in lead]]


def run_demo(out: str | os.PathLike[str] = "demo_run", *, budget: str | None = None,
             executor: str = "local") -> PipelineResult:
    """Run the demo pipeline and log its results table.

    Examples
    --------
    >>> result = run_demo("demo_run")  # doctest: +SKIP
    """
    result = run_pipeline(demo_spec(out, budget=budget, executor=executor))
    table = results_table(result.metrics)
    _log.info("results per model, IoU >= 0.4 (op_*: at the operating point chosen on "
              "held-out training tapes; f1, best_threshold_f1: best threshold on the "
              "benchmark itself):\n%s", table.to_string(index=False))
    _log.info("metrics: %s; figures: %s", result.metrics_path,
              ", ".join(str(Path(p)) for p in result.figures))
    return result
