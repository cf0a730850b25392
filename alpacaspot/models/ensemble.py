"""Seed ensembles: several trained networks of one architecture as one model.

Networks trained alike but from other seeds disagree on the faint and the odd windows; the
mean of their class probabilities scores more steadily than any one of them. An ensemble is
an ordinary :class:`~alpacaspot.models.ModelBundle` whose network is a
:class:`~alpacaspot.models.SeedEnsemble`, so prediction, calibration
(:func:`alpacaspot.detect.calibrate`: one temperature and an operating point for the
ensemble), stored scores and model files work as for one network, at the members' summed
prediction cost. The model file stores the members' weights one after the other and
``"ensemble": <number of members>`` in its architecture. Shared mode and the export to
ANIMAL-SPOT run one network and refuse ensembles.
"""

from __future__ import annotations

import copy
import dataclasses
import os
from collections.abc import Sequence
from pathlib import Path

from alpacaspot.errors import ConfigError
from alpacaspot.models.bundle import load_model
from alpacaspot.models.model_bundle import ModelBundle
from alpacaspot.models.seed_ensemble import ENSEMBLE_KEY, SeedEnsemble

__all__ = ["combine_models"]


def _describe(model: ModelBundle | str | os.PathLike[str], i: int) -> str:
    return f"model {i + 1}" + (f" ({model})" if isinstance(model, (str, os.PathLike)) else "")


def _weights_digest(bundle: ModelBundle) -> str:
    return dataclasses.replace(bundle, temperature=1.0, operating_point=None).fingerprint()


def combine_models(models: Sequence[ModelBundle | str | os.PathLike[str]]) -> ModelBundle:
    """One model that averages the calibrated probabilities of several trained ones.

    Train the same recipe with other seeds, calibrate each model (or not), then combine
    them and calibrate the ensemble on the same held-out recordings: its operating point
    is chosen on the averaged probabilities. Each member keeps its own temperature; their
    operating points are dropped, as the ensemble's scores differ from every member's.

    Parameters
    ----------
    models : sequence of ModelBundle or path
        Two or more models (or their files) with the same architecture, spectrogram
        settings, window, classes and resampler, and different weights.

    Returns
    -------
    ModelBundle
        The ensemble, uncalibrated (temperature 1.0, no operating point);
        ``provenance["ensemble"]`` lists each member's fingerprint, temperature, file (when
        given as one) and provenance.

    Raises
    ------
    ConfigError
        Fewer than two models, a model that is itself an ensemble, members that differ in a
        setting (named, with the model) or two members with the same weights.
    ModelError
        A model file that cannot be read.

    Examples
    --------
    >>> from alpacaspot.detect import calibrate  # doctest: +SKIP
    >>> files = [f"runs/s{s}/models/model.pt" for s in (1, 2, 3)]
    >>> ensemble = combine_models(files)  # doctest: +SKIP
    >>> ensemble = calibrate(ensemble, val_files, "corpus", root="corpus", hop_s=0.05,
    ...                      labels=["hum"])  # doctest: +SKIP
    >>> save_model("ensemble.pt", ensemble)  # doctest: +SKIP
    """
    if isinstance(models, (str, os.PathLike, ModelBundle)) or len(models) < 2:
        raise ConfigError("combine_models needs a sequence of at least two models")
    bundles = [load_model(m) if isinstance(m, (str, os.PathLike)) else m for m in models]
    first = bundles[0]
    settings = {
        "architecture": lambda b: dict(b.architecture or {}),
        "spectrogram settings": lambda b: b.spectrogram_config.to_dict(),
        "window_s": lambda b: float(b.window_s),
        "classes": lambda b: tuple(b.classes),
        "resampler": lambda b: b.resampler,
    }
    digests: dict[str, int] = {}
    for i, (model, bundle) in enumerate(zip(models, bundles, strict=True)):
        if not isinstance(bundle, ModelBundle):
            raise ConfigError(f"{_describe(model, i)} is a {type(bundle).__name__}, not a "
                              "ModelBundle or a model file")
        if ENSEMBLE_KEY in (bundle.architecture or {}):
            raise ConfigError(f"{_describe(model, i)} is already an ensemble; combine its "
                              "members' files instead")
        for what, get in settings.items():
            if get(bundle) != get(first):
                raise ConfigError(f"{_describe(model, i)} differs from model 1 in its {what}: "
                                  f"{get(bundle)!r} against {get(first)!r}")
        digest = _weights_digest(bundle)
        if digest in digests:
            raise ConfigError(f"{_describe(model, i)} holds the same weights as "
                              f"model {digests[digest] + 1}; an ensemble needs different ones")
        digests[digest] = i
    members = [{"fingerprint": b.fingerprint(), "temperature": b.temperature,
                "file": str(Path(m)) if isinstance(m, (str, os.PathLike)) else None,
                "provenance": b.provenance} for m, b in zip(models, bundles, strict=True)]
    network = SeedEnsemble([copy.deepcopy(b.network).eval() for b in bundles],
                           [b.temperature for b in bundles])
    return ModelBundle(
        network=network.eval(),
        spectrogram_config=first.spectrogram_config,
        window_s=first.window_s,
        classes=first.classes,
        provenance={"ensemble": {"members": members}},
        architecture=dict(network.architecture),
        resampler=first.resampler,
    )
