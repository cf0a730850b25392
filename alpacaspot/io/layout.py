"""Names in the benchmark's on-disk layout, defined once for every layer.

``BENCHMARK/runs/<model>/scores/<scores_key>/<recording>.parquet`` holds window scores shared
by every tag that differs only in threshold; ``BENCHMARK/runs/<model>/<tag>/`` holds one
threshold's outputs. Tags are ``len<ms>_hop<ms>_th<digits>``: thresholds are rounded, never
truncated (0.57 is ``th57``, not ``th56``), and keep the digits they need (0.975 is ``th975``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path, PurePosixPath

from alpacaspot.errors import ConfigError

__all__ = ["format_tag", "parse_tag", "scores_key", "scores_path", "default_tape",
           "AUDIO_SUFFIXES", "CORPUS_INDEX_FILE", "CORPUS_RECORDINGS_FILE"]

#: File suffixes (lower case) counted as audio wherever a folder is listed: the formats
#: :func:`alpacaspot.io.read_audio` (libsndfile) reads.
AUDIO_SUFFIXES: frozenset[str] = frozenset(
    {".wav", ".flac", ".ogg", ".aif", ".aiff", ".aifc", ".w64", ".rf64", ".caf", ".mp3"}
)

#: A corpus's event index (one row per annotated event).
CORPUS_INDEX_FILE = "corpus_index.parquet"
#: A corpus's recordings table (one row per audio file, with its tape and year).
CORPUS_RECORDINGS_FILE = "corpus_recordings.parquet"

_TAG = re.compile(r"^len(\d{3,})_hop(\d{3,})_th(\d{2,})$")


def scores_key(seq_len_s: float, hop_s: float) -> str:
    """Folder name of the window scores of one window length and hop.

    Examples
    --------
    >>> scores_key(0.4, 0.05)
    'len400_hop050'
    """
    return f"len{round(seq_len_s * 1000):03d}_hop{round(hop_s * 1000):03d}"


def format_tag(seq_len_s: float, hop_s: float, threshold: float | None = None) -> str:
    """The benchmark tag of a window length, hop and threshold.

    Parameters
    ----------
    seq_len_s, hop_s : float
        Window length and hop in seconds.
    threshold : float, optional
        Probability threshold in (0, 1]; without it the tag is the scores key.

    Examples
    --------
    >>> format_tag(0.4, 0.05, 0.9), format_tag(0.4, 0.05, 0.57)
    ('len400_hop050_th90', 'len400_hop050_th57')
    >>> format_tag(0.4, 0.05, 0.975), format_tag(0.4, 0.05, 1.0)
    ('len400_hop050_th975', 'len400_hop050_th100')
    """
    key = scores_key(seq_len_s, hop_s)
    if threshold is None:
        return key
    t = float(threshold)
    if not 0.0 < t <= 1.0:
        raise ConfigError(f"threshold must be in (0, 1], got {threshold!r}")
    if t >= 1.0:
        return f"{key}_th100"
    digits = f"{round(t, 6):.6f}".split(".")[1].rstrip("0").ljust(2, "0")
    return f"{key}_th{digits}"


def parse_tag(tag: str) -> tuple[float, float, float]:
    """Window length (s), hop (s) and threshold of a benchmark tag.

    Examples
    --------
    >>> parse_tag("len400_hop050_th90")
    (0.4, 0.05, 0.9)
    >>> parse_tag("len400_hop050_th975")[2]
    0.975
    """
    m = _TAG.match(tag)
    if m is None:
        raise ConfigError(f"not a benchmark tag: {tag!r}; expected like 'len400_hop050_th90'")
    digits = m.group(3)
    threshold = 1.0 if digits == "100" else int(digits) / 10 ** len(digits)
    return int(m.group(1)) / 1000, int(m.group(2)) / 1000, threshold


def scores_path(out_dir: str | os.PathLike[str], recording: str) -> Path:
    """Where a recording's window scores are stored: ``<out_dir>/<recording>.parquet``.

    The recording's relative path is kept whole (never cut at a dot).

    Examples
    --------
    >>> scores_path("scores", "tape1/a.b.wav").as_posix()
    'scores/tape1/a.b.wav.parquet'
    """
    return Path(out_dir) / f"{recording}.parquet"


def default_tape(recording: str) -> str:
    """The tape of a recording when no table names it: its file name without the suffix.

    Examples
    --------
    >>> default_tape("2019/tape07.wav")
    'tape07'
    """
    return PurePosixPath(recording).stem
