"""cfg files for ANIMAL-SPOT's own launchers, checked with the launcher's parsing rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from alpacaspot.errors import ConfigError
from alpacaspot.io.animalspot import (
    EVALUATE_KEYS,
    PREDICT_KEYS,
    TRAIN_KEYS,
    read_cfg,
    write_animalspot_cfg,
    write_cfg,
)


def launcher_args(text: str) -> list[str]:
    """The command line ANIMAL-SPOT's launcher builds from a cfg (REFERENCE.md's rule)."""
    args: list[str] = []
    for line in text.splitlines(keepends=True):
        if line.startswith(("#", " ", "\n")):
            continue
        fields = line.rstrip("\n").split("=")
        key, value = fields[0], fields[1]  # a line without '=' crashes it: IndexError
        if value == "true":
            args.append(f"--{key}")
        elif value != "false":
            args += [f"--{key}", value]
    return args


def test_predict_cfg_from_alpacaspot_settings(tmp_path: Path) -> None:
    from alpacaspot.detect.cfg import read_predict_cfg

    ours = tmp_path / "predict.cfg"
    ours.write_text("model_path=/models/ANIMAL-SPOT.pk\ninput_file=/audio\nhop=0.05\n"
                    "sequence_len=0.4\nthreshold=0.9\noutput_dir=/out\nno_cuda\nmode=exact\n"
                    "precision=fp32\nbatch_size=1\n")
    path = write_animalspot_cfg("predict", read_predict_cfg(ours), tmp_path / "as" / "p.cfg")
    args = launcher_args(path.read_text())
    assert args == ["--model_path", "/models/ANIMAL-SPOT.pk", "--output_dir", "/out",
                    "--sequence_len", "0.4", "--hop", "0.05", "--threshold", "0.9",
                    "--batch_size", "1", "--no_cuda", "--min_max_norm", "--input_file", "/audio"]
    assert {a[2:] for a in args if a.startswith("--")} <= set(PREDICT_KEYS)


def test_train_cfg_flags_and_unset_values(tmp_path: Path) -> None:
    values = {"data_dir": "/data/dataset_v1", "cache_dir": None, "noise_dir": "None",
              "debug": True, "augmentation": True, "start_from_scratch": False,
              "sequence_len": 400, "lr": 1e-05, "width": 64, "seed": 3, "resnet": 18}
    path = write_animalspot_cfg("train", values, tmp_path / "alpaca_server.cfg")
    text = path.read_text()
    assert "None" not in text and "cache_dir" not in text and "seed" not in text
    assert launcher_args(text) == ["--debug", "--data_dir", "/data/dataset_v1", "--lr",
                                   "1e-05", "--sequence_len", "400", "--augmentation",
                                   "--resnet", "18"]
    assert read_cfg(path, kind="train")["start_from_scratch"] is False
    assert all(k in TRAIN_KEYS for k in read_cfg(path, kind="train"))


def test_evaluate_cfg_drops_alpacaspot_keys(tmp_path: Path) -> None:
    path = write_animalspot_cfg("evaluate", {"prediction_dir": Path("/runs/pred"),
                                             "output_dir": "/runs/eval", "threshold": 0.9,
                                             "noise_in_anno": False, "method": "refined"},
                                tmp_path / "eval.cfg")
    assert path.read_text() == ("prediction_dir=/runs/pred\noutput_dir=/runs/eval\n"
                                "threshold=0.9\nnoise_in_anno=false\n")
    assert set(read_cfg(path, kind="evaluate")) <= set(EVALUATE_KEYS)


@pytest.mark.parametrize(
    ("kind", "values", "match"),
    [("predict", {"input_file": "/data/a=b.wav"}, "'input_file' holds '='"),
     ("predict", {"input_file": "/a.wav\nthreshold=0"}, "holds '='|several lines"),
     ("evaluate", {"output_dir": "/x\n"}, "several lines"),
     ("train", {"width": 32}, "cannot train width=32"),
     ("train", {"freq_compression": "linear_interp"}, "freq_compression"),
     ("bogus", {}, "unknown cfg kind")],
)
def test_refused_values_name_key_and_file(tmp_path: Path, kind, values, match) -> None:
    path = tmp_path / "x.cfg"
    with pytest.raises(ConfigError, match=match) as info:
        write_animalspot_cfg(kind, values, path)
    assert "x.cfg" in str(info.value)
    assert not path.exists()


def test_write_cfg_output_survives_the_launcher(tmp_path: Path) -> None:
    # alpacaspot's own writer: no bare flags (the launcher's IndexError), no key=None
    path = write_cfg(tmp_path / "p.cfg", {"debug": True, "log_dir": None, "visualize": False,
                                          "hop": 0.05}, kind="predict")
    assert launcher_args(path.read_text()) == ["--debug", "--hop", "0.05"]
