"""``alpacaspot info <paths...>``: describe audio, tables, cfg files, logs and model files."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Callable
from pathlib import Path

from alpacaspot.errors import AlpacaspotError, SchemaError

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


def _cfg(path: Path) -> list[str]:
    from alpacaspot.io.animalspot import CFG_KEYS, read_cfg

    errors = []
    for kind in CFG_KEYS:
        try:
            values = read_cfg(path, kind=kind)
        except AlpacaspotError as exc:
            errors.append(str(exc))
            continue
        lines = [f"ANIMAL-SPOT {kind} cfg: {len(values)} keys"]
        lines += [f"  {k} = {v}" for k, v in values.items()]
        return lines
    raise AlpacaspotError("not a train, predict or evaluate cfg: " + errors[-1])


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
    try:
        models = importlib.import_module("alpacaspot.models")
    except ImportError as exc:
        raise AlpacaspotError(f"model files need alpacaspot.models ({exc})", path=path) from None
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


_AUDIO = {".wav", ".flac", ".ogg", ".aif", ".aiff", ".aifc", ".w64", ".rf64", ".caf", ".mp3"}
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
    """Lines describing one file (audio, Parquet, Raven table, cfg, prediction log, model).

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
    suffix = p.suffix.lower()
    if suffix in _AUDIO:
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
    """Print a description of each path in ``args.paths``; 2 if any could not be read."""
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
