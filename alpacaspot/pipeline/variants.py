"""Training and benchmark variants files (the seed's JSON), parsed strictly.

``train_variants.json``::

    {"globals": {"data_root": "data", "runs_root": "TRAINING/runs", "sr": 48000,
                 "slurm": {...}},
     "v3_tape_proportional": {"dataset": "training_corpus_v1/dataset_proportional_by_tape",
                              "sequence_len": 400, "n_fft": 2048, "hop_length": 1024},
     "active_variants": ["v3_tape_proportional"]}

Variants may also sit under a ``"variants"`` object. An ``"ensembles"`` object beside them
names seed ensembles: ``{"windows_ens": ["windows_s1", "windows_s2", "windows_s3"]}``
combines those active variants' trained models into one (:mod:`alpacaspot.pipeline.ensembles`);
the members must share a dataset, so that the ensemble's calibration tapes are held out from
every member. The benchmark variants file
(:mod:`alpacaspot.pipeline.benchmark_variants`, re-exported here) is the seed's
list of ``{"seq_len": 0.40, "hop": 0.05, "threshold": 0.90}`` or
``{"slurm": {...}, "postprocess": {...}, "shared_fit": {...}, "variants": [...]}``; an entry
may add ``"mode": "shared"`` (default ``"exact"``) to predict with the model fitted for shared
mode, whose fit the ``shared_fit`` block tunes (:data:`SHARED_FIT_KEYS`). Unknown keys, bad
values, missing datasets and inactive-but-referenced variants are
:class:`~alpacaspot.errors.ConfigError` naming the file.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alpacaspot.errors import ConfigError
from alpacaspot.io.animalspot import TRAIN_KEYS
from alpacaspot.io.layout import format_tag, scores_key
from alpacaspot.pipeline.benchmark_variants import (
    MODES,
    POSTPROCESS_KEYS,
    SHARED_FIT_KEYS,
    BenchmarkVariant,
    BenchmarkVariants,
    _load_json,
    load_benchmark_variants,
    parse_benchmark_variants,
)
from alpacaspot.pipeline.slurm_settings import SlurmSettings, parse_slurm_block

__all__ = [
    "TrainVariants",
    "BenchmarkVariant",
    "BenchmarkVariants",
    "load_train_variants",
    "parse_train_variants",
    "check_pipeline_variants",
    "load_benchmark_variants",
    "format_tag",
    "scores_key",
    "MANAGED_TRAIN_KEYS",
    "MODES",
    "SHARED_FIT_KEYS",
    "POSTPROCESS_KEYS",
    "parse_benchmark_variants",
]

#: Training cfg keys the factory sets itself (from ``data_root``/``runs_root``).
MANAGED_TRAIN_KEYS: tuple[str, ...] = (
    "data_dir", "model_dir", "checkpoint_dir", "log_dir", "summary_dir",
)  # fmt: skip
_GLOBAL_ONLY: tuple[str, ...] = ("src_dir", "data_root", "runs_root", "slurm")
_TOP_LEVEL: tuple[str, ...] = ("globals", "variants", "active_variants", "ensembles")
_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")


def _train_extra_keys() -> tuple[str, ...]:
    """Keys the training code reads beyond ANIMAL-SPOT's (torch-free names)."""
    from alpacaspot.io.animalspot import TRAIN_EXTRA_KEYS

    return tuple(TRAIN_EXTRA_KEYS)


def _check_value(key: str, value: Any, where: str, path: Path) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ConfigError(f"{where}.{key}: expected a finite number, got {value!r}",
                              path=path)
        return value
    raise ConfigError(f"{where}.{key}: expected a string, number, boolean or null, "
                      f"got {value!r}", path=path)


@dataclass(frozen=True)
class TrainVariants:
    """A parsed ``train_variants.json``.

    Attributes
    ----------
    path : Path
        The file read.
    data_root, runs_root : Path
        Absolute folders (relative ones are taken from ``root``).
    defaults : dict
        Training-cfg values from ``globals`` (JSON scalars).
    variants : dict
        Variant name -> its keys (``dataset`` plus training-cfg values), file order.
    active : tuple of str
        The variants to build, in ``active_variants`` order.
    slurm : dict
        :class:`SlurmSettings` per stage.
    ensembles : dict
        Ensemble name -> its member variants (active, sharing a dataset), file order.
    """

    path: Path
    data_root: Path
    runs_root: Path
    defaults: dict[str, Any]
    variants: dict[str, dict[str, Any]]
    active: tuple[str, ...]
    slurm: dict[str, SlurmSettings] = field(repr=False)
    ensembles: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def dataset_dir(self, name: str) -> Path:
        """``<data_root>/<dataset>`` of a variant, or of an ensemble's members."""
        if name in self.ensembles:
            name = self.ensembles[name][0]
        return self.data_root / str(self.variants[name]["dataset"])


