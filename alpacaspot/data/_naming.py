"""Years from file names: a strict date pattern, never a guess.

Tapes follow :func:`alpacaspot.io.layout.default_tape`; :func:`clean_field` (re-exported here)
makes any text a clip-name field.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from alpacaspot.io.layout import clean_field

__all__ = ["year_from_name", "clean_field"]

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
