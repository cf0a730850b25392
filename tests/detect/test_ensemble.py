"""Seed ensembles end to end: combined, scored on real WAVs, calibrated, saved and refused.

The members are spread random ResNets (tests/detect/conftest.py) from different seeds, so
their window scores differ; the ensemble's must be the mean of theirs, each at its own
temperature.
"""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pandas as pd
import pytest
import torch

from alpacaspot.detect import calibrate, predict_scores, scores_to_events
from alpacaspot.errors import ConfigError, ModelError
from alpacaspot.io import write_audio
from alpacaspot.models import (
    ModelBundle,
    SeedEnsemble,
    build_model,
    combine_models,
    export_animalspot_model,
    load_model,
    save_model,
)

from .conftest import SR, spread_model, structured_signal

HOP = 0.05


def _member(bundle: ModelBundle, seed: int, temperature: float = 1.0) -> ModelBundle:
    torch.manual_seed(seed)
    net = spread_model(build_model(width=4), bundle.spectrogram_config, bundle.window_s,
                       seed=seed)
    return dataclasses.replace(bundle, network=net, temperature=temperature,
                               provenance={"seed": seed})


@pytest.fixture(scope="module")
def members(bundle):
    return [_member(bundle, 5), _member(bundle, 6, temperature=2.0)]


def _p(scores: pd.DataFrame) -> np.ndarray:
    return scores.sort_values(["recording", "window"])["p_target"].to_numpy()


def test_ensemble_scores_are_the_mean_of_its_members(members, audio_dir, tmp_path):
    ensemble = combine_models(members)
    assert isinstance(ensemble.network, SeedEnsemble)
    assert ensemble.architecture == {**members[0].architecture, "ensemble": 2}
    assert ensemble.temperature == 1.0 and ensemble.operating_point is None
    record = ensemble.provenance["ensemble"]["members"]
    assert [m["temperature"] for m in record] == [1.0, 2.0]
    assert [m["fingerprint"] for m in record] == [m.fingerprint() for m in members]
    assert [m["provenance"] for m in record] == [{"seed": 5}, {"seed": 6}]

    each = [_p(predict_scores(m, audio_dir, hop_s=HOP, device="cpu", progress=False))
            for m in members]
    assert np.abs(each[0] - each[1]).max() > 0.1  # the members disagree
    both = predict_scores(ensemble, audio_dir, hop_s=HOP, device="cpu", progress=False)
    np.testing.assert_allclose(_p(both), (each[0] + each[1]) / 2, atol=1e-5)
    np.testing.assert_allclose(both["p_noise"] + both["p_target"], 1.0, atol=1e-6)


def test_ensemble_model_file_round_trip(members, tmp_path):
    ensemble = combine_models(members)
    loaded = load_model(save_model(tmp_path / "ensemble.pt", ensemble))
    assert isinstance(loaded.network, SeedEnsemble)
    assert loaded.architecture["ensemble"] == 2
    assert loaded.fingerprint() == ensemble.fingerprint()
    assert loaded.provenance == ensemble.provenance
    x = torch.rand(3, 1, ensemble.window_frames, ensemble.spectrogram_config.n_freq_bins)
    with torch.no_grad():
        assert torch.equal(loaded.network(x), ensemble.network(x))
    assert loaded.network.temperatures.tolist() == [1.0, 2.0]


def test_model_files_as_members_and_their_order(members, tmp_path):
    paths = [save_model(tmp_path / f"m{i}.pt", m) for i, m in enumerate(members)]
    from_files = combine_models(paths)
    assert from_files.fingerprint() == combine_models(members).fingerprint()
    assert [m["file"] for m in from_files.provenance["ensemble"]["members"]] == [
        str(p) for p in paths]
    assert combine_models(members[::-1]).fingerprint() != from_files.fingerprint()


def test_calibrated_ensemble_stores_its_operating_point(members, tmp_path):
    val = tmp_path / "val"
    for k, seed in enumerate([41, 42, 43]):
        write_audio(val / f"tape{k}" / "rec.wav", structured_signal(8.0, seed=seed), SR)
    ensemble = combine_models(members)
    raw = predict_scores(ensemble, val, hop_s=HOP, device="cpu", progress=False)
    gt = scores_to_events(raw, threshold=0.3)  # annotations that need threshold 0.3
    assert 5 < len(gt) < 100
    model = calibrate(ensemble, val, gt, hop_s=HOP, temperature=1.0, device="cpu",
                      progress=False)
    assert model.operating_point.threshold == pytest.approx(0.3, abs=0.051)
    loaded = load_model(save_model(tmp_path / "ensemble.pt", model))
    scores = predict_scores(loaded, val, hop_s=HOP, device="cpu", progress=False)
    pd.testing.assert_frame_equal(scores_to_events(scores),
                                  scores_to_events(scores, loaded.operating_point))