def load_train_variants(path: str | os.PathLike[str], *, root: str | os.PathLike[str] = ".",
                        check_datasets: bool = True) -> TrainVariants:
    """Read and validate a training variants file.

    Examples
    --------
    >>> import json, tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> (d / "data" / "ds").mkdir(parents=True)
    >>> _ = (d / "v.json").write_text(json.dumps({"globals": {"data_root": "data"},
    ...     "v1": {"dataset": "ds", "sequence_len": 400}, "active_variants": ["v1"]}))
    >>> load_train_variants(d / "v.json", root=d).active
    ('v1',)
    """
    p = Path(path)
    return parse_train_variants(_load_json(p), path=p, root=root, check_datasets=check_datasets)


def parse_train_variants(doc: Any, *, path: str | os.PathLike[str],
                         root: str | os.PathLike[str] = ".",
                         check_datasets: bool = True) -> TrainVariants:
    """Validate a training variants file's content (``path`` names it in errors).

    Examples
    --------
    >>> doc = {"globals": {"data_root": "data"}, "s1": {"dataset": "ds", "seed": 1},
    ...        "s2": {"dataset": "ds", "seed": 2}, "ensembles": {"ens": ["s1", "s2"]}}
    >>> parse_train_variants(doc, path="v.json", check_datasets=False).ensembles
    {'ens': ('s1', 's2')}
    """
    p = Path(path)
    if not isinstance(doc, dict):
        raise ConfigError("expected a JSON object with globals, variants and active_variants",
                          path=p)
    root_p = Path(root).absolute()
    allowed_train = tuple(k for k in TRAIN_KEYS + _train_extra_keys()
                          if k not in MANAGED_TRAIN_KEYS)
    glob = doc.get("globals", {})
    if not isinstance(glob, dict):
        raise ConfigError(f"globals: expected an object, got {glob!r}", path=p)
    defaults: dict[str, Any] = {}
    for key, value in glob.items():
        if key in _GLOBAL_ONLY:
            continue
        if key not in allowed_train:
            raise ConfigError(f"globals: unknown key {key!r}; allowed: "
                              f"{', '.join(_GLOBAL_ONLY + allowed_train)}", path=p)
        defaults[key] = _check_value(key, value, "globals", p)

    def _folder(key: str, default: str) -> Path:
        raw = glob.get(key, default)
        if not isinstance(raw, str) or not raw:
            raise ConfigError(f"globals.{key}: expected a folder path, got {raw!r}", path=p)
        f = Path(raw).expanduser()
        return f if f.is_absolute() else root_p / f

    data_root = _folder("data_root", "data")
    runs_root = _folder("runs_root", "TRAINING/runs")

    if "variants" in doc:
        raw_variants = doc["variants"]
        stray = sorted(k for k in doc if k not in _TOP_LEVEL)
        if stray:
            raise ConfigError(f"unknown top-level keys {stray} beside 'variants'", path=p)
    else:
        raw_variants = {k: v for k, v in doc.items() if k not in _TOP_LEVEL}
    if not isinstance(raw_variants, dict) or not raw_variants:
        raise ConfigError("no variants defined", path=p)
    variants: dict[str, dict[str, Any]] = {}
    for name, spec in raw_variants.items():
        if not name or not set(name) <= _NAME_CHARS:
            raise ConfigError(f"variant name {name!r}: use letters, digits, '_', '.', '-'",
                              path=p)
        if not isinstance(spec, dict):
            raise ConfigError(f"variant {name!r}: expected an object, got {spec!r}", path=p)
        if not isinstance(spec.get("dataset"), str) or not spec["dataset"]:
            raise ConfigError(f"variant {name!r}: 'dataset' (a folder under data_root) is "
                              "required", path=p)
        clean: dict[str, Any] = {"dataset": spec["dataset"]}
        for key, value in spec.items():
            if key == "dataset":
                continue
            if key in MANAGED_TRAIN_KEYS:
                raise ConfigError(f"variant {name!r}: {key} is set by the factory from "
                                  "data_root/runs_root; remove it", path=p)
            if key not in allowed_train:
                raise ConfigError(f"variant {name!r}: unknown key {key!r}; allowed: dataset, "
                                  f"{', '.join(allowed_train)}", path=p)
            clean[key] = _check_value(key, value, f"variant {name!r}", p)
        variants[name] = clean

    active_raw = doc.get("active_variants", list(variants))
    if not isinstance(active_raw, list) or not all(isinstance(a, str) for a in active_raw):
        raise ConfigError(f"active_variants: expected a list of variant names, got "
                          f"{active_raw!r}", path=p)
    unknown = [a for a in active_raw if a not in variants]
    if unknown:
        raise ConfigError(f"active_variants names undefined variants {unknown}; defined: "
                          f"{sorted(variants)}", path=p)
    if len(set(active_raw)) != len(active_raw):
        raise ConfigError("active_variants lists a variant twice", path=p)
    active = tuple(active_raw)
    if not active:
        raise ConfigError("active_variants is empty: nothing to train", path=p)
    tv = TrainVariants(path=p, data_root=data_root, runs_root=runs_root, defaults=defaults,
                       variants=variants, active=active,
                       slurm=parse_slurm_block(glob.get("slurm"), path=p),
                       ensembles=_parse_ensembles(doc.get("ensembles", {}), variants, active, p))
    if check_datasets:
        for name in active:
            ds = tv.dataset_dir(name)
            if not ds.is_dir():
                raise ConfigError(f"variant {name!r}: dataset folder {ds} does not exist "
                                  "(prepare it with alpacaspot.data.prepare_datasets)", path=p)
    return tv


