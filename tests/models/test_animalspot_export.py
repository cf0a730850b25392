"""Export to ANIMAL-SPOT's model file and back."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch

from alpacaspot.detect import predict_scores
from alpacaspot.dsp import normalize, window_spectrograms
from alpacaspot.errors import ModelError
from alpacaspot.io import write_audio
from alpacaspot.models import ModelBundle, build_model, import_animalspot_model
from alpacaspot.models.animalspot_export import export_animalspot_model

from .conftest import SR


def _spread(net: torch.nn.Module, seed: int) -> torch.nn.Module:
    """Random BatchNorm statistics, so that the network is not at its initial state."""
    g = torch.Generator().manual_seed(seed)
    for m in net.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.copy_(0.1 * torch.randn(m.num_features, generator=g))
            m.running_var.copy_(0.5 + torch.rand(m.num_features, generator=g))
    return net.eval()


def _bundle(spec_cfg, **arch) -> ModelBundle:
    torch.manual_seed(3)
    return ModelBundle(_spread(build_model(**arch), 3), spec_cfg, 0.4, ("noise", "target"))


def test_written_file_has_animalspot_layout(tmp_path: Path, spec_cfg) -> None:
    bundle = _bundle(spec_cfg, conv_kernel_size=5)
    path = export_animalspot_model(bundle, tmp_path / "out" / "ANIMAL-SPOT.pk")
    payload = torch.load(path, weights_only=True)
    assert set(payload) == {"encoderOpts", "classifierOpts", "dataOpts", "encoderState",
                            "classifierState", "classes"}
    assert payload["encoderOpts"] == {"input_channels": 1, "conv_kernel_size": 5,
                                      "max_pool": 2, "resnet_size": 18}
    assert payload["classifierOpts"] == {"input_channels": 512, "pooling": "avg",
                                         "num_classes": 2}
    assert payload["dataOpts"] == {"sr": SR, "preemphases": 0.98, "n_fft": 256,
                                   "hop_length": 128, "n_freq_bins": 32, "fmin": 0.0,
                                   "fmax": 4000.0, "freq_compression": "linear",
                                   "min_level_db": -100.0, "ref_level_db": 20.0}
    enc, cls = payload["encoderState"], payload["classifierState"]
    assert enc["conv1.weight"].shape == (64, 1, 5, 5)
    for name in ("bn1.running_mean", "layer1.0.conv1.weight", "layer1.1.bn2.weight",
                 "layer2.0.shortcut.0.weight", "layer2.0.shortcut.1.running_var",
                 "layer4.1.conv2.weight"):
        assert name in enc, name
    assert not any(k.startswith(("encoder.", "classifier.")) for k in [*enc, *cls])
    assert cls["linear.weight"].shape == (2, 512) and cls["linear.bias"].shape == (2,)
    assert payload["classes"] == {"noise": 0, "target": 1}


def test_round_trip_gives_the_same_scores(tmp_path: Path, spec_cfg) -> None:
    bundle = _bundle(spec_cfg)
    rng = np.random.default_rng(0)
    t = np.arange(3 * SR) / SR
    x = 0.05 * rng.standard_normal(len(t)) + 0.3 * np.sin(2 * np.pi * 700 * t) * (t % 1 < 0.4)
    wav = tmp_path / "rec.wav"
    write_audio(wav, x, SR)
    # a head that spreads this recording's windows, so that equal scores mean something
    cfg = bundle.spectrogram_config
    w = normalize(window_spectrograms(x.astype(np.float32), cfg, window_s=0.4, hop_s=0.05), cfg)
    with torch.no_grad():
        f = bundle.network.encoder(torch.from_numpy(w)[:, None]).flatten(2).mean(2)
        v = torch.randn(f.shape[1], generator=torch.Generator().manual_seed(1))
        proj = f @ v
        lin = bundle.network.classifier.linear
        lin.weight.zero_()
        lin.bias.zero_()
        lin.weight[1] = v * 2 / proj.std()
        lin.bias[1] = -proj.mean() * 2 / proj.std()
    pk = export_animalspot_model(bundle, tmp_path / "ANIMAL-SPOT.pk")
    back = import_animalspot_model(pk, sequence_len_s=bundle.window_s,
                                   normalization=bundle.normalization)
    kw = dict(hop_s=0.05, device="cpu", progress=False)
    a = predict_scores(bundle, wav, **kw)
    b = predict_scores(back, wav, **kw)
    assert a["p_target"].std() > 1e-3
    np.testing.assert_allclose(b["p_target"], a["p_target"], atol=1e-6, rtol=0)
    assert back.architecture == bundle.architecture


@pytest.mark.parametrize(
    ("arch", "changes", "message"),
    [({"width": 32}, {}, "width 32"),
     ({"pooling": "max"}, {"temperature": 2.0}, "temperature 2.0"),
     ({}, {"spectrogram_config": "mel"}, "compression 'mel'")],
)
def test_models_animalspot_cannot_hold_are_refused(tmp_path: Path, spec_cfg, arch, changes,
                                                   message) -> None:
    bundle = _bundle(spec_cfg, **arch)
    if changes.get("spectrogram_config") == "mel":
        changes = {"spectrogram_config": dataclasses.replace(spec_cfg, compression="mel")}
    bundle = dataclasses.replace(bundle, **changes)
    with pytest.raises(ModelError, match=message) as info:
        export_animalspot_model(bundle, tmp_path / "x.pk")
    assert "x.pk" in str(info.value) and "ANIMAL-SPOT cannot hold" in str(info.value)
    assert not (tmp_path / "x.pk").exists()
