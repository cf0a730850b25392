"""The variants files as the pre-run check sees them: where they are, what they plan.

Parsing is :mod:`alpacaspot.pipeline.variants`' (the factories' own rules); this module finds
the files the factories keep under a pipeline root, reads the benchmark variants so that
every bad entry is reported (not only the first), and flattens what the checks compare.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from alpacaspot.errors import ConfigError
from alpacaspot.pipeline.slurm_settings import SlurmSettings
from alpacaspot.pipeline.variants import (
    BenchmarkVariants,
    TrainVariants,
    load_benchmark_variants,
    load_train_variants,
    parse_benchmark_variants,
)

__all__ = [
    "find_variants_file",
    "load_train",
    "load_benchmark",
    "variant_settings",
    "slurm_dict",
    "train_extra_keys",
]

# Where the variants files are looked for under a pipeline root, first match wins: the
# factories' copies, then the seed's places.
_CANDIDATES = {
    "train": ("TRAINING/cfg/train_variants.json", "train_variants.json",
              "tools/train_variants.json"),
    "benchmark": ("BENCHMARK/benchmark_variants.json", "benchmark_variants.json",
                  "tools/benchmark_variants.json"),
}
_ENTRY_INDEX = re.compile(r"variants\[0\]")


def find_variants_file(root: str | os.PathLike[str], kind: str) -> Path | None:
    """The variants file of ``kind`` (``"train"`` or ``"benchmark"``) under ``root``, or None.

    Examples
    --------
    >>> find_variants_file("/nonexistent", "train") is None
    True
    """
    base = Path(root)
    for rel in _CANDIDATES[kind]:
        if (base / rel).is_file():
            return base / rel
    return None


def train_extra_keys() -> tuple[str, ...]:
    """Keys a generated ``alpaca_server.cfg`` may hold beyond ANIMAL-SPOT's."""
    from alpacaspot.pipeline import variants

    return tuple(variants._train_extra_keys())


def load_train(path: str | os.PathLike[str], *, root: str | os.PathLike[str]) -> TrainVariants:
    """Parse a training variants file; datasets are checked separately (all of them).

    Examples
    --------
    >>> load_train("/nonexistent.json", root="/")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    alpacaspot.errors.ConfigError: /nonexistent.json: cannot read the variants file: ...
    """
    return load_train_variants(path, root=root, check_datasets=False)


def load_benchmark(
    source: str | os.PathLike[str] | list[Any] | dict[str, Any],
) -> BenchmarkVariants:
    """Parse benchmark variants (a file or its loaded content), reporting every bad entry.

    Raises
    ------
    ConfigError
        Naming the file and listing every problem: unknown keys, values that are not
        numbers, thresholds outside (0, 1), a hop longer than the window, a ``mode`` other
        than ``exact`` or ``shared``, duplicate tags of one mode.

    Examples
    --------
    >>> try:
    ...     load_benchmark([{"seq_len": 0.4, "hop": 0.5, "threshold": 2},
    ...                     {"seq_len": 0.4, "hop": 0.05, "threshold": 0.9}])
    ... except ConfigError as err:
    ...     for part in err.message.split("; "):
    ...         print(part)
    variants[0]: threshold must be in (0, 1), got 2.0
    variants[0]: hop 0.5 s is longer than the window 0.4 s
    """
    loaded = isinstance(source, (list, dict))
    p = None if loaded else Path(source)  # type: ignore[arg-type]
    problems: list[str] = []
    try:
        if loaded:
            parsed: BenchmarkVariants | None = parse_benchmark_variants(source)
        else:
            parsed = load_benchmark_variants(p)  # type: ignore[arg-type]
    except ConfigError as exc:
        parsed = None
        doc = source if loaded else _read_doc(p)  # type: ignore[arg-type]
        problems = (_entry_problems(doc, p) if doc is not None else []) or [exc.message]
    if parsed is not None:
        for i, v in enumerate(parsed.variants):
            if v.hop > v.seq_len:
                problems.append(f"variants[{i}]: hop {v.hop} s is longer than the window "
                                f"{v.seq_len} s")
    if problems:
        raise ConfigError("; ".join(problems), path=p)
    assert parsed is not None
    return parsed


def _read_doc(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _entry_problems(doc: Any, path: Path | None) -> list[str]:
    """Every entry's problems, each entry parsed on its own (empty when the top level is
    wrong: the whole-document error then says it all)."""
    entries = doc.get("variants") if isinstance(doc, dict) else doc
    if not isinstance(entries, list) or not entries:
        return []
    if isinstance(doc, dict):
        try:
            parse_benchmark_variants({**doc, "variants": entries[:1]}, path=path)
        except ConfigError as exc:
            if "variants[0]" not in exc.message:
                return [exc.message]
    problems: list[str] = []
    tags: dict[str, int] = {}
    for i, entry in enumerate(entries):
        try:
            one = parse_benchmark_variants([entry], path=path).variants[0]
        except ConfigError as exc:
            problems.append(_ENTRY_INDEX.sub(f"variants[{i}]", exc.message))
            if isinstance(entry, dict) and _hop_too_long(entry):
                problems.append(f"variants[{i}]: hop {entry['hop']} s is longer than the "
                                f"window {entry['seq_len']} s")
            continue
        if one.hop > one.seq_len:
            problems.append(f"variants[{i}]: hop {one.hop} s is longer than the window "
                            f"{one.seq_len} s")
        key = f"{one.tag} {one.mode}"
        if key in tags:
            problems.append(f"variants[{i}] repeats variants[{tags[key]}] (tag {one.tag}, "
                            f"mode {one.mode})")
        tags.setdefault(key, i)
    return problems


def _hop_too_long(entry: dict[str, Any]) -> bool:
    hop, seq = entry.get("hop"), entry.get("seq_len")
    numbers = all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (hop, seq))
    return bool(numbers and hop > seq > 0)  # type: ignore[operator]


def variant_settings(tv: TrainVariants, name: str) -> dict[str, Any]:
    """A training variant's values with the ``globals`` defaults merged in.

    Examples
    --------
    >>> from alpacaspot.pipeline.variants import TrainVariants
    >>> tv = TrainVariants(path=Path("v.json"), data_root=Path("d"), runs_root=Path("r"),
    ...                    defaults={"sr": 48000}, variants={"v1": {"dataset": "x", "sr": 8000}},
    ...                    active=("v1",), slurm={})
    >>> variant_settings(tv, "v1")["sr"]
    8000
    """
    return {**tv.defaults, **tv.variants[name]}


def slurm_dict(settings: SlurmSettings | None) -> dict[str, Any]:
    """Settings as a plain dict without unset values (what the Slurm checks read).

    Examples
    --------
    >>> slurm_dict(SlurmSettings(partition="gpu", gpus=1))["partition"]
    'gpu'
    """
    return {} if settings is None else settings.to_dict()
