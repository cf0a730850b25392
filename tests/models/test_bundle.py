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


def test_refusal_message_ends_cleanly(tmp_path: Path) -> None:
    path = tmp_path / "evil.pt"
    torch.save({"format": "alpacaspot-model", "x": _NotAllowed()}, path)
    with pytest.raises(ModelError) as info:
        load_model(path)
    text = str(info.value)
    assert text.endswith("(save the model again with save_model)"), text
    assert "refused to load" in text and "_NotAllowed" in text
    assert "weights_only" not in text and "trust" not in text.lower()


def test_audio_file_is_not_a_model(tmp_path: Path) -> None:
    wav = Path(__file__).parents[1] / "data" / "real" / "Recording_1_Segment_07-snippet.wav"
    with pytest.raises(ModelError, match="not a model file: expected a torch file written by "
                       "save_model or an ANIMAL-SPOT .pk") as info:
        load_model(wav)
    assert wav.name in str(info.value) and "IndexError" not in str(info.value)
    zipped = tmp_path / "model.pt"  # a zip that is no torch file
    import zipfile

    with zipfile.ZipFile(zipped, "w") as zf:
        zf.writestr("readme.txt", "hello")
    with pytest.raises(ModelError, match="not a model file"):
        load_model(zipped)


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


def _old_format_file(path: Path, bundle: ModelBundle) -> Path:
    """A model file as written before operating points: no temperature, no operating point."""
    import io
    import json

    save_model(path, bundle)
    payload = torch.load(path, weights_only=True)
    meta = json.loads(payload["meta_json"])
    del meta["temperature"], meta["operating_point"]
    payload["meta_json"] = json.dumps(meta, sort_keys=True)
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    path.write_bytes(buffer.getvalue())
    return path


def test_operating_point_and_temperature_round_trip(tmp_path: Path, spec_cfg) -> None:
    from alpacaspot.events import PostprocessConfig

    op = PostprocessConfig(threshold=0.3, curve="centre", merge_gap_s=0.1, min_duration_s=0.05)
    bundle = dataclasses.replace(_bundle(spec_cfg), operating_point=op, temperature=2.5)
    loaded = load_model(save_model(tmp_path / "model.pt", bundle))
    assert loaded.operating_point == op
    assert loaded.temperature == 2.5
    assert loaded.fingerprint() == bundle.fingerprint()


def test_old_model_files_load_without_operating_point(tmp_path: Path, spec_cfg) -> None:
    bundle = _bundle(spec_cfg)
    loaded = load_model(_old_format_file(tmp_path / "old.pt", bundle))
    assert loaded.operating_point is None
    assert loaded.temperature == 1.0
    # the fingerprint of a model without calibration is what it was before calibration
    # existed, so its stored scores stay valid
    assert loaded.fingerprint() == bundle.fingerprint() == _fingerprint_before(bundle)


def _fingerprint_before(bundle: ModelBundle) -> str:
    """ModelBundle.fingerprint as computed before models carried a calibration."""
    import hashlib
    import json

    digest = hashlib.sha256()
    meta = {"architecture": dict(bundle.architecture),
            "spectrogram_config": bundle.spectrogram_config.to_dict(),
            "window_s": float(bundle.window_s), "classes": list(bundle.classes)}
    meta = json.loads(json.dumps(meta, default=str, sort_keys=True))
    digest.update(json.dumps(meta, sort_keys=True).encode("utf-8"))
    for name, value in sorted(bundle.network.state_dict().items()):
        tensor = value.detach().to("cpu").contiguous()
        digest.update(name.encode("utf-8"))
        digest.update(str(tuple(tensor.shape)).encode("utf-8"))
        digest.update(tensor.view(-1).view(torch.uint8).numpy().tobytes()
                      if tensor.numel() else b"")
    return digest.hexdigest()[:16]


def test_fingerprint_counts_calibration_only_when_set(spec_cfg) -> None:
    from alpacaspot.events import PostprocessConfig

    bundle = _bundle(spec_cfg)
    plain = bundle.fingerprint()
    assert dataclasses.replace(bundle, temperature=1.0).fingerprint() == plain
    hot = dataclasses.replace(bundle, temperature=2.0).fingerprint()
    op = dataclasses.replace(bundle, operating_point=PostprocessConfig(threshold=0.4))
    assert len({plain, hot, op.fingerprint()}) == 3


@pytest.mark.parametrize(("changes", "message"), [
    ({"temperature": 0.0}, "temperature"),
    ({"temperature": float("nan")}, "temperature"),
    ({"operating_point": {"threshold": 0.5}}, "operating_point"),
])
def test_bad_calibration_values(spec_cfg, changes, message) -> None:
    with pytest.raises(AlpacaspotError, match=message):
        dataclasses.replace(_bundle(spec_cfg), **changes)


def test_corrupt_stored_operating_point(tmp_path: Path, spec_cfg) -> None:
    import io
    import json

    path = save_model(tmp_path / "model.pt", _bundle(spec_cfg))
    payload = torch.load(path, weights_only=True)
    meta = json.loads(payload["meta_json"])
    meta["operating_point"] = {"threshold": 7}
    payload["meta_json"] = json.dumps(meta)
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    path.write_bytes(buffer.getvalue())
    with pytest.raises(ModelError, match="operating point.*threshold"):
        load_model(path)
