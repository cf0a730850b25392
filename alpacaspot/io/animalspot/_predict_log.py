"""ANIMAL-SPOT prediction logs (``<name>_predict_output.log``) to and from window scores.

Each line is ``HH:MM:SS|I|<message>``. A header names the audio file, the model path, the
model's ``dataOpts``, the prediction and hop lengths, the threshold, the class
distribution, the normalisation, the file and hop sizes in samples; then one line per window:
``time=<t0>-<t1>, pred=<0|1>, prob=<p_target>`` with ``t0`` the window start and ``t1`` the
time of its last sample, both rounded to 3 decimals.

Logs written here carry the fixed clock ``00:00:00`` on every line, so the same scores give
the same bytes. Header values are read back by :func:`read_predict_log_header`; windows by
:func:`read_predict_log`, which rebuilds exact window times from the header's sample counts
when they are present.
"""

from __future__ import annotations

import ast
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath

import numpy as np
import pandas as pd

from alpacaspot._atomic import atomic_write_text
from alpacaspot.errors import AnnotationError
from alpacaspot.io.schemas import WINDOW_SCORES

__all__ = [
    "PREDICT_LOG_CLOCK",
    "PredictLogHeader",
    "predict_log_name",
    "read_predict_log",
    "read_predict_log_header",
    "write_predict_log",
]

PREDICT_LOG_CLOCK = "00:00:00"
"""The clock written on every line of a log written here (deterministic output)."""

_LINE = re.compile(r"^(?:\d{2}:\d{2}:\d{2})?\|?[A-Z]?\|(?P<msg>.*)$")
_WINDOW = re.compile(
    r"^time=(?P<t0>[-+0-9.eE]+)-(?P<t1>[-+0-9.eE]+), pred=(?P<pred>\d+), "
    r"prob=(?P<prob>[-+0-9.eEnaif]+)\s*$"
)
_LENGTHS = re.compile(
    r"prediction length: (?P<seq>[^\[]+)\[s\], hop length: (?P<hop>[^\[]+)\[s\], "
    r"threshold: (?P<th>[^,]+)(?:, prediction fmin: (?P<fmin>[^\[]+)\[Hz\],? "
    r"prediction fmax: (?P<fmax>[^\[]+)\[Hz\])?"
)


@dataclass(frozen=True)
class PredictLogHeader:
    """The header values of a prediction log (``None`` where a log lacks them).

    Attributes
    ----------
    audio_file : str or None
        The audio file as the log names it.
    model_path : str or None
        ``Model Path`` line.
    data_opts : dict
        The model's ``dataOpts`` (``sr``, ``n_fft``, ``hop_length``, ...), read with
        :func:`ast.literal_eval` (never ``eval``); empty when absent or unreadable.
    sequence_len_s, hop_s, threshold, fmin, fmax : float or None
        Prediction settings.
    classes : dict
        Class distribution (class name -> output index).
    min_max_norm : bool or None
        Whether min-max normalisation was active.
    n_samples, hop_samples : int or None
        File length and window step in samples.
    """

    audio_file: str | None = None
    model_path: str | None = None
    data_opts: dict = field(default_factory=dict)
    sequence_len_s: float | None = None
    hop_s: float | None = None
    threshold: float | None = None
    fmin: float | None = None
    fmax: float | None = None
    classes: dict = field(default_factory=dict)
    min_max_norm: bool | None = None
    n_samples: int | None = None
    hop_samples: int | None = None

    @property
    def sr(self) -> int | None:
        """Sample rate from ``data_opts``, if given."""
        sr = self.data_opts.get("sr")
        return int(sr) if isinstance(sr, (int, float)) and sr > 0 else None


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


