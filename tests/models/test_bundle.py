"""Tests of alpacaspot.models.bundle and the ANIMAL-SPOT importer."""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from pathlib import Path

import pytest
import torch

from alpacaspot.errors import AlpacaspotError, ModelError
from alpacaspot.models import (
    ModelBundle,
    build_model,
    import_animalspot_model,
    load_model,
    save_model,
)


class _NotAllowed:
    """A class a weights-only load must refuse."""


def _bundle(spec_cfg, **kw) -> ModelBundle:
    torch.manual_seed(0)
    net = build_model(width=4, **kw).eval()
    return ModelBundle(net, spec_cfg, 0.4, ("noise", "target"), {"epoch": 3, "p": Path("x")})


def test_round_trip(tmp_path: Path, spec_cfg) -> None:
    bundle = _bundle(spec_cfg, resnet=34, pooling="max")
    path = save_model(tmp_path / "m" / "model.pt", bundle)
    loaded = load_model(path)
    assert loaded.classes == ("noise", "target")
    assert loaded.spectrogram_config == spec_cfg
    assert loaded.window_s == 0.4
    assert loaded.window_frames == spec_cfg.window_frames(0.4) == 24
    assert loaded.normalization == "minmax"
    assert loaded.architecture == bundle.architecture
    assert loaded.provenance == {"epoch": 3, "p": "x"}
    x = torch.rand(3, 1, 24, 32)
    with torch.no_grad():
        assert torch.equal(loaded.network(x), bundle.network(x))
    assert not loaded.network.training


def test_same_bytes(tmp_path: Path, spec_cfg) -> None:
    bundle = _bundle(spec_cfg)
    a = save_model(tmp_path / "a.pt", bundle).read_bytes()
    b = save_model(tmp_path / "b.pt", bundle).read_bytes()
    assert a == b


def test_refuses_pickled_objects(tmp_path: Path) -> None:
    path = tmp_path / "evil.pt"
    torch.save({"format": "alpacaspot-model", "x": _NotAllowed()}, path)
    with pytest.raises(ModelError, match="evil.pt"):
        load_model(path)
    with pytest.raises(ModelError, match="evil.pt"):
        import_animalspot_model(path, sequence_len_s=0.4)


def test_bad_files(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"not a torch file")
    with pytest.raises(ModelError, match="garbage.pt"):
        load_model(garbage)
    with pytest.raises(ModelError, match="missing.pt"):
        load_model(tmp_path / "missing.pt")
    other = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(2)}, other)
    with pytest.raises(ModelError, match="other.pt"):
        load_model(other)
    listing = tmp_path / "list.pk"
    torch.save([1, 2], listing)
    with pytest.raises(AlpacaspotError, match="list.pk"):
        import_animalspot_model(listing, sequence_len_s=0.4)


def test_mismatched_weights(tmp_path: Path, spec_cfg) -> None:
    bundle = _bundle(spec_cfg)
    bundle.architecture = {**bundle.architecture, "width": 8}
    path = save_model(tmp_path / "model.pt", bundle)
    with pytest.raises(ModelError, match="model.pt"):
        load_model(path)


def _animalspot_file(path: Path, net: torch.nn.Module, classes) -> None:
    enc = OrderedDict((k[len("encoder."):], v) for k, v in net.state_dict().items()
                      if k.startswith("encoder."))
    cls = OrderedDict((k[len("classifier."):], v) for k, v in net.state_dict().items()
                      if k.startswith("classifier."))
    torch.save({
        "encoderOpts": {"input_channels": 1, "conv_kernel_size": 5, "max_pool": 2,
                        "resnet_size": 18},
        "classifierOpts": {"input_channels": 64, "pooling": "avg", "num_classes": 2},
        "dataOpts": {"sr": 8000, "preemphases": 0.98, "n_fft": 256, "hop_length": 128,
                     "n_freq_bins": 32, "fmin": 0, "fmax": 4000, "freq_compression": "linear",
                     "min_level_db": -100, "ref_level_db": 20},
        "encoderState": enc,
        "classifierState": cls,
        "classes": classes,
    }, path)


@pytest.mark.parametrize("classes", [{"noise": 0, "target": 1}, ["noise", "target"], None])
def test_animalspot_import(tmp_path: Path, spec_cfg, classes) -> None:
    torch.manual_seed(1)
    net = build_model(width=8, conv_kernel_size=5).eval()
    path = tmp_path / "ANIMAL-SPOT.pk"
    _animalspot_file(path, net, classes)
    bundle = import_animalspot_model(path, sequence_len_s=0.4)
    assert bundle.classes == ("noise", "target")
    assert bundle.spectrogram_config == spec_cfg
    assert bundle.window_frames == 24
    assert bundle.architecture["width"] == 8
    x = torch.rand(2, 1, 24, 32)
    with torch.no_grad():
        assert torch.equal(bundle.network(x), net(x))
    via_load = load_model(path, sequence_len_s=0.4, normalization="ref_level")
    assert via_load.spectrogram_config == dataclasses.replace(spec_cfg, normalization="ref_level")
    with pytest.raises(ModelError, match="sequence_len_s"):
        load_model(path)
    # an imported model saved as ours keeps everything
    again = load_model(save_model(tmp_path / "model.pt", bundle))
    assert again.spectrogram_config == spec_cfg and again.provenance["source"] == "animalspot"


def test_animalspot_bad_state(tmp_path: Path) -> None:
    net = build_model(width=8)
    path = tmp_path / "bad.pk"
    _animalspot_file(path, net, None)
    payload = torch.load(path, weights_only=True)
    del payload["encoderState"]["layer1.0.conv1.weight"]
    torch.save(payload, path)
    with pytest.raises(ModelError, match="bad.pk.*do not fit"):
        import_animalspot_model(path, sequence_len_s=0.4)
    payload["encoderState"] = {"conv1.weight": "text"}
    torch.save(payload, path)
    with pytest.raises(ModelError, match="bad.pk.*tensor"):
        import_animalspot_model(path, sequence_len_s=0.4)
    del payload["dataOpts"]
    torch.save(payload, path)
    with pytest.raises(ModelError, match="dataOpts"):
        import_animalspot_model(path, sequence_len_s=0.4)
