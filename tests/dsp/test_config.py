"""SpectrogramConfig: construction, validation, serialisation, ANIMAL-SPOT sources."""

from __future__ import annotations

import json

import pytest

from alpacaspot.dsp import SpectrogramConfig
from alpacaspot.errors import ConfigError

REQUIRED = dict(sr=48000, n_fft=2048, hop_length=1024, fmin=0, fmax=4000, n_freq_bins=128)


def test_defaults_and_derived_values(fork_config: SpectrogramConfig) -> None:
    c = fork_config
    assert (c.window, c.preemphasis, c.compression) == ("hann", 0.98, "linear")
    assert (c.min_level_db, c.ref_level_db, c.normalization) == (-100.0, 20.0, "minmax")
    assert c.bin_range == (0, 171)
    assert c.window_frames(0.4) == 1 + (19200 - 2048) // 1024 == 17
    assert c.n_frames(2047) == 0 and c.n_frames(2048) == 1


def test_frozen_and_keyword_only() -> None:
    c = SpectrogramConfig(**REQUIRED)
    with pytest.raises(AttributeError):
        c.sr = 1  # type: ignore[misc]
    with pytest.raises(TypeError):
        SpectrogramConfig(48000, 2048, 1024, 0, 4000, 128)  # type: ignore[misc]


def test_dict_round_trip_is_primitive() -> None:
    c = SpectrogramConfig(**REQUIRED, compression="mel", normalization="ref_level")
    d = c.to_dict()
    assert json.loads(json.dumps(d)) == d
    assert SpectrogramConfig.from_dict(d) == c
    assert hash(SpectrogramConfig.from_dict(d)) == hash(c)


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"fmax": 30000}, "Nyquist"),
        ({"n_fft": 1}, "n_fft"),
        ({"hop_length": 0}, "hop_length"),
        ({"fmin": 5000}, "fmin < fmax"),
        ({"n_freq_bins": 0}, "n_freq_bins"),
        ({"sr": 44100.5}, "integer"),
        ({"compression": "mfcc"}, "compression"),
        ({"normalization": "zscore"}, "normalization"),
        ({"window": "kaiser"}, "window"),
        ({"preemphasis": 1.0}, "preemphasis"),
        ({"min_level_db": 10}, "min_level_db"),
        ({"compression": "none"}, "n_freq_bins=171"),
        ({"fmin": "0"}, "number"),
    ],
)
def test_invalid_values_raise_config_error(change: dict, needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        SpectrogramConfig(**{**REQUIRED, **change})


def test_from_dict_errors_name_file_and_keys(tmp_path) -> None:
    path = tmp_path / "model.json"
    with pytest.raises(ConfigError, match="unknown .*'nfft'") as err:
        SpectrogramConfig.from_dict({**REQUIRED, "nfft": 3}, path=path)
    assert str(path) in str(err.value)
    with pytest.raises(ConfigError, match="missing .*'sr'"):
        SpectrogramConfig.from_dict({k: v for k, v in REQUIRED.items() if k != "sr"})
    with pytest.raises(ConfigError, match="Nyquist") as err:
        SpectrogramConfig.from_dict({**REQUIRED, "fmax": 99999}, path=path)
    assert str(path) in str(err.value)


def test_window_frames_too_short() -> None:
    c = SpectrogramConfig(**REQUIRED)
    with pytest.raises(ConfigError, match="shorter than one STFT frame"):
        c.window_frames(0.01)


def test_from_animalspot_cfg_file(tmp_path) -> None:
    cfg_text = (
        "# alpaca fork training cfg\n"
        "sr=48000\nn_fft=2048\nhop_length=1024\nn_freq_bins=128\nfmin=0\nfmax=4000\n"
        "sequence_len=400\nfreq_compression=linear\nmin_max_norm\nnoise_dir=None\n"
    )
    path = tmp_path / "alpaca_server.cfg"
    path.write_text(cfg_text)
    animalspot = pytest.importorskip("alpacaspot.io.animalspot")
    values = animalspot.read_cfg(path, kind="train")
    c = SpectrogramConfig.from_animalspot_cfg(values, path=path)
    assert c == SpectrogramConfig(**REQUIRED)
    del values["min_max_norm"]
    assert SpectrogramConfig.from_animalspot_cfg(values).normalization == "ref_level"


def test_from_animalspot_cfg_defaults_and_errors(tmp_path) -> None:
    c = SpectrogramConfig.from_animalspot_cfg({})
    assert (c.sr, c.n_fft, c.hop_length, c.n_freq_bins, c.fmin, c.fmax) == (
        44100, 4096, 441, 256, 500.0, 10000.0
    )
    path = tmp_path / "bad.cfg"
    with pytest.raises(ConfigError, match="n_fft must be a number, got 'abc'") as err:
        SpectrogramConfig.from_animalspot_cfg({"n_fft": "abc"}, path=path)
    assert str(path) in str(err.value)
    with pytest.raises(ConfigError, match="freq_compression"):
        SpectrogramConfig.from_animalspot_cfg({"freq_compression": "mfcc"}, path=path)
    with pytest.raises(ConfigError, match="Nyquist") as err:
        SpectrogramConfig.from_animalspot_cfg({"sr": "8000"}, path=path)
    assert str(path) in str(err.value)


def test_from_animalspot_data_opts() -> None:
    opts = {
        "sr": 44100, "preemphases": 0.97, "n_fft": 4096, "hop_length": 441,
        "n_freq_bins": 256, "fmin": 500, "fmax": 10000, "freq_compression": "linear",
        "min_level_db": -100, "ref_level_db": 20, "something_else": 1,
    }
    c = SpectrogramConfig.from_animalspot_data_opts(opts, normalization="ref_level")
    assert c.preemphasis == 0.97 and c.normalization == "ref_level" and c.n_fft == 4096
