# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Benchmark metrics: which model, window, hop and threshold find alpaca hums best?
#
# Opens in Jupyter (`jupyter lab examples/metrics_analysis.py`, via Jupytext) or runs as a
# script:
#
#     python examples/metrics_analysis.py --metrics BENCHMARK/metrics.csv --figures figures/
#
# Inputs are the tables written by `examples/evaluate_benchmark.py` (or
# `alpacaspot.evaluate.evaluate_benchmark`): `metrics.csv`, `metrics_per_tape.csv`, and when
# present `metrics_sweep.csv` and `metrics_pairs.parquet`. Environment variables
# `ALPACASPOT_METRICS` and `ALPACASPOT_FIGURES` work too (handy in a notebook). Optionally
# `--audio REC.wav --gt corpus/ --recording REC --start 0 --end 30` draws one detection view.

# %%
import argparse
import os
import sys
from pathlib import Path

import pandas as pd

from alpacaspot.evaluate import load_detections, load_ground_truth, plots

parser = argparse.ArgumentParser(description="plots of benchmark metrics")
parser.add_argument("--metrics", default=os.environ.get("ALPACASPOT_METRICS",
                                                        "BENCHMARK/metrics.csv"))
parser.add_argument("--figures", default=os.environ.get("ALPACASPOT_FIGURES", "figures"))
parser.add_argument("--criterion", default=None, help="criterion to plot (default: first)")
parser.add_argument("--audio", default=None, help="a recording for the detection view")
parser.add_argument("--gt", default=None, help="ground truth for the detection view")
parser.add_argument("--recording", default=None, help="its recording name in the tables")
parser.add_argument("--labels", nargs="*", default=["hum"],
                    help="ground-truth labels to draw (default: hum; none = all)")
parser.add_argument("--run", default=None, help="run folder whose detections to draw")
parser.add_argument("--start", type=float, default=0.0)
parser.add_argument("--end", type=float, default=30.0)
# In a notebook sys.argv belongs to the kernel: ignore it there.
args = parser.parse_args([] if "ipykernel" in sys.modules else None)
metrics_path = Path(args.metrics)
figures = Path(args.figures)
figures.mkdir(parents=True, exist_ok=True)


def beside(name: str) -> Path:
    return metrics_path.with_name(metrics_path.stem + name)


# %% [markdown]
# ## The leaderboard

# %%
metrics = pd.read_csv(metrics_path)
cols = ["model", "tag", "criterion", "n_gt", "n_pred", "tp", "precision", "recall", "f1",
        "median_dstart_ms", "median_dend_ms", "ap", "best_threshold"]
print(metrics.sort_values("f1", ascending=False)[[c for c in cols if c in metrics]]
      .head(15).to_string(index=False))
plots.plot_leaderboard(metrics, criterion=args.criterion, path=figures / "leaderboard.png")

# %% [markdown]
# ## Precision, recall and F1 against the threshold
#
# From the fine sweep over stored window scores when there is one, else one point per tag.

# %%
sweep_path = beside("_sweep.csv")
curves = pd.read_csv(sweep_path) if sweep_path.is_file() else metrics
plots.plot_threshold_curves(curves, criterion=args.criterion,
                            path=figures / "threshold_curves.png")
plots.plot_pr_curves(curves, criterion=args.criterion, path=figures / "pr_curves.png")

# %% [markdown]
# ## Recall per tape: are some recordings much harder?

# %%
per_tape = pd.read_csv(beside("_per_tape.csv"))
plots.plot_tape_heatmap(per_tape, criterion=args.criterion, path=figures / "tape_recall.png")

# %% [markdown]
# ## Boundary errors of matched calls

# %%
pairs_path = beside("_pairs.parquet")
if pairs_path.is_file():
    pairs = pd.read_parquet(pairs_path)
    plots.plot_boundary_errors(pairs, criterion=args.criterion,
                               path=figures / "boundary_errors.png")

# %% [markdown]
# ## One stretch of one recording: ground truth (solid) and detections (dashed)

# %%
if args.audio and args.gt and args.run:
    gt = load_ground_truth(args.gt, labels=args.labels or None)
    pred = load_detections(args.run)
    plots.plot_detections(args.audio, gt, pred, start_s=args.start, end_s=args.end,
                          recording=args.recording, path=figures / "detections.png")

# %%
print("figures:", ", ".join(sorted(p.name for p in figures.glob("*.png"))))
