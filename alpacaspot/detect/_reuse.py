"""Reusing stored window scores: what made a scores file, and whether it still fits."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from alpacaspot.dsp.grid import WindowGrid
from alpacaspot.errors import AlpacaspotError
from alpacaspot.events import OPERATING_POINT_KEY
from alpacaspot.io import read_table, read_table_metadata
from alpacaspot.io.schemas import WINDOW_SCORES

if TYPE_CHECKING:
    from alpacaspot.models.bundle import ModelBundle

__all__ = ["identity_of", "operating_point_meta", "stored_scores"]

_log = logging.getLogger("alpacaspot.detect.inference")


def identity_of(bundle: ModelBundle, mode: str, passes: int) -> dict[str, Any]:
    """What made a scores file: stored with it and compared before it is reused."""
    fingerprint = getattr(bundle, "fingerprint", None)
    identity: dict[str, Any] = {"model": fingerprint() if callable(fingerprint) else None,
                                "mode": mode}
    if mode == "shared":
        identity["shared_passes"] = int(passes)
    return identity


def operating_point_meta(bundle: ModelBundle) -> dict[str, str]:
    """The model's stored operating point as scores metadata (empty when it has none)."""
    op = getattr(bundle, "operating_point", None)
    return {} if op is None else {OPERATING_POINT_KEY: op.to_json()}


def stored_scores(
    path: Path, grid: WindowGrid, classes: Sequence[str], identity: dict[str, Any]
) -> pd.DataFrame | None:
    """The stored scores when complete for this grid, class list and model, else None.

    Files without an identity (written by older versions) are judged by grid and classes.
    """
    if not path.is_file():
        return None
    try:
        table = read_table(path, schema=WINDOW_SCORES)
        made_by = read_table_metadata(path)
    except AlpacaspotError as exc:
        _log.warning("recomputing unreadable window scores %s: %s", path, exc)
        return None
    differs = {k: (made_by[k], v) for k, v in identity.items()
               if k in made_by and v is not None and made_by[k] != v}
    if made_by and "mode" not in made_by:
        differs["mode"] = (None, identity["mode"])
    if differs:
        _log.warning("recomputing window scores %s: made by another model or mode %s",
                     path, differs)
        return None
    wanted = [f"p_{c}" for c in classes]
    if len(table) != grid.count or any(c not in table.columns for c in wanted):
        _log.warning("recomputing window scores %s: they do not fit this model/grid", path)
        return None
    if len(table) and not np.allclose(table["begin_s"].to_numpy(), grid.begin_s):
        _log.warning("recomputing window scores %s: another window hop", path)
        return None
    return table
