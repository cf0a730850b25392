"""Benchmark variants files (the seed's JSON), parsed strictly.

``benchmark_variants.json`` is the seed's list of ``{"seq_len": 0.40, "hop": 0.05,
"threshold": 0.90}`` or ``{"slurm": {...}, "postprocess": {...}, "shared_fit": {...},
"variants": [...]}``; an entry may add ``"mode": "shared"`` (default ``"exact"``) to predict
with the model fitted for shared mode, whose fit the ``shared_fit`` block tunes
(:data:`SHARED_FIT_KEYS`). Unknown keys and bad values are
:class:`~alpacaspot.errors.ConfigError` naming the file. Re-exported by
:mod:`alpacaspot.pipeline.variants`.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alpacaspot.errors import ConfigError
from alpacaspot.events import PostprocessConfig
from alpacaspot.io.layout import format_tag, scores_key
from alpacaspot.pipeline.slurm_settings import SlurmSettings, parse_slurm_block

__all__ = [
    "BenchmarkVariant",
    "BenchmarkVariants",
    "MODES",
    "POSTPROCESS_KEYS",
    "SHARED_FIT_KEYS",
    "load_benchmark_variants",
    "parse_benchmark_variants",
]


def _load_json(path: str | os.PathLike[str]) -> Any:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the variants file: {exc.strerror}", path=p) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"invalid JSON: {exc.msg}", path=p, line=exc.lineno) from None



#: Prediction modes a benchmark variant may ask for (``mode`` key; default ``exact``).
MODES: tuple[str, ...] = ("exact", "shared")


@dataclass(frozen=True)
class BenchmarkVariant:
    """One ``{seq_len, hop, threshold[, mode]}`` entry (seconds, seconds, probability).

    ``mode="shared"`` predicts with the model fitted for shared mode
    (:mod:`alpacaspot.pipeline.fit_shared_models`) instead of exact mode.
    """

    seq_len: float
    hop: float
    threshold: float
    mode: str = "exact"

    @property
    def tag(self) -> str:
        """``len400_hop050_th90`` style tag."""
        return format_tag(self.seq_len, self.hop, self.threshold)

    @property
    def scores_key(self) -> str:
        """``len400_hop050``: the window-scores group of this variant."""
        return scores_key(self.seq_len, self.hop)


@dataclass(frozen=True)
class BenchmarkVariants:
    """A parsed ``benchmark_variants.json``: variants in file order, Slurm settings, the
    post-processing options every evaluation uses (keys of :data:`POSTPROCESS_KEYS`, the
    eval.cfg keys of :class:`~alpacaspot.events.PostprocessConfig`; validated) and the options
    of the shared-mode fit (keys of :data:`SHARED_FIT_KEYS`; validated)."""

    path: Path | None
    variants: tuple[BenchmarkVariant, ...]
    slurm: dict[str, SlurmSettings] = field(repr=False)
    postprocess: dict[str, Any] = field(default_factory=dict)
    shared_fit: dict[str, Any] = field(default_factory=dict)

    @property
    def postprocess_config(self) -> PostprocessConfig:
        """The ``postprocess`` block as a config (no threshold: each variant has its own).

        Examples
        --------
        >>> v = parse_benchmark_variants({"postprocess": {"curve": "centre"},
        ...     "variants": [{"seq_len": 0.4, "hop": 0.05, "threshold": 0.9}]})
        >>> v.postprocess_config.curve
        'centre'
        """
        return PostprocessConfig.from_mapping(self.postprocess, path=self.path)


#: Post-processing keys a benchmark variants file may set for every evaluation: the eval.cfg
#: keys of :class:`~alpacaspot.events.PostprocessConfig` except ``threshold`` (per variant).
POSTPROCESS_KEYS: tuple[str, ...] = tuple(
    k for k in PostprocessConfig.cfg_keys() if k != "threshold")


def _keyed_block(name: str, block: Any, allowed: Iterable[str], p: Path | None
                 ) -> dict[str, Any]:
    """A top-level object block: ``{}`` when absent, else checked to hold only ``allowed``."""
    if block is None:
        return {}
    if not isinstance(block, dict):
        raise ConfigError(f"{name}: expected an object, got {block!r}", path=p)
    unknown = sorted(set(block) - set(allowed))
    if unknown:
        raise ConfigError(f"{name}: unknown keys {unknown}; allowed: {', '.join(allowed)}",
                          path=p)
    return block


def _postprocess(block: Any, p: Path | None) -> dict[str, Any]:
    block = _keyed_block("postprocess", block, POSTPROCESS_KEYS, p)
    for key, value in block.items():
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise ConfigError(f"postprocess.{key}: expected a string or a number, got "
                              f"{value!r}", path=p)
    try:
        PostprocessConfig.from_mapping(block)
    except ConfigError as exc:
        raise ConfigError(f"postprocess.{exc.message}", path=p) from None
    return dict(block)


#: Options of the ``shared_fit`` block (``alpacaspot fit-shared``'s): optimiser steps, shifted
#: encoder passes, window hop of the teacher's scores (s), learning rate and seed.
SHARED_FIT_KEYS: dict[str, type] = {"steps": int, "passes": int, "hop": float, "lr": float,
                                    "seed": int}


def _shared_fit(block: Any, p: Path | None) -> dict[str, Any]:
    block = _keyed_block("shared_fit", block, tuple(SHARED_FIT_KEYS), p)
    out: dict[str, Any] = {}
    for key, value in block.items():
        kind = SHARED_FIT_KEYS[key]
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not number or (kind is int and int(value) != value) or not math.isfinite(value):
            raise ConfigError(f"shared_fit.{key}: expected {'a whole' if kind is int else 'a'}"
                              f" number, got {value!r}", path=p)
        if value < 0 or (key != "seed" and value == 0):
            sign = "non-negative" if key == "seed" else "positive"
            raise ConfigError(f"shared_fit.{key}: expected a {sign} number, got {value!r}",
                              path=p)
        out[key] = kind(value)
    return out


def _mode(entry: Mapping[str, Any], i: int, p: Path | None) -> str:
    mode = entry.get("mode", "exact")
    if mode not in MODES:
        where = f"variants[{i}]"
        try:
            where += f" ({format_tag(entry['seq_len'], entry['hop'], entry['threshold'])})"
        except (ConfigError, KeyError, TypeError, ValueError):
            pass
        raise ConfigError(f"{where}.mode: expected one of {list(MODES)}, got {mode!r}", path=p)
    return str(mode)


def _number(entry: Mapping[str, Any], key: str, i: int, p: Path | None) -> float:
    value = entry.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(f"variants[{i}].{key}: expected a number, got {value!r}", path=p)
    return float(value)


def parse_benchmark_variants(doc: Any, *, path: str | os.PathLike[str] | None = None
                             ) -> BenchmarkVariants:
    """Validate an already loaded benchmark variants document (list or object).

    Examples
    --------
    >>> v = parse_benchmark_variants([{"seq_len": 0.4, "hop": 0.05, "threshold": 0.57}])
    >>> v.variants[0].tag
    'len400_hop050_th57'
    """
    p = None if path is None else Path(path)
    slurm_block = None
    post_block = None
    fit_block = None
    if isinstance(doc, dict):
        stray = sorted(k for k in doc
                       if k not in ("slurm", "postprocess", "shared_fit", "variants"))
        if stray:
            raise ConfigError(f"unknown top-level keys {stray}; allowed: slurm, postprocess, "
                              "shared_fit, variants", path=p)
        slurm_block = doc.get("slurm")
        post_block = doc.get("postprocess")
        fit_block = doc.get("shared_fit")
        doc = doc.get("variants")
    if not isinstance(doc, list) or not doc:
        raise ConfigError("expected a non-empty list of {seq_len, hop, threshold} variants",
                          path=p)
    out: list[BenchmarkVariant] = []
    seen: dict[str, int] = {}
    for i, entry in enumerate(doc):
        if not isinstance(entry, dict):
            raise ConfigError(f"variants[{i}]: expected an object, got {entry!r}", path=p)
        extra = sorted(set(entry) - {"seq_len", "hop", "threshold", "mode"})
        if extra:
            raise ConfigError(f"variants[{i}]: unknown keys {extra}; allowed: seq_len (s), "
                              "hop (s), threshold, mode (exact or shared)", path=p)
        v = BenchmarkVariant(_number(entry, "seq_len", i, p), _number(entry, "hop", i, p),
                             _number(entry, "threshold", i, p), _mode(entry, i, p))
        if v.seq_len <= 0 or v.hop <= 0:
            raise ConfigError(f"variants[{i}]: seq_len and hop must be > 0 seconds "
                              f"(got {v.seq_len}, {v.hop})", path=p)
        if v.seq_len > 60:
            raise ConfigError(f"variants[{i}]: seq_len={v.seq_len} looks like milliseconds; "
                              "benchmark variants take seconds (0.40)", path=p)
        if not 0 < v.threshold < 1:
            raise ConfigError(f"variants[{i}]: threshold must be in (0, 1), got "
                              f"{v.threshold}", path=p)
        key = f"{v.tag} {v.mode}"
        if key in seen:
            raise ConfigError(f"variants[{i}] repeats variants[{seen[key]}] (tag {v.tag}, "
                              f"mode {v.mode})", path=p)
        seen[key] = i
        out.append(v)
    return BenchmarkVariants(path=p, variants=tuple(out),
                             slurm=parse_slurm_block(slurm_block, path=p),
                             postprocess=_postprocess(post_block, p),
                             shared_fit=_shared_fit(fit_block, p))


def load_benchmark_variants(path: str | os.PathLike[str]) -> BenchmarkVariants:
    """Read and validate a benchmark variants file.

    Examples
    --------
    >>> import json, tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "b.json"
    >>> _ = f.write_text(json.dumps([{"seq_len": 0.4, "hop": 0.05, "threshold": 0.9}]))
    >>> load_benchmark_variants(f).variants[0].tag
    'len400_hop050_th90'
    """
    return parse_benchmark_variants(_load_json(path), path=path)
