"""Console commands ``alpacaspot check``, ``alpacaspot clean`` and ``alpacaspot demo``.

Thin drivers: argument handling and printing only; the work is in
:mod:`alpacaspot.pipeline.check`, :mod:`alpacaspot.pipeline.clean` and
:mod:`alpacaspot.pipeline.demo`.
"""

from __future__ import annotations

import argparse
import sys

__all__ = ["run_check", "run_clean", "run_demo"]


def run_check(args: argparse.Namespace) -> int:
    """``alpacaspot check [--root R] [--stage S] [--json]``: 0 only when all is well.

    Examples
    --------
    >>> import argparse, tempfile
    >>> run_check(argparse.Namespace(root=tempfile.mkdtemp(), stage="train", json=False))
    ... # doctest: +SKIP
    1
    """
    from alpacaspot.pipeline.check import check

    report = check(getattr(args, "root", "."), stage=getattr(args, "stage", None))
    if getattr(args, "json", False):
        print(report.to_json())
    else:
        print(report.format())
    return 0 if report.ok else 1


def _confirm(question: str) -> bool:
    """Ask on stdout, read one line of stdin; no stdin (or EOF) means no."""
    stdin = sys.stdin
    if stdin is None or stdin.closed:
        return False
    print(question + " [y/N] ", end="", flush=True)
    try:
        answer = stdin.readline()
    except (OSError, ValueError):
        return False
    if not answer:
        print()
        return False
    return answer.strip().lower() in ("y", "yes")


def run_clean(args: argparse.Namespace) -> int:
    """``alpacaspot clean [--benchmark] [--training-checkpoints] [--keep-scores] [--dry-run]
    [--yes]``: list what goes and the space freed, confirm, remove.

    Without ``--benchmark`` or ``--training-checkpoints`` the benchmark outputs are cleaned
    (the seed's purge). Returns 0 when cleaned (or nothing to do, or a dry run), 1 when the
    user declined or no confirmation could be read.
    """
    from alpacaspot.pipeline.clean import clean, format_bytes, plan_clean

    root = getattr(args, "root", ".")
    training = bool(getattr(args, "training_checkpoints", False))
    benchmark = bool(getattr(args, "benchmark", False)) or not training
    keep_scores = bool(getattr(args, "keep_scores", False))
    plan = plan_clean(root, benchmark=benchmark, training_checkpoints=training,
                      keep_scores=keep_scores)
    if not plan.items:
        print(f"nothing to clean under {plan.root}")
        return 0
    print(plan.format())
    if getattr(args, "dry_run", False):
        return 0
    if not getattr(args, "yes", False) and not _confirm(
        f"remove these {len(plan.items)} item(s), freeing {format_bytes(plan.n_bytes)}?"
    ):
        print("nothing removed (confirm at the prompt or pass --yes)", file=sys.stderr)
        return 1
    done = clean(root, benchmark=benchmark, training_checkpoints=training,
                 keep_scores=keep_scores)
    print(f"removed {len(done.items)} item(s), freed {format_bytes(done.n_bytes)}")
    return 0


def run_demo(args: argparse.Namespace) -> int:
    """``alpacaspot demo [--out DIR]``: the whole pipeline on synthetic data.

    Examples
    --------
    >>> import argparse
    >>> run_demo(argparse.Namespace(out="demo_run"))  # doctest: +SKIP
    0
    """
    from alpacaspot.pipeline.demo import run_demo

    result = run_demo(out=getattr(args, "out", "demo_run"))
    return result if isinstance(result, int) else 0
