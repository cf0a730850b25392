"""The torch front end: window inputs computed with torch on the model's device (a GPU).

Decoded audio blocks go to the device once (from pinned memory on CUDA); everything after
decoding runs there, batch by batch:

1. pre-emphasis ``y[p] = x[p] - a x[p-1]`` over the block, and frames of ``n_fft`` samples
   every ``hop_length`` within each window as strided views of it; each window's first
   sample is put back un-emphasised, so pre-emphasis restarts at each window's first sample
   exactly as when the window is cut out and transformed alone (as the CPU front end does);
2. the frames times the periodic analysis window, and ``torch.fft.rfft``;
3. power scaled by ``1 / sum(window ** 2)``, frequency compression (a gather when each output
   bin takes one STFT bin, as ANIMAL-SPOT's nearest resize, else a dense matrix product),
   the dB floor and ``10 log10``;
4. the config's normalisation per window.

When the window hop is a whole number of STFT hops, frames shared by overlapping windows are
transformed once (the block's frames, then each window's first frame again with its own
pre-emphasis when that sample matters), as the CPU front end slices. Audio decoding
(and resampling) runs in a reader thread that keeps a few blocks ahead, in order, so it
overlaps the device's work. The inputs equal the CPU front end's within float32 rounding
(1e-4 after normalisation, tested on CPU torch).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch

from alpacaspot.detect.frontends.base import Batch, register_frontend
from alpacaspot.detect.frontends.cpu import prefetch, read_block, single_window
from alpacaspot.dsp.compression import compression_matrix
from alpacaspot.dsp.config import SpectrogramConfig
from alpacaspot.dsp.grid import WindowGrid
from alpacaspot.dsp.stft import get_window
from alpacaspot.dsp.windows import first_sample_ignored
from alpacaspot.io.audio import DEFAULT_RESAMPLER

__all__ = ["TorchFrontEnd", "TorchSpectrogram"]


class TorchSpectrogram:
    """A :class:`SpectrogramConfig` as torch operations on one device.

    Examples
    --------
    >>> cfg = SpectrogramConfig(sr=8000, n_fft=256, hop_length=128, fmin=0, fmax=4000,
    ...                         n_freq_bins=16)
    >>> ts = TorchSpectrogram(cfg, "cpu")
    >>> x = torch.from_numpy(np.random.default_rng(0).standard_normal(4000).astype("float32"))
    >>> ts.window_inputs(x, 2, 400, 14).shape
    torch.Size([2, 14, 16])
    """

    def __init__(self, config: SpectrogramConfig, device: Any) -> None:
        self.config = config
        self.device = torch.device(device)
        win = get_window(config.window, config.n_fft).astype(np.float32)
        self.window = torch.from_numpy(win).to(self.device)
        self.scale = 1.0 / float(np.sum(win.astype(np.float64) ** 2))
        self.floor = 10.0 ** (config.min_level_db / 10.0)
        self.first_sample_ignored = first_sample_ignored(config)
        comp = compression_matrix(config)
        counts = np.diff(comp.offsets)
        self.gather: torch.Tensor | None = None
        self.gather_weights: torch.Tensor | None = None
        self.matrix: torch.Tensor | None = None
        if bool(np.all(counts == 1)):
            self.gather = torch.from_numpy(comp.indices.astype(np.int64)).to(self.device)
            w = comp.weights.astype(np.float32)
            if not bool(np.all(w == 1.0)):
                self.gather_weights = torch.from_numpy(w).to(self.device)
        else:
            self.matrix = torch.from_numpy(comp.to_dense().T.copy()).to(self.device)

    def _preemphasised(self, x: torch.Tensor) -> torch.Tensor:
        """Pre-emphasis along the last axis, the first sample kept as it is."""
        a = float(self.config.preemphasis)
        if a == 0.0:
            return x
        y = x.clone()
        y[..., 1:] -= a * x[..., :-1]
        return y

    def db(self, frames: torch.Tensor) -> torch.Tensor:
        """dB of (..., n_fft) pre-emphasised frames: window, rfft, power, compression, floor."""
        return self._db_windowed(frames * self.window)

    def _db_windowed(self, windowed: torch.Tensor) -> torch.Tensor:
        spec = torch.fft.rfft(windowed, dim=-1)
        power = spec.real.square() + spec.imag.square()
        if self.gather is not None:
            power = power.index_select(-1, self.gather)
            if self.gather_weights is not None:
                power = power * self.gather_weights
        else:
            assert self.matrix is not None
            power = power @ self.matrix
        power = (power * self.scale).clamp_min(self.floor)
        return torch.log10(power) * 10.0

    def spectrogram(self, x: torch.Tensor) -> torch.Tensor:
        """dB spectrogram ``(frames, bins)`` of a whole 1-D signal of at least ``n_fft``
        samples, as :func:`alpacaspot.dsp.spectrogram` (pre-emphasis from its first sample)."""
        frames = self._preemphasised(x).unfold(0, self.config.n_fft, self.config.hop_length)
        return self.db(frames)

    def normalize(self, spec: torch.Tensor) -> torch.Tensor:
        """The config's normalisation of (windows, frames, bins), per window."""
        cfg = self.config
        if cfg.normalization == "none":
            return spec
        if cfg.normalization == "ref_level":
            lvl = float(cfg.min_level_db)
            return ((spec - (float(cfg.ref_level_db) + lvl)) / -lvl).clamp(0.0, 1.0)
        flat = spec.flatten(1)
        lo = flat.amin(dim=1)[:, None, None]
        rng = flat.amax(dim=1)[:, None, None] - lo
        out = (spec - lo) / torch.where(rng > 0, rng, torch.ones_like(rng))
        return torch.where(rng > 0, out, torch.zeros_like(out))

    def window_inputs(self, x: torch.Tensor, count: int, hop: int, n_frames: int
                      ) -> torch.Tensor:
        """Normalised inputs ``(count, n_frames, bins)`` of windows starting at samples
        ``0, hop, 2 hop, ...`` of ``x`` (a 1-D block on the device holding every window's
        frames entirely).

        Examples
        --------
        >>> cfg = SpectrogramConfig(sr=8000, n_fft=256, hop_length=128, fmin=0, fmax=4000,
        ...                         n_freq_bins=16)
        >>> x = torch.zeros(4000)
        >>> TorchSpectrogram(cfg, "cpu").window_inputs(x, 3, 400, 14).shape
        torch.Size([3, 14, 16])
        """
        cfg = self.config
        hl, n_fft = cfg.hop_length, cfg.n_fft
        # Pre-emphasis over the whole block equals each window's own everywhere but at the
        # window's first sample, which its own keeps as it is: frames are strided views of
        # the block, and only each window's first frame needs that one sample put back.
        y = self._preemphasised(x).contiguous()
        firsts = x[: (count - 1) * hop + 1 : hop] * self.window[0]
        step, rest = divmod(int(hop), hl)
        if rest or step < 1:  # frame every window on its own
            windowed = y.as_strided((count, n_frames, n_fft), (hop, hl, 1)) * self.window
            windowed[:, 0, 0] = firsts
            return self.normalize(self._db_windowed(windowed))
        n_unique = (count - 1) * step + n_frames
        frames = self.db(y[: (n_unique - 1) * hl + n_fft].unfold(0, n_fft, hl))  # each once
        index = (torch.arange(count, device=x.device)[:, None] * step
                 + torch.arange(n_frames, device=x.device)[None, :])
        db = frames[index]
        if not self.first_sample_ignored:
            own = y.as_strided((count, n_fft), (hop, 1)) * self.window
            own[:, 0] = firsts
            db[:, 0, :] = self._db_windowed(own)
        return self.normalize(db)


