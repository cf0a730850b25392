"""The CPU front end: audio blocks -> normalised window inputs (numpy), batch by batch.

Audio is read one batch of windows at a time (bounded memory for any recording length) and
turned into inputs by :func:`alpacaspot.dsp.inputs.window_inputs` (one vectorised numba +
pocketfft pass; a block spectrogram sliced into windows when the window hop is a whole number
of STFT hops). Every window equals the spectrogram of its own samples: pre-emphasis restarts
at each window's first sample, as when a window is cut out and transformed alone. A
background thread prepares the next batch while the network runs on this one.

Torch-free.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from alpacaspot.detect.frontends.base import Batch, register_frontend
from alpacaspot.dsp.config import SpectrogramConfig
from alpacaspot.dsp.grid import WindowGrid
from alpacaspot.dsp.inputs import window_input, window_inputs
from alpacaspot.io import read_audio
from alpacaspot.io.audio import DEFAULT_RESAMPLER

__all__ = ["CpuFrontEnd", "window_batches", "prefetch", "single_window", "read_block"]


def single_window(
    x: np.ndarray, config: SpectrogramConfig, n_frames: int, *, pad: bool = True
) -> np.ndarray:
    """One window cut out and transformed alone: spectrogram, normalise, fit to ``n_frames``.

    :func:`alpacaspot.dsp.inputs.window_input` with a centred position: a signal shorter than
    ``n_fft`` is zero-padded to one frame; a window with fewer than ``n_frames`` frames (a
    recording shorter than one window) is, with ``pad``, normalised and then centred between
    zero frames, exactly as training fits a short clip; without ``pad`` it is returned with
    its own number of frames, as ANIMAL-SPOT feeds it (its network pools globally).

    Examples
    --------
    >>> cfg = SpectrogramConfig(sr=8000, n_fft=256, hop_length=128, fmin=0, fmax=4000,
    ...                         n_freq_bins=16)
    >>> single_window(np.ones(1000, np.float32), cfg, 14).shape
    (14, 16)
    """
    return window_input(x, config, n_frames, pad=pad)


def read_block(
    path: Path, grid: WindowGrid, i0: int, i1: int, *, channel: int | None, resampler: str
) -> np.ndarray:
    """Samples of windows ``i0 .. i1 - 1`` (at the grid's rate), zero-padded to their end.

    Resampling may lose a sample at the end of a file; the windows' last samples are then
    zeros. A recording shorter than one window is returned as it is.
    """
    a, b = grid.span(i0, i1)
    x, _ = read_audio(path, start_s=a / grid.sr, end_s=b / grid.sr, sr=grid.sr,
                      channel=channel, resampler=resampler)
    x = np.ascontiguousarray(x, dtype=np.float32)
    need = (i1 - 1 - i0) * grid.hop + grid.length
    if not grid.short and len(x) < need:
        x = np.concatenate([x, np.zeros(need - len(x), np.float32)])
    return x


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
        window hop is a multiple of the STFT hop. The numbers are the same either way.
    channel : int, optional
        1-based channel to score; ``None`` averages the channels.
    resampler : str
        How a file at another rate is resampled (:func:`alpacaspot.io.read_audio`).
    pad_short : bool, default True
        A recording shorter than one window: pad its spectrogram to ``n_frames`` (True) or
        feed it with its own frames (False; see :func:`single_window`).

    Examples
    --------
    >>> next(window_batches(path, grid, cfg, 17, batch_size=64)).inputs.shape  # doctest: +SKIP
    (64, 17, 128)
    """
    for i0 in range(first, grid.count, batch_size):
        i1 = min(grid.count, i0 + batch_size)
        x = read_block(path, grid, i0, i1, channel=channel, resampler=resampler)
        if grid.short:
            inputs = single_window(x, config, n_frames, pad=pad_short)[None]
        else:
            rel = np.arange(i1 - i0, dtype=np.int64) * grid.hop
            inputs = window_inputs(x, rel, config, n_frames, slicing=slicing)
        yield Batch(first=i0, inputs=inputs)


_DONE = object()


def prefetch(batches: Iterator[Any], depth: int = 2) -> Iterator[Any]:
    """Run ``batches`` in a background thread, ``depth`` items ahead of the consumer.

    The FFTs, numba kernels and audio decoding release the GIL, so the next batch's work
    overlaps the network's work on this one. Items keep their order; exceptions are re-raised
    in the consumer.

    Examples
    --------
    >>> list(prefetch(iter(range(3))))
    [0, 1, 2]
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
            yield item
    finally:
        stop.set()
        while thread.is_alive():
            try:
                q.get_nowait()
            except queue.Empty:
                thread.join(timeout=0.05)


@register_frontend("cpu")
class CpuFrontEnd:
    """numba + pocketfft on the CPU, one batch ahead in a background thread.

    Parameters
    ----------
    device : str, default "cpu"
        Ignored (inputs are numpy arrays; the network moves them).
    slicing : bool, optional
        See :func:`window_batches`.
    prefetch_depth : int, default 2
        Batches prepared ahead (0: no background thread).

    Examples
    --------
    >>> CpuFrontEnd().name
    'cpu'
    """

    name = "cpu"

    def __init__(self, *, device: Any = "cpu", slicing: bool | None = None,
                 prefetch_depth: int = 2) -> None:
        self.slicing = slicing
        self.prefetch_depth = int(prefetch_depth)

    def batches(
        self,
        path: Path,
        grid: WindowGrid,
        config: SpectrogramConfig,
        n_frames: int,
        *,
        batch_size: int,
        first: int = 0,
        channel: int | None = None,
        resampler: str = DEFAULT_RESAMPLER,
        pad_short: bool = True,
    ) -> Iterator[Batch]:
        """See :class:`alpacaspot.detect.frontends.FrontEnd`."""
        it = window_batches(path, grid, config, n_frames, batch_size=batch_size, first=first,
                            slicing=self.slicing, channel=channel, resampler=resampler,
                            pad_short=pad_short)
        return prefetch(it, self.prefetch_depth) if self.prefetch_depth > 0 else it
