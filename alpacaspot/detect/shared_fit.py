"""Fit a model to shared-mode prediction by distilling its own exact-mode scores.

A network trained on isolated, per-window-normalised windows gives poor scores in shared mode
(:mod:`alpacaspot.detect.shared`): there its convolutions see context beyond the window and
frames are normalised over a rolling span. :func:`fit_shared` fine-tunes a copy of the network
*through the shared computation* so that its shared-mode window scores reproduce the original
model's exact-mode scores on unlabelled recordings. No labels are needed: the exact mode is the
teacher, so the fitted model inherits its detections, at the shared mode's speed.
"""

from __future__ import annotations

import copy
import dataclasses
import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from alpacaspot.detect._inputs import resolve_inputs
from alpacaspot.detect._runner import resolve_device
from alpacaspot.detect.inference import predict_scores, recording_grid
from alpacaspot.detect.shared import (
    _parts,
    _stride,
    block_spectrogram,
    pooled_logits,
    shared_blocks,
    shift_list,
)
from alpacaspot.errors import ConfigError, ModelError

if TYPE_CHECKING:
    from alpacaspot.models.bundle import ModelBundle

__all__ = ["fit_shared", "SHARED_FIT_KEY"]

_log = logging.getLogger(__name__)

SHARED_FIT_KEY = "shared_fit"
_PROB_FLOOR = 1e-6
PathLike = str | os.PathLike[str]


@dataclass(frozen=True)
class _FitBlock:
    spec: np.ndarray  # normalised block spectrogram (frames, bins)
    rel: np.ndarray  # window starts in frames relative to the block
    target: np.ndarray  # centred teacher log-probabilities (windows, classes)


def _centred_log(probs: np.ndarray) -> np.ndarray:
    logp = np.log(np.clip(probs, _PROB_FLOOR, 1.0))
    return (logp - logp.mean(axis=1, keepdims=True)).astype(np.float32)


def _fit_blocks(
    bundle: ModelBundle,
    inputs: Sequence[tuple[Path, str]],
    teacher: pd.DataFrame,
    hop_s: float,
    stride: int,
    block_frames: int,
) -> list[_FitBlock]:
    cfg = bundle.spectrogram_config
    n_frames = bundle.window_frames
    columns = [f"p_{c}" for c in bundle.classes]
    missing = [c for c in columns if c not in teacher.columns]
    if missing:
        raise ConfigError(f"teacher scores lack the columns {missing} of the model's classes")
    by_recording = {rec: part for rec, part in teacher.groupby("recording", sort=True)}
    blocks = []
    for path, rec in inputs:
        part = by_recording.get(rec)
        if part is None:
            _log.warning("no exact-mode scores for %s: left out of the shared fit", rec)
            continue
        grid = recording_grid(path, bundle, hop_s)
        if len(part) != grid.count:
            _log.warning("exact-mode scores of %s have %d windows, the %g s hop gives %d: "
                         "left out of the shared fit", rec, len(part), hop_s, grid.count)
            continue
        if grid.n_samples < max(grid.length, cfg.n_fft):
            continue  # shorter than a window: shared mode falls back to exact there
        probs = part.sort_values("window")[columns].to_numpy()
        for block in shared_blocks(grid, cfg, n_frames, stride, block_frames):
            spec = block_spectrogram(path, grid, cfg, block, n_frames)
            # Scores carry the bundle's temperature T; T x their centred log-probabilities are
            # the network's own, which the student learns (the fitted bundle keeps T).
            target = _centred_log(probs[block.first : block.last]) * float(bundle.temperature)
            blocks.append(_FitBlock(spec, block.rel, target))
    return blocks


def _freeze_batchnorm(net: torch.nn.Module) -> None:
    for module in net.modules():
        if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
            module.eval()


