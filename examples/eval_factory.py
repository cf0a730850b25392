"""Step 4: CPU evaluation arrays (the seed's ``tools/eval_factory.py``).

    python examples/eval_factory.py --benchmark-root BENCHMARK --max-concurrent 20
    bash BENCHMARK/jobs/eval_models.batch
"""

from __future__ import annotations

import argparse
import sys

from alpacaspot import AlpacaspotError
from alpacaspot.pipeline import eval_factory


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--benchmark-root", default="BENCHMARK", help="the BENCHMARK folder")
    parser.add_argument("--max-concurrent", type=int, default=None, help="array throttle")
    parser.add_argument("--no-check", action="store_true", help="skip the pre-run checks")
    args = parser.parse_args(argv)
    try:
        plan = eval_factory(args.benchmark_root, max_concurrent=args.max_concurrent,
                            check=not args.no_check)
    except AlpacaspotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for model, array in plan.arrays.items():
        print(f"{model}: {array.n_tasks} evaluation task(s) -> {plan.scripts[model]}")
    print(f"submit: bash {plan.master_script}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
