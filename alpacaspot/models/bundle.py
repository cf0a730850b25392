"""Self-describing model files: network weights plus every preprocessing setting.

A model file holds the network's state dict, the :func:`build_model` arguments, the full
spectrogram config (normalisation included), the window length and the ordered class names,
so prediction takes every setting from the file and cannot drift from training. Files are
written atomically and read with ``torch.load(weights_only=True)``: plain tensors and
primitives only, no code execution. Metadata is stored as one JSON string.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from alpacaspot._atomic import atomic_write_bytes
from alpacaspot.errors import ConfigError, ModelError
from alpacaspot.events import PostprocessConfig
from alpacaspot.io.audio import DEFAULT_RESAMPLER, RESAMPLERS

if TYPE_CHECKING:  # pragma: no cover
    from alpacaspot.dsp import SpectrogramConfig

__all__ = ["ModelBundle", "save_model", "load_model", "MODEL_FORMAT", "MODEL_FORMAT_VERSION"]

MODEL_FORMAT = "alpacaspot-model"
MODEL_FORMAT_VERSION = 1


@dataclass
class ModelBundle:
    """A trained network with everything needed to feed it.

    Attributes
    ----------
    network : torch.nn.Module
        The classifier (logits out).
    spectrogram_config : SpectrogramConfig
        Front end of training, normalisation included.
    window_s : float
        Window length in seconds the network was trained on.
    classes : tuple of str
        Class names in logit order, e.g. ``("noise", "target")``.
    provenance : dict
        JSON-compatible facts: data variant, config, epoch, metrics, package version.
    architecture : dict
        The :func:`build_model` keyword arguments.
    operating_point : PostprocessConfig, optional
        Threshold and post-processing chosen on validation recordings
        (:func:`alpacaspot.detect.calibrate`); prediction stores it with the window scores so
        that ``scores_to_events(scores)`` uses it. None for uncalibrated (and older) models.
    temperature : float
        Calibration temperature applied to the probabilities prediction returns
        (``softmax(logits / temperature)``); 1.0 leaves them as the network gives them.
    resampler : {"polyphase", "kaiser_best"}
        How audio at another sample rate is brought to ``spectrogram_config.sr``, in training
        and in prediction (:func:`alpacaspot.io.read_audio`). alpacaspot's models use
        ``"polyphase"`` (also assumed for files that state none); models imported from
        ANIMAL-SPOT use ``"kaiser_best"``, as ANIMAL-SPOT resamples.

    Examples
    --------
    >>> from alpacaspot.dsp import SpectrogramConfig  # doctest: +SKIP
    >>> cfg = SpectrogramConfig(sr=48000, n_fft=2048, hop_length=1024, fmin=0, fmax=4000,
    ...                         n_freq_bins=128)  # doctest: +SKIP
    >>> b = ModelBundle(build_model(width=8), cfg, 0.4, ("noise", "target"))  # doctest: +SKIP
    >>> b.window_frames  # doctest: +SKIP
    17
    """

    network: nn.Module
    spectrogram_config: SpectrogramConfig
    window_s: float
    classes: tuple[str, ...]
    provenance: dict[str, Any] = field(default_factory=dict)
    architecture: dict[str, Any] = field(default_factory=dict)
    operating_point: PostprocessConfig | None = None
    temperature: float = 1.0
    resampler: str = DEFAULT_RESAMPLER

    def __post_init__(self) -> None:
        if self.resampler not in RESAMPLERS:
            raise ConfigError(f"resampler must be one of {RESAMPLERS}, got {self.resampler!r}")
        self.classes = tuple(str(c) for c in self.classes)
        self.window_s = float(self.window_s)
        if self.operating_point is not None and not isinstance(self.operating_point,
                                                               PostprocessConfig):
            raise ConfigError("operating_point must be a PostprocessConfig or None, got "
                              f"{type(self.operating_point).__name__}")
        t = self.temperature
        if isinstance(t, bool) or not isinstance(t, (int, float)) or not (
                math.isfinite(t) and t > 0):
            raise ConfigError(f"temperature must be a finite number > 0, got {t!r}")
        self.temperature = float(t)
        if not self.architecture:
            self.architecture = dict(getattr(self.network, "architecture", {}))

    @property
    def window_frames(self) -> int:
        """Spectrogram frames of one window: ``1 + (ceil(window_s*sr) - n_fft) // hop``."""
        return int(self.spectrogram_config.window_frames(self.window_s))

    @property
    def normalization(self) -> str:
        """The spectrogram normalisation (stored in the spectrogram config)."""
        return str(self.spectrogram_config.normalization)

    def fingerprint(self) -> str:
        """A short hash of the weights and every setting that shapes the model's scores.

        Two bundles with the same fingerprint give the same window scores; stored scores
        carry it, so scores of another model are never reused by mistake. The calibration
        temperature and the operating point count only when set (temperature other than 1,
        an operating point), so a model without them keeps the fingerprint it had before
        they existed and its stored scores stay valid.

        Examples
        --------
        >>> a = ModelBundle(build_model(width=8), cfg, 0.4, ("noise", "target"))  # doctest: +SKIP
        >>> a.fingerprint() == a.fingerprint()  # doctest: +SKIP
        True
        """
        digest = hashlib.sha256()
        meta = {
            "architecture": dict(self.architecture or {}),
            "spectrogram_config": self.spectrogram_config.to_dict(),
            "window_s": float(self.window_s),
            "classes": list(self.classes),
        }
        if self.temperature != 1.0:
            meta["temperature"] = self.temperature
        if self.resampler != DEFAULT_RESAMPLER:
            meta["resampler"] = self.resampler
        if self.operating_point is not None:
            meta["operating_point"] = json.loads(self.operating_point.to_json())
        digest.update(json.dumps(_json_safe(meta), sort_keys=True).encode("utf-8"))
        for name, value in sorted(self.network.state_dict().items()):
            tensor = value.detach().to("cpu").contiguous()
            digest.update(name.encode("utf-8"))
            digest.update(str(tuple(tensor.shape)).encode("utf-8"))
            digest.update(tensor.view(-1).view(torch.uint8).numpy().tobytes()
                          if tensor.numel() else b"")
        return digest.hexdigest()[:16]

    @property
    def target_index(self) -> int:
        """Index of the ``target`` class (the last class when there is none)."""
        return self.classes.index("target") if "target" in self.classes else len(self.classes) - 1


