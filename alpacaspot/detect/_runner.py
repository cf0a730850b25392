"""The network side of prediction: a model prepared for fast batched inference.

``prepare_runner`` copies the bundle's network (the bundle is never modified), puts it in eval
mode on the device, in channels_last memory format, traces and freezes it with TorchScript
(falling back to eager on any failure) and optionally runs the eager copy under bfloat16
autocast after checking, on the first batch, that probabilities move by at most
``bf16_tolerance``. ``precision="auto"`` times both precisions on that batch and keeps the
faster one (bf16 only where the processor has native bfloat16 or on a GPU).

Training and fitting never use channels_last on the CPU: oneDNN's channels-last convolution
backward corrupts the heap on some AVX-512 processors (AMD EPYC Zen 4 and Zen 5: a shared-mode
fit forced channels-last aborts with ``double free or corruption``). Inference (no backward)
keeps it.
"""

from __future__ import annotations

import copy
import logging
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

from alpacaspot.errors import ConfigError

__all__ = ["PRECISIONS", "Runner", "prepare_runner", "resolve_device"]

_log = logging.getLogger(__name__)
PRECISIONS = ("fp32", "bf16", "auto")
#: bf16 must beat fp32 by this factor on the first batch for ``precision="auto"`` to pick it.
_AUTO_BF16_GAIN = 1.1


def resolve_device(device: str) -> torch.device:
    """``"auto"`` -> CUDA when available, else CPU; other names as torch understands them."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ConfigError(f"unknown device {device!r}: {exc}") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"device {device!r} requested but CUDA is not available")
    return dev


@dataclass
class Runner:
    """A prepared network: ``runner(inputs)`` -> softmax probabilities (numpy float64).

    ``inputs`` is a ``(n, frames, bins)`` numpy array or torch tensor (on any device).
    """

    forward: Callable[[torch.Tensor], torch.Tensor]
    eager: torch.nn.Module
    device: torch.device
    precision: str
    compiled: str
    bf16_max_abs_diff: float | None = None
    info: dict[str, object] = field(default_factory=dict)

    def _run(self, inputs: np.ndarray | torch.Tensor, precision: str) -> np.ndarray:
        if isinstance(inputs, torch.Tensor):  # a torch front end's batch, maybe on the device
            x = inputs.to(torch.float32).unsqueeze(1)
        else:
            x = torch.from_numpy(np.ascontiguousarray(inputs, dtype=np.float32)).unsqueeze(1)
        x = x.to(self.device, non_blocking=True).contiguous(memory_format=torch.channels_last)
        with torch.inference_mode():
            if precision == "bf16":
                with torch.autocast(device_type=self.device.type, dtype=torch.bfloat16):
                    logits = self.eager(x)
            else:
                logits = self.forward(x)
            probs = torch.softmax(logits.float(), dim=1)
        return probs.cpu().numpy().astype(np.float64)

    def __call__(self, inputs: np.ndarray | torch.Tensor) -> np.ndarray:
        return self._run(inputs, self.precision)

    def check_bf16(self, inputs: np.ndarray | torch.Tensor, tolerance: float) -> np.ndarray:
        """Run one batch in fp32 and bf16; keep bf16 only within ``tolerance``.

        Both are timed (after a one-window warm-up of bf16). With ``precision="bf16"`` a bf16
        that runs slower than fp32 (processors without native bfloat16 emulate it) is kept, as
        asked, with a warning; with ``precision="auto"`` the faster of the two is kept.
        """
        auto = self.precision == "auto"
        self._run(inputs[:1], "bf16")
        t0 = time.perf_counter()
        ref = self._run(inputs, "fp32")
        t1 = time.perf_counter()
        low = self._run(inputs, "bf16")
        t2 = time.perf_counter()
        diff = float(np.max(np.abs(ref - low))) if ref.size else 0.0
        speedup = (t1 - t0) / max(t2 - t1, 1e-9)
        self.bf16_max_abs_diff = diff
        self.info["bf16_speedup"] = round(speedup, 3)
        if diff > tolerance:
            _log.warning(
                "bf16 moved probabilities by %.2e (> %.2e): falling back to fp32", diff, tolerance
            )
            self.precision = "fp32"
            return ref
        if auto:
            self.precision = "bf16" if speedup >= _AUTO_BF16_GAIN else "fp32"
            _log.info("precision auto: bf16 ran %.2fx fp32's speed on this %s; using %s",
                      speedup, self.device.type, self.precision)
            return low if self.precision == "bf16" else ref
        if speedup < 1 / 1.2:
            _log.warning(
                "bf16 ran %.1fx slower than fp32 on this %s (no native bfloat16?): "
                "precision='fp32' is faster here", 1 / max(speedup, 1e-9), self.device.type)
        _log.info("bf16 inference: probabilities within %.2e of fp32", diff)
        return low


def prepare_runner(
    network: torch.nn.Module,
    example: np.ndarray,
    *,
    device: str = "auto",
    precision: str = "fp32",
    compile: bool = True,
) -> Runner:
    """Prepare ``network`` for inference on inputs shaped like ``example`` ``(n, T, F)``."""
    if precision not in PRECISIONS:
        raise ConfigError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    dev = resolve_device(device)
    net = copy.deepcopy(network).eval().to(dev)
    if dev.type == "cpu":
        net = net.to(memory_format=torch.channels_last)
    forward: Callable[[torch.Tensor], torch.Tensor] = net
    how = "eager"
    if compile:
        x = torch.from_numpy(np.ascontiguousarray(example, dtype=np.float32)).unsqueeze(1)
        x = x.to(dev).contiguous(memory_format=torch.channels_last)
        try:
            with warnings.catch_warnings(), torch.no_grad():
                warnings.simplefilter("ignore", DeprecationWarning)
                traced = torch.jit.trace(net, x, check_trace=False)
                frozen = torch.jit.freeze(traced)
                frozen(x)  # run once: fusion passes happen on the first calls
            forward, how = frozen, "torchscript-frozen"
        except Exception as exc:  # any tracing failure falls back to the eager network
            _log.warning("TorchScript trace/freeze failed (%s); running eager", exc)
    return Runner(forward=forward, eager=net, device=dev, precision=precision, compiled=how)