def fit_shared(
    bundle: ModelBundle,
    audio: PathLike | Sequence[PathLike],
    *,
    hop_s: float = 0.05,
    passes: int = 1,
    steps: int = 400,
    lr: float = 3e-4,
    block_frames: int = 256,
    seed: int = 0,
    device: str = "auto",
    num_threads: int | None = None,
    root: PathLike | None = None,
    teacher_scores: pd.DataFrame | None = None,
    progress: bool | None = None,
) -> Any:
    """Fine-tune a copy of ``bundle``'s network for ``predict_scores(..., mode="shared")``.

    The original model's exact-mode window scores on ``audio`` are the targets (computed here,
    or given as ``teacher_scores``); the copy is trained through the shared computation to
    reproduce their centred log-probabilities (mean squared error, Adam, BatchNorm statistics
    frozen). Use recordings like those the model will score (the training tapes do); labels
    are not needed.

    Parameters
    ----------
    bundle : ModelBundle
        The trained model (not modified).
    audio : path-like or sequence of path-like
        Recordings to fit on: a file, a list of files or a folder.
    hop_s : float, default 0.05
        Window hop of the teacher's scores.
    passes : int, default 1
        Shifted encoder passes the fitted model will be used with (stored in the result and
        used by ``predict_scores`` unless it is given ``shared_passes``).
    steps : int, default 400
        Optimiser steps, one block of ``block_frames`` frames each.
    lr : float, default 3e-4
        Adam learning rate.
    block_frames : int, default 256
        Frames of windows per training block.
    seed : int, default 0
        Seed of the block order (the fit is deterministic on the CPU).
    device, num_threads, root
        As for :func:`alpacaspot.detect.predict_scores`.
    teacher_scores : pandas.DataFrame, optional
        Exact-mode window scores of ``audio`` at ``hop_s`` (e.g. read back from a scores
        folder), to skip recomputing them.
    progress : bool, optional
        tqdm progress bars (None: only on a terminal).

    Returns
    -------
    ModelBundle
        A new bundle with the fitted network; ``provenance["shared_fit"]`` records the fit
        (passes, steps, losses, the teacher's provenance). Its exact-mode scores are not
        meaningful: use it with ``mode="shared"``. It keeps the original's resampler,
        temperature and operating point.

    Raises
    ------
    ConfigError
        Bad options, or no recording long enough to fit on.
    ModelError
        A network without the ``encoder``/``classifier.linear`` split of
        :func:`alpacaspot.models.build_model`.

    Examples
    --------
    >>> from alpacaspot.models import load_model, save_model  # doctest: +SKIP
    >>> bundle = load_model("models/v1/models/model.pt")  # doctest: +SKIP
    >>> fast = fit_shared(bundle, "TRAINING/tapes/", steps=400)  # doctest: +SKIP
    >>> save_model("models/v1/models/model_shared.pt", fast)  # doctest: +SKIP
    >>> scores = predict_scores(fast, "recordings/", hop_s=0.05, mode="shared")  # doctest: +SKIP
    """
    if steps < 1:
        raise ConfigError(f"steps must be at least 1, got {steps}")
    if passes < 1:
        raise ConfigError(f"passes must be at least 1, got {passes}")
    if not lr > 0:
        raise ConfigError(f"lr must be positive, got {lr}")
    if block_frames < 1:
        raise ConfigError(f"block_frames must be at least 1, got {block_frames}")
    if SHARED_FIT_KEY in (bundle.provenance or {}):
        raise ModelError("this model is already fitted for shared mode; fit the original")
    dev = resolve_device(device)
    _parts(bundle.network)  # raises ModelError when the network cannot be split
    inputs = resolve_inputs(audio, root=root)
    old_threads = torch.get_num_threads()
    if num_threads is not None:
        torch.set_num_threads(int(num_threads))
    try:
        t0 = time.perf_counter()
        if teacher_scores is None:
            teacher_scores = predict_scores(bundle, [p for p, _ in inputs], hop_s=hop_s,
                                            device=str(dev), root=root, progress=progress)
        teacher_s = time.perf_counter() - t0
        student = copy.deepcopy(bundle.network).to(dev)
        encoder, linear, pooling = _parts(student)
        stride = _stride(student, encoder, bundle.spectrogram_config.n_freq_bins, dev)
        blocks = _fit_blocks(bundle, inputs, teacher_scores, hop_s, stride, block_frames)
        if not blocks:
            raise ConfigError("no recording is long enough to fit shared mode on "
                              f"(at least one {bundle.window_s} s window each)")
        shifts = shift_list(stride, passes)
        student.train()
        _freeze_batchnorm(student)
        params = [p for p in student.parameters() if p.requires_grad]
        optimiser = torch.optim.Adam(params, lr=lr)
        order = np.random.default_rng(seed).integers(0, len(blocks), size=steps)
        losses = np.empty(steps)
        t1 = time.perf_counter()
        bar = tqdm(order, desc="fit shared", unit="step",
                   disable=None if progress is None else not progress)
        for k, index in enumerate(bar):
            block = blocks[int(index)]
            logits = pooled_logits(
                encoder, linear.weight, linear.bias,
                torch.from_numpy(block.spec).to(dev), block.rel,
                n_frames=bundle.window_frames, stride=stride, shifts=shifts, pooling=pooling)
            logp = torch.log_softmax(logits, dim=1)
            logp = logp - logp.mean(dim=1, keepdim=True)
            loss = torch.mean((logp - torch.from_numpy(block.target).to(logp)) ** 2)
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            losses[k] = float(loss.detach())
            if k % 20 == 0:
                bar.set_postfix(loss=f"{losses[max(0, k - 19) : k + 1].mean():.3g}")
        student.eval()
    finally:
        if num_threads is not None:
            torch.set_num_threads(old_threads)
    tail = max(1, steps // 10)
    record = {
        "passes": len(shifts),
        "steps": int(steps),
        "lr": float(lr),
        "block_frames": int(block_frames),
        "seed": int(seed),
        "hop_s": float(hop_s),
        "recordings": len({rec for _, rec in inputs}),
        "blocks": len(blocks),
        "first_loss": float(losses[:tail].mean()),
        "final_loss": float(losses[-tail:].mean()),
        "teacher_seconds": round(teacher_s, 3),
        "fit_seconds": round(time.perf_counter() - t1, 3),
    }
    _log.info("shared fit: loss %.3g -> %.3g over %d steps", record["first_loss"],
              record["final_loss"], steps)
    provenance = {**copy.deepcopy(bundle.provenance or {}), SHARED_FIT_KEY: record}
    return dataclasses.replace(bundle, network=student.to("cpu"), provenance=provenance,
                               architecture=dict(bundle.architecture))
