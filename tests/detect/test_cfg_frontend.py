"""predict.cfg's ``frontend`` key: read strictly, carried to prediction, recorded."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from alpacaspot.cli import main
from alpacaspot.detect.cfg import FRONTEND_CHOICES, read_predict_cfg
from alpacaspot.errors import ConfigError

BASE = "model_path=m.pt\ninput_file=audio\nhop=0.05\noutput_dir=out\n"
WORST = 3e-4  # the front-end tests' bound on any probability difference (float32 FFT noise)


def test_frontend_is_read_and_defaults_to_auto(tmp_path):
    p = tmp_path / "predict.cfg"
    p.write_text(BASE)
    s = read_predict_cfg(p)
    assert (s.frontend, s.frontend_arg) == ("auto", None)
    for name in ("cpu", "torch"):
        p.write_text(BASE + f"frontend={name}\n")
        s = read_predict_cfg(p)
        assert (s.frontend, s.frontend_arg) == (name, name)


def test_frontend_choices_are_the_registered_front_ends():
    from alpacaspot.detect.frontends import FRONTENDS

    assert FRONTEND_CHOICES == ("auto", *sorted(FRONTENDS))


@pytest.mark.parametrize("text, expected", [
    ("frontend=fpga\n", "one of"),
    ("frontend\n", "not a bare flag"),
    ("mode=shared\nfrontend=torch\n", "mode=shared"),
])
def test_bad_frontend_names_the_line(tmp_path, text, expected):
    p = tmp_path / "predict.cfg"
    p.write_text(BASE + text)
    line = BASE.count("\n") + text.count("\n")
    with pytest.raises(ConfigError, match=rf"predict.cfg, line {line}.*frontend") as info:
        read_predict_cfg(p)
    assert expected in str(info.value)


def _cfg(tmp_path, name, model, audio, extra=""):
    cfg = tmp_path / f"{name}.cfg"
    cfg.write_text(f"model_path={model}\ninput_file={audio}\nhop=0.05\n"
                   f"output_dir={tmp_path / name}\nno_cuda=true\n{extra}")
    return cfg


def _stored(tmp_path, name):
    from alpacaspot.io import read_table

    return read_table(tmp_path / name / "scores" / "b.wav.parquet")


def test_cfg_frontend_reaches_prediction(bundle, audio_dir, tmp_path, caplog):
    from alpacaspot.models import save_model

    model = save_model(tmp_path / "model.pt", bundle)
    with caplog.at_level(logging.INFO, logger="alpacaspot.cli.predict"):
        assert main(["predict", str(_cfg(tmp_path, "cpu", model, audio_dir,
                                         "frontend=cpu\n"))]) == 0
        assert "front end: cpu" in caplog.text
        caplog.clear()
        torch_cfg = _cfg(tmp_path, "torch", model, audio_dir, "frontend=torch\n")
        assert main(["predict", str(torch_cfg)]) == 0
        assert "front end: torch" in caplog.text
        caplog.clear()
        # --frontend replaces the cfg's key
        override = _cfg(tmp_path, "override", model, audio_dir, "frontend=torch\n")
        assert main(["predict", str(override), "--frontend", "cpu"]) == 0
        assert "front end: cpu" in caplog.text
    cpu, tor = _stored(tmp_path, "cpu"), _stored(tmp_path, "torch")
    assert len(cpu) == len(tor) > 10 and cpu["p_target"].std() > 0.05
    np.testing.assert_allclose(tor["p_target"], cpu["p_target"], rtol=0, atol=WORST)
    np.testing.assert_array_equal(_stored(tmp_path, "override")["p_target"], cpu["p_target"])


def test_cli_frontend_with_a_shared_cfg_is_refused(bundle, audio_dir, tmp_path, capsys):
    from alpacaspot.models import save_model

    model = save_model(tmp_path / "model.pt", bundle)
    cfg = _cfg(tmp_path, "shared", model, audio_dir, "mode=shared\n")
    assert main(["predict", str(cfg), "--frontend", "torch"]) == 2
    err = capsys.readouterr().err
    assert "shared.cfg" in err and "--frontend" in err and "mode=shared" in err
