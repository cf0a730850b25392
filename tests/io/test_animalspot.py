"""Tests of alpacaspot.io.animalspot: clip names, cfg files, prediction logs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alpacaspot.errors import AnnotationError, ConfigError, CorpusError
from alpacaspot.io.animalspot import (
    EVALUATE_KEYS,
    PREDICT_KEYS,
    TRAIN_KEYS,
    ClipName,
    format_clip_name,
    parse_clip_name,
    predict_log_name,
    read_cfg,
    read_predict_log,
    read_predict_log_header,
    write_cfg,
    write_predict_log,
)

# --------------------------------------------------------------------------- clip names

_field = st.text(
    alphabet=st.characters(
        blacklist_characters="_/\\\n\r\t", blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp")
    ),
    min_size=1,
    max_size=12,
)


@st.composite
def _clips(draw: st.DrawFn) -> ClipName:
    start = draw(st.integers(0, 10**9))
    return ClipName(
        class_name=draw(_field.filter(lambda s: "-" not in s)),
        label=draw(st.one_of(st.just(""), _field)),
        id=draw(_field),
        year=draw(st.integers(0, 9999)),
        tape=draw(_field),
        start_ms=start,
        end_ms=start + draw(st.integers(0, 10**7)),
    )


@settings(max_examples=100, deadline=None)
@given(_clips())
def test_clip_name_round_trip(clip: ClipName) -> None:
    name = clip.format()
    assert name.endswith(".wav")
    assert parse_clip_name(name) == clip


def test_clip_name_examples() -> None:
    c = parse_clip_name("/data/x/noise-_2381_2010_101BC_149817_150055.wav")
    assert c == ClipName("noise", "", "2381", 2010, "101BC", 149817, 150055)
    assert (c.tape_key, c.begin_s, c.end_s) == ("2010_101BC", 149.817, 150.055)
    assert (
        format_clip_name(
            class_name="target",
            label="hum-Q3",
            id="17",
            year=2019,
            tape="tape A",
            start_ms=0,
            end_ms=270,
        )
        == "target-hum-Q3_17_2019_tape A_0_270.wav"
    )


@pytest.mark.parametrize(
    ("name", "match"),
    [
        ("target-hum_1_2019_tape_A_0_10.wav", "7 '_'-separated fields"),
        ("target_1_2019_tapeA_0_10.wav", "needs 'CLASSNAME-'"),
        ("target-hum_1_20x9_tapeA_0_10.wav", "YEAR must be a non-negative integer"),
        ("target-hum_1_2019_tapeA_0.5_10.wav", "STARTMS"),
        ("target-hum_1_2019_tapeA_20_10.wav", "ENDMS 10 is before"),
        ("target-hum_1_2019_tapeA_0_10.flac", "does not end in .wav"),
        ("target-hum__2019_tapeA_0_10.wav", "empty ID"),
    ],
)
def test_clip_name_rejected(name: str, match: str) -> None:
    with pytest.raises(CorpusError, match=match) as info:
        parse_clip_name(name)
    assert name in str(info.value)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"tape": "tape_A"}, "tape='tape_A' must not contain '_'"),
        ({"label": "a_b"}, "label"),
        ({"class_name": "tar-get"}, "'-'"),
        ({"id": ""}, "must not be empty"),
        ({"year": 12345}, "0..9999"),
        ({"start_ms": 5, "end_ms": 4}, "start_ms <= end_ms"),
        ({"start_ms": 1.5}, "integer"),
    ],
)
def test_format_clip_name_rejected(kwargs: dict, match: str) -> None:
    args = dict(class_name="target", label="", id="1", year=2019, tape="t", start_ms=0, end_ms=9)
    args.update(kwargs)
    with pytest.raises(CorpusError, match=match):
        format_clip_name(**args)


# --------------------------------------------------------------------------- cfg files

FORK_TRAIN_CFG = """\
# alpaca fork training cfg
src_dir=/home/user/ANIMAL-SPOT-alpaca/ANIMAL-SPOT
debug
data_dir=/scratch/data/training_corpus_v1/dataset_random
cache_dir=/scratch/cache
model_dir=/scratch/TRAINING/runs/models/v1_random/models
checkpoint_dir=/scratch/TRAINING/runs/models/v1_random/checkpoints
log_dir=/scratch/TRAINING/runs/models/v1_random/logs
summary_dir=/scratch/TRAINING/runs/models/v1_random/summaries
noise_dir=None
start_from_scratch
max_train_epochs=40
jit_save
epochs_per_eval=2
batch_size=16
num_workers=0
lr=10e-6
beta1=0.5
lr_patience_epochs=8
lr_decay_factor=0.5
early_stopping_patience_epochs=10
filter_broken_audio
sequence_len=400
freq_compression=linear
n_freq_bins=128
n_fft=2048
hop_length=1024
sr=48000
augmentation
resnet=18
conv_kernel_size=7
num_classes=2
max_pool=2
min_max_norm
fmin=0
fmax=4000
"""


def test_read_fork_training_cfg(tmp_path: Path) -> None:
    path = tmp_path / "alpaca_server.cfg"
    path.write_bytes(("\ufeff" + FORK_TRAIN_CFG).replace("\n", "\r\n").encode())
    cfg = read_cfg(path, kind="train")
    assert list(cfg) == [k for k in TRAIN_KEYS if k != "no_cuda"]
    assert cfg["debug"] is True and cfg["min_max_norm"] is True
    assert cfg["noise_dir"] is None
    assert (cfg["sr"], cfg["n_fft"], cfg["sequence_len"], cfg["lr"]) == (
        "48000",
        "2048",
        "400",
        "10e-6",
    )
    write_cfg(tmp_path / "again.cfg", cfg, kind="train")
    # written back in the form ANIMAL-SPOT's launcher parses: flags as key=true, unset left out
    fork_lines = FORK_TRAIN_CFG.split("\n", 1)[1].splitlines()
    expected = [line if "=" in line else f"{line}=true" for line in fork_lines
                if line != "noise_dir=None"]
    assert (tmp_path / "again.cfg").read_text().splitlines() == expected
    assert read_cfg(tmp_path / "again.cfg", kind="train") == {
        k: v for k, v in cfg.items() if v is not None}


def test_cfg_values_kept_whole(tmp_path: Path) -> None:
    path = tmp_path / "predict.cfg"
    path.write_text("input_file = /data/my tapes/a=b.wav  \n  # indented comment\n\nhop=0.05\n")
    assert read_cfg(path, kind="predict") == {"input_file": "/data/my tapes/a=b.wav", "hop": "0.05"}


@pytest.mark.parametrize(
    ("text", "line", "match"),
    [
        (
            "hop=0.05\nwindow=0.4\n",
            2,
            "unknown key 'window' for a predict cfg; allowed keys: src_dir",
        ),
        ("hop=0.05\nhop=0.1\n", 2, "duplicate key 'hop' \\(first set on line 1\\)"),
        ("hop=\n", 1, "empty value"),
        ("=5\n", 1, "expected 'key=value'"),
        ("my key=5\n", 1, "expected 'key=value'"),
    ],
)
def test_cfg_errors_name_file_and_line(tmp_path: Path, text: str, line: int, match: str) -> None:
    path = tmp_path / "bad_predict.cfg"
    path.write_text(text)
    with pytest.raises(ConfigError, match=match) as info:
        read_cfg(path, kind="predict")
    assert str(info.value).startswith(f"{path}, line {line}: ")


def test_cfg_unknown_key_lists_allowed_keys(tmp_path: Path) -> None:
    path = tmp_path / "eval.cfg"
    path.write_text("prediction_dir=/x\nsequence_len=0.4\n")
    with pytest.raises(ConfigError) as info:
        read_cfg(path, kind="evaluate")
    for key in EVALUATE_KEYS:
        assert key in str(info.value)
    assert read_cfg(path, kind="evaluate", extra_keys=["sequence_len"])["sequence_len"] == "0.4"


def test_cfg_missing_file_and_bad_kind(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="none.cfg: cfg file does not exist"):
        read_cfg(tmp_path / "none.cfg", kind="train")
    with pytest.raises(ConfigError, match="unknown cfg kind 'training'"):
        read_cfg(tmp_path / "none.cfg", kind="training")


def test_write_cfg_semantics_and_errors(tmp_path: Path) -> None:
    path = tmp_path / "p.cfg"
    write_cfg(
        path,
        {
            "no_cuda": True,
            "visualize": False,
            "log_dir": None,
            "hop": 0.05,
            "model_path": Path("/m/model.pt"),
        },
        kind="predict",
    )
    assert path.read_text() == "no_cuda=true\nvisualize=false\nhop=0.05\nmodel_path=/m/model.pt\n"
    with pytest.raises(ConfigError, match="unknown key 'bogus'"):
        write_cfg(path, {"bogus": 1}, kind="predict")
    with pytest.raises(ConfigError, match="one line"):
        write_cfg(path, {"hop": "0.05\nthreshold=1"}, kind="predict")
    assert path.read_text().startswith("no_cuda=true")  # failed writes left the file alone


_cfg_value = st.one_of(
    st.booleans(),
    st.none(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")),
        min_size=1,
        max_size=20,
    )
    .map(str.strip)
    .filter(lambda s: s not in ("", "None")),
)


@settings(
    max_examples=75, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.dictionaries(st.sampled_from(PREDICT_KEYS), _cfg_value, max_size=len(PREDICT_KEYS)))
def test_cfg_round_trip(tmp_path: Path, values: dict) -> None:
    path = tmp_path / "rt.cfg"
    write_cfg(path, values, kind="predict")
    fixed = {"true": True, "false": False}
    expected = {k: (v if isinstance(v, bool) else fixed.get(str(v), str(v)))
                for k, v in values.items() if v is not None}
    assert read_cfg(path, kind="predict") == expected


# --------------------------------------------------------------------------- prediction logs


def _scores(
    n: int, *, sr: int = 48000, hop: int = 2400, length: int = 19200, total: int = 48000 * 3
) -> pd.DataFrame:
    starts = np.arange(n) * hop
    p = np.random.default_rng(3).uniform(size=n)
    return pd.DataFrame(
        {
            "recording": ["tape1/rec.2019.wav"] * n,
            "window": np.arange(n),
            "begin_s": starts / sr,
            "end_s": np.minimum(starts + length, total) / sr,
            "p_noise": 1 - p,
            "p_target": p,
        }
    )


def test_predict_log_round_trip(tmp_path: Path) -> None:
    scores = _scores(53)  # last windows reach the end of the file
    path = tmp_path / predict_log_name("tape1/rec.2019.wav")
    assert path.name == "rec.2019_predict_output.log"
    write_predict_log(
        path,
        scores,
        threshold=0.9,
        sequence_len_s=0.4,
        hop_s=0.05,
        sr=48000,
        n_samples=48000 * 3,
        model_path="/m/model.pt",
        data_opts={"sr": 48000, "n_fft": 2048, "hop_length": 1024, "fmin": 0, "fmax": 4000},
    )
    back = read_predict_log(path, recording="tape1/rec.2019.wav")
    pd.testing.assert_frame_equal(back, scores.astype({"window": "int64"}), check_dtype=False)
    lines = path.read_text().splitlines()
    assert lines[0] == "00:00:00|I|tape1/rec.2019.wav"
    assert lines[-1].startswith("00:00:00|I|time=2.6-3.0, pred=")
    header = read_predict_log_header(path)
    assert header.model_path == "/m/model.pt"
    assert (header.sequence_len_s, header.hop_s, header.threshold) == (0.4, 0.05, 0.9)
    assert (header.fmin, header.fmax, header.sr) == (0.0, 4000.0, 48000)
    assert header.classes == {"noise": 0, "target": 1}
    assert (header.n_samples, header.hop_samples, header.min_max_norm) == (144000, 2400, True)
    assert back.attrs["predict_log"]["threshold"] == 0.9
    assert read_predict_log(path)["recording"].iloc[0] == "tape1/rec.2019.wav"


def test_predict_log_deterministic(tmp_path: Path) -> None:
    for name in ("a.log", "b.log"):
        write_predict_log(
            tmp_path / name, _scores(5), threshold=0.5, sequence_len_s=0.4, hop_s=0.05, sr=48000
        )
    assert (tmp_path / "a.log").read_bytes() == (tmp_path / "b.log").read_bytes()


ANIMALSPOT_LOG = """\
10:14:02|I|/data/bench/tape 3.wav
10:14:02|I|Model Path: /models/ANIMAL-SPOT.pk
10:14:02|I|dataOpts: {'sr': 48000, 'preemphases': 0.98, 'n_fft': 2048, 'hop_length': 1024, \
'n_freq_bins': 128, 'fmin': 0, 'fmax': 4000, 'freq_compression': 'linear', 'min_level_db': -100, \
'ref_level_db': 20}
10:14:02|I|prediction length: 0.4[s], hop length: 0.05[s], threshold: 0.9, prediction fmin: 0[Hz] \
prediction fmax: 4000[Hz]
10:14:02|I|class distribution: {'noise': 0, 'target': 1}
10:14:02|I|Init min-max-normalization activated
10:14:02|I|size of the file(samples)=21000
10:14:02|I|size of hop(samples)=2400
10:14:02|I|stop time=8
10:14:03|I|time=0.0-0.4, pred=0, prob=0.012345678
10:14:03|I|time=0.05-0.3, pred=1, prob=0.95
10:14:03|I|time=0.1-0.437, pred=1, prob=0.9
"""


def test_read_animalspot_style_log(tmp_path: Path) -> None:
    path = tmp_path / "tape 3_predict_output.log"
    path.write_text(ANIMALSPOT_LOG.replace("0.05-0.3", "0.05-0.4"))
    table = read_predict_log(path)
    assert table["recording"].tolist() == ["tape 3.wav"] * 3
    np.testing.assert_allclose(table["begin_s"], [0.0, 0.05, 0.1])
    # exact ends from the header's sample counts: min(i*2400 + 19200, 21000) / 48000
    np.testing.assert_allclose(table["end_s"], [0.4, 0.4375, 0.4375])
    np.testing.assert_allclose(table["p_target"], [0.012345678, 0.95, 0.9])
    np.testing.assert_allclose(table["p_noise"], 1 - table["p_target"])
    assert read_predict_log_header(path).data_opts["preemphases"] == 0.98


def test_read_log_without_header_uses_logged_times(tmp_path: Path) -> None:
    path = tmp_path / "x_predict_output.log"
    path.write_text("12:00:00|I|time=1.0-1.399, pred=0, prob=0.25\n")
    table = read_predict_log(path)
    assert table["recording"].tolist() == ["x"]
    assert table[["begin_s", "end_s"]].values.tolist() == [[1.0, 1.399]]


@pytest.mark.parametrize(
    ("line", "match"),
    [
        ("time=0.0-0.4, pred=0, prob=abc", "expected 'time=<t0>-<t1>"),
        ("time=0.5-0.4, pred=0, prob=0.1", "0 <= t0 <= t1"),
        ("time=0.0-0.4, pred=0, prob=1.5", "prob must lie in"),
        ("time=0.0-0.4, pred=1, pred_class=target-1, prob=0.9", "multi-class"),
    ],
)
def test_bad_log_lines(tmp_path: Path, line: str, match: str) -> None:
    path = tmp_path / "bad_predict_output.log"
    path.write_text(f"10:00:00|I|header\n10:00:00|I|{line}\n")
    with pytest.raises(AnnotationError, match=match) as info:
        read_predict_log(path)
    assert str(info.value).startswith(f"{path}, line 2: ")


def test_log_errors(tmp_path: Path) -> None:
    with pytest.raises(AnnotationError, match="none.log: prediction log does not exist"):
        read_predict_log(tmp_path / "none.log")
    two = pd.concat([_scores(2), _scores(2).assign(recording="other.wav")])
    with pytest.raises(AnnotationError, match="one recording"):
        write_predict_log(tmp_path / "x.log", two, threshold=0.5, sequence_len_s=0.4, hop_s=0.05)
    with pytest.raises(AnnotationError, match="p_hum"):
        write_predict_log(
            tmp_path / "x.log",
            _scores(2),
            threshold=0.5,
            sequence_len_s=0.4,
            hop_s=0.05,
            target_class="hum",
        )
