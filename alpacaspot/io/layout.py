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

__all__ = ["format_tag", "parse_tag", "scores_key", "scores_path", "default_tape", "clean_field",
           "ALPACA_RAW_NAME",
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


#: The alpaca fork's long recordings, ``<animal>_<YYYYMMDD>[_<tag>]_cut`` (a file stem).
ALPACA_RAW_NAME = re.compile(r"^(?P<animal>[^_]+)_(?P<date>(?P<year>[0-9]{4})[0-9]{4})(_.*)?$")
# a fork recording's name as it reaches a table: the raw file or one of its clips
_ALPACA_FILE = re.compile(r"^(?P<stem>[^_/]+_[0-9]{8}(_[^/]*)?_cut)\.wav(_[0-9.]+_[0-9.]+\.wav)?$",
                          re.IGNORECASE)


def clean_field(text: str) -> str:
    """``text`` usable as an ANIMAL-SPOT clip-name field (no ``_``, no path separators).

    Examples
    --------
    >>> clean_field("site_A/tape 1")
    'site-A-tape-1'
    """
    out = re.sub(r"[_/\\\s]+", "-", text.strip())
    return out or "x"


def default_tape(recording: str) -> str:
    """The tape of a recording that no table names: the one rule everywhere.

    The alpaca fork's recordings (``<animal>_<YYYYMMDD>[_<tag>]_cut.wav`` and its clips
    ``<raw>.wav_<start>_<end>.wav``) belong to tape ``<animal>-<YYYYMMDD>``; any other
    recording to its first folder (one folder per tape, however many files it holds), else to
    its file name without the suffix. The tape is a clip-name field (``_`` becomes ``-``).
    :func:`alpacaspot.data.build_corpus_index` assigns these tapes (unless given
    ``tape_fn``), and evaluation falls back on them, so a recording has one tape.

    Examples
    --------
    >>> default_tape("T01/T01_20190614_0930.wav"), default_tape("rec_01.wav")
    ('T01', 'rec-01')
    >>> default_tape("raw_recordings/alp01_20190614_r1_cut.wav")
    'alp01-20190614'
    """
    path = PurePosixPath(recording)
    fork = _ALPACA_FILE.match(path.name)
    if fork:
        m = ALPACA_RAW_NAME.match(fork.group("stem")[: -len("_cut")])
        if m:
            return f"{clean_field(m.group('animal'))}-{m.group('date')}"
    parts = [p for p in path.parts if p not in ("/", "", ".")]
    return clean_field(parts[0] if len(parts) > 1 and not path.is_absolute() else path.stem)
