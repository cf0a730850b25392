"""Parquet tables validated against alpacaspot's schemas, written atomically."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from alpacaspot._atomic import atomic_path
from alpacaspot.errors import SchemaError
from alpacaspot.io.schemas import SCHEMAS, Schema

__all__ = ["read_table", "write_table"]


def _schema(schema: Schema | str | None) -> Schema | None:
    if schema is None or isinstance(schema, Schema):
        return schema
    try:
        return SCHEMAS[schema]
    except KeyError:
        raise SchemaError(f"unknown schema {schema!r}; expected one of {sorted(SCHEMAS)}") from None


def write_table(
    table: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    schema: Schema | str | None = None,
) -> Path:
    """Write ``table`` to a Parquet file atomically, validating it first.

    Parameters
    ----------
    table : pandas.DataFrame
        The table.
    path : path-like
        Destination ``.parquet`` file; parent folders are created.
    schema : Schema or str, optional
        Schema (or its name: ``"events"``, ``"recordings"``, ``"clips"``,
        ``"window_scores"``, ``"metrics"``) the table must satisfy.

    Returns
    -------
    pathlib.Path
        The written path.

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "ev.parquet"
    >>> _ = write_table(pd.DataFrame({"recording": ["a.wav"], "begin_s": [1.0],
    ...                               "end_s": [2.0]}), p, schema="events")
    >>> read_table(p, schema="events")["end_s"].tolist()
    [2.0]
    """
    sch = _schema(schema)
    if sch is not None:
        table = sch.validate(table, path=path)
    arrow = pa.Table.from_pandas(table, preserve_index=False)
    with atomic_path(path) as tmp:
        pq.write_table(arrow, tmp, compression="zstd")
    return Path(path)


def read_table(
    path: str | os.PathLike[str],
    *,
    schema: Schema | str | None = None,
    columns: list[str] | None = None,
) -> pd.DataFrame:
    """Read a Parquet table and validate it against ``schema``.

    Parameters
    ----------
    path : path-like
        A ``.parquet`` file.
    schema : Schema or str, optional
        Schema to validate against (see :func:`write_table`).
    columns : list of str, optional
        Read only these columns (validation then is skipped).

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    SchemaError
        When the file is missing, is not Parquet, or does not fit the schema.

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.parquet"
    >>> _ = write_table(pd.DataFrame({"a": [1]}), p)
    >>> read_table(p)["a"].tolist()
    [1]
    """
    sch = _schema(schema)
    p = Path(path)
    if not p.is_file():
        raise SchemaError("table file does not exist", path=p)
    try:
        table = pq.read_table(p, columns=columns).to_pandas()
    except (pa.ArrowInvalid, OSError) as exc:
        raise SchemaError(f"not a readable Parquet file ({exc})", path=p) from None
    if sch is not None and columns is None:
        table = sch.validate(table, path=p)
    return table
