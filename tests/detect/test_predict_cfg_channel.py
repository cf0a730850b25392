"""predict.cfg's ``channel`` key."""

from __future__ import annotations

import pytest

from alpacaspot.detect.cfg import read_predict_cfg
from alpacaspot.errors import ConfigError

BASE = "model_path=m.pt\ninput_file=audio\nhop=0.05\noutput_dir=out\n"


def test_channel_is_read_and_defaults_to_averaging(tmp_path):
    p = tmp_path / "predict.cfg"
    p.write_text(BASE)
    assert read_predict_cfg(p).channel is None
    p.write_text(BASE + "channel=3\n")
    assert read_predict_cfg(p).channel == 3


@pytest.mark.parametrize("value", ["0", "two", "1.5"])
def test_bad_channel_names_the_line(tmp_path, value):
    p = tmp_path / "predict.cfg"
    p.write_text(BASE + f"channel={value}\n")
    with pytest.raises(ConfigError, match=r"predict.cfg.*line 5.*channel"):
        read_predict_cfg(p)


def test_alpacaspot_predict_scores_the_cfg_channel(bundle, tmp_path):
    import numpy as np

    from alpacaspot.cli import main
    from alpacaspot.detect import predict_scores
    from alpacaspot.io import read_table, write_audio
    from alpacaspot.models import save_model

    from .conftest import SR, structured_signal

    model = save_model(tmp_path / "model.pt", bundle)
    audio = tmp_path / "audio"
    stereo = np.stack([structured_signal(2.0, seed=1), structured_signal(2.0, seed=2)], axis=1)
    write_audio(audio / "s.wav", stereo, SR, subtype="FLOAT")
    cfg = tmp_path / "predict.cfg"
    cfg.write_text(f"model_path={model}\ninput_file={audio}\nhop=0.05\n"
                   f"output_dir={tmp_path / 'run'}\nno_cuda=true\nchannel=2\n")
    assert main(["predict", str(cfg)]) == 0
    stored = read_table(tmp_path / "run" / "scores" / "s.wav.parquet")
    direct = predict_scores(bundle, audio, hop_s=0.05, device="cpu", channel=2,
                            progress=False)
    np.testing.assert_allclose(stored["p_target"], direct["p_target"], atol=1e-6)
    averaged = predict_scores(bundle, audio, hop_s=0.05, device="cpu", progress=False)
    assert np.abs(stored["p_target"] - averaged["p_target"]).max() > 1e-3
