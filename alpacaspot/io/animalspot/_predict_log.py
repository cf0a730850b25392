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
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath

import numpy as np
import pandas as pd

from alpacaspot.errors import AnnotationError
from alpacaspot.io.animalspot._predict_log_write import (
    PREDICT_LOG_CLOCK,
    predict_log_name,
    write_predict_log,
)
from alpacaspot.io.animalspot._text import read_text_file
from alpacaspot.io.schemas import WINDOW_SCORES

__all__ = [
    "PREDICT_LOG_CLOCK",
    "PredictLogHeader",
    "predict_log_name",
    "read_predict_log",
    "read_predict_log_header",
    "write_predict_log",
]

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


def _messages(path: Path) -> list[tuple[int, str]]:
    text = read_text_file(path, "prediction log", AnnotationError)
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
            values["model_path"] = msg[len("Model Path: ") :]
        elif msg.startswith("dataOpts: "):
            values["data_opts"] = _literal(msg[len("dataOpts: ") :])
        elif msg.startswith("class distribution: "):
            values["classes"] = _literal(msg[len("class distribution: ") :])
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
        Value of the ``recording`` column. Default: the audio file the header names (as
        written when it is a relative path, its base name when absolute), else the log's
        name without ``_predict_output.log``.

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
            raise AnnotationError(
                f"non-numeric time or prob in {msg!r}", path=p, line=lineno
            ) from None
        if not (math.isfinite(t0) and math.isfinite(t1) and 0 <= t0 <= t1):
            raise AnnotationError(
                f"window times must satisfy 0 <= t0 <= t1, got {msg!r}", path=p, line=lineno
            )
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
            recording = _recording_of(header.audio_file)
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


def _recording_of(audio_file: str) -> str:
    """A relative audio path as written (POSIX); the base name of an absolute one."""
    text = audio_file.replace("\\", "/")
    if text.startswith("/") or PureWindowsPath(audio_file).drive:
        return text.rsplit("/", 1)[-1]
    return PurePosixPath(text).as_posix()


def _exact_times(header: PredictLogHeader, n: int) -> tuple[np.ndarray, np.ndarray] | None:
    sr, total, hop = header.sr, header.n_samples, header.hop_samples
    if sr is None or total is None or hop is None or header.sequence_len_s is None or hop <= 0:
        return None
    # ANIMAL-SPOT's L = ceil(seconds * sr), the rule of dsp.grid.seconds_to_samples; io and
    # dsp are sibling layers that do not import each other (tests/io/animalspot checks both
    # agree)
    length = int(math.ceil(header.sequence_len_s * sr))
    starts = np.arange(n, dtype=np.int64) * hop
    stops = np.minimum(starts + length, total)
    return starts / sr, stops / sr
