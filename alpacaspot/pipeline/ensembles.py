"""The pipeline's ensemble step: trained seeds of one recipe combined into one model.

A training variants file may name seed ensembles beside its variants::

    {"globals": {...},
     "windows_s1": {"dataset": "dataset_windows", "seed": 1},
     "windows_s2": {"dataset": "dataset_windows", "seed": 2},
     "windows_s3": {"dataset": "dataset_windows", "seed": 3},
     "ensembles": {"windows_ens": ["windows_s1", "windows_s2", "windows_s3"]}}

After training and the members' calibration, :func:`combine_ensembles` writes each ensemble
(:func:`alpacaspot.models.combine_models`: the mean of the members' probabilities, each at
its own temperature) to ``<runs_root>/models/<ensemble>/models/model.pt``, where the
benchmark factory finds models. The pipeline then calibrates it on its members' held-out
tapes like any model and benchmarks it beside them. An ensemble whose members are unchanged
(same fingerprints, calibration included) is kept as it is, so a re-run redoes nothing; a
retrained or recalibrated member makes it again, uncalibrated, and calibration follows.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

from alpacaspot.errors import ConfigError, ModelError

__all__ = ["ensemble_model_paths", "combine_ensembles"]

_log = logging.getLogger(__name__)


def ensemble_model_paths(runs_root: str | Path, names: Sequence[str]) -> dict[str, Path]:
    """Ensemble -> ``<runs_root>/models/<ensemble>/models/model.pt``, as trained models lie.

    Examples
    --------
    >>> ensemble_model_paths("TRAINING/runs", ["windows_ens"])["windows_ens"].as_posix()
    'TRAINING/runs/models/windows_ens/models/model.pt'
    """
    return {name: Path(runs_root) / "models" / name / "models" / "model.pt"
            for name in names}


def _stored_members(path: Path) -> list[str] | None:
    """The member fingerprints an existing ensemble file was made from (None: none there)."""
    from alpacaspot.models import load_model

    if not path.is_file():
        return None
    try:
        bundle = load_model(path)
    except ModelError as err:
        _log.warning("ensemble %s cannot be read (%s); it is made again", path, err)
        return None
    members = (bundle.provenance or {}).get("ensemble", {}).get("members", [])
    return [str(m.get("fingerprint")) for m in members]


def combine_ensembles(ensembles: Mapping[str, Sequence[str]],
                      model_paths: Mapping[str, str | Path],
                      runs_root: str | Path) -> dict[str, Path]:
    """Write every ensemble's model file from its members' trained models.

    Parameters
    ----------
    ensembles : mapping
        Ensemble name -> its member variants (:attr:`TrainVariants.ensembles`).
    model_paths : mapping
        Variant -> its trained ``model.pt`` (the training plan's ``model_paths``).
    runs_root : path
        The training runs' root; ensembles go where :func:`ensemble_model_paths` says.

    Returns
    -------
    dict
        Ensemble -> its model file, sorted by name.

    Raises
    ------
    ConfigError
        A member without a model path or without a trained model, or members that
        :func:`~alpacaspot.models.combine_models` refuses (different settings, the same
        weights).
    ModelError
        A member's model file that cannot be read.

    Examples
    --------
    >>> combine_ensembles({"windows_ens": ["windows_s1", "windows_s2"]},
    ...                   plan.model_paths, "TRAINING/runs")  # doctest: +SKIP
    {'windows_ens': PosixPath('TRAINING/runs/models/windows_ens/models/model.pt')}
    """
    from alpacaspot.models import combine_models, load_model, save_model

    targets = ensemble_model_paths(runs_root, sorted(ensembles))
    for name, target in targets.items():
        members = list(ensembles[name])
        unknown = [m for m in members if m not in model_paths]
        if unknown:
            raise ConfigError(f"ensemble {name!r}: no trained model path for {unknown}")
        files = [Path(model_paths[m]) for m in members]
        missing = [str(f) for f in files if not f.is_file()]
        if missing:
            raise ConfigError(f"ensemble {name!r}: members not trained yet: {missing}")
        wanted = [load_model(f).fingerprint() for f in files]
        if _stored_members(target) == wanted:
            _log.info("ensemble %s is up to date with its members %s", name, members)
            continue
        try:
            ensemble = combine_models(files)
        except ConfigError as err:
            raise ConfigError(f"ensemble {name!r}: {err}") from err
        save_model(target, ensemble)
        _log.info("ensemble %s of %s written to %s", name, members, target)
    return targets