def _parse_ensembles(raw: Any, variants: dict[str, dict[str, Any]], active: tuple[str, ...],
                     path: Path) -> dict[str, tuple[str, ...]]:
    """The ``ensembles`` object: name -> two or more distinct active variants, one dataset."""
    if not isinstance(raw, dict):
        raise ConfigError(f"ensembles: expected an object of name -> list of variants, got "
                          f"{raw!r}", path=path)
    ensembles: dict[str, tuple[str, ...]] = {}
    for name, members in raw.items():
        where = f"ensemble {name!r}"
        if not name or not set(name) <= _NAME_CHARS:
            raise ConfigError(f"{where}: use letters, digits, '_', '.', '-' in its name",
                              path=path)
        if name in variants:
            raise ConfigError(f"{where}: a variant has that name; the ensemble's model would "
                              "overwrite the variant's", path=path)
        if (not isinstance(members, list) or len(members) < 2
                or not all(isinstance(m, str) for m in members)):
            raise ConfigError(f"{where}: expected a list of two or more variant names, got "
                              f"{members!r}", path=path)
        if len(set(members)) != len(members):
            raise ConfigError(f"{where}: lists a variant twice: {members}", path=path)
        idle = [m for m in members if m not in active]
        if idle:
            raise ConfigError(f"{where}: {idle} are not active variants; active: "
                              f"{list(active)}", path=path)
        datasets = {m: variants[m]["dataset"] for m in members}
        if len(set(datasets.values())) > 1:
            raise ConfigError(f"{where}: its members train on different datasets {datasets}; "
                              "an ensemble is calibrated on its members' held-out tapes, so "
                              "they must share one dataset", path=path)
        ensembles[name] = tuple(members)
    return ensembles


def check_pipeline_variants(train_doc: Any, bench_doc: Any, *, path: str | os.PathLike[str],
                            root: str | os.PathLike[str] = ".") -> None:
    """Both variants files' content, before a pipeline does any work.

    Each is parsed as its loader would (the training variants' datasets need not exist
    yet), and ensembles are refused beside a ``mode: shared`` benchmark variant: shared mode
    runs one network. An empty training variants object (the data steps alone) is not
    checked.

    Raises
    ------
    ConfigError
        What the parsers refuse, or ensembles beside shared mode; ``path`` (where the
        training variants will be written) names the file.

    Examples
    --------
    >>> train = {"s1": {"dataset": "ds"}, "s2": {"dataset": "ds"},
    ...          "ensembles": {"ens": ["s1", "s2"]}}
    >>> check_pipeline_variants(train, [{"seq_len": 0.4, "hop": 0.05, "threshold": 0.9}],
    ...                         path="tools/train_variants.json")
    """
    bench = parse_benchmark_variants(json.loads(json.dumps(bench_doc)))
    if not train_doc:
        return
    tv = parse_train_variants(json.loads(json.dumps(train_doc)), path=path, root=root,
                              check_datasets=False)
    if tv.ensembles and any(v.mode == "shared" for v in bench.variants):
        raise ConfigError(f"ensembles {sorted(tv.ensembles)} and a benchmark variant with "
                          "mode 'shared': shared mode runs one network and cannot run an "
                          "ensemble; benchmark the ensembles in exact mode in another run",
                          path=Path(path))