def _json_safe(value: Any) -> Any:
    """Round-trip through JSON so that only primitives are stored."""
    return json.loads(json.dumps(value, default=str, sort_keys=True))


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
        "meta_json": json.dumps(_json_safe(meta), sort_keys=True),
        "state_dict": state,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()  # saved via a buffer: the archive's inner name never varies
    torch.save(payload, buffer)
    atomic_write_bytes(path, buffer.getvalue())
    return path


_UNSUPPORTED = re.compile(r"Unsupported global: GLOBAL ([A-Za-z0-9_.]+)")


def _torch_load(path: Path, device: str) -> Any:
    if not path.is_file():
        raise ModelError("model file not found", path=path)
    not_model = ("not a model file: expected a torch file written by save_model or an "
                 "ANIMAL-SPOT .pk")
    try:
        with open(path, "rb") as fh:
            head = fh.read(4)
    except OSError as exc:
        raise ModelError(f"cannot read the model file ({exc.strerror})", path=path) from None
    if not head.startswith((b"PK\x03\x04", b"\x80")):  # torch zip, legacy torch pickle
        raise ModelError(f"{not_model} (the file starts with {head!r})", path=path)
    try:
        return torch.load(path, map_location=device, weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any unpickling failure is a bad file
        text = str(exc)
        if "weights only load failed" in text.lower() or "weights_only" in text.lower():
            found = _UNSUPPORTED.search(text)
            what = f" ({found.group(1)})" if found else ""
            # torch's own message ends with a hint to switch the protection off: never shown
            raise ModelError(
                "refused to load: the file holds Python objects other than tensors and "
                f"primitives{what}, which could run code when loaded; alpacaspot loads only "
                "weights (save the model again with save_model)",
                path=path,
            ) from None
        raise ModelError(f"{not_model} ({type(exc).__name__} while reading it)",
                         path=path) from None


def _bundle_from_payload(payload: dict[str, Any], path: Path, device: str) -> ModelBundle:
    from alpacaspot.dsp import SpectrogramConfig
    from alpacaspot.models.network import build_model

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
        net = build_model(**arch)
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
    payload = _torch_load(path, device)
    if isinstance(payload, dict) and payload.get("format") == MODEL_FORMAT:
        return _bundle_from_payload(payload, path, device)
    if isinstance(payload, dict) and "encoderState" in payload:
        from alpacaspot.models.animalspot_import import bundle_from_animalspot

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
