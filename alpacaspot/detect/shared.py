"""Experimental shared-computation prediction (``predict_scores(..., mode="shared")``).

Overlapping windows share most of their convolutional work. Here the encoder runs once over a
long block of the recording's spectrogram (plus ``passes - 1`` passes shifted by a fraction of
its time stride), giving one feature column per ``stride / passes`` frames; a window's pooled
feature is the overlap-weighted mean of the columns inside it, and the network's own linear
head turns it into logits. The spectrogram is normalised per frame with the min and max of the
surrounding window length, an approximation of per-window min-max normalisation. On a GPU the
block's samples go to the device once and its spectrogram and normalisation run there.

Two approximations make it fast: convolutions see context beyond the window's edges, and
window positions are resolved only to the feature step. Scores therefore differ from the
exact mode's; measure event F1 before relying on it.
"""

from __future__ import annotations

import copy
import logging
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from scipy.ndimage import maximum_filter1d, minimum_filter1d

from alpacaspot.detect._runner import resolve_device
from alpacaspot.detect.frontends.cpu import single_window
from alpacaspot.detect.frontends.torch_frontend import TorchSpectrogram
from alpacaspot.dsp.grid import WindowGrid
from alpacaspot.dsp.spectrogram import spectrogram
from alpacaspot.errors import ModelError
from alpacaspot.io import read_audio
from alpacaspot.models import SeedEnsemble

if TYPE_CHECKING:
    from alpacaspot.models.bundle import ModelBundle

__all__ = [
    "SharedBlock",
    "SharedEncoder",
    "block_spectrogram",
    "pooled_logits",
    "pooling_weights",
    "prepare_shared",
    "shared_blocks",
    "shared_probs",
    "shift_list",
]

_log = logging.getLogger(__name__)
_BLOCK_FRAMES = 2048  # frames of windows handled per encoder block


def _parts(network: torch.nn.Module) -> tuple[torch.nn.Module, torch.nn.Linear, str]:
    encoder = getattr(network, "encoder", None)
    classifier = getattr(network, "classifier", None)
    linear = getattr(classifier, "linear", None)
    if isinstance(network, SeedEnsemble):
        raise ModelError(f"shared mode runs one network; an ensemble ({len(network.members)} "
                         "networks) predicts in exact mode")
    if encoder is None or not isinstance(linear, torch.nn.Linear):
        raise ModelError(
            "shared mode needs a network with .encoder and .classifier.linear "
            f"(alpacaspot.models.build_model); got {type(network).__name__}"
        )
    return encoder, linear, str(getattr(classifier, "pooling", "avg"))


def _frozen(encoder: torch.nn.Module, example: torch.Tensor) -> torch.nn.Module:
    """The encoder traced and frozen (BatchNorm folded into the convolutions), else eager."""
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore", DeprecationWarning)
            frozen = torch.jit.freeze(torch.jit.trace(encoder, example, check_trace=False))
            frozen(example)
        return frozen
    except Exception as exc:  # any tracing failure falls back to the eager encoder
        _log.warning("TorchScript trace/freeze of the encoder failed (%s); running eager", exc)
        return encoder


def _local_norm(spec: np.ndarray, n_frames: int) -> np.ndarray:
    lo = minimum_filter1d(spec.min(axis=1), size=n_frames, mode="nearest")
    hi = maximum_filter1d(spec.max(axis=1), size=n_frames, mode="nearest")
    span = np.where(hi > lo, hi - lo, 1.0).astype(np.float32)
    return np.clip((spec - lo[:, None]) / span[:, None], 0.0, 1.0).astype(np.float32)


def _stride(network: torch.nn.Module, encoder: torch.nn.Module, bins: int,
            device: torch.device) -> int:
    arch = getattr(network, "architecture", None) or {}
    if arch.get("resnet") in (18, 34, 50) and arch.get("max_pool") in (0, 1, 2):
        return 16 if arch["max_pool"] == 2 else 32  # conv1 /2, (pool or stage 1) /2, 3 x /2
    t = 128
    with torch.inference_mode():
        out = encoder(torch.zeros(1, 1, t, bins, device=device))
    return max(1, round(t / out.shape[2]))


@dataclass
class SharedEncoder:
    """A network split for shared prediction: the (frozen) encoder and the linear head."""

    encoder: torch.nn.Module
    weight: torch.Tensor
    bias: torch.Tensor
    pooling: str
    stride: int
    device: torch.device


