"""Low-level reading of Raven's tab-separated text: header, rows, cells, numbers."""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from alpacaspot.errors import AnnotationError

_log = logging.getLogger(__name__)

_SPACES = re.compile(r"\s+")


def norm(name: str) -> str:
    """Column name compared ignoring case and runs of whitespace."""
    return _SPACES.sub(" ", name.strip()).lower()


@dataclass(frozen=True)
class RavenTable:
    """A Raven table as text: column names, rows of cells and their 1-based file lines."""

    path: Path
    columns: list[str]
    rows: list[list[str]]
    lines: list[int]

    def column(self, name: str | None) -> list[str]:
        """Cells of column ``name`` (as found by :func:`find_column`)."""
        if name is None:
            return [""] * len(self.rows)
        j = self.columns.index(name)
        return [row[j] for row in self.rows]

    def subset(self, indices: Sequence[int]) -> RavenTable:
        """The table restricted to the given row indices."""
        return RavenTable(
            self.path,
            self.columns,
            [self.rows[i] for i in indices],
            [self.lines[i] for i in indices],
        )

    def cell(self, i: int, name: str | None) -> str:
        """Cell of row ``i`` in column ``name`` (empty when the column is absent)."""
        return "" if name is None else self.rows[i][self.columns.index(name)]


def find_column(columns: Sequence[str], name: str | None) -> str | None:
    """The column matching ``name`` ignoring case and whitespace (``None`` if absent).

    Examples
    --------
    >>> find_column(["Selection", "Begin  Time (s)"], "begin time (s)")
    'Begin  Time (s)'
    >>> find_column(["Selection"], "Quality") is None
    True
    """
    if name is None:
        return None
    wanted = norm(name)
    for col in columns:
        if norm(col) == wanted:
            return col
    return None


def _decode(path: Path, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        _log.warning("%s: not UTF-8, reading it as Latin-1", path)
        return data.decode("latin-1")


def read_raven_text(path: Path) -> RavenTable:
    """Split a Raven table file into header and rows.

    Accepts UTF-8 with or without BOM (Latin-1 as a fallback), LF or CRLF, a missing final
    newline, trailing tabs and rows shorter than the header (padded with empty cells).
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise AnnotationError("selection table does not exist", path=path) from None
    except OSError as exc:
        raise AnnotationError(f"cannot read selection table ({exc})", path=path) from None
    text = _decode(path, data)
    lines = text.splitlines()
    numbered = [(i, line) for i, line in enumerate(lines, start=1) if line.strip()]
    if not numbered:
        raise AnnotationError(
            "selection table is empty; expected a tab-separated header line", path=path
        )
    header_line, header = numbered[0]
    columns = [c.strip() for c in header.split("\t")]
    while columns and columns[-1] == "":
        columns.pop()
    if len(columns) < 2:
        raise AnnotationError(
            f"expected a tab-separated header (Selection, View, Channel, Begin Time (s), ...), "
            f"got {header.strip()[:80]!r}",
            path=path,
            line=header_line,
        )
    seen: dict[str, int] = {}
    for j, col in enumerate(columns):
        if col == "":
            columns[j] = col = f"column_{j + 1}"
        if col in seen:
            seen[col] += 1
            columns[j] = f"{col}.{seen[col]}"
        else:
            seen[col] = 0
    rows, row_lines = [], []
    width = len(columns)
    for lineno, line in numbered[1:]:
        cells = line.split("\t")
        if len(cells) > width:
            if any(c.strip() for c in cells[width:]):
                raise AnnotationError(
                    f"row has {len(cells)} cells, the header has {width} columns",
                    path=path,
                    line=lineno,
                )
            cells = cells[:width]
        cells = [c.strip() for c in cells] + [""] * (width - len(cells))
        rows.append(cells)
        row_lines.append(lineno)
    return RavenTable(path, columns, rows, row_lines)


def parse_float(text: str, path: Path, line: int, column: str) -> float:
    """A cell as float; an empty cell is NaN; anything else non-numeric is an error."""
    t = text.strip()
    if t == "":
        return math.nan
    try:
        value = float(t.replace(",", ".")) if t.count(",") == 1 and "." not in t else float(t)
    except ValueError:
        raise AnnotationError(
            f"column '{column}' holds {t!r}; expected a number", path=path, line=line
        ) from None
    if not math.isfinite(value):
        raise AnnotationError(
            f"column '{column}' holds {t!r}; expected a finite number", path=path, line=line
        )
    return value


def parse_floats(cells: Sequence[str], path: Path, lines: Sequence[int], column: str) -> np.ndarray:
    """A column of cells as float64 (empty cells NaN); errors name the first bad line."""
    try:
        values = np.array([c if c else "nan" for c in cells], dtype=np.float64)
        if np.isfinite(values[~np.isnan(values)]).all():
            return values
    except ValueError:
        pass
    return np.array([parse_float(c, path, ln, column) for c, ln in zip(cells, lines, strict=True)])


def parse_int(text: str, path: Path, line: int, column: str) -> int | None:
    """A cell as int; an empty cell is None; a non-integer is an error."""
    value = parse_float(text, path, line, column)
    if math.isnan(value):
        return None
    if not value.is_integer():
        raise AnnotationError(
            f"column '{column}' holds {text.strip()!r}; expected a whole number",
            path=path,
            line=line,
        )
    return int(value)
