"""Run the seed's whole pipeline (steps -1 to 6) on the demo's synthetic corpus.

    python examples/run_pipeline.py --out demo_run                 # on this machine
    python examples/run_pipeline.py --out demo_run --executor slurm   # as Slurm job arrays
    python examples/run_pipeline.py --dry-run                        # print the plan

``ALPACASPOT_DEMO_BUDGET=small`` (or ``--budget small``) runs a quick smoke version;
``--training-corpus`` / ``--benchmark-corpus`` run the same pipeline on your own annotated
corpora (raven or alpaca layout; they are only read), ``--dataset-root`` puts the prepared
datasets elsewhere than the run's ``data/training_corpus``, ``--lenient`` reports and excludes
bad files instead of stopping.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import replace

from alpacaspot.cluster import executor_names
from alpacaspot.errors import AlpacaspotError
from alpacaspot.pipeline.demo import demo_spec, results_table
from alpacaspot.pipeline.run import run_pipeline


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="demo_run", help="output folder")
    parser.add_argument("--executor", choices=executor_names(), default="local")
    parser.add_argument("--budget", choices=["full", "small"], default=None,
                        help="default: $ALPACASPOT_DEMO_BUDGET or full")
    parser.add_argument("--dry-run", action="store_true", help="print the plan, run nothing")
    parser.add_argument("--no-check", action="store_true", help="skip the pre-run checks")
    parser.add_argument("--training-corpus", default=None,
                        help="use this annotated corpus instead of a synthetic one")
    parser.add_argument("--benchmark-corpus", default=None,
                        help="use this annotated benchmark corpus instead of a synthetic one")
    parser.add_argument("--dataset-root", default=None,
                        help="folder for the prepared dataset_<strategy>/ folders "
                             "(default: the run's data/training_corpus)")
    parser.add_argument("--lenient", action="store_true",
                        help="report and exclude bad corpus files instead of stopping")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    spec = demo_spec(args.out, budget=args.budget, executor=args.executor)
    spec = replace(spec, check=not args.no_check, strict=not args.lenient,
                   training_corpus_root=args.training_corpus,
                   benchmark_corpus_root=args.benchmark_corpus,
                   dataset_root=args.dataset_root)
    if args.dry_run:
        plan = {"out": str(spec.out), "executor": spec.executor,
                "training_corpus": dict(spec.training_corpus),
                "benchmark_corpus": dict(spec.benchmark_corpus),
                "strategies": spec.strategies, "train_variants": spec.train_variants,
                "benchmark_variants": spec.benchmark_variants,
                "dataset_root": None if spec.dataset_root is None else str(spec.dataset_root),
                "steps": ["corpus", "prepare_datasets", "training_factory", "train",
                          "calibrate", "benchmark_factory", "fit_shared (shared-mode "
                          "variants only)", "predict", "eval_factory", "evaluate",
                          "metrics", "analysis"]}
        print(json.dumps(plan, indent=2))
        return 0
    try:
        result = run_pipeline(spec)
    except AlpacaspotError as exc:
        print(f"run_pipeline: error: {exc}", file=sys.stderr)
        return 2
    print("\nF1 per model at IoU >= 0.4, refined post-processing. op_*: at the operating "
          "point stored in the model\n(chosen on held-out training tapes); f1, "
          "best_threshold_f1: at the best benchmark threshold, an upper bound:")
    print(results_table(result.metrics).to_string(index=False))
    print(f"\nmetrics: {result.metrics_path}")
    for fig in result.figures:
        print(f"figure:  {fig}")
    print("step times (s): " + ", ".join(f"{k} {v:.0f}" for k, v in result.timings.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
