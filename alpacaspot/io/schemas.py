"""The table schemas of alpacaspot, defined once and checked where tables enter or leave.

Tables are pandas DataFrames at the API and Parquet on disk. Times are float64 seconds from
the start of the recording's audio file, frequencies in Hz, and ``recording`` is the audio
file's path relative to its corpus (or input) root, POSIX, never cut at a dot.

Empty tables are valid (field data often has no calls). Extra columns are kept.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alpacaspot.errors import SchemaError

__all__ = [
    "Column",
    "Schema",
    "RECORDINGS",
    "EVENTS",
    "CLIPS",
    "WINDOW_SCORES",
    "METRICS",
    "SCHEMAS",
]

# Logical kinds and the pandas dtype each one is stored as.
_KIND_DTYPES = {
    "str": "object",
    "float": "float64",
    "int": "int64",
    "nullable_int": "Int64",
    "nullable_float": "Float64",
}


@dataclass(frozen=True)
class Column:
    """One column of a schema.

    Parameters
    ----------
    name : str
        Column name.
    kind : {"str", "float", "int", "nullable_int", "nullable_float"}
        Logical type. ``nullable_*`` columns may hold missing values.
    required : bool
        When False the column is added (all null, or ``default``) if a table lacks it.
    default : object
        Fill value for an absent optional column.
    """

    name: str
    kind: str
    required: bool = True
    default: object = None


@dataclass(frozen=True)
class Schema:
    """A table schema: named columns in order, plus an optional family of prefixed columns.

    Parameters
    ----------
    name : str
        Name used in error messages (``"events"``).
    columns : tuple of Column
        Columns in output order.
    prefix : str, optional
        Columns whose names start with this prefix (``"p_"`` for class probabilities) are
        float columns of the table; at least one must exist when ``prefix`` is set.

    Examples
    --------
    >>> import pandas as pd
    >>> df = EVENTS.validate(pd.DataFrame({"recording": ["a.wav"], "begin_s": [0.0],
    ...                                    "end_s": [0.5]}))
    >>> list(df.columns)[:3]
    ['recording', 'begin_s', 'end_s']
    >>> EVENTS.empty().shape
    (0, 10)
    """

    name: str
    columns: tuple[Column, ...]
    prefix: str | None = None

    @property
    def names(self) -> list[str]:
        """Column names in order."""
        return [c.name for c in self.columns]

    def empty(self) -> pd.DataFrame:
        """An empty table with every column of the schema and the right dtypes."""
        return pd.DataFrame(
            {c.name: pd.Series([], dtype=_KIND_DTYPES[c.kind]) for c in self.columns}
        )

    def validate(
        self,
        table: pd.DataFrame,
        *,
        path: str | os.PathLike[str] | None = None,
    ) -> pd.DataFrame:
        """Check and coerce ``table`` to this schema; return a new DataFrame.

        Required columns must exist; optional ones are added. Values are converted to the
        column's dtype; a value that cannot be converted raises :class:`SchemaError` naming
        the column and the first bad row. Extra columns are kept after the schema's.

        Parameters
        ----------
        table : pandas.DataFrame
            The table to check.
        path : path-like, optional
            The file the table came from or goes to, for error messages.

        Returns
        -------
        pandas.DataFrame
            The table with schema columns first, in schema order, with schema dtypes and a
            fresh ``RangeIndex``.
        """
        if not isinstance(table, pd.DataFrame):
            raise SchemaError(
                f"{self.name} table must be a pandas DataFrame, got {type(table).__name__}",
                path=path,
            )
        missing = [c.name for c in self.columns if c.required and c.name not in table.columns]
        if missing:
            raise SchemaError(
                f"{self.name} table lacks required column(s) {missing}; "
                f"expected columns {self.names}, got {list(table.columns)}",
                path=path,
            )
        n = len(table)
        out: dict[str, pd.Series] = {}
        for col in self.columns:
            if col.name in table.columns:
                series = table[col.name].reset_index(drop=True)
            else:
                series = pd.Series([col.default] * n, dtype="object")
            out[col.name] = _coerce(series, col, self.name, path)
        prefixed = []
        if self.prefix is not None:
            prefixed = sorted(
                c for c in table.columns if isinstance(c, str) and c.startswith(self.prefix)
            )
            if not prefixed:
                raise SchemaError(
                    f"{self.name} table needs at least one '{self.prefix}<class>' column, "
                    f"got {list(table.columns)}",
                    path=path,
                )
            for name in prefixed:
                out[name] = _coerce(
                    table[name].reset_index(drop=True), Column(name, "float"), self.name, path
                )
        extra = [c for c in table.columns if c not in out]
        for name in extra:
            out[name] = table[name].reset_index(drop=True)
        return pd.DataFrame(out, index=pd.RangeIndex(n))


def _coerce(series: pd.Series, col: Column, table_name: str, path: object) -> pd.Series:
    kind = col.kind
    try:
        if kind == "str":
            if series.isna().any() and col.required:
                bad = int(np.flatnonzero(series.isna().to_numpy())[0])
                raise SchemaError(
                    f"{table_name} column '{col.name}' must not be empty (row {bad})",
                    path=path,
                    line=None,
                )
            fill = col.default if isinstance(col.default, str) else None
            values = series.astype(object).to_numpy(dtype=object, copy=True)
            missing = pd.isna(values)
            values[missing] = fill
            present = ~missing
            if pd.api.types.infer_dtype(values[present], skipna=False) not in ("string", "empty"):
                for i in np.flatnonzero(present):
                    if not isinstance(values[i], str):
                        values[i] = str(values[i])
            return pd.Series(values, dtype="object", index=series.index)
        if kind == "float":
            values = pd.to_numeric(series, errors="raise").astype("float64")
            if values.isna().any() and col.required:
                bad = int(np.flatnonzero(values.isna().to_numpy())[0])
                raise SchemaError(
                    f"{table_name} column '{col.name}' has a missing value in row {bad}",
                    path=path,
                )
            return values
        if kind == "int":
            values = pd.to_numeric(series, errors="raise")
            if values.isna().any():
                bad = int(np.flatnonzero(values.isna().to_numpy())[0])
                raise SchemaError(
                    f"{table_name} column '{col.name}' has a missing value in row {bad}",
                    path=path,
                )
            as_float = np.asarray(values, dtype="float64")
            if not np.all(as_float == np.round(as_float)):
                raise SchemaError(
                    f"{table_name} column '{col.name}' must hold whole numbers", path=path
                )
            return values.astype("int64")
        if kind == "nullable_int":
            values = pd.to_numeric(series, errors="raise").astype("Float64")
            whole = values.isna() | (values == values.round())
            if not bool(whole.all()):
                bad = int(np.flatnonzero(~whole.to_numpy(dtype=bool, na_value=True))[0])
                raise SchemaError(
                    f"{table_name} column '{col.name}' must hold whole numbers or nulls, "
                    f"got {series.iloc[bad]} in row {bad}",
                    path=path,
                )
            return values.astype("Int64")
        if kind == "nullable_float":
            return pd.to_numeric(series, errors="raise").astype("Float64")
    except SchemaError:
        raise
    except (ValueError, TypeError) as exc:
        raise SchemaError(
            f"{table_name} column '{col.name}' must be of kind {kind}: {exc}", path=path
        ) from None
    raise AssertionError(f"unknown column kind {kind!r}")


RECORDINGS = Schema(
    "recordings",
    (
        Column("recording", "str"),
        Column("tape", "str"),
        Column("year", "nullable_int", required=False),
        Column("sample_rate", "int"),
        Column("channels", "int"),
        Column("frames", "int"),
        Column("duration_s", "float"),
    ),
)

EVENTS = Schema(
    "events",
    (
        Column("recording", "str"),
        Column("begin_s", "float"),
        Column("end_s", "float"),
        Column("low_hz", "nullable_float", required=False),
        Column("high_hz", "nullable_float", required=False),
        Column("label", "str", required=False, default=""),
        Column("quality", "nullable_int", required=False),
        Column("channel", "nullable_int", required=False, default=1),
        Column("selection", "nullable_int", required=False),
        Column("score", "nullable_float", required=False),
    ),
)

CLIPS = Schema(
    "clips",
    (
        Column("clip", "str"),
        Column("class", "str"),
        Column("label", "str", required=False, default=""),
        Column("recording", "str"),
        Column("tape", "str"),
        Column("begin_s", "float"),
        Column("end_s", "float"),
        Column("split", "str"),
        Column("source", "str"),
        Column("quality", "nullable_int", required=False),
    ),
)

WINDOW_SCORES = Schema(
    "window scores",
    (
        Column("recording", "str"),
        Column("window", "int"),
        Column("begin_s", "float"),
        Column("end_s", "float"),
    ),
    prefix="p_",
)

METRICS = Schema(
    "metrics",
    (
        Column("model", "str"),
        Column("tag", "str"),
        Column("criterion", "str"),
        Column("n_gt", "int"),
        Column("n_pred", "int"),
        Column("tp", "int"),
        Column("fp", "int"),
        Column("fn", "int"),
        Column("precision", "float"),
        Column("recall", "float"),
        Column("f1", "float"),
    ),
)

SCHEMAS: dict[str, Schema] = {
    "recordings": RECORDINGS,
    "events": EVENTS,
    "clips": CLIPS,
    "window_scores": WINDOW_SCORES,
    "metrics": METRICS,
}
