"""The ``alpacaspot`` console command: argument parsing and help, no logic.

Each subcommand's module is imported only when it runs, so ``alpacaspot evaluate`` on a CPU
node never imports torch. Nothing below this package imports it.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from alpacaspot import __version__
from alpacaspot.errors import AlpacaspotError

__all__ = ["main"]

_DESCRIPTION = """\
Find animal calls (alpaca hums first of all) in long field recordings.

The pipeline's steps read ANIMAL-SPOT-style cfg files (one key=value per line), the
ones the factories write under TRAINING/cfg and BENCHMARK/cfg:
  alpacaspot train TRAINING/cfg/<variant>/alpaca_server.cfg
  alpacaspot predict BENCHMARK/cfg/<model>/<tag>/predict.cfg
  alpacaspot evaluate BENCHMARK/cfg/<model>/<tag>/eval.cfg
`alpacaspot <command> --help` lists a command's options, and for train, predict and
evaluate every cfg key with one line of help."""

_EPILOG = """\
examples:
  alpacaspot demo --out demo_run        the whole pipeline on a synthetic corpus
  alpacaspot info recording.wav run/    describe files and folders
  alpacaspot check --root .             pre-run checks before submitting job arrays

Exit status: 0 done, 1 done with skipped items or a declined confirmation, 2 bad input
(the message names the file and line), 75 training interrupted (requeue to resume)."""

# command -> (module, function, one-line help). The function takes the parsed namespace and
# returns the exit status.
_COMMANDS: dict[str, tuple[str, str, str]] = {
    "train": ("alpacaspot.cli.train", "run_train",
              "train a model from a training cfg (alpaca_server.cfg)"),
    "predict": ("alpacaspot.cli.predict", "run_predict",
                "score recordings with a model (predict.cfg): stored window scores"),
    "evaluate": ("alpacaspot.cli.evaluate", "run_evaluate",
                 "turn stored window scores into detections (eval.cfg); no GPU needed"),
    "fit-shared": ("alpacaspot.cli.predict", "run_fit_shared",
                   "fit a model to fast shared-mode prediction (no labels needed)"),
    "combine": ("alpacaspot.cli.predict", "run_combine",
                "combine models of other seeds into one ensemble model file"),
    "info": ("alpacaspot.cli.info", "run_info",
             "describe audio, tables, cfg files, prediction logs, models and folders"),
    "check": ("alpacaspot.cli.pipeline", "run_check", "pre-run checks of a pipeline root"),
    "clean": ("alpacaspot.cli.pipeline", "run_clean", "remove generated benchmark outputs"),
    "demo": ("alpacaspot.cli.pipeline", "run_demo", "run the whole pipeline on synthetic data"),
}


def _add_arguments(name: str, sub: argparse.ArgumentParser) -> None:
    if name in ("train", "predict", "evaluate"):
        sub.add_argument("cfg", help="path of the cfg file")
        if name == "predict":
            # the values of alpacaspot.detect.cfg.FRONTEND_CHOICES, kept light here (tested)
            sub.add_argument("--frontend", choices=("auto", "cpu", "torch"), default=None,
                             help="audio -> network inputs in mode=exact (replaces the "
                                  "cfg's frontend key; auto: torch on CUDA, else cpu)")
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
    elif name == "combine":
        sub.add_argument("models", nargs="+", help="model files (model.pt) of the members")
        sub.add_argument("-o", "--output", required=True, help="where to write the ensemble")
    elif name == "info":
        sub.add_argument("paths", nargs="+", help="files or folders to describe")
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


def _wants_help(argv: Sequence[str]) -> str | None:
    """The command whose ``--help`` is asked for, if any (its key table is then built)."""
    words = [a for a in argv if not a.startswith("-")]
    if words and words[0] in ("train", "predict", "evaluate") and (
            "-h" in argv or "--help" in argv):
        return words[0]
    return None


def _parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(prog="alpacaspot", description=_DESCRIPTION,
                                     epilog=_EPILOG, formatter_class=raw)
    parser.add_argument("--version", action="version", version=f"alpacaspot {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    subs = parser.add_subparsers(dest="command", required=True, metavar="<command>",
                                 title="commands")
    helped = _wants_help(argv)
    for name, (_, _, help_text) in _COMMANDS.items():
        epilog = None
        if name == helped:
            from alpacaspot.cli._keys import keys_epilog

            epilog = keys_epilog(name)
        sub = subs.add_parser(name, help=help_text, description=help_text[0].upper()
                              + help_text[1:] + ".", epilog=epilog, formatter_class=raw)
        _add_arguments(name, sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the console command; return the exit status.

    Examples
    --------
    >>> main(["info", "/nonexistent.wav"])  # doctest: +SKIP
    2
    """
    args_list = list(sys.argv[1:] if argv is None else argv)
    args = _parser(args_list).parse_args(args_list)
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