def _messages(path: Path) -> list[tuple[int, str]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise AnnotationError("prediction log does not exist", path=path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise AnnotationError(f"cannot read prediction log as text ({exc})", path=path) from None
    out = []
    for lineno, raw in enumerate(text.splitlines(), start=1):
        m = _LINE.match(raw.rstrip())
        out.append((lineno, m.group("msg") if m else raw.rstrip()))
    return out


def _float(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        return float(text.strip())
    except ValueError:
        return None


def _literal(text: str) -> dict:
    try:
        value = ast.literal_eval(text.strip())
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return {}
    return value if isinstance(value, dict) else {}


def _parse_header(messages: list[tuple[int, str]]) -> PredictLogHeader:
    values: dict[str, object] = {}
    for _, msg in messages:
        if msg.startswith("time="):
            break
        if msg.startswith("Model Path: "):
            values["model_path"] = msg[len("Model Path: "):]
        elif msg.startswith("dataOpts: "):
            values["data_opts"] = _literal(msg[len("dataOpts: "):])
        elif msg.startswith("class distribution: "):
            values["classes"] = _literal(msg[len("class distribution: "):])
        elif msg.startswith("prediction length: "):
            m = _LENGTHS.match(msg)
            if m:
                values.update(
                    sequence_len_s=_float(m.group("seq")), hop_s=_float(m.group("hop")),
                    threshold=_float(m.group("th")), fmin=_float(m.group("fmin")),
                    fmax=_float(m.group("fmax")),
                )  # fmt: skip
        elif msg.startswith("Init min-max-normalization"):
            values["min_max_norm"] = True
        elif msg.startswith("Init 0/1-dB-normalization"):
            values["min_max_norm"] = False
        elif msg.startswith("size of the file(samples)="):
            n = _float(msg.split("=", 1)[1])
            values["n_samples"] = None if n is None else int(n)
        elif msg.startswith("size of hop(samples)="):
            n = _float(msg.split("=", 1)[1])
            values["hop_samples"] = None if n is None else int(n)
        elif "audio_file" not in values and msg.strip() and "=" not in msg and ": " not in msg:
            values["audio_file"] = msg.strip()
    return PredictLogHeader(**values)  # type: ignore[arg-type]


def read_predict_log_header(path: str | os.PathLike[str]) -> PredictLogHeader:
    """Read the header values of a prediction log.

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a_predict_output.log"
    >>> s = pd.DataFrame({"recording": ["a.wav"], "window": [0], "begin_s": [0.0],
    ...                   "end_s": [0.4], "p_noise": [0.2], "p_target": [0.8]})
    >>> _ = write_predict_log(p, s, threshold=0.5, sequence_len_s=0.4, hop_s=0.05,
    ...                       sr=48000, n_samples=48000)
    >>> h = read_predict_log_header(p)
    >>> h.threshold, h.hop_s, h.sr, h.n_samples
    (0.5, 0.05, 48000, 48000)
    """
    return _parse_header(_messages(Path(path)))


def read_predict_log(
    path: str | os.PathLike[str],
    *,
    recording: str | None = None,
) -> pd.DataFrame:
    """Read an ANIMAL-SPOT prediction log into a window-scores table.

    Parameters
    ----------
    path : path-like
        A ``*_predict_output.log`` file (ANIMAL-SPOT's or :func:`write_predict_log`'s).
    recording : str, optional
        Value of the ``recording`` column. Default: the base name of the audio file the
        header names, else the log's name without ``_predict_output.log``.

    Returns
    -------
    pandas.DataFrame
        WINDOW_SCORES table ``recording, window, begin_s, end_s, p_noise, p_target`` with
        ``p_target = prob`` and ``p_noise = 1 - prob``. Window times are exact
        (``begin = i * hop / sr``, ``end = min(i * hop + L, N) / sr``) when the header gives
        the sample rate, file and hop sizes and the logged times agree with them; otherwise
        the logged times, with one sample added to the end when the sample rate is known.
        ``df.attrs["predict_log"]`` holds the :class:`PredictLogHeader` as a dict.

    Raises
    ------
    AnnotationError
        Missing or unreadable file, a malformed window line (named by line number), or a
        multi-class log.

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a_predict_output.log"
    >>> s = pd.DataFrame({"recording": ["a.wav"] * 2, "window": [0, 1],
    ...                   "begin_s": [0.0, 0.05], "end_s": [0.4, 0.45],
    ...                   "p_noise": [0.75, 0.25], "p_target": [0.25, 0.75]})
    >>> _ = write_predict_log(p, s, threshold=0.5, sequence_len_s=0.4, hop_s=0.05,
    ...                       sr=48000, n_samples=48000)
    >>> read_predict_log(p)[["begin_s", "end_s", "p_target"]].values.tolist()
    [[0.0, 0.4, 0.25], [0.05, 0.45, 0.75]]
    """
    p = Path(path)
    messages = _messages(p)
    header = _parse_header(messages)
    t0s, t1s, probs = [], [], []
    for lineno, msg in messages:
        if msg.startswith("output_layer") or "pred_class=" in msg:
            raise AnnotationError(
                "multi-class prediction logs are not supported; expected binary "
                "'time=<t0>-<t1>, pred=<0|1>, prob=<p>' lines",
                path=p,
                line=lineno,
            )
        if not msg.startswith("time="):
            continue
        m = _WINDOW.match(msg)
        if m is None:
            raise AnnotationError(
                f"expected 'time=<t0>-<t1>, pred=<0|1>, prob=<p>', got {msg!r}",
                path=p,
                line=lineno,
            )
        try:
            t0, t1, prob = float(m.group("t0")), float(m.group("t1")), float(m.group("prob"))
        except ValueError:
            raise AnnotationError(f"non-numeric time or prob in {msg!r}", path=p, line=lineno) from None
        if not (math.isfinite(t0) and math.isfinite(t1) and 0 <= t0 <= t1):
            raise AnnotationError(f"window times must satisfy 0 <= t0 <= t1, got {msg!r}",
                                  path=p, line=lineno)
        if not (0.0 <= prob <= 1.0):
            raise AnnotationError(f"prob must lie in [0, 1], got {msg!r}", path=p, line=lineno)
        t0s.append(t0)
        t1s.append(t1)
        probs.append(prob)
    n = len(probs)
    begin = np.asarray(t0s, dtype=np.float64)
    end = np.asarray(t1s, dtype=np.float64)
    sr = header.sr
    if sr is not None and n:
        exact = _exact_times(header, n)
        if exact is not None and np.allclose(np.round(exact[0], 3), begin, atol=1.5e-3):
            begin, end = exact
        else:
            end = end + 1.0 / sr
    if recording is None:
        if header.audio_file:
            recording = PurePath(header.audio_file.replace("\\", "/")).name
        else:
            recording = p.name.removesuffix(".log").removesuffix("_predict_output")
    prob_arr = np.asarray(probs, dtype=np.float64)
    table = pd.DataFrame(
        {
            "recording": [recording] * n,
            "window": np.arange(n, dtype=np.int64),
            "begin_s": begin,
            "end_s": end,
            "p_noise": 1.0 - prob_arr,
            "p_target": prob_arr,
        }
    )
    table = WINDOW_SCORES.validate(table, path=p)
    table.attrs["predict_log"] = dict(header.__dict__)
    return table


def _exact_times(header: PredictLogHeader, n: int) -> tuple[np.ndarray, np.ndarray] | None:
    sr, total, hop = header.sr, header.n_samples, header.hop_samples
    if sr is None or total is None or hop is None or header.sequence_len_s is None or hop <= 0:
        return None
    length = int(math.ceil(header.sequence_len_s * sr))
    starts = np.arange(n, dtype=np.int64) * hop
    stops = np.minimum(starts + length, total)
    return starts / sr, stops / sr


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
    hop_samples = int(math.ceil(hop_s * sr)) if sr is not None else None
    messages = [
        name,
        f"Model Path: {model_path}",
        f"dataOpts: {opts!r}",
        f"prediction length: {sequence_len_s}[s], hop length: {hop_s}[s], threshold: "
        f"{threshold}, prediction fmin: {fmin}[Hz] prediction fmax: {fmax}[Hz]",
        f"class distribution: {class_dist!r}",
        "Init min-max-normalization activated" if min_max_norm
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
    for t0, t1, prob in zip(begin, end, scores[column].to_numpy(np.float64)):
        pred = int(prob >= threshold)
        messages.append(
            f"time={round(float(t0), 3)}-{round(float(t1), 3)}, pred={pred}, prob={float(prob)!r}"
        )
    text = "".join(f"{PREDICT_LOG_CLOCK}|I|{m}\n" for m in messages)
    atomic_write_text(p, text)
    return p
