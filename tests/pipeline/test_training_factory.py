from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from alpacaspot.errors import ConfigError
from alpacaspot.io.animalspot import read_cfg
from alpacaspot.pipeline import load_train_variants, training_factory
from alpacaspot.pipeline.variants import _train_extra_keys


def _write(path: Path, doc: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2))
    return path


def _doc(**variants: dict) -> dict:
    return {
        "globals": {"src_dir": "/ignored", "data_root": "data", "sr": 8000, "fmax": 3000,
                    "slurm": {"partition": "gpu", "gpus": 1, "time": "01:00:00",
                              "train": {"mem": "8G"}, "evaluate": {"partition": "cpu"}}},
        **(variants or {"v1": {"dataset": "corpus1/dataset_v1", "sequence_len": 300,
                               "n_fft": 256, "hop_length": 128, "width": 16}}),
        "active_variants": list(variants or ["v1"]),
    }


def test_layout_cfg_values_and_job_script(pipeline_root: Path) -> None:
    src = _write(pipeline_root / "tools" / "tv.json", _doc())
    plan = training_factory(src, root=pipeline_root, check=False)
    cfg = pipeline_root / "TRAINING" / "cfg" / "v1" / "alpaca_server.cfg"
    assert plan.cfg_paths == {"v1": cfg}
    values = read_cfg(cfg, kind="train", extra_keys=_train_extra_keys())
    run = pipeline_root / "TRAINING" / "runs" / "models" / "v1"
    assert values["data_dir"] == str(pipeline_root / "data" / "corpus1" / "dataset_v1")
    assert values["model_dir"] == str(run / "models")
    assert values["checkpoint_dir"] == str(run / "checkpoints")
    assert values["sequence_len"] == "300"  # variant wins
    assert values["sr"] == "8000" and values["fmax"] == "3000"  # globals win over defaults
    assert values["resnet"] == "18" and values["lr"] == "1e-05"  # the fork's defaults
    assert values["min_max_norm"] is True and "noise_dir" not in values  # unset: left out
    assert values["width"] == "16"
    assert "src_dir" not in values
    assert plan.model_paths["v1"] == run / "models" / "model.pt"
    script = pipeline_root / "TRAINING" / "jobs" / "train_models.sbatch"
    assert plan.script_path == script and os.access(script, os.X_OK)
    text = script.read_text()
    assert "#SBATCH --gres                gpu:1" in text and "--mem                 8G" in text
    assert f"alpacaspot train {cfg}" in text
    assert subprocess.run(["bash", "-n", str(script)]).returncode == 0
    assert (pipeline_root / "TRAINING" / "train_variants.json").read_bytes() == src.read_bytes()


def test_same_inputs_same_bytes_and_variants_object(pipeline_root: Path) -> None:
    doc = _doc()
    a = _write(pipeline_root / "a.json", doc)
    training_factory(a, root=pipeline_root, check=False)
    cfg = pipeline_root / "TRAINING" / "cfg" / "v1" / "alpaca_server.cfg"
    first = (cfg.read_bytes(), (pipeline_root / "TRAINING/jobs/train_models.sbatch").read_bytes())
    nested = {"globals": doc["globals"], "variants": {"v1": doc["v1"]},
              "active_variants": ["v1"]}
    training_factory(_write(pipeline_root / "b.json", nested), root=pipeline_root, check=False)
    second = (cfg.read_bytes(), (pipeline_root / "TRAINING/jobs/train_models.sbatch").read_bytes())
    assert first == second


def test_task_order_follows_active_variants(pipeline_root: Path) -> None:
    doc = _doc(zeta={"dataset": "corpus1/dataset_v1"}, alpha={"dataset": "corpus1/dataset_v1"})
    doc["active_variants"] = ["zeta", "alpha"]
    plan = training_factory(_write(pipeline_root / "t.json", doc), root=pipeline_root, check=False)
    assert plan.variants == ("zeta", "alpha")
    assert "cfg/zeta/" in plan.array.commands[0] and "cfg/alpha/" in plan.array.commands[1]


@pytest.mark.parametrize(
    ("mutate", "match"),
    [
        (lambda d: d["v1"].update(learning_rate=1), "unknown key 'learning_rate'"),
        (lambda d: d["v1"].update(model_dir="x"), "set by the factory"),
        (lambda d: d["v1"].update(dataset="corpus1/missing"), "does not exist"),
        (lambda d: d["v1"].pop("dataset"), "'dataset'"),
        (lambda d: d.update(active_variants=["v1", "v9"]), "undefined variants"),
        (lambda d: d.update(active_variants=[]), "empty"),
        (lambda d: d["globals"].update(colour="red"), "unknown key 'colour'"),
        (lambda d: d["globals"]["slurm"].update(partion="gpu"), "unknown key 'partion'"),
        (lambda d: d["globals"]["slurm"].update(cpus=0), "cpus"),
        (lambda d: d["v1"].update(lr=[1]), "expected a string, number"),
    ],
)
def test_bad_variants_files_name_the_file(pipeline_root: Path, mutate, match: str) -> None:
    doc = _doc()
    mutate(doc)
    src = _write(pipeline_root / "bad.json", doc)
    with pytest.raises(ConfigError, match=match) as info:
        training_factory(src, root=pipeline_root, check=False)
    assert str(src) in str(info.value)


def test_invalid_json_names_line(tmp_path: Path) -> None:
    src = tmp_path / "v.json"
    src.write_text('{"globals": {},\n "v1": {"dataset": }\n}')
    with pytest.raises(ConfigError, match="line 2"):
        load_train_variants(src, root=tmp_path)


def test_slurm_block_overrides_per_stage(pipeline_root: Path) -> None:
    tv = load_train_variants(_write(pipeline_root / "s.json", _doc()), root=pipeline_root)
    assert tv.slurm["train"].mem == "8G" and tv.slurm["predict"].mem is None
    assert tv.slurm["evaluate"].partition == "cpu" and tv.slurm["evaluate"].gpus is None
    assert tv.slurm["predict"].gpus == 1
