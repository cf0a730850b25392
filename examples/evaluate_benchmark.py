"""Evaluate every benchmark run against the ground truth; write metrics.csv and friends.

Mirrors the seed's step 6 command::

    python examples/evaluate_benchmark.py --gt data/benchmark_corpus_v1/corpus_index.json \
        --runs BENCHMARK/runs --out metrics.csv

With ``--sweep`` the stored window scores of each (model, window, hop) are re-thresholded
finely (0.01..0.99) with the detector's post-processing, adding AP and the F1-best threshold.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from alpacaspot.errors import AlpacaspotError
from alpacaspot.evaluate import CRITERIA, evaluate_benchmark


def _post(method: str):
    from alpacaspot.detect import scores_to_events  # torch-free post-processing

    def post(scores, threshold):
        return scores_to_events(scores, threshold=threshold, method=method)

    return post


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gt", required=True,
                        help="corpus folder, corpus_index.parquet/.json, or Raven tables")
    parser.add_argument("--runs", required=True, help="BENCHMARK/runs")
    parser.add_argument("--out", default=None, help="metrics CSV (default BENCHMARK/metrics.csv)")
    parser.add_argument("--iou", type=float, default=0.4, help="IoU threshold (default 0.4)")
    parser.add_argument("--labels", nargs="*", default=["hum"],
                        help="target labels of the ground truth (default: hum; none = all)")
    parser.add_argument("--criteria", nargs="+", default=["iou"], choices=CRITERIA)
    parser.add_argument("--collar", type=float, default=0.2, help="onset collar (s)")
    parser.add_argument("--offset-pct", type=float, default=0.2,
                        help="offset collar as a fraction of the call duration")
    parser.add_argument("--sweep", choices=["refined", "animalspot"], default=None,
                        help="fine threshold sweep over stored window scores with this method")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        metrics = evaluate_benchmark(
            args.gt, args.runs, iou=args.iou, labels=args.labels or None,
            post=_post(args.sweep) if args.sweep else None, criteria=args.criteria,
            collar_s=args.collar, offset_collar_pct=args.offset_pct, out=args.out,
        )
    except AlpacaspotError as exc:
        print(f"evaluate_benchmark: error: {exc}", file=sys.stderr)
        return 2
    cols = [c for c in ("model", "tag", "criterion", "n_gt", "n_pred", "tp", "precision",
                        "recall", "f1", "best_threshold") if c in metrics.columns]
    print(metrics[cols].to_string(index=False) if len(metrics) else "no evaluated runs found")
    return 0


if __name__ == "__main__":
    sys.exit(main())
