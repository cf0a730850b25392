"""Build ANIMAL-SPOT training datasets from an annotated corpus (the pipeline's step -1).

Usage::

    python examples/prepare_datasets.py data/training_corpus_v1
    python examples/prepare_datasets.py data/training_corpus_v1 --generate_spectrograms
    python examples/prepare_datasets.py data/training_corpus_v1 \\
        --strategies data_preprocessing/dataset_prep_configs.json --workers 4

The strategies file defaults to ``<corpus>/dataset_prep_configs.json``; without one, a single
``by_tape`` strategy is used. Each active strategy gives ``<corpus>/dataset_<name>/``.
The corpus index (``corpus_index.parquet``) is built first when missing; pass
``--layout``/``--clip-time-unit`` to control that step, or ``--synthetic N`` to first write a
synthetic corpus of N tapes into the folder.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from alpacaspot import AlpacaspotError
from alpacaspot.data import build_corpus_index, make_synthetic_corpus, prepare_datasets

DEFAULT_STRATEGIES = {
    "active_strategies": ["by_tape"],
    "strategies": {
        "by_tape": {
            "split_strategy": "by_tape",
            "seed": 42,
            "min_quality": None,
            "noise_per_hum": 1.0,
            "noise_mining": {"margin_s": 0.5, "fallback_raw": True},
        }
    },
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", type=Path, help="corpus folder")
    ap.add_argument("--generate_spectrograms", "--generate-spectrograms", action="store_true",
                    help="also write spectrograms/<clip>.png")
    ap.add_argument("--strategies", type=Path, default=None,
                    help="strategies JSON (default: <corpus>/dataset_prep_configs.json)")
    ap.add_argument("--workers", type=int, default=None, help="parallel clip writers")
    ap.add_argument("--layout", choices=["auto", "raven", "alpaca"], default="auto")
    ap.add_argument("--clip-time-unit", choices=["s", "min"], default=None,
                    help="unit of alpaca-layout clip-name times")
    ap.add_argument("--lenient", action="store_true",
                    help="count corpus problems as warnings instead of stopping")
    ap.add_argument("--synthetic", type=int, default=0, metavar="N",
                    help="first write a synthetic corpus of N 3-minute tapes")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        if args.synthetic:
            make_synthetic_corpus(args.corpus, n_tapes=args.synthetic, minutes_per_tape=3.0,
                                  seed=0)
        if not (args.corpus / "corpus_index.parquet").is_file():
            corpus = build_corpus_index(args.corpus, layout=args.layout,
                                        strict=not args.lenient,
                                        clip_time_unit=args.clip_time_unit)
            corpus.save()
            for w in corpus.warnings:
                print(f"warning: {w}", file=sys.stderr)
        strategies = args.strategies or args.corpus / "dataset_prep_configs.json"
        spec = strategies if strategies.is_file() else DEFAULT_STRATEGIES
        out = prepare_datasets(args.corpus, spec, generate_spectrograms=args.generate_spectrograms,
                               workers=args.workers)
    except AlpacaspotError as exc:
        print(f"prepare_datasets: error: {exc}", file=sys.stderr)
        return 2
    for name, path in out.items():
        print(f"{name}: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
