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
