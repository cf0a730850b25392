"""The audio inputs of prediction: resolve files and folders, check each file, note what is done
to its audio (channels averaged, resampled, shorter than a window) and give its window grid."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from alpacaspot.dsp.grid import WindowGrid, window_grid
from alpacaspot.errors import AudioError
from alpacaspot.io import AudioInfo, audio_info
from alpacaspot.io.audio import resampled_length
from alpacaspot.io.layout import AUDIO_SUFFIXES, CORPUS_RECORDINGS_FILE, scores_path

if TYPE_CHECKING:
    from alpacaspot.models.bundle import ModelBundle

__all__ = ["AUDIO_SUFFIXES", "resolve_inputs", "scores_path", "recording_grid",
           "feeds_short_as_is", "note_input"]

_log = logging.getLogger("alpacaspot.detect.inference")

PathLike = str | os.PathLike[str]


def _walk(folder: Path) -> list[Path]:
    table = folder / CORPUS_RECORDINGS_FILE
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


def _relative(path: Path, base: Path) -> str | None:
    """``path`` relative to ``base``: by the names as given (a corpus mirrored as symbolic
    links keeps its names), else with links resolved; None when it lies outside."""
    for a, b in ((Path(os.path.abspath(path)), Path(os.path.abspath(base))),
                 (path.resolve(), base.resolve())):
        try:
            return a.relative_to(b).as_posix()
        except ValueError:
            continue
    return None


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
        rel = _relative(f, base)
        if rel is None:
            raise AudioError(f"audio file lies outside the input root {base}", path=f)
        if rel in out and out[rel] != f:
            raise AudioError(f"two inputs share the recording name {rel!r}", path=f)
        out[rel] = f
    return [(out[k], k) for k in sorted(out)]


def recording_grid(
    path: Path, bundle: ModelBundle, hop_s: float, *, info: AudioInfo | None = None,
    channel: int | None = None,
) -> WindowGrid:
    """The window grid of a recording at the model's sample rate (from its header).

    Raises :class:`AudioError` for a recording shorter than one STFT frame at the model's
    rate (nothing to score) and for a ``channel`` the file does not have.

    Examples
    --------
    >>> recording_grid(Path("a.wav"), bundle, 0.05).count  # doctest: +SKIP
    13
    """
    info = audio_info(path) if info is None else info
    cfg = bundle.spectrogram_config
    sr = int(cfg.sr)
    if channel is not None and not 1 <= int(channel) <= info.channels:
        raise AudioError(f"channel {channel} asked for, the file has {info.channels} "
                         f"channel{'s' if info.channels > 1 else ''}", path=path)
    n = resampled_length(info.frames, info.sample_rate, sr)
    if n < int(cfg.n_fft):
        raise AudioError(
            f"recording of {n} samples at {sr} Hz ({info.duration_s:.4f} s) is shorter than "
            f"one STFT frame ({cfg.n_fft} samples): nothing to score", path=path)
    return window_grid(n, sr, window_s=bundle.window_s, hop_s=hop_s)


def feeds_short_as_is(bundle: ModelBundle) -> bool:
    """Whether a recording shorter than one window goes to the network with its own frames.

    Models imported from ANIMAL-SPOT: yes, as ANIMAL-SPOT's prediction feeds them. alpacaspot's
    models: no, its spectrogram is centred between zero frames, as training fits short clips.
    """
    return (getattr(bundle, "provenance", None) or {}).get("source") == "animalspot"


def note_input(rec: str, info: AudioInfo, grid: WindowGrid, bundle: ModelBundle,
                channel: int | None, resampler: str) -> None:
    """Log, once per file, what is done to its audio before the network sees it."""
    if info.channels > 1:
        if channel is None:
            _log.info("%s: averaging its %d channels (channel= picks one)", rec, info.channels)
        else:
            _log.info("%s: scoring channel %d of %d", rec, channel, info.channels)
    if info.sample_rate != grid.sr:
        _log.info("%s: resampling from %d Hz to %d Hz (%s)", rec, info.sample_rate, grid.sr,
                  resampler)
    if grid.n_samples < grid.length:
        how = (f"fed with its own {_frames(grid, bundle)} frames, as ANIMAL-SPOT does"
               if feeds_short_as_is(bundle) else "zero-padded to the window, as in training")
        _log.info("%s: %.3f s is shorter than one window (%.3f s): scored as one window, %s",
                  rec, grid.n_samples / grid.sr, grid.length / grid.sr, how)


def _frames(grid: WindowGrid, bundle: ModelBundle) -> int:
    return int(bundle.spectrogram_config.n_frames(grid.n_samples))
