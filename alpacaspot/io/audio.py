"""Audio files: describe, read a span (seeking, never loading a whole long file), write.

Reading returns float32 mono samples: channels are averaged unless one is chosen, and a
different sample rate is reached with one of :data:`RESAMPLERS` (a polyphase filter, or
ANIMAL-SPOT's resampy ``kaiser_best``); the resampled length is :func:`resampled_length`'s.
Every problem with a file (missing, not audio, empty, truncated, holding NaN or infinity)
raises :class:`~alpacaspot.errors.AudioError` naming the file.
"""

from __future__ import annotations

import logging
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from alpacaspot._atomic import atomic_path
from alpacaspot.errors import AudioError
from alpacaspot.io._audio_file import open_info as _open_info
from alpacaspot.io._resample import (
    DEFAULT_RESAMPLER,
    RESAMPLERS,
    check_resampler,
    kaiser_best_at,
    resampled_length,
)

__all__ = ["AudioInfo", "AudioSource", "audio_info", "read_audio", "write_audio",
           "resampled_length", "RESAMPLERS", "DEFAULT_RESAMPLER"]

_log = logging.getLogger(__name__)

# Half length of resample_poly's default filter is 10 * max(up, down) taps at the upsampled
# rate; reading this many input samples of context on each side of a span makes a span read
# match the same span cut from a whole-file read away from the file's ends.
_FILTER_HALF_WIDTH = 10


@dataclass(frozen=True)
class AudioInfo:
    """What an audio file holds.

    Attributes
    ----------
    sample_rate : int
        Samples per second per channel.
    channels : int
        Number of channels.
    frames : int
        Samples per channel.
    duration_s : float
        ``frames / sample_rate``.
    format : str
        Container format as soundfile names it (``"WAV"``, ``"FLAC"``, ...).
    subtype : str
        Sample encoding (``"PCM_16"``, ``"FLOAT"``, ...).
    """

    sample_rate: int
    channels: int
    frames: int
    duration_s: float
    format: str = ""
    subtype: str = ""


def audio_info(path: str | os.PathLike[str]) -> AudioInfo:
    """Describe an audio file without reading its samples.

    Parameters
    ----------
    path : path-like
        Any format libsndfile reads (WAV, FLAC, OGG, AIFF, ...).

    Returns
    -------
    AudioInfo
        Sample rate, channels, frames, duration, format and subtype.

    Raises
    ------
    AudioError
        When the file is missing, not audio, empty or truncated.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.wav"
    >>> write_audio(p, np.zeros(8000, dtype="float32"), 8000)
    >>> info = audio_info(p)
    >>> info.sample_rate, info.channels, info.frames, info.duration_s
    (8000, 1, 8000, 1.0)
    """
    p = Path(path)
    info = _open_info(p)
    return AudioInfo(
        sample_rate=int(info.samplerate),
        channels=int(info.channels),
        frames=int(info.frames),
        duration_s=float(info.frames) / float(info.samplerate),
        format=str(info.format),
        subtype=str(info.subtype),
    )


def _frame_span(
    path: Path, sr_file: int, frames: int, start_s: float, end_s: float | None
) -> tuple[int, int]:
    for name, value in (("start_s", start_s), ("end_s", end_s)):
        if value is not None and not math.isfinite(float(value)):
            raise AudioError(f"{name} must be a finite number of seconds, got {value!r}", path=path)
    if start_s < 0:
        raise AudioError(f"start_s must be >= 0, got {start_s}", path=path)
    start = int(round(float(start_s) * sr_file))
    if start >= frames:
        raise AudioError(
            f"start_s={start_s} lies at or beyond the end of the audio ({frames / sr_file:.6f} s)",
            path=path,
        )
    if end_s is None:
        return start, frames
    if end_s <= start_s:
        raise AudioError(
            f"end_s must be > start_s, got start_s={start_s}, end_s={end_s}", path=path
        )
    end = min(int(round(float(end_s) * sr_file)), frames)
    return start, max(end, start + 1)


def _read_frames(path: Path, start: int, stop: int) -> np.ndarray:
    try:
        data = sf.read(str(path), start=start, stop=stop, dtype="float32", always_2d=True)[0]
    except (sf.LibsndfileError, RuntimeError) as exc:
        raise AudioError(f"could not read frames {start}..{stop} ({exc})", path=path) from None
    if data.shape[0] != stop - start:
        raise AudioError(
            f"audio file is truncated: expected {stop - start} frames from frame {start}, "
            f"read {data.shape[0]}",
            path=path,
        )
    return data


