"""Benchmark runs on disk: discover ``<runs>/<model>/<tag>/`` folders and read their outputs.

A run folder is any folder named like a benchmark tag (``len400_hop050_th90``) below the runs
root, at any depth; the path between the root and the tag is the model name. Detections come
from ``evaluation/index.parquet`` (preferred) or the Raven tables in ``evaluation/``. Window
scores shared by a model's tags live in ``<runs>/<model>/scores/len<ms>_hop<ms>/``.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pandas as pd

from alpacaspot.errors import ConfigError
from alpacaspot.io.layout import default_tape, format_tag, parse_tag, scores_key
from alpacaspot.io.schemas import EVENTS, WINDOW_SCORES
from alpacaspot.io.tables import parquet_files, read_table, read_table_metadata

__all__ = ["parse_tag", "format_tag", "discover_runs", "load_detections", "load_scores",
           "scores_dir", "scores_mode", "base_model", "attach_tapes", "SHARED_SUFFIX"]

_log = logging.getLogger(__name__)

#: Suffix of the run name of a model predicted in shared mode (``windows_w32.shared``).
SHARED_SUFFIX = ".shared"






def _is_tag(name: str) -> bool:
    try:
        parse_tag(name)
    except ConfigError:
        return False
    return True


def discover_runs(runs_root: str | os.PathLike[str]) -> pd.DataFrame:
    """All run folders below ``runs_root``, sorted by model and tag.

    Returns
    -------
    pandas.DataFrame
        ``model, tag, seq_s, hop_s, threshold, run_dir``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> (root / "m1" / "len400_hop050_th90" / "evaluation").mkdir(parents=True)
    >>> discover_runs(root)[["model", "tag"]].values.tolist()
    [['m1', 'len400_hop050_th90']]
    """
    root = Path(runs_root)
    if not root.is_dir():
        raise ConfigError("runs folder does not exist", path=root)
    rows = []
    for dirpath, dirnames, _ in os.walk(root):
        dirnames.sort()
        here = Path(dirpath)
        for name in list(dirnames):
            if _is_tag(name):
                seq_s, hop_s, th = parse_tag(name)
                model = here.relative_to(root).as_posix()
                rows.append({"model": "." if model == "" else model, "tag": name,
                             "seq_s": seq_s, "hop_s": hop_s, "threshold": th,
                             "run_dir": str(here / name)})
                dirnames.remove(name)  # a run folder holds no runs
    out = pd.DataFrame(rows, columns=["model", "tag", "seq_s", "hop_s", "threshold", "run_dir"])
    return out.sort_values(["model", "seq_s", "hop_s", "threshold"], kind="stable").reset_index(
        drop=True)


def load_detections(run_dir: str | os.PathLike[str]) -> pd.DataFrame | None:
    """Detections of one run (an events table), or None when the run has no evaluation yet.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> load_detections(tempfile.mkdtemp()) is None
    True
    """
    ev = Path(run_dir) / "evaluation"
    index = ev / "index.parquet"
    if index.is_file():
        events = read_table(index, schema=EVENTS)
    elif ev.is_dir() and (tables := sorted(ev.rglob("*.txt"))):
        from alpacaspot.io import read_raven

        events = read_raven(tables)
    else:
        return None
    events = events.reset_index(drop=True)
    events.attrs["path"] = str(index if index.is_file() else ev)
    return events


def attach_tapes(pred: pd.DataFrame, gt: pd.DataFrame) -> pd.DataFrame:
    """Give detections the tape of their recording from the ground truth.

    Recordings unknown to the ground truth keep their own ``tape`` value, else get
    :func:`~alpacaspot.evaluate.groundtruth.default_tape`.

    Examples
    --------
    >>> import pandas as pd
    >>> gt = pd.DataFrame({"recording": ["x/a.wav"], "tape": ["T1"]})
    >>> pred = pd.DataFrame({"recording": ["x/a.wav", "x/b.wav"]})
    >>> attach_tapes(pred, gt)["tape"].tolist()
    ['T1', 'x']
    """
    tapes = dict(zip(gt["recording"].astype(str), gt["tape"].astype(str), strict=True))
    pred = pred.copy()
    own = pred["tape"] if "tape" in pred.columns else pd.Series(None, index=pred.index)
    pred["tape"] = [
        tapes.get(r, t if isinstance(t, str) and t else default_tape(r))
        for r, t in zip(pred["recording"].astype(str), own, strict=True)
    ]
    return pred


def scores_dir(runs_root: str | os.PathLike[str], model: str, seq_s: float,
               hop_s: float) -> Path:
    """Folder of the stored window scores of a model at one window length and hop.

    Examples
    --------
    >>> scores_dir("runs", "m1", 0.4, 0.05).as_posix()
    'runs/m1/scores/len400_hop050'
    """
    return Path(runs_root) / model / "scores" / scores_key(seq_s, hop_s)


def load_scores(folder: str | os.PathLike[str]) -> pd.DataFrame | None:
    """All window scores under ``folder`` (one Parquet per recording), or None if none.

    When every file carries the same operating point of its model (see
    :func:`alpacaspot.detect.predict_scores`), it is put in ``attrs["operating_point"]``, so
    that ``scores_to_events(scores)`` uses it.

    Examples
    --------
    >>> import tempfile
    >>> load_scores(tempfile.mkdtemp()) is None
    True
    """
    files = parquet_files(folder)
    if not files:
        return None
    scores = pd.concat([read_table(p, schema=WINDOW_SCORES) for p in files], ignore_index=True)
    stored = {read_table_metadata(p).get("operating_point") for p in files}
    if len(stored) == 1 and None not in stored:
        scores.attrs["operating_point"] = stored.pop()
    elif len(stored) > 1:
        _log.warning("window scores in %s come with different operating points; none is used",
                     folder)
    return scores


def scores_mode(folder: str | os.PathLike[str]) -> str:
    """The prediction mode (``exact``/``shared``) recorded in a scores folder's files.

    Files without the record (older versions, other tools) count as ``exact``; a folder
    mixing modes is ``mixed``.

    Examples
    --------
    >>> import tempfile
    >>> scores_mode(tempfile.mkdtemp())
    'exact'
    """
    files = parquet_files(folder)
    modes = {str(read_table_metadata(p).get("mode") or "exact") for p in files}
    if len(modes) > 1:
        _log.warning("window scores in %s come from several modes %s", folder, sorted(modes))
        return "mixed"
    return modes.pop() if modes else "exact"


def base_model(model: str, mode: str) -> str:
    """The trained model's name of a run: without :data:`SHARED_SUFFIX` for a shared run.

    Examples
    --------
    >>> base_model("windows_w32.shared", "shared"), base_model("windows_w32", "exact")
    ('windows_w32', 'windows_w32')
    """
    if mode == "shared" and model.endswith(SHARED_SUFFIX):
        return model[: -len(SHARED_SUFFIX)]
    return model
