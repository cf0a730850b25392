"""Calibration of a real network on validation WAVs: temperature, operating point, carry-over.

The network is the session's spread random ResNet (tests/detect/conftest.py); the validation
and test recordings are real WAV files written here. Ground truth is made from the network's
own scores, so the threshold the operating point must find is known.
"""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pandas as pd
import pytest
import torch

from alpacaspot.detect import calibrate, predict_scores, scores_to_events
from alpacaspot.errors import ConfigError
from alpacaspot.evaluate import expected_calibration_error, load_scores, window_labels
from alpacaspot.evaluate.calibration import apply_temperature
from alpacaspot.io import read_table_metadata, write_audio
from alpacaspot.models import load_model, save_model

from .conftest import SR, structured_signal

HOP = 0.05


def _tapes(root, seeds, seconds=8.0):
    for k, seed in enumerate(seeds):
        write_audio(root / f"tape{k}" / "rec.wav", structured_signal(seconds, seed=seed), SR)
    return root


@pytest.fixture(scope="module")
def val_dir(tmp_path_factory):
    return _tapes(tmp_path_factory.mktemp("val"), [21, 22, 23])


@pytest.fixture(scope="module")
def raw_val_scores(bundle, val_dir):
    return predict_scores(bundle, val_dir, hop_s=HOP, device="cpu", progress=False)


def test_calibrated_model_stores_threshold_03_and_scores_use_it(
        bundle, val_dir, raw_val_scores, tmp_path):
    # the annotations are the model's own events at threshold 0.3: its scores need 0.3
    gt = scores_to_events(raw_val_scores, threshold=0.3)
    assert 5 < len(gt) < 100
    assert len(scores_to_events(raw_val_scores, threshold=0.5)) != len(gt)
    model = calibrate(bundle, val_dir, gt, hop_s=HOP, temperature=1.0, device="cpu",
                      progress=False)
    op = model.operating_point
    assert op.threshold == pytest.approx(0.3, abs=0.051)
    record = model.provenance["calibration"]
    assert record["f1"] > 0.9 and record["temperature"] == 1.0
    # thresholds within one standard error of the best validation F1 counted as tied
    n = record["n_events"]
    assert record["f1_tolerance"] == pytest.approx(
        np.sqrt(record["best_f1"] * (1 - record["best_f1"]) / n))
    assert record["best_f1"] - record["f1_tolerance"] - 1e-9 <= record["f1"] <= record["best_f1"]
    assert record["recordings"] == ["tape0/rec.wav", "tape1/rec.wav", "tape2/rec.wav"]
    assert bundle.operating_point is None  # the input bundle is left alone

    loaded = load_model(save_model(tmp_path / "model.pt", model))
    assert loaded.operating_point == op
    test_dir = _tapes(tmp_path / "test", [31, 32], seconds=5.0)
    out = tmp_path / "scores"
    scores = predict_scores(loaded, test_dir, hop_s=HOP, device="cpu", out_dir=out,
                            progress=False)
    expected = scores_to_events(scores, op)
    assert len(expected) > 0
    pd.testing.assert_frame_equal(scores_to_events(scores), expected)
    # read back from disk, the scores still carry the operating point
    assert read_table_metadata(out / "tape0" / "rec.wav.parquet")["operating_point"] == op.to_json()
    pd.testing.assert_frame_equal(scores_to_events(load_scores(out)), expected)
    # an explicit threshold still wins
    assert not scores_to_events(load_scores(out), threshold=0.99).equals(expected)


def test_uncalibrated_scores_require_an_explicit_threshold(bundle, val_dir, tmp_path):
    out = tmp_path / "scores"
    scores = predict_scores(bundle, val_dir / "tape0", hop_s=HOP, device="cpu", out_dir=out,
                            progress=False)
    for s in (scores, load_scores(out)):
        assert "operating_point" not in s.attrs
        with pytest.raises(ConfigError, match="no detection threshold: pass threshold="):
            scores_to_events(s)
    assert len(scores_to_events(scores, threshold=0.5)) >= 0


def _over_confident(bundle, factor):
    net = copy.deepcopy(bundle.network)
    with torch.no_grad():
        net.classifier.linear.weight.mul_(factor)
        net.classifier.linear.bias.mul_(factor)
    return dataclasses.replace(bundle, network=net)


def test_fitted_temperature_lowers_calibration_error(bundle, val_dir, raw_val_scores):
    # annotations drawn so that a window is positive with the probability the network gives
    # it; the same network, four times over-confident, is then calibrated on them
    rng = np.random.default_rng(5)
    s = raw_val_scores
    centre = (s["begin_s"] + s["end_s"]).to_numpy() / 2
    drawn = rng.random(len(s)) < s["p_target"].to_numpy()
    gt = pd.DataFrame({"recording": s["recording"][drawn].to_numpy(),
                       "begin_s": centre[drawn] - HOP / 2 + 1e-6,
                       "end_s": centre[drawn] + HOP / 2 - 1e-6})
    assert np.array_equal(window_labels(s, gt), drawn)
    hot = _over_confident(bundle, 4.0)
    model = calibrate(hot, val_dir, gt, hop_s=HOP, device="cpu", progress=False,
                      curves=("centre",), merge_gaps_s=(0.0,), min_durations_s=(0.0,))
    record = model.provenance["calibration"]
    assert record["temperature_fitted"]
    assert 2.5 < model.temperature < 6.0
    assert record["ece_after"] < record["ece_before"] / 2
    assert record["ece_before"] == pytest.approx(
        expected_calibration_error(predict_scores(hot, val_dir, hop_s=HOP, device="cpu",
                                                  progress=False)["p_target"], drawn))
    # prediction returns the calibrated probabilities
    raw = predict_scores(hot, val_dir / "tape1", hop_s=HOP, device="cpu", progress=False)
    cal = predict_scores(model, val_dir / "tape1", hop_s=HOP, device="cpu", progress=False)
    want = apply_temperature(raw[["p_noise", "p_target"]].to_numpy(), model.temperature)
    np.testing.assert_allclose(cal[["p_noise", "p_target"]].to_numpy(), want, atol=1e-9)
    # the same inputs again: already calibrated, nothing recomputed
    again = calibrate(model, val_dir, gt, hop_s=HOP, device="cpu", progress=False,
                      curves=("centre",), merge_gaps_s=(0.0,), min_durations_s=(0.0,))
    assert again is model
    # other settings: calibrated afresh from the uncalibrated network
    other = calibrate(model, val_dir, gt, hop_s=HOP, device="cpu", progress=False,
                      curves=("mean",), merge_gaps_s=(0.0,), min_durations_s=(0.0,))
    assert other is not model
    assert other.temperature == pytest.approx(model.temperature, rel=1e-6)


def test_validation_without_events_is_refused(bundle, val_dir):
    gt = pd.DataFrame({"recording": ["elsewhere.wav"], "begin_s": [0.0], "end_s": [1.0]})
    with pytest.raises(ConfigError, match="relative to root"):
        calibrate(bundle, val_dir, gt, hop_s=HOP, device="cpu", progress=False)
