"""The ``slurm`` block of a variants file: per-stage job settings, parsed strictly.

A block holds ``partition, account, gpus, cpus, mem, time, nodes, constraint, qos,
max_concurrent, signal, setup`` (a list of shell lines, e.g. a venv activation) and
``python`` (the interpreter tasks run; default: the one running the factory when no setup
lines are given, else ``python`` from the activated environment). Optional ``train``,
``predict`` and ``evaluate`` sub-blocks override it per stage. Evaluation never requests a GPU.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from alpacaspot.cluster import JobArray
from alpacaspot.errors import ConfigError

__all__ = ["SlurmSettings", "STAGES", "parse_slurm_block"]

STAGES: tuple[str, ...] = ("train", "predict", "evaluate")
_KEYS: tuple[str, ...] = (
    "partition", "account", "gpus", "cpus", "mem", "time", "nodes", "constraint", "qos",
    "max_concurrent", "signal", "setup", "python",
)  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class SlurmSettings:
    """Job settings of one pipeline stage (all optional; ``None`` = the site default).

    Examples
    --------
    >>> s = SlurmSettings(partition="gpu", gpus=1, setup=("source venv/bin/activate",))
    >>> s.python
    'python'
    """

    partition: str | None = None
    account: str | None = None
    gpus: int | str | None = None
    cpus: int = 1
    mem: str | None = None
    time: str | None = None
    nodes: int = 1
    constraint: str | None = None
    qos: str | None = None
    max_concurrent: int | None = None
    signal: str | None = None
    setup: tuple[str, ...] = ()
    python: str | None = None

    def __post_init__(self) -> None:
        if self.python is None:
            object.__setattr__(self, "python", "python" if self.setup else sys.executable)

    def job_array(self, name: str, commands: Sequence[str], *, log_dir: str | os.PathLike[str],
                  max_concurrent: int | None = None) -> JobArray:
        """A :class:`~alpacaspot.cluster.JobArray` with these settings.

        Examples
        --------
        >>> SlurmSettings(gpus=1).job_array("a", ["true"], log_dir="/tmp/l").gpus
        1
        """
        return JobArray(
            name, list(commands), log_dir=log_dir,
            max_concurrent=max_concurrent if max_concurrent is not None else self.max_concurrent,
            partition=self.partition, account=self.account, gpus=self.gpus,
            cpus_per_task=self.cpus, mem=self.mem, time=self.time, nodes=self.nodes,
            constraint=self.constraint, qos=self.qos, setup=self.setup, signal=self.signal,
        )

    def to_dict(self) -> dict[str, Any]:
        """The settings as a JSON-ready ``slurm`` block (no ``None`` values)."""
        out: dict[str, Any] = {}
        for key in _KEYS:
            value = getattr(self, key)
            if value is None or value == ():
                continue
            out[key] = list(value) if isinstance(value, tuple) else value
        return out


def _check(key: str, value: Any, where: str, path: Path | None) -> Any:
    def bad(expected: str) -> ConfigError:
        return ConfigError(f"{where}.{key}: expected {expected}, got {value!r}", path=path)

    if value is None:
        return None
    if key in ("cpus", "nodes", "max_concurrent"):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise bad("an integer >= 1")
        return value
    if key == "gpus":
        if isinstance(value, bool) or not isinstance(value, (int, str)) or value in (0, "0", ""):
            if value in (0, "0"):
                return None
            raise bad("a GPU count or 'type:count'")
        return value
    if key == "time":
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise bad("a Slurm time such as '02:00:00'")
        return str(value)
    if key == "setup":
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise bad("a list of shell lines")
        return tuple(value)
    if not isinstance(value, str) or not value:
        raise bad("a non-empty string")
    return value


def _merge(block: Mapping[str, Any], where: str, path: Path | None,
           base: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in block.items():
        if key in STAGES:
            continue
        if key not in _KEYS:
            raise ConfigError(
                f"{where}: unknown key {key!r}; allowed: {', '.join(_KEYS + STAGES)}", path=path
            )
        out[key] = _check(key, value, where, path)
    return out


def parse_slurm_block(
    block: Mapping[str, Any] | None, *, path: str | os.PathLike[str] | None = None
) -> dict[str, SlurmSettings]:
    """Settings per stage (``train``, ``predict``, ``evaluate``) from a ``slurm`` block.

    Examples
    --------
    >>> s = parse_slurm_block({"partition": "gpu", "gpus": 1,
    ...                        "evaluate": {"partition": "cpu"}})
    >>> s["predict"].partition, s["evaluate"].partition, s["evaluate"].gpus
    ('gpu', 'cpu', None)
    """
    p = None if path is None else Path(path)
    block = {} if block is None else block
    if not isinstance(block, Mapping):
        raise ConfigError(f"slurm: expected an object, got {block!r}", path=p)
    common = _merge(block, "slurm", p, {})
    out: dict[str, SlurmSettings] = {}
    for stage in STAGES:
        sub = block.get(stage) or {}
        if not isinstance(sub, Mapping):
            raise ConfigError(f"slurm.{stage}: expected an object, got {sub!r}", path=p)
        merged = _merge(sub, f"slurm.{stage}", p, common)
        settings = SlurmSettings(**{k: v for k, v in merged.items() if v is not None})
        if stage == "evaluate":
            settings = replace(settings, gpus=None)
        out[stage] = settings
    return out
