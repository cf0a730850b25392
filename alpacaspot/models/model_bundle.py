"""``ModelBundle``: a trained network with every setting needed to feed it.

Written and read by :mod:`alpacaspot.models.bundle` (alpacaspot's model files) and
:mod:`alpacaspot.models.animalspot_import` (ANIMAL-SPOT's).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from alpacaspot.errors import ConfigError
from alpacaspot.events import PostprocessConfig
from alpacaspot.io.audio import DEFAULT_RESAMPLER, RESAMPLERS

if TYPE_CHECKING:  # pragma: no cover
    from alpacaspot.dsp import SpectrogramConfig

__all__ = ["ModelBundle", "json_safe"]


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
        digest.update(json.dumps(json_safe(meta), sort_keys=True).encode("utf-8"))
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


def json_safe(value: Any) -> Any:
    """``value`` round-tripped through JSON (sorted keys), so that only primitives are stored.

    Examples
    --------
    >>> from pathlib import Path
    >>> json_safe({"b": Path("x"), "a": (1, 2)})
    {'a': [1, 2], 'b': 'x'}
    """
    return json.loads(json.dumps(value, default=str, sort_keys=True))
