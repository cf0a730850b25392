"""Import ANIMAL-SPOT model files (``ANIMAL-SPOT.pk``) into a :class:`ModelBundle`.

An ANIMAL-SPOT file is a torch-saved dict with ``encoderOpts``, ``classifierOpts``,
``dataOpts``, ``encoderState``, ``classifierState`` and ``classes``. It is read with
``torch.load(weights_only=True)``: anything but tensors and primitives is refused. The window
length and the normalisation are not stored by ANIMAL-SPOT, so the caller supplies them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from alpacaspot.errors import ModelError
from alpacaspot.models.model_bundle import ModelBundle
from alpacaspot.models.network import build_model
from alpacaspot.models.torchfile import load_weights_only

__all__ = ["import_animalspot_model", "bundle_from_animalspot"]

_REQUIRED = ("encoderOpts", "classifierOpts", "dataOpts", "encoderState", "classifierState")


def _opt(opts: Any, key: str, default: Any, path: Path, where: str) -> Any:
    if not isinstance(opts, dict):
        raise ModelError(f"{where} must be a dict, got {type(opts).__name__}", path=path)
    value = opts.get(key, default)
    if value is None:
        raise ModelError(f"{where} lacks {key!r}", path=path)
    return value


def _classes(raw: Any, n: int, path: Path) -> tuple[str, ...]:
    if raw is None:
        return ("noise", "target") if n == 2 else tuple(f"class{i}" for i in range(n))
    if isinstance(raw, dict):
        # name -> index (ANIMAL-SPOT's class dictionary)
        try:
            pairs = sorted((int(i), str(name)) for name, i in raw.items())
        except (TypeError, ValueError):
            raise ModelError(f"classes must map names to indices, got {raw!r}",
                             path=path) from None
        names = tuple(name for _, name in pairs)
    elif isinstance(raw, (list, tuple)):
        names = tuple(str(c) for c in raw)
    else:
        raise ModelError(f"classes must be a dict or list, got {type(raw).__name__}", path=path)
    if len(names) != n:
        raise ModelError(f"{len(names)} classes {names} but {n} network outputs", path=path)
    return names


def _check_state(state: Any, where: str, path: Path) -> dict[str, torch.Tensor]:
    if not isinstance(state, dict) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()
    ):
        raise ModelError(f"{where} must be a dict of name -> tensor", path=path)
    return dict(state)


def bundle_from_animalspot(
    payload: dict[str, Any],
    *,
    path: str | os.PathLike[str],
    sequence_len_s: float,
    normalization: str = "minmax",
) -> ModelBundle:
    """Build a bundle from an already loaded ANIMAL-SPOT dict (see :func:`import_animalspot_model`).

    Examples
    --------
    >>> payload = torch.load("ANIMAL-SPOT.pk", weights_only=True)  # doctest: +SKIP
    >>> bundle_from_animalspot(payload, path="ANIMAL-SPOT.pk", sequence_len_s=0.4)  # doctest: +SKIP
    """
    from alpacaspot.dsp import SpectrogramConfig

    path = Path(path)
    missing = [k for k in _REQUIRED if k not in payload]
    if missing:
        raise ModelError(f"ANIMAL-SPOT model file lacks {missing}", path=path)
    enc, cls, data = payload["encoderOpts"], payload["classifierOpts"], payload["dataOpts"]
    enc_state = _check_state(payload["encoderState"], "encoderState", path)
    cls_state = _check_state(payload["classifierState"], "classifierState", path)
    if "conv1.weight" not in enc_state or "linear.weight" not in cls_state:
        raise ModelError("state dicts lack 'conv1.weight' / 'linear.weight'", path=path)
    width = int(enc_state["conv1.weight"].shape[0])
    num_classes = int(_opt(cls, "num_classes", cls_state["linear.weight"].shape[0], path,
                           "classifierOpts"))
    pooling = str(_opt(cls, "pooling", "avg", path, "classifierOpts"))
    pooling = {"mean": "avg", "average": "avg", "avg": "avg", "max": "max"}.get(pooling, pooling)
    try:
        network = build_model(
            resnet=int(_opt(enc, "resnet_size", 18, path, "encoderOpts")),
            num_classes=num_classes,
            conv_kernel_size=int(_opt(enc, "conv_kernel_size", 7, path, "encoderOpts")),
            max_pool=int(_opt(enc, "max_pool", 2, path, "encoderOpts")),
            in_channels=int(_opt(enc, "input_channels", 1, path, "encoderOpts")),
            width=width,
            pooling=pooling,
        )
    except (ValueError, TypeError, ModelError) as exc:
        raise ModelError(f"unsupported encoder/classifier options: {exc}", path=path) from None
    except Exception as exc:  # ConfigError from build_model
        raise ModelError(f"unsupported encoder/classifier options: {exc}", path=path) from None
    state = {f"encoder.{k}": v for k, v in enc_state.items()}
    state.update({f"classifier.{k}": v for k, v in cls_state.items()})
    try:
        network.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise ModelError(
            f"weights do not fit an ANIMAL-SPOT ResNet: {str(exc).splitlines()[0]}", path=path
        ) from None
    if not isinstance(data, dict):
        raise ModelError("dataOpts must be a dict", path=path)
    try:
        spec = SpectrogramConfig.from_animalspot_data_opts(
            dict(data), normalization=normalization, path=path
        )
    except ModelError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise ModelError(f"bad dataOpts {dict(data)!r}: {exc}", path=path) from None
    classes = _classes(payload.get("classes"), num_classes, path)
    network.eval()
    return ModelBundle(
        network=network,
        spectrogram_config=spec,
        window_s=float(sequence_len_s),
        classes=classes,
        provenance={
            "source": "animalspot",
            "path": str(path),
            "dataOpts": {str(k): v for k, v in data.items()},
            "sequence_len_s": float(sequence_len_s),
            "normalization": normalization,
        },
        architecture=dict(network.architecture),
        resampler="kaiser_best",  # ANIMAL-SPOT resamples with resampy's kaiser_best
    )


def import_animalspot_model(
    path: str | os.PathLike[str],
    *,
    sequence_len_s: float,
    normalization: str = "minmax",
    device: str = "cpu",
) -> ModelBundle:
    """Load an ANIMAL-SPOT ``.pk`` model file into our network.

    Parameters
    ----------
    path : str or os.PathLike
        The ``ANIMAL-SPOT.pk`` file.
    sequence_len_s : float
        Window length in seconds (ANIMAL-SPOT's ``sequence_len``; not stored in its files).
    normalization : str
        ``"minmax"`` when trained with ``min_max_norm``, else the dB-range normalisation name
        of :class:`alpacaspot.dsp.SpectrogramConfig`.
    device : str
        Torch device for the network.

    Returns
    -------
    ModelBundle

    Raises
    ------
    ModelError
        When the file is not such a dict, holds anything but tensors and primitives, or its
        weights do not fit; the message names the file.

    Examples
    --------
    >>> bundle = import_animalspot_model("ANIMAL-SPOT.pk", sequence_len_s=0.4)  # doctest: +SKIP
    >>> bundle.classes  # doctest: +SKIP
    ('noise', 'target')
    """
    path = Path(path)
    payload = load_weights_only(path, device)
    if not isinstance(payload, dict):
        raise ModelError(
            f"expected an ANIMAL-SPOT dict with keys {list(_REQUIRED)}, got "
            f"{type(payload).__name__}",
            path=path,
        )
    bundle = bundle_from_animalspot(
        payload, path=path, sequence_len_s=sequence_len_s, normalization=normalization
    )
    bundle.network.to(device).eval()
    return bundle
