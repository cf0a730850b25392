"""The resampler a model file states."""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path

import pytest
import torch

from alpacaspot.errors import ConfigError, ModelError
from alpacaspot.models import ModelBundle, build_model, load_model, save_model


def _bundle(spec_cfg, **kw) -> ModelBundle:
    torch.manual_seed(0)
    return ModelBundle(build_model(width=4).eval(), spec_cfg, 0.4, ("noise", "target"), **kw)


def _rewrite_meta(path: Path, change) -> None:
    payload = torch.load(path, weights_only=True)
    meta = json.loads(payload["meta_json"])
    change(meta)
    payload["meta_json"] = json.dumps(meta, sort_keys=True)
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    path.write_bytes(buffer.getvalue())


def test_resampler_is_stored_and_old_files_get_polyphase(tmp_path: Path, spec_cfg) -> None:
    ours = _bundle(spec_cfg)
    assert ours.resampler == "polyphase"
    path = save_model(tmp_path / "model.pt", ours)
    assert json.loads(torch.load(path, weights_only=True)["meta_json"])["resampler"] == \
        "polyphase"
    as_animalspot = dataclasses.replace(ours, resampler="kaiser_best")
    assert load_model(save_model(tmp_path / "k.pt", as_animalspot)).resampler == "kaiser_best"
    _rewrite_meta(path, lambda meta: meta.pop("resampler"))
    old = load_model(path)
    assert old.resampler == "polyphase"
    # a model that states the default keeps the fingerprint it had before the setting existed
    assert old.fingerprint() == ours.fingerprint() != as_animalspot.fingerprint()


def test_bad_resampler_is_refused(tmp_path: Path, spec_cfg) -> None:
    with pytest.raises(ConfigError, match="resampler must be one of"):
        _bundle(spec_cfg, resampler="sinc")
    path = save_model(tmp_path / "model.pt", _bundle(spec_cfg))
    _rewrite_meta(path, lambda meta: meta.update(resampler="linear"))
    with pytest.raises(ModelError, match=r"model.pt.*stored resampler"):
        load_model(path)


def test_imported_models_resample_as_animalspot(tmp_path: Path, spec_cfg) -> None:
    from alpacaspot.models import export_animalspot_model, import_animalspot_model

    torch.manual_seed(0)
    pk = export_animalspot_model(ModelBundle(build_model().eval(), spec_cfg, 0.4,
                                             ("noise", "target")), tmp_path / "ANIMAL-SPOT.pk")
    imported = import_animalspot_model(pk, sequence_len_s=0.4)
    assert imported.resampler == "kaiser_best"
    assert load_model(save_model(tmp_path / "m.pt", imported)).resampler == "kaiser_best"
