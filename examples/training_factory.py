"""Step 0: training cfgs and the training job array (the seed's ``tools/training_factory.py``).

    python examples/training_factory.py --variants tools/train_variants.json
    bash TRAINING/jobs/train_models.sbatch      # sbatch where Slurm exists, else runs here
"""

from __future__ import annotations

import argparse
import sys

from alpacaspot import AlpacaspotError
from alpacaspot.pipeline import training_factory


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", default="tools/train_variants.json",
                        help="training variants JSON (globals, variants, active_variants)")
    parser.add_argument("--root", default=".", help="pipeline root that holds TRAINING/")
    parser.add_argument("--max-concurrent", type=int, default=None, help="array throttle")
    parser.add_argument("--no-check", action="store_true", help="skip the pre-run checks")
    args = parser.parse_args(argv)
    try:
        plan = training_factory(args.variants, root=args.root,
                                max_concurrent=args.max_concurrent, check=not args.no_check)
    except AlpacaspotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for name in plan.variants:
        print(f"{name}: {plan.cfg_paths[name]} -> {plan.model_paths[name]}")
    print(f"job array: {plan.script_path} ({plan.array.n_tasks} tasks)")
    print(f"submit:    bash {plan.script_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