def test_combine_refuses_what_cannot_be_averaged(bundle, members):
    with pytest.raises(ConfigError, match="at least two"):
        combine_models(members[:1])
    with pytest.raises(ConfigError, match="at least two"):
        combine_models(members[0])
    longer = dataclasses.replace(members[1], window_s=0.5)
    with pytest.raises(ConfigError, match=r"model 2 differs from model 1 in its window_s"):
        combine_models([members[0], longer])
    other_classes = dataclasses.replace(members[1], classes=("noise", "hum"))
    with pytest.raises(ConfigError, match="classes"):
        combine_models([members[0], other_classes])
    wider = dataclasses.replace(members[1], network=build_model(width=8), architecture={})
    with pytest.raises(ConfigError, match="architecture"):
        combine_models([members[0], wider])
    recalibrated = dataclasses.replace(members[0], temperature=3.0)
    with pytest.raises(ConfigError, match="model 2 holds the same weights as model 1"):
        combine_models([members[0], recalibrated])
    with pytest.raises(ConfigError, match="model 3 is already an ensemble"):
        combine_models([*members, combine_models(members)])
    with pytest.raises(ConfigError, match="not a ModelBundle"):
        combine_models([members[0], object()])


def test_ensemble_is_refused_where_one_network_is_needed(members, audio_dir, tmp_path):
    ensemble = combine_models(members)
    with pytest.raises(ModelError, match="shared mode runs one network"):
        predict_scores(ensemble, audio_dir, hop_s=HOP, mode="shared", device="cpu",
                       progress=False)
    with pytest.raises(ModelError, match="an ensemble of 2 networks"):
        export_animalspot_model(ensemble, tmp_path / "ANIMAL-SPOT.pk")


def test_stored_ensemble_size_must_be_two_or_more(members, tmp_path):
    one = copy.deepcopy(members[0])
    one.architecture = {**one.architecture, "ensemble": 1}
    path = save_model(tmp_path / "bad.pt", one)
    with pytest.raises(ModelError, match=r"bad\.pt.*'ensemble' must be an integer >= 2"):
        load_model(path)


def test_predict_cfg_runs_an_ensemble_file(members, audio_dir, tmp_path):
    from alpacaspot.cli import main
    from alpacaspot.detect import PREDICT_EXTRA_KEYS
    from alpacaspot.io import read_table
    from alpacaspot.io.animalspot import write_cfg

    ensemble = combine_models(members)
    model = save_model(tmp_path / "ensemble.pt", ensemble)
    run = tmp_path / "run"
    cfg = tmp_path / "predict.cfg"
    write_cfg(cfg, {"model_path": str(model), "input_file": str(audio_dir),
                    "output_dir": str(run / "prediction"), "sequence_len": "0.25",
                    "hop": str(HOP), "threshold": "0.5", "no_cuda": True,
                    "scores_dir": str(run / "scores")},
              kind="predict", extra_keys=PREDICT_EXTRA_KEYS)
    assert main(["predict", str(cfg)]) == 0
    stored = read_table(run / "scores" / "b.wav.parquet")
    direct = predict_scores(ensemble, audio_dir / "b.wav", hop_s=HOP, device="cpu",
                            progress=False)
    np.testing.assert_allclose(stored["p_target"], direct["p_target"], atol=1e-5)


def test_combine_command_writes_the_ensemble(members, tmp_path, capsys):
    from alpacaspot.cli import main

    paths = [str(save_model(tmp_path / f"s{i}.pt", m)) for i, m in enumerate(members)]
    out = tmp_path / "ensemble.pt"
    assert main(["combine", *paths, "-o", str(out)]) == 0
    assert load_model(out).fingerprint() == combine_models(paths).fingerprint()
    assert main(["combine", paths[0], "-o", str(tmp_path / "one.pt")]) == 2
    assert "at least two models" in capsys.readouterr().err
    assert not (tmp_path / "one.pt").exists()
