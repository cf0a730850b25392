"""Parquet tables validated against alpacaspot's schemas, written atomically."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from alpacaspot._atomic import atomic_path
from alpacaspot.errors import SchemaError
from alpacaspot.io.schemas import SCHEMAS, Schema

__all__ = ["parquet_files", "read_table", "read_table_metadata", "write_table"]

_METADATA_KEY = b"alpacaspot"


def parquet_files(folder: str | os.PathLike[str]) -> list[Path]:
    """Every ``*.parquet`` under ``folder``, sorted; none when it is not a folder.

    Names starting with a dot (the temporary files of an atomic write) are left out.

    Examples
    --------
    >>> import tempfile
    >>> parquet_files(tempfile.mkdtemp()), parquet_files("no/such/folder")
    ([], [])
    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*.parquet") if not p.name.startswith("."))


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
    metadata: Mapping[str, Any] | None = None,
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
    metadata : mapping, optional
        JSON-compatible facts about the table (e.g. which model made it), stored in the
        file's schema and read back by :func:`read_table_metadata`.

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
    if metadata is not None:
        text = json.dumps(dict(metadata), sort_keys=True, default=str)
        arrow = arrow.replace_schema_metadata(
            {**(arrow.schema.metadata or {}), _METADATA_KEY: text.encode("utf-8")})
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


def read_table_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The ``metadata`` a table was written with (empty when none), without reading its rows.

    Raises
    ------
    SchemaError
        When the file is missing or is not Parquet.

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.parquet"
    >>> _ = write_table(pd.DataFrame({"a": [1]}), p, metadata={"model": "abc"})
    >>> read_table_metadata(p)
    {'model': 'abc'}
    """
    p = Path(path)
    if not p.is_file():
        raise SchemaError("table file does not exist", path=p)
    try:
        stored = (pq.read_schema(p).metadata or {}).get(_METADATA_KEY)
    except (pa.ArrowInvalid, OSError) as exc:
        raise SchemaError(f"not a readable Parquet file ({exc})", path=p) from None
    if stored is None:
        return {}
    try:
        value = json.loads(stored.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise SchemaError("corrupt alpacaspot metadata in the Parquet schema", path=p) from None
    if not isinstance(value, dict):
        raise SchemaError("alpacaspot metadata is not a JSON object", path=p)
    return value
