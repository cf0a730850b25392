"""Tape names and years from file names: a strict date pattern, never a guess."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

# an 8-digit date YYYYMMDD not glued to other digits, years 1900..2199
_DATE = re.compile(
    r"(?<![0-9])(19[0-9]{2}|2[01][0-9]{2})(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])(?![0-9])"
)


def year_from_name(name: str) -> int | None:
    """The year of the last ``YYYYMMDD`` date in ``name``, else None.

    >>> year_from_name("T01/T01_20190614_0930.wav"), year_from_name("rec12345678.wav")
    (2019, None)
    """
    found = _DATE.findall(PurePosixPath(name).name)
    return int(found[-1][0]) if found else None


def clean_field(text: str) -> str:
    """``text`` usable as an ANIMAL-SPOT clip-name field (no ``_``, no path separators).

    >>> clean_field("site_A/tape 1")
    'site-A-tape-1'
    """
    out = re.sub(r"[_/\\\s]+", "-", text.strip())
    return out or "x"


def default_raven_tape(recording: str) -> str:
    """Tape of a ``raven``-layout recording: its first folder, else the file's stem.

    >>> default_raven_tape("T01/T01_20190614_0930.wav"), default_raven_tape("a_b.wav")
    ('T01', 'a-b')
    """
    parts = PurePosixPath(recording).parts
    return clean_field(parts[0] if len(parts) > 1 else PurePosixPath(recording).stem)
