"""Dataset strategies: the fork's ``dataset_prep_configs.json`` format, parsed strictly.

::

    {"active_strategies": ["by_tape"],
     "strategies": {"by_tape": {"split_strategy": "by_tape", "seed": 42, "min_quality": null,
                                "noise_per_hum": 1.0,
                                "noise_mining": {"margin_s": 0.5, "fallback_raw": true}}}}

Keys beyond the fork's: ``sampling`` (``"calls"``: ANIMAL-SPOT clips centred on each call, the
default; ``"windows"``: fixed windows along each recording), ``window_s``, ``hop_s`` and
``noise_ratio`` (windows sampling), ``hard_negatives`` and ``hard_negative_fraction`` (windows
sampling: the window scores of an earlier model over the corpus, a Parquet file or folder,
relative to the strategies file's folder when read from a file, and the share of the kept
noise windows taken by highest score; see
:mod:`alpacaspot.data.hard_negatives`), ``context_s`` (calls sampling: seconds of context on each
side of a call), ``target_label`` (default ``"hum"``) and ``split_fractions``.

``min_quality: q`` keeps the target calls of quality ``>= q`` (the synthetic corpus grades
hums 1 = faintest .. 4 = clearest; ``0`` or null keeps every quality); calls left out are still
avoided by noise mining, never used as noise. Calls of unknown quality (a Raven table without
a ``Quality`` column, an empty cell) are kept by any ``min_quality`` unless
``drop_unknown_quality`` is true. ``require_year: true`` refuses recordings without a
``YYYYMMDD`` date in their name (for users who let ANIMAL-SPOT re-split by year and tape);
otherwise such clips carry the year field ``0000`` and their tape alone identifies them.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from alpacaspot.data.splits import SPLIT_STRATEGIES
from alpacaspot.errors import ConfigError

__all__ = ["Strategy", "load_strategies"]


@dataclass(frozen=True)
class Strategy:
    """One dataset variant's recipe (see the module docstring for the meaning of each key).

    Examples
    --------
    >>> Strategy.from_dict("v1", {"split_strategy": "random", "seed": 3}).seed
    3
    """

    name: str
    split_strategy: str = "by_tape"
    seed: int = 42
    min_quality: int | None = None
    noise_per_hum: float = 1.0
    margin_s: float = 0.5
    fallback_raw: bool = True
    sampling: str = "calls"
    context_s: float = 0.0
    window_s: float = 0.4
    hop_s: float = 0.05
    noise_ratio: float = 2.0
    target_label: str = "hum"
    drop_unknown_quality: bool = False
    require_year: bool = False
    split_fractions: tuple[float, float, float] = (0.70, 0.15, 0.15)
    hard_negatives: str | None = None
    hard_negative_fraction: float = 0.5

    @classmethod
    def from_dict(cls, name: str, d: dict[str, Any], *, source: str | None = None) -> Strategy:
        """Parse one entry of ``strategies``; unknown keys and bad values raise ConfigError."""
        if not isinstance(d, dict):
            raise ConfigError(f"strategy {name!r} must be an object, got {type(d).__name__}",
                              path=source)
        flat = dict(d)
        mining = flat.pop("noise_mining", {}) or {}
        if not isinstance(mining, dict) or set(mining) - {"margin_s", "fallback_raw"}:
            raise ConfigError(f"strategy {name!r}: noise_mining takes margin_s and "
                              f"fallback_raw, got {mining!r}", path=source)
        flat.update(mining)
        allowed = [f.name for f in fields(cls) if f.name != "name"]
        unknown = sorted(set(flat) - set(allowed))
        if unknown:
            raise ConfigError(f"strategy {name!r} has unknown key(s) {unknown}; allowed: "
                              f"{sorted(allowed)} (margin_s, fallback_raw inside noise_mining)",
                              path=source)
        if "split_fractions" in flat:
            flat["split_fractions"] = tuple(float(v) for v in flat["split_fractions"])
        try:
            out = cls(name=name, **flat)
            out._check()
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"strategy {name!r}: {exc}", path=source) from None
        if source is not None and out.hard_negatives is not None:
            # a path in a file means the same wherever the file is used from
            out = replace(out, hard_negatives=os.fspath(
                Path(source).parent / Path(out.hard_negatives).expanduser()))
        return out

    def _check(self) -> None:
        if self.split_strategy not in SPLIT_STRATEGIES:
            raise ValueError(f"split_strategy must be one of {list(SPLIT_STRATEGIES)}, "
                             f"got {self.split_strategy!r}")
        if self.sampling not in ("calls", "windows"):
            raise ValueError(f"sampling must be 'calls' or 'windows', got {self.sampling!r}")
        if not isinstance(self.seed, int) or isinstance(self.seed, bool):
            raise ValueError(f"seed must be an integer, got {self.seed!r}")
        if self.min_quality is not None and (
                isinstance(self.min_quality, bool) or not isinstance(self.min_quality, int)
                or not 0 <= self.min_quality <= 4):
            raise ValueError(f"min_quality must be 0..4 (0: keep all) or null, got "
                             f"{self.min_quality!r}")
        for key in ("drop_unknown_quality", "require_year"):
            if not isinstance(getattr(self, key), bool):
                raise ValueError(f"{key} must be true or false, got {getattr(self, key)!r}")
        for key in ("noise_per_hum", "margin_s", "context_s", "noise_ratio"):
            if not float(getattr(self, key)) >= 0:
                raise ValueError(f"{key} must be >= 0, got {getattr(self, key)!r}")
        if not (self.window_s > 0 and self.hop_s > 0):
            raise ValueError(f"window_s and hop_s must be > 0, got {self.window_s}, {self.hop_s}")
        if self.hard_negatives is not None and (not isinstance(self.hard_negatives, str)
                                                or not self.hard_negatives):
            raise ValueError(f"hard_negatives must be the path of window scores or null, got "
                             f"{self.hard_negatives!r}")
        if self.hard_negatives is not None and self.sampling != "windows":
            raise ValueError("hard_negatives needs sampling 'windows'")
        fraction = self.hard_negative_fraction
        if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not (
                0 <= fraction <= 1):
            raise ValueError(f"hard_negative_fraction must be a number in [0, 1], got "
                             f"{fraction!r}")
        if not self.name or "/" in self.name or "\\" in self.name or self.name.startswith("."):
            raise ValueError(f"strategy names become folder names: no '/', got {self.name!r}")

    def to_dict(self) -> dict[str, Any]:
        """Primitives only (for JSON provenance)."""
        d = asdict(self)
        d["split_fractions"] = list(self.split_fractions)
        return d


def load_strategies(
    strategies: str | os.PathLike[str] | dict[str, Any],
) -> list[Strategy]:
    """The active strategies of a strategies JSON file (or the same content as a dict).

    ``active_strategies`` may be omitted (every strategy is active).

    Examples
    --------
    >>> [s.name for s in load_strategies({"strategies": {"a": {}, "b": {}},
    ...                                   "active_strategies": ["b"]})]
    ['b']
    """
    source = None
    if isinstance(strategies, (str, os.PathLike)):
        source = os.fspath(strategies)
        try:
            data = json.loads(Path(source).read_text())
        except OSError as exc:
            raise ConfigError(f"cannot read strategies file ({exc})", path=source) from None
        except json.JSONDecodeError as exc:
            raise ConfigError(f"not valid JSON: {exc.msg}", path=source, line=exc.lineno) from None
    else:
        data = strategies
    if not isinstance(data, dict) or not isinstance(data.get("strategies"), dict):
        raise ConfigError("strategies must be an object with a 'strategies' object", path=source)
    unknown = sorted(set(data) - {"strategies", "active_strategies"})
    if unknown:
        raise ConfigError(f"unknown top-level key(s) {unknown}; allowed: active_strategies, "
                          "strategies", path=source)
    active = data.get("active_strategies", sorted(data["strategies"]))
    missing = [a for a in active if a not in data["strategies"]]
    if missing:
        raise ConfigError(f"active strategies {missing} are not defined; defined: "
                          f"{sorted(data['strategies'])}", path=source)
    return [Strategy.from_dict(a, data["strategies"][a], source=source) for a in active]
