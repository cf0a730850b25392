"""Export a model to ANIMAL-SPOT's model file (``ANIMAL-SPOT.pk``): the way back.

The file is the dict ANIMAL-SPOT's prediction loads: ``encoderOpts``, ``classifierOpts``,
``dataOpts``, ``encoderState``, ``classifierState`` and ``classes``, with its state-dict
names. Only models ANIMAL-SPOT's network and front end can hold are exported: its ResNet at
width 64 on one input channel, average or max pooling, a Hann-window STFT with linear
frequency compression, min-max or dB-range normalisation, and no calibration temperature.
Anything else is refused with an error naming what does not fit. ANIMAL-SPOT does not store
the window length or the normalisation: repeat them in its predict cfg (``sequence_len``,
``min_max_norm``); :func:`export_animalspot_model` logs both.
"""

from __future__ import annotations

import io
import logging
import os
from collections import OrderedDict
from pathlib import Path
from typing import Any

import torch

from alpacaspot._atomic import atomic_write_bytes
from alpacaspot.errors import ModelError
from alpacaspot.models.bundle import ModelBundle
from alpacaspot.models.seed_ensemble import ENSEMBLE_KEY

__all__ = ["export_animalspot_model"]

_log = logging.getLogger(__name__)

_WIDTH = 64  # ANIMAL-SPOT's ResNet has 64 channels in its first stage, always
_FEATURES = {18: 512, 34: 512, 50: 2048}


def _unfit(bundle: ModelBundle) -> list[str]:
    """What of ``bundle`` ANIMAL-SPOT cannot hold (empty when it can)."""
    arch = dict(bundle.architecture or {})
    spec = bundle.spectrogram_config
    problems = []
    known = {"resnet", "num_classes", "conv_kernel_size", "max_pool", "in_channels", "width",
             "pooling"}
    if ENSEMBLE_KEY in arch:
        problems.append(f"an ensemble of {arch[ENSEMBLE_KEY]} networks (ANIMAL-SPOT runs one)")
    extra = sorted(set(arch) - known - {ENSEMBLE_KEY})
    if extra:
        problems.append(f"architecture options ANIMAL-SPOT lacks: {extra}")
    if int(arch.get("width", _WIDTH)) != _WIDTH:
        problems.append(f"width {arch.get('width')} (ANIMAL-SPOT's ResNet has width {_WIDTH})")
    if int(arch.get("resnet", 18)) not in _FEATURES:
        problems.append(f"resnet {arch.get('resnet')} (ANIMAL-SPOT builds 18, 34 or 50)")
    if int(arch.get("in_channels", 1)) != 1:
        problems.append(f"{arch.get('in_channels')} input channels (ANIMAL-SPOT feeds 1)")
    if str(arch.get("pooling", "avg")) not in ("avg", "max"):
        problems.append(f"pooling {arch.get('pooling')!r} (ANIMAL-SPOT pools avg or max)")
    if spec.window != "hann":
        problems.append(f"STFT window {spec.window!r} (ANIMAL-SPOT uses hann)")
    if spec.compression != "linear":
        problems.append(f"frequency compression {spec.compression!r} (exported: linear only)")
    if spec.normalization not in ("minmax", "ref_level"):
        problems.append(f"normalization {spec.normalization!r} (ANIMAL-SPOT has min-max "
                        "and its dB range)")
    if bundle.temperature != 1.0:
        problems.append(f"calibration temperature {bundle.temperature} (ANIMAL-SPOT applies a "
                        "plain softmax)")
    return problems


def _data_opts(bundle: ModelBundle) -> dict[str, Any]:
    spec = bundle.spectrogram_config
    return {
        "sr": int(spec.sr),
        "preemphases": float(spec.preemphasis),
        "n_fft": int(spec.n_fft),
        "hop_length": int(spec.hop_length),
        "n_freq_bins": int(spec.n_freq_bins),
        "fmin": spec.fmin,
        "fmax": spec.fmax,
        "freq_compression": str(spec.compression),
        "min_level_db": spec.min_level_db,
        "ref_level_db": spec.ref_level_db,
    }


