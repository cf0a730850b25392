"""Step 2: prediction and evaluation cfgs plus GPU prediction arrays (the seed's
``tools/benchmark_factory.py``).

    python examples/benchmark_factory.py --corpus-root data/benchmark_corpus_v1 \
        --variants-json tools/benchmark_variants.json --max-concurrent 15
    bash BENCHMARK/jobs/pred_models.batch

A variant with ``"mode": "shared"`` adds ``BENCHMARK/jobs/fit_shared.batch`` (each model fitted
for shared mode on its dataset's train tapes; ``pred_models.batch`` runs it first) and runs
``<model>.shared`` with the fitted model.
"""

from __future__ import annotations

import argparse
import sys

from alpacaspot import AlpacaspotError
from alpacaspot.pipeline import benchmark_factory


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus-root", required=True, help="benchmark corpus folder")
    parser.add_argument("--variants-json", default="tools/benchmark_variants.json",
                        help="list of {seq_len, hop, threshold[, mode]} (or {slurm, "
                             "postprocess, shared_fit, variants})")
    parser.add_argument("--root", default=".", help="pipeline root (TRAINING/, BENCHMARK/)")
    parser.add_argument("--max-concurrent", type=int, default=None, help="array throttle")
    parser.add_argument("--models", nargs="*", default=None,
                        help="model files or variant names (default: every trained model)")
    parser.add_argument("--no-check", action="store_true", help="skip the pre-run checks")
    args = parser.parse_args(argv)
    try:
        plan = benchmark_factory(args.corpus_root, args.variants_json, root=args.root,
                                 max_concurrent=args.max_concurrent, models=args.models,
                                 check=not args.no_check)
    except AlpacaspotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for model, tags in plan.tags.items():
        print(f"{model}: {len(tags)} tags, {plan.predict_arrays[model].n_tasks} prediction "
              f"task(s) -> {plan.scripts[model]}")
    if plan.fit_array is not None:
        print(f"shared-mode fit: {plan.fit_array.n_tasks} task(s) -> {plan.fit_script}")
    print(f"submit: bash {plan.master_script}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
