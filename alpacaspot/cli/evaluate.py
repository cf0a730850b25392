"""``alpacaspot evaluate <eval.cfg>``: stored window scores -> events -> a run's evaluation.

No model work and no torch: it post-processes stored window scores (or ANIMAL-SPOT prediction
logs) with the cfg's :class:`~alpacaspot.events.PostprocessConfig` and writes the run's
``evaluation/`` folder. Skipped when the evaluation is newer than every score file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
from pathlib import Path

import pandas as pd

from alpacaspot.detect.cfg import read_evaluate_cfg
from alpacaspot.detect.runs import write_evaluation
from alpacaspot.errors import ConfigError
from alpacaspot.events import scores_to_events
from alpacaspot.io import read_table
from alpacaspot.io.layout import CORPUS_RECORDINGS_FILE
from alpacaspot.io.schemas import WINDOW_SCORES

__all__ = ["run_evaluate"]

_log = logging.getLogger(__name__)


def _load_scores(folder: Path) -> tuple[pd.DataFrame, float]:
    files = sorted(folder.rglob("*.parquet"), key=lambda p: p.relative_to(folder).as_posix())
    if not files:
        raise ConfigError("no window scores (*.parquet) found", path=folder)
    tables = [read_table(f, schema=WINDOW_SCORES) for f in files]
    return pd.concat(tables, ignore_index=True), max(f.stat().st_mtime for f in files)


def _load_logs(folder: Path) -> tuple[pd.DataFrame, float]:
    from alpacaspot.io.animalspot import read_predict_log

    files = sorted(folder.rglob("*_predict_output.log"),
                   key=lambda p: p.relative_to(folder).as_posix())
    if not files:
        raise ConfigError("no prediction logs (*_predict_output.log) found", path=folder)
    tables = [read_predict_log(f) for f in files]
    return pd.concat(tables, ignore_index=True), max(f.stat().st_mtime for f in files)


def _tapes(corpus_root: Path | None) -> dict[str, str]:
    if corpus_root is None or not (corpus_root / CORPUS_RECORDINGS_FILE).is_file():
        return {}
    table = read_table(corpus_root / CORPUS_RECORDINGS_FILE, columns=["recording", "tape"])
    return dict(zip(table["recording"].astype(str), table["tape"].astype(str), strict=True))


def run_evaluate(args: argparse.Namespace) -> int:
    """Run an eval.cfg: stored window scores -> events -> the run's evaluation folder.

    Examples
    --------
    >>> import argparse
    >>> run_evaluate(argparse.Namespace(cfg="eval.cfg"))  # doctest: +SKIP
    0
    """
    cfg_path = Path(args.cfg)
    s = read_evaluate_cfg(cfg_path)
    _log.info("evaluate %s: post-processing method=%s%s, threshold=%s", cfg_path, s.method,
              "" if s.method_from_cfg else " (the cfg names no method: ANIMAL-SPOT's merging)",
              s.threshold)
    if s.scores_dir is not None:
        scores, newest = _load_scores(s.scores_dir)
    else:
        assert s.prediction_dir is not None
        scores, newest = _load_logs(s.prediction_dir)
    index = s.output_dir / "index.parquet"
    if not s.overwrite and index.is_file() and index.stat().st_mtime >= newest:
        _log.info("evaluation %s is up to date; nothing to do", s.output_dir)
        return 0
    events = scores_to_events(scores, s.postprocess)
    stamp = dt.datetime.fromtimestamp(newest, tz=dt.timezone.utc).isoformat(timespec="seconds")
    write_evaluation(events, s.output_dir, recordings=sorted(set(scores["recording"])),
                     tapes=_tapes(s.corpus_root), generated_at=stamp)
    _log.info("evaluate: %d detection(s) in %d recording(s) -> %s", len(events),
              scores["recording"].nunique(), s.output_dir)
    return 0
