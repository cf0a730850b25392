"""Resolve the audio inputs of prediction: a file, a list of files or a folder."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from alpacaspot.errors import AudioError
from alpacaspot.io.layout import scores_path

__all__ = ["AUDIO_SUFFIXES", "resolve_inputs", "scores_path"]

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".aif", ".aiff")

PathLike = str | os.PathLike[str]


CORPUS_RECORDINGS = "corpus_recordings.parquet"


def _walk(folder: Path) -> list[Path]:
    table = folder / CORPUS_RECORDINGS
    if table.is_file():  # a corpus: its recordings table lists the audio files
        from alpacaspot.io import read_table

        names = read_table(table, columns=["recording"])["recording"].astype(str)
        return sorted((folder / n for n in names),
                      key=lambda p: p.relative_to(folder).as_posix())
    found = [
        p for p in folder.rglob("*")
        if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES and not p.name.startswith(".")
    ]
    return sorted(found, key=lambda p: p.relative_to(folder).as_posix())


def resolve_inputs(
    audio: PathLike | Sequence[PathLike], *, root: PathLike | None = None
) -> list[tuple[Path, str]]:
    """List ``(path, recording)`` pairs, sorted by recording.

    A folder is searched recursively for audio files (a corpus folder, holding
    ``corpus_recordings.parquet``, gives the recordings that table lists); ``recording`` is
    the path relative to ``root`` (default: the folder, or the common parent of the given
    files), POSIX, never cut at a dot.
    """
    items = [audio] if isinstance(audio, (str, os.PathLike)) else list(audio)
    files: list[Path] = []
    base: Path | None = None if root is None else Path(root)
    for item in items:
        p = Path(item)
        if p.is_dir():
            files.extend(_walk(p))
            if base is None and len(items) == 1:
                base = p
        elif p.exists():
            files.append(p)
        else:
            raise AudioError("audio input does not exist", path=p)
    if base is None:
        parents = [str(f.parent.resolve()) for f in files]
        base = Path(os.path.commonpath(parents)) if parents else Path(".")
    out: dict[str, Path] = {}
    for f in files:
        try:
            rel = f.resolve().relative_to(base.resolve()).as_posix()
        except ValueError:
            raise AudioError(f"audio file lies outside the input root {base}", path=f) from None
        if rel in out and out[rel] != f:
            raise AudioError(f"two inputs share the recording name {rel!r}", path=f)
        out[rel] = f
    return [(out[k], k) for k in sorted(out)]
