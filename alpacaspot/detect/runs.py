"""The evaluation folder of a benchmark run: Raven tables, ``index.parquet``, ``index.json``.

``<run>/evaluation/`` holds one Raven selection table per scored recording
(``<recording>.selections.txt``, empty when nothing was detected), ``index.parquet`` (the
detections: EVENTS table plus ``tape`` and ``pred_path``) and ``index.json`` (the seed's view:
``meta: generated_at, n_preds``; ``entries: uid, pred_path, tape, start_s, end_s, dur_s`` plus
recording, selection, label and score). Torch-free.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from alpacaspot._atomic import atomic_write_text
from alpacaspot.io import write_raven, write_table
from alpacaspot.io.layout import default_tape, format_tag
from alpacaspot.io.schemas import EVENTS

__all__ = ["benchmark_tag", "write_evaluation", "raven_name"]

RAVEN_SUFFIX = ".selections.txt"


def benchmark_tag(sequence_len_s: float, hop_s: float, threshold: float | None = None) -> str:
    """The benchmark tag of a window length, hop and (optional) threshold.

    The same as :func:`alpacaspot.io.layout.format_tag`: thresholds keep as many digits as
    they need, rounded, never truncated (0.57 -> ``th57``).

    Examples
    --------
    >>> benchmark_tag(0.4, 0.05, 0.9)
    'len400_hop050_th90'
    >>> benchmark_tag(0.4, 0.05, 0.57), benchmark_tag(0.4, 0.05, 0.975)
    ('len400_hop050_th57', 'len400_hop050_th975')
    >>> benchmark_tag(0.4, 0.05)
    'len400_hop050'
    """
    return format_tag(sequence_len_s, hop_s, threshold)


def raven_name(recording: str) -> str:
    """Relative path of a recording's Raven table in the evaluation folder.

    Examples
    --------
    >>> raven_name("tape1/a.b.wav")
    'tape1/a.b.wav.selections.txt'
    """
    return f"{recording}{RAVEN_SUFFIX}"


def write_evaluation(
    events: pd.DataFrame,
    out_dir: str | os.PathLike[str],
    *,
    recordings: Iterable[str] | None = None,
    tapes: Mapping[str, str] | None = None,
    generated_at: str = "",
) -> pd.DataFrame:
    """Write a run's evaluation folder from its detections.

    Parameters
    ----------
    events : pandas.DataFrame
        EVENTS table of the detections (extra columns such as ``cnn_logit_mean`` are kept;
        that one is written to the Raven tables as ANIMAL-SPOT's ``CNN logit (mean)``).
    out_dir : path-like
        The ``evaluation/`` folder.
    recordings : iterable of str, optional
        Every scored recording: each gets a Raven table, an empty one when it has no
        detection (default: the recordings of ``events``).
    tapes : mapping, optional
        Recording -> tape (default: :func:`alpacaspot.io.layout.default_tape`: the fork's
        animal and date, else the first folder, else the file name without its suffix).
    generated_at : str
        ``meta.generated_at`` of ``index.json`` (pass a value derived from the inputs to keep
        the output byte-identical across re-runs).

    Returns
    -------
    pandas.DataFrame
        The index table written to ``index.parquet``.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> ev = pd.DataFrame({"recording": ["a.wav"], "begin_s": [1.0], "end_s": [1.3],
    ...                    "label": ["target"], "score": [0.95]})
    >>> idx = write_evaluation(ev, tempfile.mkdtemp(), recordings=["a.wav", "b.wav"])
    >>> idx[["recording", "tape", "pred_path"]].values.tolist()
    [['a.wav', 'a', 'a.wav.selections.txt']]
    """
    out = Path(out_dir)
    ev = EVENTS.validate(events)
    names = sorted(set(ev["recording"]) | set(recordings or ()))
    tapes = dict(tapes or {})
    ev = ev.sort_values(["recording", "begin_s", "end_s"], kind="stable").reset_index(drop=True)
    for name in names:
        part = ev[ev["recording"] == name].reset_index(drop=True)
        if "cnn_logit_mean" in part.columns:
            part = part.rename(columns={"cnn_logit_mean": "CNN logit (mean)"})
        write_raven(part, out / raven_name(name), label_column="Sound type")
    index = ev.copy()
    index["tape"] = [tapes.get(r, default_tape(r)) for r in index["recording"]]
    index["pred_path"] = [raven_name(r) for r in index["recording"]]
    write_table(index, out / "index.parquet", schema=EVENTS)
    entries = [
        {
            "uid": f"{row.recording}#{int(row.selection) if pd.notna(row.selection) else i + 1}",
            "pred_path": row.pred_path,
            "tape": row.tape,
            "start_s": float(row.begin_s),
            "end_s": float(row.end_s),
            "dur_s": float(row.end_s - row.begin_s),
            "recording": row.recording,
            "selection": int(row.selection) if pd.notna(row.selection) else i + 1,
            "label": row.label,
            "score": None if pd.isna(row.score) else float(row.score),
        }
        for i, row in enumerate(index.itertuples(index=False))
    ]
    doc = {"meta": {"generated_at": generated_at, "n_preds": len(entries)}, "entries": entries}
    atomic_write_text(out / "index.json", json.dumps(doc, indent=2, sort_keys=False) + "\n")
    return index
