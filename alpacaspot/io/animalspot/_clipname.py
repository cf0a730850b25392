"""ANIMAL-SPOT clip file names: ``CLASSNAME-LABELINFO_ID_YEAR_TAPENAME_STARTMS_ENDMS.wav``.

Fields are separated by ``_``, so no field may contain one. The class is the text before the
first ``-``; the ``-`` is required even when LABELINFO is empty
(``noise-_2381_2010_101BC_149817_150055.wav``). YEAR and TAPENAME together name the
recording (tape) that ANIMAL-SPOT keeps within one split. Times are integer milliseconds.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import PurePath

from alpacaspot.errors import CorpusError

__all__ = ["ClipName", "parse_clip_name", "format_clip_name"]

_DIGITS = re.compile(r"[0-9]+\Z")


@dataclass(frozen=True)
class ClipName:
    """The fields of an ANIMAL-SPOT clip file name.

    Attributes
    ----------
    class_name : str
        Class (``target``, ``noise``, or a call type).
    label : str
        LABELINFO, free text after the class's ``-`` (may be empty).
    id : str
        Clip id (unique within a dataset).
    year : int
        Recording year, 0..9999 (written with four digits).
    tape : str
        Tape (recording) name.
    start_ms, end_ms : int
        Clip position in the recording, milliseconds.
    """

    class_name: str
    label: str
    id: str
    year: int
    tape: str
    start_ms: int
    end_ms: int

    @property
    def tape_key(self) -> str:
        """``YEAR_TAPENAME``: what ANIMAL-SPOT groups splits by."""
        return f"{self.year:04d}_{self.tape}"

    @property
    def begin_s(self) -> float:
        """Start in seconds."""
        return self.start_ms / 1000.0

    @property
    def end_s(self) -> float:
        """End in seconds."""
        return self.end_ms / 1000.0

    def format(self) -> str:
        """The file name (see :func:`format_clip_name`)."""
        return format_clip_name(
            class_name=self.class_name, label=self.label, id=self.id, year=self.year,
            tape=self.tape, start_ms=self.start_ms, end_ms=self.end_ms,
        )  # fmt: skip


def parse_clip_name(name: str | os.PathLike[str]) -> ClipName:
    """Split an ANIMAL-SPOT clip file name into its fields.

    Parameters
    ----------
    name : str or path-like
        A file name or path (only the final component is parsed); must end in ``.wav``.

    Returns
    -------
    ClipName

    Raises
    ------
    CorpusError
        When the name does not have six ``_``-separated fields, lacks the class's ``-``, or
        holds a non-numeric year or time; the message shows the name and the expected form.

    Examples
    --------
    >>> c = parse_clip_name("noise-_2381_2010_101BC_149817_150055.wav")
    >>> c.class_name, c.label, c.id, c.year, c.tape, c.start_ms, c.end_ms
    ('noise', '', '2381', 2010, '101BC', 149817, 150055)
    >>> c.tape_key
    '2010_101BC'
    >>> parse_clip_name("target-hum-Q2_7_2019_tapeA_1500_1770.wav").label
    'hum-Q2'
    """
    text = os.fspath(name)
    base = PurePath(text.replace("\\", "/")).name
    expected = "expected CLASSNAME-LABELINFO_ID_YEAR_TAPENAME_STARTMS_ENDMS.wav"
    if not base.lower().endswith(".wav"):
        raise CorpusError(f"clip name {base!r} does not end in .wav; {expected}", path=text)
    fields = base[:-4].split("_")
    if len(fields) != 6:
        raise CorpusError(
            f"clip name {base!r} has {len(fields)} '_'-separated fields, not 6; {expected}",
            path=text,
        )
    head, clip_id, year, tape, start, end = fields
    class_name, dash, label = head.partition("-")
    if not dash or not class_name:
        raise CorpusError(
            f"clip name {base!r}: first field {head!r} needs 'CLASSNAME-' "
            f"(the '-' is required even with empty LABELINFO); {expected}",
            path=text,
        )
    for field, value in (("ID", clip_id), ("TAPENAME", tape)):
        if not value:
            raise CorpusError(f"clip name {base!r}: empty {field} field; {expected}", path=text)
    for field, value in (("YEAR", year), ("STARTMS", start), ("ENDMS", end)):
        if not _DIGITS.match(value):
            raise CorpusError(
                f"clip name {base!r}: {field} must be a non-negative integer, got {value!r}; "
                f"{expected}",
                path=text,
            )
    start_ms, end_ms = int(start), int(end)
    if end_ms < start_ms:
        raise CorpusError(
            f"clip name {base!r}: ENDMS {end_ms} is before STARTMS {start_ms}", path=text
        )
    return ClipName(class_name, label, clip_id, int(year), tape, start_ms, end_ms)


def _check_field(field: str, value: str, *, allow_dash: bool = True) -> str:
    bad = [c for c in ("_", "/", "\\") if c in value]
    if not allow_dash and "-" in value:
        bad.append("-")
    if bad or value != value.strip() or "\n" in value:
        raise CorpusError(
            f"clip name field {field}={value!r} must not contain {' or '.join(map(repr, bad))}"
            if bad
            else f"clip name field {field}={value!r} must not have surrounding whitespace"
        )
    return value


def format_clip_name(
    *,
    class_name: str,
    label: str = "",
    id: str | int,
    year: int,
    tape: str,
    start_ms: int,
    end_ms: int,
) -> str:
    """Build an ANIMAL-SPOT clip file name.

    Parameters
    ----------
    class_name : str
        Class; must not contain ``-`` or ``_``.
    label : str, default ""
        LABELINFO; must not contain ``_``.
    id : str or int
        Clip id; must not contain ``_``.
    year : int
        Year, 0..9999.
    tape : str
        Tape name; must not contain ``_``.
    start_ms, end_ms : int
        Clip position in milliseconds, ``0 <= start_ms <= end_ms``.

    Returns
    -------
    str
        ``CLASSNAME-LABELINFO_ID_YEAR_TAPENAME_STARTMS_ENDMS.wav``.

    Raises
    ------
    CorpusError
        A field containing ``_`` (or a path separator), an empty class, id or tape, a year
        outside 0..9999, or bad times.

    Examples
    --------
    >>> format_clip_name(class_name="target", label="hum", id=7, year=2019, tape="tapeA",
    ...                  start_ms=1500, end_ms=1770)
    'target-hum_7_2019_tapeA_1500_1770.wav'
    """
    class_name = _check_field("class_name", str(class_name), allow_dash=False)
    label = _check_field("label", str(label))
    clip_id = _check_field("id", str(id))
    tape = _check_field("tape", str(tape))
    for field, value in (("class_name", class_name), ("id", clip_id), ("tape", tape)):
        if not value:
            raise CorpusError(f"clip name field {field} must not be empty")
    for field, value in (("year", year), ("start_ms", start_ms), ("end_ms", end_ms)):
        if isinstance(value, bool) or not float(value).is_integer():
            raise CorpusError(f"clip name field {field} must be an integer, got {value!r}")
    year, start_ms, end_ms = int(year), int(start_ms), int(end_ms)
    if not 0 <= year <= 9999:
        raise CorpusError(f"clip name field year must lie in 0..9999, got {year}")
    if start_ms < 0 or end_ms < start_ms:
        raise CorpusError(
            f"clip name times must satisfy 0 <= start_ms <= end_ms, got {start_ms}, {end_ms}"
        )
    return f"{class_name}-{label}_{clip_id}_{year:04d}_{tape}_{start_ms}_{end_ms}.wav"
