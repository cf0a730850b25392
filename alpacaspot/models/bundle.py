"""Self-describing model files: network weights plus every preprocessing setting.

:func:`save_model` writes a :class:`~alpacaspot.models.model_bundle.ModelBundle` (re-exported
here), :func:`load_model` reads alpacaspot's model files and ANIMAL-SPOT's.

A model file holds the network's state dict, the :func:`build_model` arguments, the full
spectrogram config (normalisation included), the window length and the ordered class names,
so prediction takes every setting from the file and cannot drift from training. Files are
written atomically and read with ``torch.load(weights_only=True)``: plain tensors and
primitives only, no code execution. Metadata is stored as one JSON string.
"""

from __future__ import annotations

import io
import json
import math
import os
from pathlib import Path
from typing import Any

import torch

from alpacaspot._atomic import atomic_write_bytes
from alpacaspot.errors import ConfigError, ModelError
from alpacaspot.events import PostprocessConfig
from alpacaspot.io.audio import DEFAULT_RESAMPLER, RESAMPLERS
from alpacaspot.models.animalspot_import import bundle_from_animalspot
from alpacaspot.models.model_bundle import ModelBundle, json_safe
from alpacaspot.models.torchfile import load_weights_only

__all__ = ["ModelBundle", "save_model", "load_model", "MODEL_FORMAT", "MODEL_FORMAT_VERSION"]

MODEL_FORMAT = "alpacaspot-model"
MODEL_FORMAT_VERSION = 1


def save_model(path: str | os.PathLike[str], bundle: ModelBundle) -> Path:
    """Write a model bundle to one file, atomically.

    Parameters
    ----------
    path : str or os.PathLike
        Target file (conventionally ``<model_dir>/model.pt``); parent folders are created.
    bundle : ModelBundle
        What to store. ``bundle.architecture`` must hold the :func:`build_model` arguments.

    Returns
    -------
    pathlib.Path
        The written path.

    Examples
    --------
    >>> save_model("model.pt", bundle)  # doctest: +SKIP
    PosixPath('model.pt')
    """
    path = Path(path)
    arch = dict(bundle.architecture or getattr(bundle.network, "architecture", {}))
    if not arch:
        raise ModelError("the bundle has no architecture (build_model arguments)", path=path)
    meta = {
        "format": MODEL_FORMAT,
        "format_version": MODEL_FORMAT_VERSION,
        "architecture": arch,
        "spectrogram_config": bundle.spectrogram_config.to_dict(),
        "window_s": float(bundle.window_s),
        "classes": list(bundle.classes),
        "provenance": bundle.provenance,
        "temperature": float(bundle.temperature),
        "resampler": bundle.resampler,
        "operating_point": (None if bundle.operating_point is None
                            else json.loads(bundle.operating_point.to_json())),
    }
    state = {k: v.detach().to("cpu").clone() for k, v in bundle.network.state_dict().items()}
    payload = {
        "format": MODEL_FORMAT,
        "meta_json": json.dumps(json_safe(meta), sort_keys=True),
        "state_dict": state,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()  # saved via a buffer: the archive's inner name never varies
    torch.save(payload, buffer)
    atomic_write_bytes(path, buffer.getvalue())
    return path


def _bundle_from_payload(payload: dict[str, Any], path: Path, device: str) -> ModelBundle:
    from alpacaspot.dsp import SpectrogramConfig
    from alpacaspot.models.seed_ensemble import network_from_architecture

    try:
        meta = json.loads(payload["meta_json"])
        arch = meta["architecture"]
        spec = SpectrogramConfig.from_dict(meta["spectrogram_config"])
        window_s = float(meta["window_s"])
        classes = tuple(meta["classes"])
    except Exception as exc:  # noqa: BLE001
        raise ModelError(f"corrupt model metadata: {exc!r}", path=path) from None
    temperature = meta.get("temperature", 1.0)
    resampler = meta.get("resampler", DEFAULT_RESAMPLER)  # files before it was stored
    if resampler not in RESAMPLERS:
        raise ModelError(f"stored resampler must be one of {RESAMPLERS}, got {resampler!r}",
                         path=path)
    try:
        stored = meta.get("operating_point")
        op = None if stored is None else PostprocessConfig.from_json(stored)
    except ConfigError as exc:
        raise ModelError(f"unusable stored operating point: {exc.message}", path=path) from None
    if meta.get("format_version", 0) > MODEL_FORMAT_VERSION:
        raise ModelError(
            f"model format version {meta['format_version']} is newer than this alpacaspot "
            f"supports ({MODEL_FORMAT_VERSION})",
            path=path,
        )
    try:
        net = network_from_architecture(arch)
        net.load_state_dict(payload["state_dict"])
    except Exception as exc:  # noqa: BLE001
        raise ModelError(f"weights do not fit the stored architecture {arch}: {exc}",
                         path=path) from None
    net.to(device).eval()
    return ModelBundle(
        network=net,
        spectrogram_config=spec,
        window_s=window_s,
        classes=classes,
        provenance=dict(meta.get("provenance") or {}),
        architecture=dict(arch),
        operating_point=op,
        temperature=_temperature(temperature, path),
        resampler=resampler,
    )


def _temperature(value: Any, path: Path) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
            math.isfinite(value) and value > 0):
        raise ModelError(f"stored temperature must be a finite number > 0, got {value!r}",
                         path=path)
    return float(value)


def load_model(
    path: str | os.PathLike[str],
    *,
    device: str = "cpu",
    sequence_len_s: float | None = None,
    normalization: str = "minmax",
) -> ModelBundle:
    """Load a model file written by :func:`save_model` or an ANIMAL-SPOT ``.pk`` file.

    Parameters
    ----------
    path : str or os.PathLike
        ``model.pt`` of ours, or ANIMAL-SPOT's ``ANIMAL-SPOT.pk``.
    device : str
        Torch device for the network (``"cpu"``, ``"cuda"``, ...).
    sequence_len_s, normalization
        Only for ANIMAL-SPOT files, which do not store them: the window length in seconds
        (required for such files) and the normalisation (``"minmax"`` for ``min_max_norm``).
        Ignored for our own files, which store both.

    Returns
    -------
    ModelBundle
        The network in eval mode on ``device`` with its preprocessing settings.

    Raises
    ------
    ModelError
        Missing file, a file holding anything but tensors and primitives, or weights that do
        not fit; the message names the file.

    Examples
    --------
    >>> bundle = load_model("TRAINING/runs/models/v1/models/model.pt")  # doctest: +SKIP
    >>> bundle.classes, bundle.window_frames  # doctest: +SKIP
    (('noise', 'target'), 17)
    """
    path = Path(path)
    payload = load_weights_only(path, device)
    if isinstance(payload, dict) and payload.get("format") == MODEL_FORMAT:
        return _bundle_from_payload(payload, path, device)
    if isinstance(payload, dict) and "encoderState" in payload:
        if sequence_len_s is None:
            raise ModelError(
                "ANIMAL-SPOT model files do not store the window length: pass "
                "sequence_len_s (the predict.cfg's sequence_len, in seconds)",
                path=path,
            )
        bundle = bundle_from_animalspot(
            payload, path=path, sequence_len_s=sequence_len_s, normalization=normalization
        )
        bundle.network.to(device).eval()
        return bundle
    raise ModelError(
        "not an alpacaspot or ANIMAL-SPOT model file (expected a dict with "
        f"'format': '{MODEL_FORMAT}' or ANIMAL-SPOT's 'encoderState')",
        path=path,
    )