def prepare_shared(
    bundle: ModelBundle, *, device: str = "auto", compile: bool = True
) -> SharedEncoder:
    """Split and prepare ``bundle.network`` once for :func:`shared_probs`.

    Examples
    --------
    >>> enc = prepare_shared(bundle, device="cpu")  # doctest: +SKIP
    >>> enc.stride  # doctest: +SKIP
    16
    """
    dev = resolve_device(device)
    encoder, linear, pooling = _parts(bundle.network)
    encoder = copy.deepcopy(encoder).eval().to(dev)
    if dev.type == "cpu":
        encoder = encoder.to(memory_format=torch.channels_last)
    cfg = bundle.spectrogram_config
    stride = _stride(bundle.network, encoder, cfg.n_freq_bins, dev)
    if compile:
        example = torch.zeros(1, 1, 4 * stride + bundle.window_frames, cfg.n_freq_bins,
                              device=dev)
        encoder = _frozen(encoder, example.contiguous(memory_format=torch.channels_last))
    return SharedEncoder(
        encoder=encoder, weight=linear.weight.detach().to(dev),
        bias=linear.bias.detach().to(dev), pooling=pooling, stride=stride, device=dev,
    )


def _overlap(a: np.ndarray, width: float, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """(windows x columns) overlap of spans [a, a + width) with [lo, hi)."""
    right = np.minimum(a[:, None] + width, hi[None, :])
    return np.clip(right - np.maximum(a[:, None], lo[None, :]), 0.0, None)


@dataclass(frozen=True)
class SharedBlock:
    """Windows ``first .. last - 1`` of a grid, computed from spectrogram frames ``f0 .. f1``.

    ``rel`` holds the windows' starts in (fractional) frames relative to ``f0``.
    """

    first: int
    last: int
    f0: int
    f1: int
    rel: np.ndarray


def shared_blocks(
    grid: WindowGrid, config: Any, n_frames: int, stride: int, block_frames: int = _BLOCK_FRAMES
) -> list[SharedBlock]:
    """Split a window grid into encoder blocks of about ``block_frames`` frames of windows.

    Each block reaches ``2 * stride + n_frames`` frames beyond its windows on both sides (less
    at the recording's edges), so every window sees the same context wherever it falls.
    """
    total_frames = config.n_frames(grid.n_samples)
    starts_f = grid.starts / config.hop_length
    margin = 2 * stride + n_frames
    per_block = max(1, int(block_frames * config.hop_length // grid.hop))
    blocks = []
    for i0 in range(0, grid.count, per_block):
        i1 = min(grid.count, i0 + per_block)
        f0 = max(0, int(np.floor(starts_f[i0])) - margin)
        f1 = min(total_frames, int(np.ceil(starts_f[i1 - 1])) + n_frames + margin)
        blocks.append(SharedBlock(i0, i1, f0, f1, starts_f[i0:i1] - f0))
    return blocks


def block_spectrogram(path: Any, grid: WindowGrid, config: Any, block: SharedBlock,
                      n_frames: int, *, on_device: TorchSpectrogram | None = None
                      ) -> np.ndarray | torch.Tensor:
    """The block's spectrogram, each frame normalised by the min and max of a window's span.

    With ``on_device`` (a GPU's :class:`TorchSpectrogram`) the samples go to its device once
    and the spectrogram and normalisation run there (a tensor is returned; equal to the numpy
    result within float32 rounding).
    """
    a = block.f0 * config.hop_length
    b = min(grid.n_samples, (block.f1 - 1) * config.hop_length + config.n_fft)
    x, _ = read_audio(path, start_s=a / config.sr, end_s=b / config.sr, sr=config.sr)
    if on_device is None:
        return _local_norm(spectrogram(x, config, pad=True), n_frames)
    t = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)).to(on_device.device)
    if t.shape[0] < config.n_fft:
        t = torch.nn.functional.pad(t, (0, config.n_fft - t.shape[0]))
    with torch.inference_mode():
        return _local_norm_torch(on_device.spectrogram(t), n_frames)


def _local_norm_torch(spec: torch.Tensor, n_frames: int) -> torch.Tensor:
    """:func:`_local_norm` with torch (scipy's centred filters, edges repeated)."""
    left, right = n_frames // 2, n_frames - 1 - n_frames // 2

    def running_max(v: torch.Tensor) -> torch.Tensor:
        v = torch.nn.functional.pad(v[None, None], (left, right), mode="replicate")
        return torch.nn.functional.max_pool1d(v, n_frames, stride=1)[0, 0]

    lo = -running_max(-spec.amin(dim=1))
    hi = running_max(spec.amax(dim=1))
    span = torch.where(hi > lo, hi - lo, torch.ones_like(hi))
    return ((spec - lo[:, None]) / span[:, None]).clamp(0.0, 1.0)


def pooling_weights(rel: np.ndarray, n_frames: int, stride: int, shift: int,
                    n_columns: int) -> np.ndarray:
    """(windows x columns) weights: each window's share of each encoder output column."""
    lo = (shift + np.arange(n_columns) * stride).astype(float)
    w = _overlap(rel, float(n_frames), lo, lo + stride)
    return w / np.maximum(w.sum(axis=1, keepdims=True), 1e-12)


def pooled_logits(
    encoder: torch.nn.Module,
    weight: torch.Tensor,
    bias: torch.Tensor,
    spec: torch.Tensor,
    rel: np.ndarray,
    *,
    n_frames: int,
    stride: int,
    shifts: list[int],
    pooling: str,
    channels_last: bool = False,
) -> torch.Tensor:
    """Logits ``(windows, classes)`` of the windows at ``rel`` from one block spectrogram.

    The encoder runs once per shift over the whole block; a window's feature is the
    overlap-weighted mean of the output columns inside it, averaged over the shifts; the linear
    head maps it to logits. Differentiable: :func:`alpacaspot.detect.fit_shared` trains
    through it. ``channels_last`` lays a CPU input out channels-last for inference only: the
    oneDNN backward of channels-last convolutions corrupts the heap on some AVX-512 CPUs, so
    anything that back-propagates must leave it off.
    """
    pooled = None
    for shift in shifts:
        inp = spec[shift:][None, None]
        if channels_last and inp.device.type == "cpu":
            inp = inp.contiguous(memory_format=torch.channels_last)
        feats = encoder(inp)[0]  # C x T' x F'
        cols = (feats.mean(dim=2) if pooling == "avg" else feats.amax(dim=2)).T
        w = pooling_weights(rel, n_frames, stride, shift, cols.shape[0])
        part = torch.from_numpy(w).to(cols) @ cols
        pooled = part if pooled is None else pooled + part
    assert pooled is not None
    return (pooled / len(shifts)) @ weight.T.to(pooled) + bias.to(pooled)


def shift_list(stride: int, passes: int) -> list[int]:
    """Frame offsets of the ``passes`` shifted encoder passes (1 <= passes <= stride)."""
    passes = max(1, min(int(passes), stride))
    return [round(k * stride / passes) for k in range(passes)]


def shared_probs(
    bundle: ModelBundle,
    path: Any,
    grid: WindowGrid,
    *,
    device: str = "auto",
    passes: int = 2,
    batch_size: int = 64,
    compile: bool = True,
    prepared: SharedEncoder | None = None,
    progress: Any = None,
) -> np.ndarray:
    """Class probabilities of every window of ``grid`` by the shared-encoder approximation.

    Parameters
    ----------
    bundle : ModelBundle
        Model and front end.
    path : path-like
        The audio file.
    grid : WindowGrid
        The window grid at the model's sample rate.
    device : str
        Torch device (``"auto"``: CUDA when available).
    passes : int
        Shifted encoder passes (1 = fastest; more = finer time resolution).
    batch_size : int
        Unused (blocks are sized in frames); kept for a uniform signature.
    compile : bool
        Trace and freeze the encoder with TorchScript (eager on failure).
    prepared : SharedEncoder, optional
        The result of :func:`prepare_shared` (reuse it over many recordings).
    progress : tqdm, optional
        Bar updated with the number of windows done.

    Returns
    -------
    numpy.ndarray
        ``(windows, classes)`` float64 probabilities.

    Examples
    --------
    >>> shared_probs(bundle, "a.wav", grid, passes=2)  # doctest: +SKIP
    """
    cfg = bundle.spectrogram_config
    shared = prepared if prepared is not None else prepare_shared(
        bundle, device=device, compile=compile)
    dev, encoder, stride = shared.device, shared.encoder, shared.stride
    weight, bias, pooling = shared.weight, shared.bias, shared.pooling
    n_frames = bundle.window_frames
    probs = np.empty((grid.count, len(bundle.classes)), dtype=np.float64)
    if grid.n_samples < grid.length or grid.n_samples < cfg.n_fft:
        x, _ = read_audio(path, sr=cfg.sr)
        win = single_window(x, cfg, n_frames)
        net = bundle.network
        if next(net.parameters()).device != dev:
            net = copy.deepcopy(net).to(dev)
        with torch.inference_mode():
            logits = net.eval()(torch.from_numpy(win)[None, None].to(dev))
        probs[:] = torch.softmax(logits.float(), 1).cpu().numpy()
        if progress is not None:
            progress.update(grid.count)
        return probs
    shifts = shift_list(stride, passes)
    on_device = TorchSpectrogram(cfg, dev) if dev.type != "cpu" else None
    for block in shared_blocks(grid, cfg, n_frames, stride):
        spec = block_spectrogram(path, grid, cfg, block, n_frames, on_device=on_device)
        if isinstance(spec, np.ndarray):
            spec = torch.from_numpy(spec).to(dev)
        with torch.inference_mode():
            logits = pooled_logits(
                encoder, weight, bias, spec, block.rel,
                n_frames=n_frames, stride=stride, shifts=shifts, pooling=pooling,
                channels_last=True)
            probs[block.first : block.last] = torch.softmax(logits.double(), 1).cpu().numpy()
        if progress is not None:
            progress.update(block.last - block.first)
    return probs
