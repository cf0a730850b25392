"""The ``alpacaspot`` console command: a thin dispatcher, no logic.

Each subcommand imports its implementation lazily, so ``alpacaspot evaluate`` on a CPU node
never imports torch.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from alpacaspot.errors import AlpacaspotError

__all__ = ["main"]

# subcommand -> (module, function, help). The function takes the parsed namespace and
# returns the process exit status.
_COMMANDS: dict[str, tuple[str, str, str]] = {
    "train": ("alpacaspot.models._cli", "run_train", "train a model from an alpaca_server.cfg"),
    "predict": ("alpacaspot.detect._cli", "run_predict", "window scores from a predict.cfg"),
    "evaluate": ("alpacaspot.detect._cli", "run_evaluate", "events from stored scores (eval.cfg)"),
    "fit-shared": ("alpacaspot.detect._cli", "run_fit_shared",
                   "fit a model to fast shared-mode prediction (no labels needed)"),
    "info": ("alpacaspot.io._cli", "run_info", "describe an audio, table or model file"),
    "check": ("alpacaspot.pipeline._cli", "run_check", "pre-run checks of a pipeline root"),
    "clean": ("alpacaspot.pipeline._cli", "run_clean", "remove generated benchmark outputs"),
    "demo": ("alpacaspot.pipeline._cli", "run_demo", "run the whole pipeline on synthetic data"),
}


def _add_arguments(name: str, sub: argparse.ArgumentParser) -> None:
    if name in ("train", "predict", "evaluate"):
        sub.add_argument("cfg", help="path of the cfg file")
    elif name == "fit-shared":
        sub.add_argument("model", help="trained model file (model.pt)")
        sub.add_argument("audio", nargs="+", help="recordings or folders to fit on")
        sub.add_argument("-o", "--output", required=True, help="where to write the fitted model")
        sub.add_argument("--hop", type=float, default=0.05, help="window hop in seconds")
        sub.add_argument("--passes", type=int, default=1, help="shifted encoder passes")
        sub.add_argument("--steps", type=int, default=400, help="optimiser steps")
        sub.add_argument("--lr", type=float, default=3e-4, help="Adam learning rate")
        sub.add_argument("--seed", type=int, default=0)
        sub.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1 ...")
        sub.add_argument("--num-threads", type=int, default=None, help="torch CPU threads")
    elif name == "info":
        sub.add_argument("paths", nargs="+", help="files to describe")
    elif name == "check":
        sub.add_argument("--root", default=".", help="pipeline root (holds TRAINING/, BENCHMARK/)")
        sub.add_argument("--stage", choices=["train", "benchmark", "evaluate"], default=None)
        sub.add_argument("--json", action="store_true", help="print the report as JSON")
    elif name == "clean":
        sub.add_argument("--root", default=".", help="pipeline root (holds TRAINING/, BENCHMARK/)")
        sub.add_argument("--benchmark", action="store_true", help="remove BENCHMARK cfg/jobs/runs")
        sub.add_argument("--training-checkpoints", action="store_true",
                         help="remove old training checkpoints")
        sub.add_argument("--keep-scores", action="store_true", help="keep stored window scores")
        sub.add_argument("--dry-run", action="store_true", help="list, remove nothing")
        sub.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    elif name == "demo":
        sub.add_argument("--out", default="demo_run", help="output folder")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="alpacaspot", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    subs = parser.add_subparsers(dest="command", required=True)
    for name, (_, _, help_text) in _COMMANDS.items():
        _add_arguments(name, subs.add_parser(name, help=help_text))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the console command; return the exit status.

    Examples
    --------
    >>> main(["info", "/nonexistent.wav"])  # doctest: +SKIP
    2
    """
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    module_name, func_name, _ = _COMMANDS[args.command]
    try:
        func = getattr(importlib.import_module(module_name), func_name)
        return int(func(args))
    except AlpacaspotError as exc:
        print(f"alpacaspot {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