def _states(bundle: ModelBundle, path: Path) -> tuple[OrderedDict[str, torch.Tensor],
                                                      OrderedDict[str, torch.Tensor]]:
    encoder: OrderedDict[str, torch.Tensor] = OrderedDict()
    classifier: OrderedDict[str, torch.Tensor] = OrderedDict()
    for name, value in bundle.network.state_dict().items():
        head, _, rest = name.partition(".")
        target = {"encoder": encoder, "classifier": classifier}.get(head)
        if target is None:
            raise ModelError(f"the network holds {name!r}, outside ANIMAL-SPOT's encoder and "
                             "classifier", path=path)
        target[rest] = value.detach().to("cpu").clone()
    return encoder, classifier


def export_animalspot_model(bundle: ModelBundle, path: str | os.PathLike[str]) -> Path:
    """Write ``bundle`` as an ANIMAL-SPOT model file that its ``predict.py`` loads.

    Parameters
    ----------
    bundle : ModelBundle
        A model whose architecture ANIMAL-SPOT can hold (see the module docstring).
    path : str or os.PathLike
        Destination (conventionally ``ANIMAL-SPOT.pk``); written atomically, parent folders
        created.

    Returns
    -------
    pathlib.Path
        The written path.

    Raises
    ------
    ModelError
        When ANIMAL-SPOT cannot hold the model; the message lists every reason.

    Notes
    -----
    :func:`import_animalspot_model` of the file, with ``sequence_len_s=bundle.window_s`` and
    the bundle's normalisation, gives the same network and front end. Its scores then differ
    from the original's only where ANIMAL-SPOT's behaviour is taken on purpose: files at
    another sample rate are resampled with resampy's ``kaiser_best``, and recordings shorter
    than one window are fed as they are. The operating point and the provenance are not
    stored (ANIMAL-SPOT takes its threshold from the predict cfg).

    Examples
    --------
    >>> from alpacaspot.models import load_model  # doctest: +SKIP
    >>> export_animalspot_model(load_model("model.pt"), "ANIMAL-SPOT.pk")  # doctest: +SKIP
    PosixPath('ANIMAL-SPOT.pk')
    """
    path = Path(path)
    problems = _unfit(bundle)
    if problems:
        raise ModelError("ANIMAL-SPOT cannot hold this model: " + "; ".join(problems),
                         path=path)
    arch = dict(bundle.architecture or {})
    resnet = int(arch.get("resnet", 18))
    num_classes = int(arch.get("num_classes", len(bundle.classes)))
    if num_classes != len(bundle.classes):
        raise ModelError(f"{len(bundle.classes)} class names for {num_classes} network outputs",
                         path=path)
    encoder, classifier = _states(bundle, path)
    payload = {
        "encoderOpts": {"input_channels": 1,
                        "conv_kernel_size": int(arch.get("conv_kernel_size", 7)),
                        "max_pool": int(arch.get("max_pool", 2)),
                        "resnet_size": resnet},
        "classifierOpts": {"input_channels": _FEATURES[resnet],
                           "pooling": "max" if arch.get("pooling") == "max" else "avg",
                           "num_classes": num_classes},
        "dataOpts": _data_opts(bundle),
        "encoderState": encoder,
        "classifierState": classifier,
        "classes": {name: i for i, name in enumerate(bundle.classes)},
    }
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, buffer.getvalue())
    if bundle.operating_point is not None:
        _log.warning("%s: the operating point is not stored (ANIMAL-SPOT reads its threshold "
                     "from the predict cfg)", path)
    _log.info("%s: ANIMAL-SPOT's predict cfg needs sequence_len=%g and min_max_norm=%s",
              path, bundle.window_s,
              "true" if bundle.spectrogram_config.normalization == "minmax" else "false")
    return path
