"""Calibrate a trained model on validation recordings: temperature and operating point.

:func:`calibrate` scores whole validation recordings (exact mode), fits a temperature on
their windows (a window is positive when its centre lies in an annotated event of the
target label), and chooses the threshold and post-processing settings by event F1 on the
calibrated scores (:func:`alpacaspot.evaluate.calibration.choose_operating_point`). The
returned bundle carries both; :func:`predict_scores` then returns calibrated probabilities
with the operating point attached, and ``scores_to_events(scores)`` needs no threshold.

The validation recordings must be held out by tape from training (the windows of a
training tape are not a fair test of calibration) and must never be the benchmark's
recordings: the operating point is chosen before the test, as it will be in the field.

(The module is not named ``calibrate``, so that ``alpacaspot.detect.calibrate`` stays the
function after this module has been imported.)
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from alpacaspot.detect._inputs import resolve_inputs
from alpacaspot.detect.inference import predict_scores
from alpacaspot.errors import ConfigError
from alpacaspot.evaluate.calibration import (
    TEMPERATURE_BOUNDS,
    apply_temperature,
    choose_operating_point,
    expected_calibration_error,
    fit_temperature,
    window_labels,
)
from alpacaspot.evaluate.groundtruth import GroundTruthSource, load_ground_truth
from alpacaspot.events import PostprocessConfig
from alpacaspot.models.bundle import ModelBundle

__all__ = ["calibrate", "CALIBRATION_KEY"]

_log = logging.getLogger(__name__)

CALIBRATION_KEY = "calibration"
"""Key of the calibration record in ``ModelBundle.provenance``."""

PathLike = str | os.PathLike[str]


def _uncalibrated(bundle: ModelBundle) -> ModelBundle:
    return dataclasses.replace(bundle, temperature=1.0, operating_point=None)


def _inputs_digest(bundle: ModelBundle, files: list[tuple[Any, str]], gt: pd.DataFrame,
                   settings: dict[str, Any]) -> str:
    """What a calibration depends on: weights, audio contents, ground truth, settings."""
    h = hashlib.sha256()
    h.update(_uncalibrated(bundle).fingerprint().encode())
    for path, rec in files:
        h.update(f"\n{rec}\n".encode())
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    events = gt[["recording", "begin_s", "end_s"]].sort_values(
        ["recording", "begin_s", "end_s"], kind="stable")
    h.update(events.to_json(orient="values", double_precision=15).encode())
    h.update(json.dumps(settings, sort_keys=True, default=str).encode())
    return h.hexdigest()[:16]


def calibrate(
    bundle: ModelBundle,
    audio: PathLike | Sequence[PathLike],
    ground_truth: GroundTruthSource,
    *,
    hop_s: float,
    labels: Sequence[str] | None = None,
    root: PathLike | None = None,
    temperature: float | None = None,
    thresholds: Iterable[float] | None = None,
    curves: Sequence[str] = ("mean", "centre"),
    merge_gaps_s: Sequence[float] = (0.0, 0.1, 0.2),
    min_durations_s: Sequence[float] = (0.0, 0.05, 0.1),
    base: PostprocessConfig | None = None,
    iou: float = 0.4,
    f1_tolerance: float | None = None,
    n_bins: int = 15,
    batch_size: int = 64,
    device: str = "auto",
    num_threads: int | None = None,
    progress: bool | None = None,
) -> ModelBundle:
    """A copy of ``bundle`` calibrated on validation recordings.

    Parameters
    ----------
    bundle : ModelBundle
        The trained model (an earlier calibration is replaced; the weights are not touched).
    audio : path-like or sequence of path-like
        Validation recordings (files or a folder): tapes held out from training, never the
        benchmark's.
    ground_truth : DataFrame or path
        Their annotations (see :func:`alpacaspot.evaluate.load_ground_truth`); ``recording``
        names must match those of the scores (relative to ``root``).
    hop_s : float
        Window step of the validation prediction (use the step you will predict with).
    labels : sequence of str, optional
        Ground-truth labels the model detects (e.g. ``("hum",)``); all when None.
    root : path-like, optional
        Folder the recording names are relative to (as for :func:`predict_scores`).
    temperature : float, optional
        Use this temperature instead of fitting one (1.0: probabilities left as they are).
    thresholds, curves, merge_gaps_s, min_durations_s, base, iou, f1_tolerance
        The operating-point search (see
        :func:`~alpacaspot.evaluate.calibration.choose_operating_point`).
    n_bins : int
        Bins of the expected calibration error.
    batch_size, device, num_threads, progress
        As for :func:`predict_scores`.

    Returns
    -------
    ModelBundle
        The same network with ``temperature`` and ``operating_point`` set and
        ``provenance["calibration"]`` recording the temperature, the expected calibration
        error of the validation windows before and after, the validation event F1,
        precision and recall at the operating point, the recordings used and a digest of
        the inputs. When ``bundle`` was already calibrated with the same inputs (weights,
        audio, annotations, settings) it is returned as is.

    Raises
    ------
    ConfigError
        No target event in the validation recordings, or annotations naming none of the
        scored recordings (a ``root`` mismatch).

    Examples
    --------
    >>> from alpacaspot.models import load_model, save_model  # doctest: +SKIP
    >>> model = load_model("TRAINING/runs/models/v1/models/model.pt")  # doctest: +SKIP
    >>> val = ["corpus/tape07/a.wav", "corpus/tape07/b.wav"]  # doctest: +SKIP
    >>> model = calibrate(model, val, "corpus", root="corpus", hop_s=0.05,
    ...                   labels=["hum"])  # doctest: +SKIP
    >>> model.operating_point.threshold  # doctest: +SKIP
    0.45
    """
    files = resolve_inputs(audio, root=root)
    names = {rec for _, rec in files}
    truth = load_ground_truth(ground_truth, labels=labels)
    truth = truth[truth["recording"].astype(str).isin(names)].reset_index(drop=True)
    if truth.empty:
        raise ConfigError(
            f"no {'/'.join(labels) if labels else 'annotated'} event in the "
            f"{len(names)} validation recording(s) ({sorted(names)[:3]}...): nothing to "
            "calibrate on; check that the annotations name the recordings relative to root")
    settings = {"hop_s": float(hop_s), "labels": sorted(labels) if labels else None,
                "temperature": temperature, "thresholds": None if thresholds is None
                else sorted(float(t) for t in thresholds), "curves": list(curves),
                "merge_gaps_s": [float(g) for g in merge_gaps_s],
                "min_durations_s": [float(d) for d in min_durations_s],
                "base": None if base is None else base.to_json(), "iou": float(iou),
                "f1_tolerance": "standard_error" if f1_tolerance is None
                else float(f1_tolerance), "n_bins": int(n_bins)}
    digest = _inputs_digest(bundle, files, truth, settings)
    done = (bundle.provenance or {}).get(CALIBRATION_KEY) or {}
    if done.get("inputs") == digest and bundle.operating_point is not None:
        _log.info("model already calibrated on these inputs (%s); nothing to do", digest)
        return bundle

    raw = _uncalibrated(bundle)
    scores = predict_scores(raw, audio, hop_s=hop_s, root=root, mode="exact",
                            batch_size=batch_size, device=device, num_threads=num_threads,
                            progress=progress)
    if scores.attrs.get("failed"):
        raise ConfigError(f"validation recordings could not be read: {scores.attrs['failed']}")
    columns = [f"p_{c}" for c in bundle.classes]
    probs = scores[columns].to_numpy(np.float64)
    positive = window_labels(scores, truth)
    target = bundle.target_index
    negative = bundle.classes.index("noise") if "noise" in bundle.classes else (
        0 if target != 0 else 1)
    y = np.where(positive, target, negative)
    t = fit_temperature(probs, y) if temperature is None else float(temperature)
    calibrated = apply_temperature(probs, t)
    cal_scores = scores.copy()
    cal_scores[columns] = calibrated
    op, table = choose_operating_point(
        cal_scores, truth, thresholds=thresholds, curves=curves, merge_gaps_s=merge_gaps_s,
        min_durations_s=min_durations_s, base=base, iou=iou, f1_tolerance=f1_tolerance)
    at = table[table["chosen"]].iloc[0]
    record = {
        "temperature": t,
        "temperature_fitted": temperature is None,
        "ece_before": expected_calibration_error(probs, y, n_bins),
        "ece_after": expected_calibration_error(calibrated, y, n_bins),
        "n_bins": int(n_bins),
        "n_windows": int(len(y)),
        "n_positive_windows": int(positive.sum()),
        "n_events": int(len(truth)),
        "recordings": sorted(names),
        "threshold": float(op.threshold or 0.0),
        "f1": float(at["f1"]),
        "precision": float(at["precision"]),
        "recall": float(at["recall"]),
        "best_f1": float(table["f1"].max()),
        "f1_tolerance": float(table.attrs["f1_tolerance"]),
        "iou": float(iou),
        "hop_s": float(hop_s),
        "uncalibrated_fingerprint": raw.fingerprint(),
        "inputs": digest,
    }
    _log.info("calibrated on %d recording(s), %d events: T=%.3g, ECE %.3f -> %.3f, "
              "operating point %s, validation F1 %.3f", len(names), len(truth), t,
              record["ece_before"], record["ece_after"], op.to_cfg_items(), record["f1"])
    if record["f1"] == 0.0 or np.isclose(t, TEMPERATURE_BOUNDS, rtol=1e-3).any():
        _log.warning("calibration found no useful operating point (validation F1 %.3f, "
                     "temperature %.3g at the edge of %s): the model detects nothing on its "
                     "validation tapes; train it longer", record["f1"], t, TEMPERATURE_BOUNDS)
    provenance = {**dict(bundle.provenance or {}), CALIBRATION_KEY: record}
    return dataclasses.replace(bundle, provenance=provenance, temperature=t,
                               operating_point=op)
