"""Opening an audio file's header: missing, empty, unreadable and truncated files refused."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import soundfile as sf

from alpacaspot.errors import AudioError

__all__ = ["open_info"]


def _check_exists(path: Path) -> None:
    if not path.exists():
        raise AudioError("audio file does not exist", path=path)
    if not path.is_file():
        raise AudioError("expected an audio file, got a directory or special file", path=path)
    if path.stat().st_size == 0:
        raise AudioError("audio file is empty (0 bytes)", path=path)


def _wav_declared_frames(path: Path, block_align: int) -> int | None:
    """Frames the RIFF/WAVE header declares in its ``data`` chunk, or None if unknown."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(12)
            if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
                return None
            while True:
                chunk = fh.read(8)
                if len(chunk) < 8:
                    return None
                cid, size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
                if cid == b"data":
                    if size in (0, 0xFFFFFFFF) or block_align <= 0:
                        return None  # streaming writers leave the size open
                    return size // block_align
                fh.seek(size + (size & 1), os.SEEK_CUR)
    except OSError:
        return None


def open_info(path: Path) -> sf._SoundFileInfo:
    _check_exists(path)
    try:
        info = sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError, TypeError) as exc:
        raise AudioError(f"not a readable audio file ({exc})", path=path) from None
    if info.frames <= 0 or info.samplerate <= 0 or info.channels <= 0:
        declared = None
        if info.format == "WAV":
            declared = _wav_declared_frames(path, _block_align(info))
        if declared:
            raise AudioError(
                f"audio file is truncated: header declares {declared} frames, file holds none",
                path=path,
            )
        raise AudioError("audio file holds no samples", path=path)
    if info.format == "WAV":
        declared = _wav_declared_frames(path, _block_align(info))
        if declared is not None and declared > info.frames:
            raise AudioError(
                f"audio file is truncated: header declares {declared} frames, "
                f"file holds {info.frames}",
                path=path,
            )
    return info


_SUBTYPE_BYTES = {
    "PCM_U8": 1,
    "PCM_S8": 1,
    "PCM_16": 2,
    "PCM_24": 3,
    "PCM_32": 4,
    "FLOAT": 4,
    "DOUBLE": 8,
    "ULAW": 1,
    "ALAW": 1,
}


def _block_align(info: sf._SoundFileInfo) -> int:
    return _SUBTYPE_BYTES.get(info.subtype, 0) * info.channels
