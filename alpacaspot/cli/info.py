"""``alpacaspot info <paths...>``: describe audio, tables, cfg files, logs, models and folders.

Audio, tables, prediction logs and every cfg kind are described without torch; only model
files load it.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from pathlib import Path

from alpacaspot.errors import AlpacaspotError, SchemaError
from alpacaspot.io.layout import AUDIO_SUFFIXES, CORPUS_INDEX_FILE

__all__ = ["run_info", "describe"]

_log = logging.getLogger(__name__)


def _audio(path: Path) -> list[str]:
    from alpacaspot.io.audio import audio_info

    info = audio_info(path)
    lines = [
        f"audio: {info.format} {info.subtype}, {info.sample_rate} Hz, {info.channels} channel(s), "
        f"{info.frames} frames, {info.duration_s:.3f} s"
    ]
    from alpacaspot.io.animalspot import parse_clip_name

    try:
        clip = parse_clip_name(path.name)
    except AlpacaspotError:
        return lines
    lines.append(
        f"ANIMAL-SPOT clip: class={clip.class_name} label={clip.label!r} id={clip.id} "
        f"tape={clip.tape_key} {clip.start_ms}-{clip.end_ms} ms"
    )
    return lines


def _parquet(path: Path) -> list[str]:
    from alpacaspot.io.schemas import SCHEMAS
    from alpacaspot.io.tables import read_table, read_table_metadata

    table = read_table(path)
    made_by = read_table_metadata(path)
    matches = []
    for name, schema in SCHEMAS.items():
        try:
            schema.validate(table)
        except SchemaError:
            continue
        matches.append(name)
    lines = [
        f"parquet table: {len(table)} rows, {len(table.columns)} columns; "
        f"fits schema(s): {', '.join(matches) or 'none'}"
    ]
    lines += [f"  {c}: {t}" for c, t in table.dtypes.astype(str).items()]
    if made_by:
        lines.append(f"  metadata: {made_by}")
    return lines


def _raven(path: Path) -> list[str]:
    from alpacaspot.io.raven import read_raven

    events = read_raven(path)
    lines = [
        f"Raven selection table: {len(events)} events, {events['recording'].nunique()} recording(s)"
    ]
    if len(events):
        counts = events["label"].value_counts().sort_index()
        lines.append("  labels: " + ", ".join(f"{k or '(empty)'}={v}" for k, v in counts.items()))
        lines.append(f"  time span: {events['begin_s'].min():.3f} .. {events['end_s'].max():.3f} s")
    return lines


_CFG_COMMAND = {"train": "train", "predict": "predict", "evaluate": "evaluate"}


def _cfg_kinds(path: Path) -> list[str]:
    """Kinds to try, the one the file name suggests first (eval.cfg, predict.cfg, ...)."""
    name = path.name.lower()
    first = ("evaluate" if name.startswith("eval") else "predict" if name.startswith("pred")
             else "train")
    return [first] + [k for k in ("predict", "evaluate", "train") if k != first]


def _cfg(path: Path) -> list[str]:
    from alpacaspot.cli._keys import cfg_keys
    from alpacaspot.io.animalspot import CFG_KEYS, read_cfg

    errors = []
    for kind in _cfg_kinds(path):
        extra = [k for k in cfg_keys(kind) if k not in CFG_KEYS[kind]]
        try:
            values = read_cfg(path, kind=kind, extra_keys=extra)
        except AlpacaspotError as exc:
            errors.append(str(exc))
            continue
        lines = [f"ANIMAL-SPOT {kind} cfg: {len(values)} keys "
                 f"(run it with: alpacaspot {_CFG_COMMAND[kind]} {path.name})"]
        lines += [f"  {k} = {v}" for k, v in values.items()]
        return lines
    raise AlpacaspotError("not a train, predict or evaluate cfg: " + errors[0])


_MARKERS: tuple[tuple[str, str], ...] = (
    ("TRAINING", "pipeline root: TRAINING/ (training cfgs, jobs, runs)"),
    ("BENCHMARK", "pipeline root: BENCHMARK/ (benchmark cfgs, jobs, runs, metrics)"),
    (CORPUS_INDEX_FILE, f"corpus: {CORPUS_INDEX_FILE} indexes its recordings and events"),
    ("variant_index.parquet", "dataset variant: variant_index.parquet lists its clips"),
    ("train.csv", "dataset variant: train.csv, val.csv, test.csv"),
    ("alpaca_server.cfg", "training cfg folder: alpaca_server.cfg"),
    ("predict.cfg", "benchmark tag folder: predict.cfg"),
    ("eval.cfg", "benchmark tag folder: eval.cfg"),
    ("model.pt", "model folder: model.pt"),
    ("prediction", "benchmark run: prediction/"),
    ("evaluation", "benchmark run: evaluation/"),
    ("metrics.csv", "benchmark metrics: metrics.csv"),
)

_KINDS: dict[str, str] = {
    **{s: "audio file(s)" for s in sorted(AUDIO_SUFFIXES)},
    ".parquet": "Parquet table(s)", ".txt": "Raven table(s) or text", ".cfg": "cfg file(s)",
    ".log": "log(s)", ".pt": "model file(s)", ".pk": "model file(s)", ".pth": "model file(s)",
    ".csv": "CSV table(s)", ".json": "JSON file(s)", ".png": "image(s)",
}


def _folder(path: Path) -> list[str]:
    files: list[Path] = []
    n_dirs = 0
    for p in sorted(path.rglob("*")):
        if any(part.startswith(".") for part in p.relative_to(path).parts):
            continue
        if p.is_dir():
            n_dirs += 1
        elif p.is_file():
            files.append(p)
    lines = [f"folder: {len(files)} file(s), {n_dirs} folder(s) inside"]
    lines += [f"  {what}" for marker, what in _MARKERS if (path / marker).exists()]
    counts: dict[str, int] = {}
    for f in files:
        kind = _KINDS.get(f.suffix.lower(), "other file(s)")
        counts[kind] = counts.get(kind, 0) + 1
    if counts:
        kinds = sorted(counts, key=str.lower)
        lines.append("  contents: " + ", ".join(f"{counts[k]} {k}" for k in kinds))
    return lines


def _log_file(path: Path) -> list[str]:
    from alpacaspot.io.animalspot import read_predict_log

    scores = read_predict_log(path)
    header = scores.attrs.get("predict_log", {})
    lines = [
        f"ANIMAL-SPOT prediction log: {len(scores)} windows of {scores['recording'].iat[0]!r}"
        if len(scores)
        else "ANIMAL-SPOT prediction log: 0 windows"
    ]
    for key in ("model_path", "sequence_len_s", "hop_s", "threshold", "n_samples"):
        if header.get(key) is not None:
            lines.append(f"  {key}: {header[key]}")
    return lines


def _model(path: Path) -> list[str]:
    from alpacaspot import models

    bundle = models.load_model(path)
    cfg = bundle.spectrogram_config
    params = sum(p.numel() for p in bundle.network.parameters())
    lines = [
        f"model: classes {list(bundle.classes)}, window {bundle.window_s} s "
        f"({bundle.window_frames} frames), {params} parameters, "
        f"fingerprint {bundle.fingerprint()}",
        f"  architecture: {bundle.architecture}",
        f"  spectrogram: {cfg.to_dict() if hasattr(cfg, 'to_dict') else cfg}",
    ]
    if bundle.provenance:
        lines.append(f"  provenance: {bundle.provenance}")
    return lines


_HANDLERS: dict[str, Callable[[Path], list[str]]] = {
    ".parquet": _parquet,
    ".txt": _raven,
    ".cfg": _cfg,
    ".log": _log_file,
    ".pt": _model,
    ".pk": _model,
    ".pth": _model,
}


def describe(path: str | Path) -> list[str]:
    """Lines describing a file (audio, Parquet, Raven table, cfg, prediction log, model) or a
    folder (what the pipeline made of it and the kinds of files inside).

    Raises
    ------
    AlpacaspotError
        When the file is missing, of an unknown kind, or malformed.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> from alpacaspot.io import write_audio
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.wav"
    >>> write_audio(p, np.zeros(8000), 8000)
    >>> describe(p)
    ['audio: WAV PCM_16, 8000 Hz, 1 channel(s), 8000 frames, 1.000 s']
    """
    p = Path(path)
    if not p.exists():
        raise AlpacaspotError("file does not exist", path=p)
    if p.is_dir():
        return _folder(p)
    suffix = p.suffix.lower()
    if suffix in AUDIO_SUFFIXES:
        return _audio(p)
    handler = _HANDLERS.get(suffix)
    if handler is None:
        raise AlpacaspotError(
            f"unknown file kind {suffix or '(no suffix)'!r}; expected audio, .parquet, .txt "
            "(Raven), .cfg, .log (prediction log) or .pt/.pk (model)",
            path=p,
        )
    return handler(p)


def run_info(args: argparse.Namespace) -> int:
    """Print a description of each path in ``args.paths``; 2 if any could not be read.

    Examples
    --------
    >>> import argparse
    >>> run_info(argparse.Namespace(paths=["recording.wav", "BENCHMARK/"]))  # doctest: +SKIP
    0
    """
    status = 0
    for path in args.paths:
        try:
            lines = describe(path)
        except AlpacaspotError as exc:
            print(f"alpacaspot info: error: {exc}", file=sys.stderr)
            status = 2
            continue
        print(f"{path}")
        for line in lines:
            print(f"  {line}")
    return status
