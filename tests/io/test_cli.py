"""Tests of ``alpacaspot info`` (alpacaspot.cli.info) on files of the io layer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alpacaspot.cli import main
from alpacaspot.io import write_audio, write_table
from alpacaspot.io.animalspot import write_cfg, write_predict_log


def test_info_describes_each_kind(
    real_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    clip = tmp_path / "target-hum_1_2019_tapeA_0_270.wav"
    write_audio(clip, np.zeros(270 * 48), 48000)
    table = write_table(
        pd.DataFrame({"recording": ["a.wav"], "begin_s": [0.0], "end_s": [1.0]}),
        tmp_path / "ev.parquet",
        schema="events",
        metadata={"model": "abc"},
    )
    cfg = write_cfg(
        tmp_path / "eval.cfg", {"prediction_dir": "/p", "threshold": 0.9}, kind="evaluate"
    )
    log = write_predict_log(
        tmp_path / "a_predict_output.log",
        pd.DataFrame(
            {
                "recording": ["a.wav"],
                "window": [0],
                "begin_s": [0.0],
                "end_s": [0.4],
                "p_target": [0.7],
            }
        ),
        threshold=0.5,
        sequence_len_s=0.4,
        hop_s=0.05,
    )
    paths = [clip, table, cfg, log, real_dir / "RR48_2013_D151.ABW.selections.txt"]
    assert main(["info", *map(str, paths)]) == 0
    out = capsys.readouterr().out
    assert "audio: WAV PCM_16, 48000 Hz, 1 channel(s), 12960 frames" in out
    assert "ANIMAL-SPOT clip: class=target label='hum' id=1 tape=2019_tapeA 0-270 ms" in out
    assert "parquet table: 1 rows" in out and "fits schema(s): events" in out
    assert "metadata: {'model': 'abc'}" in out
    assert "ANIMAL-SPOT evaluate cfg: 2 keys" in out
    assert "prediction log: 1 windows of 'a.wav'" in out
    assert "Raven selection table: 853 events, 1 recording(s)" in out


def test_info_errors_name_the_file(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "x.xyz").write_text("?")
    (tmp_path / "bad.wav").write_text("not audio")
    assert (
        main(
            [
                "info",
                str(tmp_path / "x.xyz"),
                str(tmp_path / "bad.wav"),
                str(tmp_path / "missing.parquet"),
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert f"{tmp_path / 'x.xyz'}: unknown file kind '.xyz'" in err
    assert f"{tmp_path / 'bad.wav'}: not a readable audio file" in err
    assert f"{tmp_path / 'missing.parquet'}: file does not exist" in err


def test_info_model_file(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    models = pytest.importorskip("alpacaspot.models")
    dsp = pytest.importorskip("alpacaspot.dsp")
    if not all(hasattr(models, n) for n in ("build_model", "save_model", "ModelBundle")):
        pytest.skip("alpacaspot.models not complete")
    cfg = dsp.SpectrogramConfig(
        sr=8000, n_fft=256, hop_length=128, fmin=0, fmax=4000, n_freq_bins=16
    )
    bundle = models.ModelBundle(models.build_model(width=4), cfg, 0.4, ("noise", "target"))
    models.save_model(tmp_path / "model.pt", bundle)
    assert main(["info", str(tmp_path / "model.pt")]) == 0
    out = capsys.readouterr().out
    assert "model: classes ['noise', 'target'], window 0.4 s" in out
    assert f"fingerprint {bundle.fingerprint()}" in out
