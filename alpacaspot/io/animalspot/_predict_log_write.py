"""Writing window scores as an ANIMAL-SPOT prediction log (see ``_predict_log``)."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePath

import numpy as np
import pandas as pd

from alpacaspot._atomic import atomic_write_text
from alpacaspot.errors import AnnotationError
from alpacaspot.io.schemas import WINDOW_SCORES

__all__ = ["PREDICT_LOG_CLOCK", "predict_log_name", "write_predict_log"]

PREDICT_LOG_CLOCK = "00:00:00"
"""The clock written on every line of a log written here (deterministic output)."""


def predict_log_name(recording: str) -> str:
    """Log file name for a recording: the full file name (never cut at a dot) plus
    ``_predict_output.log``.

    ANIMAL-SPOT cut names at the first dot, so ``a.b.wav`` and ``a.c.wav`` overwrote each
    other's log; here the whole base name is kept (``a.b.wav`` -> ``a.b_predict_output.log``
    keeps everything but the final extension).

    Examples
    --------
    >>> predict_log_name("tape1/rec.2019.wav")
    'rec.2019_predict_output.log'
    """
    base = PurePath(str(recording).replace("\\", "/")).name
    stem = base[: -len(PurePath(base).suffix)] if PurePath(base).suffix else base
    return f"{stem}_predict_output.log"


def _target_column(scores: pd.DataFrame, target_class: str) -> str:
    name = f"p_{target_class}"
    if name not in scores.columns:
        cols = [c for c in scores.columns if str(c).startswith("p_")]
        raise AnnotationError(
            f"window scores lack column {name!r} for the target class; got {cols}"
        )
    return name


def write_predict_log(
    path: str | os.PathLike[str],
    scores: pd.DataFrame,
    *,
    threshold: float,
    sequence_len_s: float,
    hop_s: float,
    sr: int | None = None,
    n_samples: int | None = None,
    model_path: str = "",
    data_opts: Mapping[str, object] | None = None,
    classes: Sequence[str] = ("noise", "target"),
    target_class: str = "target",
    audio_file: str | None = None,
    min_max_norm: bool = True,
) -> Path:
    """Write one recording's window scores as an ANIMAL-SPOT prediction log, atomically.

    Parameters
    ----------
    path : path-like
        Destination, usually ``<output_dir>/`` + :func:`predict_log_name` of the recording.
    scores : pandas.DataFrame
        WINDOW_SCORES table of one recording, with a ``p_<target_class>`` column; rows are
        written in ``window`` order.
    threshold : float
        Threshold for the ``pred`` field (``pred = prob >= threshold``).
    sequence_len_s, hop_s : float
        Window length and step in seconds (header).
    sr : int, optional
        Sample rate of the windows. When given, ``t1`` is the time of the window's last
        sample (``end_s - 1/sr``), as ANIMAL-SPOT writes it, and ``dataOpts`` gets ``sr``.
        Otherwise ``t1 = end_s``.
    n_samples : int, optional
        Length of the audio in samples (header ``size of the file(samples)``).
    model_path : str, default ""
        Model file named in the header.
    data_opts : mapping, optional
        Spectrogram settings for the ``dataOpts`` header line.
    classes : sequence of str, default ("noise", "target")
        Class names in output order (header ``class distribution``).
    target_class : str, default "target"
        Class whose probability is ``prob``.
    audio_file : str, optional
        Audio file named on the first header line (default: the table's ``recording``).
    min_max_norm : bool, default True
        Which normalisation the header reports.

    Returns
    -------
    pathlib.Path
        The written path. Every line carries the clock :data:`PREDICT_LOG_CLOCK`.

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a_predict_output.log"
    >>> s = pd.DataFrame({"recording": ["a.wav"], "window": [0], "begin_s": [0.0],
    ...                   "end_s": [0.4], "p_noise": [0.1], "p_target": [0.9]})
    >>> _ = write_predict_log(p, s, threshold=0.5, sequence_len_s=0.4, hop_s=0.05, sr=1000)
    >>> p.read_text().splitlines()[-1]
    '00:00:00|I|time=0.0-0.399, pred=1, prob=0.9'
    """
    p = Path(path)
    scores = WINDOW_SCORES.validate(scores, path=p)
    column = _target_column(scores, target_class)
    recordings = sorted(set(scores["recording"]))
    if len(recordings) > 1:
        raise AnnotationError(
            f"a prediction log holds one recording, the scores hold {len(recordings)}: "
            f"{recordings[:3]}",
            path=p,
        )
    scores = scores.sort_values("window", kind="stable")
    opts = dict(data_opts or {})
    if sr is not None:
        opts.setdefault("sr", int(sr))
    fmin, fmax = opts.get("fmin", "None"), opts.get("fmax", "None")
    name = audio_file if audio_file is not None else (recordings[0] if recordings else "")
    class_dist = {str(c): i for i, c in enumerate(classes)}
    # ANIMAL-SPOT's H = ceil(seconds * sr), the rule of dsp.grid.seconds_to_samples; io and
    # dsp are sibling layers that do not import each other (tests/io/animalspot checks both
    # agree)
    hop_samples = int(math.ceil(hop_s * sr)) if sr is not None else None
    messages = [
        name,
        f"Model Path: {model_path}",
        f"dataOpts: {opts!r}",
        f"prediction length: {sequence_len_s}[s], hop length: {hop_s}[s], threshold: "
        f"{threshold}, prediction fmin: {fmin}[Hz] prediction fmax: {fmax}[Hz]",
        f"class distribution: {class_dist!r}",
        "Init min-max-normalization activated"
        if min_max_norm
        else "Init 0/1-dB-normalization activated",
    ]
    if n_samples is not None:
        messages.append(f"size of the file(samples)={int(n_samples)}")
    if hop_samples is not None:
        messages.append(f"size of hop(samples)={hop_samples}")
        if n_samples is not None:
            messages.append(f"stop time={max(int(n_samples) // hop_samples, 1)}")
    begin = scores["begin_s"].to_numpy(np.float64)
    end = scores["end_s"].to_numpy(np.float64)
    if sr is not None:
        end = (np.round(end * sr) - 1) / sr
    for t0, t1, prob in zip(begin, end, scores[column].to_numpy(np.float64), strict=True):
        pred = int(prob >= threshold)
        messages.append(
            f"time={round(float(t0), 3)}-{round(float(t1), 3)}, pred={pred}, prob={float(prob)!r}"
        )
    text = "".join(f"{PREDICT_LOG_CLOCK}|I|{m}\n" for m in messages)
    atomic_write_text(p, text)
    return p
