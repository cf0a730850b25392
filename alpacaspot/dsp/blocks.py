"""Long recordings in bounded memory: the spectrogram block by block.

:func:`spectrogram_blocks` yields consecutive row blocks of a recording's spectrogram. Each
block is computed from just the samples its frames need (one sample more in front for
pre-emphasis), so a 10 h file never sits in memory, and the concatenation of the blocks is
identical to :func:`alpacaspot.dsp.spectrogram` of the whole signal. A file comes in as a
sample source (:class:`alpacaspot.io.AudioSource`): dsp never opens files itself.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from typing import Protocol, runtime_checkable

import numpy as np

from alpacaspot.dsp.config import SpectrogramConfig
from alpacaspot.dsp.spectrogram import compute_frames, spectrogram  # noqa: F401 (doctest)
from alpacaspot.dsp.stft import as_signal
from alpacaspot.errors import AudioError, ConfigError

__all__ = ["spectrogram_blocks", "SampleSource"]


@runtime_checkable
class SampleSource(Protocol):
    """Samples read span by span (e.g. :class:`alpacaspot.io.AudioSource` of a file)."""

    sr: int
    n_samples: int

    def read(self, start: int, stop: int) -> np.ndarray:
        """Samples ``start .. stop - 1`` at ``sr``, zero-filled past the end."""
        ...  # pragma: no cover


def spectrogram_blocks(
    source: SampleSource | np.ndarray,
    config: SpectrogramConfig,
    *,
    block_s: float = 60.0,
    workers: int | None = None,
) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(first_frame, block)`` pairs covering a recording's spectrogram.

    Parameters
    ----------
    source : SampleSource or numpy.ndarray
        A 1-D array of samples at ``config.sr``, or a source read span by span: for an
        audio file, ``alpacaspot.io.AudioSource(path, sr=config.sr)`` (channels averaged
        unless one is chosen, resampled when the file's rate differs).
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
    by :func:`alpacaspot.io.read_audio`: exactly the whole-file resample with
    ``resampler="kaiser_best"``, up to the filter's rounding with ``"polyphase"``.

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
    if isinstance(source, (str, os.PathLike)):
        raise ConfigError(
            f"spectrogram_blocks takes samples or a sample source, got the path {source!r}: "
            "pass alpacaspot.io.AudioSource(path, sr=config.sr)")
    path = getattr(source, "path", None)
    if isinstance(source, SampleSource):
        if int(source.sr) != int(config.sr):
            raise ConfigError(f"the source gives samples at {source.sr} Hz, the config "
                              f"expects {config.sr} Hz", path=path)
        reader: SampleSource | None = source
        sig = None
        n_samples = int(source.n_samples)
    else:
        reader = None
        sig = as_signal(source)
        n_samples = int(sig.shape[0])
    n_frames = config.n_frames(n_samples)
    if n_frames == 0:
        raise AudioError(
            f"recording of {n_samples} samples is shorter than one STFT frame "
            f"(n_fft={config.n_fft})",
            path=path,
        )
    rows = max(1, int(block_s * config.sr) // config.hop_length)
    return _iter_blocks(reader, sig, config, n_frames, rows, workers)


def _iter_blocks(
    reader: SampleSource | None,
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
            assert reader is not None
            # One sample before the first frame feeds its pre-emphasis.
            s0 = max(0, f0 * hop - 1)
            s1 = (f1 - 1) * hop + n_fft
            x = reader.read(s0, s1)
            # Frames start at buffer sample >= 1 whenever s0 > 0, so a segment start of 0
            # pre-emphasises every sample they use, as the whole-file spectrogram does.
            block = compute_frames(
                x, starts - s0, np.zeros_like(starts), config, workers=workers
            )
        yield f0, block

