"""Training checkpoints: atomic files ``checkpoint_e<epoch>.pt``, newest N kept.

A checkpoint holds the state at the start of epoch ``next_epoch``: network, optimizer,
scheduler counters, the best state so far and the metric history, plus the fingerprint of the
training config. Files are written atomically and read with ``torch.load(weights_only=True)``,
so a training killed at any moment leaves either the old or the new file, never a torn one.
"""

from __future__ import annotations

import io
import logging
import os
import re
from pathlib import Path
from typing import Any

import torch

from alpacaspot._atomic import atomic_write_bytes
from alpacaspot.errors import ModelError

__all__ = ["save_checkpoint", "list_checkpoints", "load_latest_checkpoint", "prune_checkpoints"]

_log = logging.getLogger(__name__)
_NAME = re.compile(r"^checkpoint_e(\d{4,})\.pt$")


def list_checkpoints(directory: str | os.PathLike[str]) -> list[Path]:
    """Checkpoint files of ``directory``, oldest first (by epoch number, not mtime).

    Examples
    --------
    >>> list_checkpoints("runs/v1/checkpoints")  # doctest: +SKIP
    [PosixPath('runs/v1/checkpoints/checkpoint_e0002.pt')]
    """
    d = Path(directory)
    if not d.is_dir():
        return []
    found = []
    for p in d.iterdir():
        m = _NAME.match(p.name)
        if m and p.is_file():
            found.append((int(m.group(1)), p))
    return [p for _, p in sorted(found)]


def prune_checkpoints(directory: str | os.PathLike[str], keep: int) -> None:
    """Delete all but the newest ``keep`` checkpoints.

    Examples
    --------
    >>> prune_checkpoints("runs/v1/checkpoints", keep=5)  # doctest: +SKIP
    """
    for p in list_checkpoints(directory)[: max(0, len(list_checkpoints(directory)) - keep)]:
        p.unlink(missing_ok=True)


def save_checkpoint(
    directory: str | os.PathLike[str], state: dict[str, Any], *, keep: int = 5
) -> Path:
    """Write ``state`` (with key ``next_epoch``) atomically and prune old checkpoints.

    Examples
    --------
    >>> save_checkpoint("ckpt", {"next_epoch": 2, "model": net.state_dict()})  # doctest: +SKIP
    PosixPath('ckpt/checkpoint_e0002.pt')
    """
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    path = d / f"checkpoint_e{int(state['next_epoch']):04d}.pt"
    buffer = io.BytesIO()
    torch.save(state, buffer)
    atomic_write_bytes(path, buffer.getvalue())
    prune_checkpoints(d, keep)
    return path


def load_latest_checkpoint(
    directory: str | os.PathLike[str], *, fingerprint: str | None = None
) -> dict[str, Any] | None:
    """The newest readable checkpoint whose fingerprint matches, else ``None``.

    Unreadable files are skipped with a warning (an older one is used instead).

    Raises
    ------
    ModelError
        When the newest checkpoint was written by a different training config, naming it.

    Examples
    --------
    >>> state = load_latest_checkpoint("ckpt", fingerprint=cfg.fingerprint())  # doctest: +SKIP
    """
    for path in reversed(list_checkpoints(directory)):
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:  # noqa: BLE001 - a corrupt file is skipped
            _log.warning("skipping unreadable checkpoint %s: %s", path, exc)
            continue
        if not isinstance(state, dict) or "next_epoch" not in state:
            _log.warning("skipping checkpoint %s: not a training checkpoint", path)
            continue
        if fingerprint is not None and state.get("fingerprint") != fingerprint:
            raise ModelError(
                "checkpoint was written by a different training config "
                f"({state.get('fingerprint')} != {fingerprint}); set start_from_scratch "
                "or use another checkpoint_dir",
                path=path,
            )
        return state
    return None
