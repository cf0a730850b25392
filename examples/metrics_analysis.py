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

from alpacaspot.evaluate.report import DetectionView, benchmark_report

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

# %% [markdown]
# ## The leaderboard, and the figures
#
# `benchmark_report` prints nothing itself: it returns the results table (best F1 first) and
# the figures it wrote: the leaderboard; precision, recall and F1 against the threshold and PR
# curves (from the fine sweep over stored window scores when there is one, else one point per
# tag); recall per tape (are some recordings much harder?); boundary errors of matched calls;
# and, with `--audio --gt --run`, one stretch of one recording with ground truth (solid) and
# detections (dashed).

# %%
view = None
if args.audio and args.gt and args.run:
    view = DetectionView(args.audio, args.gt, args.run, recording=args.recording,
                         labels=tuple(args.labels), start_s=args.start, end_s=args.end)
report = benchmark_report(args.metrics, args.figures, criterion=args.criterion, view=view)
print(report.table)

# %%
print("figures:", ", ".join(p.name for p in report.figures))
