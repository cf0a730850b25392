"""The front end of prediction: audio blocks -> normalised window spectrograms, batch by batch.

Audio is read one batch of windows at a time (bounded memory for any recording length).
When the window hop is a whole number of STFT hops, the block's spectrogram is computed once
and windows are slices of it; otherwise every window is framed exactly, in one vectorised call.
Either way every window equals the spectrogram of its own samples: pre-emphasis restarts at
each window's first sample, as when a window is cut out and transformed alone.

Torch-free.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from alpacaspot.detect.windows import WindowGrid
from alpacaspot.dsp.config import SpectrogramConfig
from alpacaspot.dsp.spectrogram import compute_frames, normalize, spectrogram
from alpacaspot.io import read_audio
from alpacaspot.io.audio import DEFAULT_RESAMPLER

__all__ = ["Batch", "window_batches", "prefetch", "single_window"]


@dataclass(frozen=True)
class Batch:
    """Normalised inputs ``(n, frames, bins)`` of windows ``first .. first + n - 1``."""

    first: int
    inputs: np.ndarray


def single_window(
    x: np.ndarray, config: SpectrogramConfig, n_frames: int, *, pad: bool = True
) -> np.ndarray:
    """One window cut out and transformed alone: spectrogram, normalise, fit to ``n_frames``.

    A signal shorter than ``n_fft`` is zero-padded to one frame. A window with fewer than
    ``n_frames`` frames (a recording shorter than one window) is, with ``pad``, normalised
    and then centred between zero frames, exactly as training fits a short clip
    (:func:`alpacaspot.models.dataset.fit_frames`); without ``pad`` it is returned as it is,
    with its own number of frames, as ANIMAL-SPOT feeds it (its network pools globally).
    """
    spec = spectrogram(x, config, pad=True)
    if spec.shape[0] < n_frames:
        out = normalize(spec, config)
        if not pad:
            return out
        before = (n_frames - out.shape[0]) // 2  # centred, as fit_frames without augmentation
        padded = np.zeros((n_frames, out.shape[1]), dtype=np.float32)
        padded[before : before + out.shape[0]] = out
        return padded
    return normalize(spec, config)[:n_frames]


def _exact(x: np.ndarray, rel: np.ndarray, config: SpectrogramConfig, n_frames: int) -> np.ndarray:
    offsets = np.arange(n_frames, dtype=np.int64) * config.hop_length
    starts = (rel[:, None] + offsets[None, :]).ravel()
    segs = np.repeat(rel, n_frames)
    frames = compute_frames(x, starts, segs, config)
    return frames.reshape(len(rel), n_frames, config.n_freq_bins)


def _sliced(
    x: np.ndarray, rel: np.ndarray, config: SpectrogramConfig, n_frames: int, step: int
) -> np.ndarray:
    total = (len(rel) - 1) * step + n_frames
    starts = np.arange(total, dtype=np.int64) * config.hop_length
    block = compute_frames(x, starts, np.zeros(total, dtype=np.int64), config)
    index = np.arange(len(rel))[:, None] * step + np.arange(n_frames)[None, :]
    out = block[index]
    # each window's first frame without pre-emphasis reaching before the window
    out[:, 0, :] = compute_frames(x, rel, rel, config)
    return out


def window_batches(
    path: Path,
    grid: WindowGrid,
    config: SpectrogramConfig,
    n_frames: int,
    *,
    batch_size: int,
    first: int = 0,
    slicing: bool | None = None,
    channel: int | None = None,
    resampler: str = DEFAULT_RESAMPLER,
    pad_short: bool = True,
) -> Iterator[Batch]:
    """Yield normalised window inputs of a recording, ``batch_size`` windows at a time.

    Parameters
    ----------
    path : pathlib.Path
        The audio file (resampled to ``config.sr`` when its rate differs).
    grid : WindowGrid
        Window grid at ``config.sr``.
    config : SpectrogramConfig
        Front end of the model.
    n_frames : int
        Frames per window (the model's ``window_frames``).
    batch_size : int
        Windows per batch.
    first : int
        First window to produce.
    slicing : bool, optional
        Force (True) or forbid (False) slicing one block spectrogram; default: slice when the
        window hop is a multiple of the STFT hop.
    channel : int, optional
        1-based channel to score; ``None`` averages the channels.
    resampler : str
        How a file at another rate is resampled (:func:`alpacaspot.io.read_audio`).
    pad_short : bool, default True
        A recording shorter than one window: pad its spectrogram to ``n_frames`` (True) or
        feed it with its own frames (False; see :func:`single_window`).
    """
    sr = config.sr
    step, rest = divmod(grid.hop, config.hop_length)
    use_slices = (rest == 0 and step > 0) if slicing is None else bool(slicing and rest == 0)
    for i0 in range(first, grid.count, batch_size):
        i1 = min(grid.count, i0 + batch_size)
        a = i0 * grid.hop
        b = min((i1 - 1) * grid.hop + grid.length, grid.n_samples)
        x, _ = read_audio(path, start_s=a / sr, end_s=b / sr, sr=sr, channel=channel,
                          resampler=resampler)
        x = np.ascontiguousarray(x, dtype=np.float32)
        rel = (np.arange(i0, i1, dtype=np.int64) - i0) * grid.hop
        if grid.n_samples < grid.length:  # recording shorter than one window
            inputs = single_window(x, config, n_frames, pad=pad_short)[None]
        else:
            if len(x) < (rel[-1] + grid.length):  # resampling may lose a sample at the end
                x = np.concatenate([x, np.zeros(rel[-1] + grid.length - len(x), np.float32)])
            if use_slices:
                spec = _sliced(x, rel, config, n_frames, step)
            else:
                spec = _exact(x, rel, config, n_frames)
            inputs = normalize(spec, config)
        yield Batch(first=i0, inputs=inputs)


_DONE = object()


def prefetch(batches: Iterator[Batch], depth: int = 2) -> Iterator[Batch]:
    """Run ``batches`` in a background thread, ``depth`` batches ahead of the consumer.

    The FFTs and numba kernels release the GIL, so the front end of the next batch overlaps
    the network's work on this one. Exceptions are re-raised in the consumer.
    """
    q: queue.Queue[object] = queue.Queue(maxsize=max(1, depth))
    stop = threading.Event()

    def _work() -> None:
        try:
            for item in batches:
                if stop.is_set():
                    return
                q.put(item)
            q.put(_DONE)
        except BaseException as exc:  # handed to the consumer
            q.put(exc)

    thread = threading.Thread(target=_work, name="alpacaspot-frontend", daemon=True)
    thread.start()
    try:
        while True:
            item = q.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        while thread.is_alive():
            try:
                q.get_nowait()
            except queue.Empty:
                thread.join(timeout=0.05)