def read_audio(
    path: str | os.PathLike[str],
    *,
    start_s: float = 0.0,
    end_s: float | None = None,
    sr: int | None = None,
    channel: int | None = None,
    resampler: str = DEFAULT_RESAMPLER,
) -> tuple[np.ndarray, int]:
    """Read a span of an audio file as float32 mono samples.

    Only the requested frames are read (soundfile seeks), so cutting 1 s out of a 10 h file
    costs the same as out of a 10 s file.

    Parameters
    ----------
    path : path-like
        The audio file.
    start_s : float, default 0.0
        Start of the span in seconds (rounded to the nearest file frame).
    end_s : float, optional
        End of the span in seconds (exclusive). ``None`` or a time beyond the end of the audio
        reads to the end.
    sr : int, optional
        Sample rate to return. When it differs from the file's the span is resampled with
        ``resampler``, reading a little context on both sides so that a span matches the same
        span of a whole-file read. A whole file of ``n`` frames gives
        ``resampled_length(n, file_rate, sr)`` samples (floor, as ANIMAL-SPOT).
    channel : int, optional
        1-based channel to read (as in Raven tables' ``Channel`` column). ``None`` averages
        all channels.
    resampler : {"polyphase", "kaiser_best"}, default "polyphase"
        ``"polyphase"``: :func:`scipy.signal.resample_poly`. ``"kaiser_best"``: resampy's
        ``kaiser_best``, as ANIMAL-SPOT resamples; the span is output samples
        ``round(start_s * sr) .. round(end_s * sr) - 1`` of the whole-file resample, exactly.

    Returns
    -------
    samples : numpy.ndarray
        1-D float32 array.
    sr : int
        Sample rate of ``samples``.

    Raises
    ------
    AudioError
        Missing, non-audio, empty or truncated file; samples that are NaN or infinite; a span
        or channel outside the file; a bad ``sr``.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.wav"
    >>> write_audio(p, np.zeros(16000, dtype="float32"), 16000)
    >>> x, rate = read_audio(p, start_s=0.25, end_s=0.75)
    >>> x.shape, x.dtype, rate
    ((8000,), dtype('float32'), 16000)
    >>> read_audio(p, sr=8000)[0].shape
    (8000,)
    """
    p = Path(path)
    info = _open_info(p)
    sr_file, frames, n_channels = int(info.samplerate), int(info.frames), int(info.channels)
    if sr is not None:
        if isinstance(sr, bool) or int(sr) != sr or int(sr) <= 0:
            raise AudioError(f"sr must be a positive integer, got {sr!r}", path=p)
        sr = int(sr)
    if channel is not None:
        if (
            isinstance(channel, bool)
            or int(channel) != channel
            or not 1 <= int(channel) <= n_channels
        ):
            raise AudioError(
                f"channel must be an integer in 1..{n_channels} (1-based), got {channel!r}",
                path=p,
            )
        channel = int(channel)
    try:
        resampler = check_resampler(resampler)
    except ValueError as exc:
        raise AudioError(str(exc), path=p) from None
    start, stop = _frame_span(p, sr_file, frames, float(start_s), end_s)

    target_sr = sr_file if sr is None else sr
    if target_sr == sr_file:
        data = _read_frames(p, start, stop)
        samples = _to_mono(data, channel)
        _check_finite(samples, p, start)
        return samples, sr_file
    n_total = resampled_length(frames, sr_file, target_sr)
    if n_total < 1:
        raise AudioError(
            f"{frames} frames at {sr_file} Hz are too short to resample to {target_sr} Hz",
            path=p,
        )
    if resampler == "kaiser_best":
        first = min(int(round(float(start_s) * target_sr)), n_total - 1)
        last = n_total if end_s is None else min(int(round(float(end_s) * target_sr)), n_total)

        def _read(a: int, b: int) -> np.ndarray:
            mono = _to_mono(_read_frames(p, a, b), channel, np.float64)
            _check_finite(mono, p, a)
            return mono

        y = kaiser_best_at(_read, frames, sr_file, target_sr, first, max(last, first + 1))
        return y.astype(np.float32), target_sr

    g = math.gcd(target_sr, sr_file)
    up, down = target_sr // g, sr_file // g
    context_in = _FILTER_HALF_WIDTH * max(up, down) // up + 2
    blocks = math.ceil(context_in / down)
    left = min(blocks, start // down) * down
    right = min(blocks * down, frames - stop)
    data = _read_frames(p, start - left, stop + right)
    mono = _to_mono(data, channel)
    _check_finite(mono, p, start - left)
    from scipy.signal import resample_poly  # here: it costs every command start about a second

    y = resample_poly(mono, up, down)
    out_start = left // down * up
    n_out = math.ceil((stop - start) * up / down)
    n_out = max(1, min(n_out, n_total - math.ceil(start * up / down)))
    return np.ascontiguousarray(y[out_start : out_start + n_out], dtype=np.float32), target_sr


class AudioSource:
    """An audio file as a source of samples at a chosen rate, read span by span.

    What :func:`alpacaspot.dsp.spectrogram_blocks` takes to compute a long recording's
    spectrogram in bounded memory: ``n_samples`` (the resampled length), ``sr`` and
    ``read(start, stop)``.

    Parameters
    ----------
    path : path-like
        The audio file (checked when the source is made).
    sr : int, optional
        Rate of the samples (default: the file's).
    channel : int, optional
        1-based channel; ``None`` averages the channels.
    resampler : {"polyphase", "kaiser_best"}
        As :func:`read_audio`.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.wav"
    >>> write_audio(p, np.zeros(16000, dtype="float32"), 16000)
    >>> src = AudioSource(p, sr=8000)
    >>> src.n_samples, src.read(7990, 8010).shape
    (8000, (20,))
    """

    def __init__(self, path: str | os.PathLike[str], *, sr: int | None = None,
                 channel: int | None = None, resampler: str = DEFAULT_RESAMPLER) -> None:
        self.path = Path(path)
        info = audio_info(self.path)
        self.sr = int(info.sample_rate if sr is None else sr)
        self.channel, self.resampler = channel, resampler
        self.n_samples = resampled_length(info.frames, info.sample_rate, self.sr)

    def read(self, start: int, stop: int) -> np.ndarray:
        """Samples ``start .. stop - 1`` at ``sr`` (float32), zeros past the end."""
        n = max(0, int(stop) - int(start))
        x = np.zeros(0, dtype=np.float32)
        if n and start < self.n_samples:
            x, _ = read_audio(self.path, start_s=start / self.sr, end_s=stop / self.sr,
                              sr=self.sr, channel=self.channel, resampler=self.resampler)
        if x.shape[0] < n:
            x = np.concatenate([x, np.zeros(n - x.shape[0], dtype=np.float32)])
        return np.ascontiguousarray(x[:n], dtype=np.float32)


def _to_mono(data: np.ndarray, channel: int | None, dtype: type = np.float32) -> np.ndarray:
    if channel is not None:
        return np.ascontiguousarray(data[:, channel - 1], dtype=dtype)
    if data.shape[1] == 1:
        return np.ascontiguousarray(data[:, 0], dtype=dtype)
    return data.mean(axis=1, dtype=np.float64).astype(dtype)


def _check_finite(samples: np.ndarray, path: Path, offset: int) -> None:
    finite = np.isfinite(samples)
    if not finite.all():
        first = int(np.flatnonzero(~finite)[0]) + offset
        raise AudioError(f"audio holds NaN or infinite samples (first at frame {first})", path=path)


def write_audio(
    path: str | os.PathLike[str],
    samples: np.ndarray,
    sr: int,
    *,
    subtype: str = "PCM_16",
) -> None:
    """Write samples to an audio file atomically.

    The format follows the file extension (``.wav``, ``.flac``, ...). Float samples written
    to an integer subtype are clipped to [-1, 1] (a warning counts clipped samples).

    Parameters
    ----------
    path : path-like
        Destination; parent folders are created.
    samples : array-like
        1-D (mono) or 2-D ``frames x channels`` samples, float in [-1, 1].
    sr : int
        Sample rate in Hz.
    subtype : str, default "PCM_16"
        soundfile subtype (``"PCM_16"``, ``"PCM_24"``, ``"FLOAT"``, ...).

    Raises
    ------
    AudioError
        Empty or non-finite samples, a bad sample rate, or a format soundfile cannot write.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "tone.wav"
    >>> t = np.arange(8000) / 8000
    >>> write_audio(p, 0.5 * np.sin(2 * np.pi * 440 * t), 8000)
    >>> audio_info(p).frames
    8000
    """
    target = Path(path)
    try:
        data = np.asarray(samples, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise AudioError(f"samples must be numeric, got {exc}", path=target) from None
    if data.ndim not in (1, 2) or data.shape[0] == 0 or data.size == 0:
        raise AudioError(
            f"samples must be a non-empty 1-D or frames x channels array, got shape {data.shape}",
            path=target,
        )
    if not np.isfinite(data).all():
        raise AudioError("samples hold NaN or infinite values", path=target)
    if isinstance(sr, bool) or int(sr) != sr or int(sr) <= 0:
        raise AudioError(f"sr must be a positive integer, got {sr!r}", path=target)
    if subtype.upper().startswith(("PCM", "ULAW", "ALAW")):
        clipped = int(np.count_nonzero(np.abs(data) > 1.0))
        if clipped:
            _log.warning("%s: clipping %d samples outside [-1, 1]", target, clipped)
            data = np.clip(data, -1.0, 1.0)
    try:
        with atomic_path(target) as tmp:
            sf.write(str(tmp), data, int(sr), subtype=subtype)
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError, OSError) as exc:
        raise AudioError(f"could not write audio ({exc})", path=target) from None