@register_frontend("torch")
class TorchFrontEnd:
    """Window inputs with torch on ``device`` (CUDA, or the CPU for testing).

    Parameters
    ----------
    device : str or torch.device, default "cpu"
        Where the inputs are computed and returned.
    read_ahead : int, default 3
        Audio blocks decoded ahead by the reader thread.

    Examples
    --------
    >>> TorchFrontEnd(device="cpu").name
    'torch'
    """

    name = "torch"

    def __init__(self, *, device: Any = "cpu", read_ahead: int = 3) -> None:
        self.device = torch.device(device)
        self.read_ahead = int(read_ahead)
        self._cache: dict[SpectrogramConfig, TorchSpectrogram] = {}

    def _spectrogram(self, config: SpectrogramConfig) -> TorchSpectrogram:
        ts = self._cache.get(config)
        if ts is None:
            ts = self._cache[config] = TorchSpectrogram(config, self.device)
        return ts

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
        """See :class:`alpacaspot.detect.frontends.FrontEnd`; inputs are tensors on the device."""
        ts = self._spectrogram(config)
        pin = self.device.type == "cuda"

        def blocks() -> Iterator[tuple[int, int, Any]]:
            for i0 in range(first, grid.count, batch_size):
                i1 = min(grid.count, i0 + batch_size)
                x = read_block(path, grid, i0, i1, channel=channel, resampler=resampler)
                if grid.short:
                    yield i0, i1, single_window(x, config, n_frames, pad=pad_short)[None]
                    continue
                t = torch.from_numpy(x)
                yield i0, i1, t.pin_memory() if pin else t

        for i0, i1, data in prefetch(blocks(), max(1, self.read_ahead)):
            if isinstance(data, np.ndarray):  # a recording shorter than one window
                yield Batch(first=i0, inputs=torch.from_numpy(data).to(self.device))
                continue
            x = data.to(self.device, non_blocking=True)
            with torch.inference_mode():
                inputs = ts.window_inputs(x, i1 - i0, grid.hop, n_frames)
            yield Batch(first=i0, inputs=inputs)
