"""Long recordings in bounded memory: the spectrogram block by block.

:func:`spectrogram_blocks` yields consecutive row blocks of a recording's spectrogram. Each
block is computed from just the samples its frames need (one sample more in front for
pre-emphasis), so a 10 h file never sits in memory, and the concatenation of the blocks is
identical to :func:`alpacaspot.dsp.spectrogram` of the whole signal.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from alpacaspot.dsp.config import SpectrogramConfig
from alpacaspot.dsp.spectrogram import compute_frames, spectrogram  # noqa: F401 (doctest)
from alpacaspot.dsp.stft import as_signal
from alpacaspot.errors import AudioError, ConfigError

__all__ = ["spectrogram_blocks"]


def _read_span(path: Path, s0: int, s1: int, sr: int) -> np.ndarray:
    """Samples ``s0 .. s1 - 1`` (at ``sr``) of an audio file, zero-filled past its end."""
    from alpacaspot.io import read_audio

    x, _ = read_audio(path, start_s=s0 / sr, end_s=s1 / sr, sr=sr)
    n = s1 - s0
    if x.shape[0] < n:
        x = np.concatenate([x, np.zeros(n - x.shape[0], dtype=np.float32)])
    return np.ascontiguousarray(x[:n], dtype=np.float32)


def _n_samples(path: Path, sr: int) -> int:
    from alpacaspot.io import audio_info
    from alpacaspot.io.audio import resampled_length

    info = audio_info(path)
    return resampled_length(info.frames, info.sample_rate, sr)


def spectrogram_blocks(
    path_or_array: str | os.PathLike[str] | np.ndarray,
    config: SpectrogramConfig,
    *,
    block_s: float = 60.0,
    workers: int | None = None,
) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(first_frame, block)`` pairs covering a recording's spectrogram.

    Parameters
    ----------
    path_or_array : path-like or numpy.ndarray
        An audio file (read span by span with :func:`alpacaspot.io.read_audio` at
        ``config.sr``, channels averaged) or a 1-D array of samples at ``config.sr``.
    config : SpectrogramConfig
        The front end.
    block_s : float, default 60.0
        Audio seconds per block (rounded down to whole STFT hops, at least one frame).
        Peak memory is about ``block_s * sr * 4`` bytes of samples plus the block's rows.
    workers : int, optional
        Threads (default: all cores this process may use).

    Yields
    ------
    first_frame : int
        Index of the block's first row in the whole spectrogram.
    block : numpy.ndarray
        float32 ``(rows, n_freq_bins)`` un-normalised dB.

    Raises
    ------
    AudioError
        Unreadable file, or a recording shorter than one STFT frame.
    ConfigError
        A non-positive ``block_s``.

    Notes
    -----
    For a file whose sample rate equals ``config.sr`` the blocks equal the one-shot
    spectrogram exactly. When the file must be resampled each span is resampled with context
    by :func:`alpacaspot.io.read_audio`, which matches a whole-file resample up to the
    filter's rounding.

    Examples
    --------
    >>> cfg = SpectrogramConfig(sr=8000, n_fft=256, hop_length=128, fmin=0, fmax=4000,
    ...                         n_freq_bins=32)
    >>> x = np.random.default_rng(0).standard_normal(8000).astype("float32")
    >>> blocks = list(spectrogram_blocks(x, cfg, block_s=0.25))
    >>> [first for first, _ in blocks]
    [0, 15, 30, 45, 60]
    >>> np.array_equal(np.concatenate([b for _, b in blocks]), spectrogram(x, cfg))
    True
    """
    if not (isinstance(block_s, (int, float)) and block_s > 0 and math.isfinite(block_s)):
        raise ConfigError(f"block_s must be a positive number of seconds, got {block_s!r}")
    if isinstance(path_or_array, (str, os.PathLike)):
        path: Path | None = Path(path_or_array)
        sig = None
        n_samples = _n_samples(path, config.sr)
    else:
        path = None
        sig = as_signal(path_or_array)
        n_samples = int(sig.shape[0])
    n_frames = config.n_frames(n_samples)
    if n_frames == 0:
        raise AudioError(
            f"recording of {n_samples} samples is shorter than one STFT frame "
            f"(n_fft={config.n_fft})",
            path=path,
        )
    rows = max(1, int(block_s * config.sr) // config.hop_length)
    return _iter_blocks(path, sig, config, n_frames, rows, workers)


def _iter_blocks(
    path: Path | None,
    sig: np.ndarray | None,
    config: SpectrogramConfig,
    n_frames: int,
    rows: int,
    workers: int | None,
) -> Iterator[tuple[int, np.ndarray]]:
    hop, n_fft = config.hop_length, config.n_fft
    for f0 in range(0, n_frames, rows):
        f1 = min(n_frames, f0 + rows)
        starts = np.arange(f0, f1, dtype=np.int64) * hop
        if sig is not None:
            block = compute_frames(
                sig, starts, np.zeros_like(starts), config, workers=workers
            )
        else:
            assert path is not None
            # One sample before the first frame feeds its pre-emphasis.
            s0 = max(0, f0 * hop - 1)
            s1 = (f1 - 1) * hop + n_fft
            x = _read_span(path, s0, s1, config.sr)
            # Frames start at buffer sample >= 1 whenever s0 > 0, so a segment start of 0
            # pre-emphasises every sample they use, as the whole-file spectrogram does.
            block = compute_frames(
                x, starts - s0, np.zeros_like(starts), config, workers=workers
            )
        yield f0, block

