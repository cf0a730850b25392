import json
import subprocess
import sys

import pandas as pd
import pytest

from alpacaspot.cli import main
from alpacaspot.detect import EVALUATE_EXTRA_KEYS, PREDICT_EXTRA_KEYS
from alpacaspot.io import read_raven, read_table
from alpacaspot.io.animalspot import read_predict_log, write_cfg


@pytest.fixture
def model_file(bundle, tmp_path):
    from alpacaspot.models import save_model

    return save_model(tmp_path / "model" / "model.pt", bundle)


def _predict_cfg(path, model, audio, run, **extra):
    values = {"model_path": str(model), "input_file": str(audio),
              "output_dir": str(run / "prediction"), "sequence_len": "0.25", "hop": "0.05",
              "threshold": "0.5", "no_cuda": True, "scores_dir": str(run / "scores"), **extra}
    write_cfg(path, values, kind="predict", extra_keys=PREDICT_EXTRA_KEYS)
    return path


def test_predict_then_evaluate(model_file, audio_dir, tmp_path):
    run = tmp_path / "run"
    cfg = _predict_cfg(tmp_path / "predict.cfg", model_file, audio_dir, run, write_log=True)
    assert main(["predict", str(cfg)]) == 0
    stored = run / "scores" / "tape1" / "a.2019.wav.parquet"
    assert stored.is_file()
    log = run / "prediction" / "tape1" / "a.2019_predict_output.log"
    from_log = read_predict_log(log)
    scores = read_table(stored)
    assert len(from_log) == len(scores)
    assert (from_log["p_target"] - scores["p_target"]).abs().max() < 1e-3
    mtime = stored.stat().st_mtime_ns
    assert main(["predict", str(cfg)]) == 0  # idempotent
    assert stored.stat().st_mtime_ns == mtime

    ev_cfg = tmp_path / "eval.cfg"
    write_cfg(ev_cfg, {"prediction_dir": str(run / "prediction"),
                       "output_dir": str(run / "evaluation"), "threshold": "0.6",
                       "scores_dir": str(run / "scores"), "method": "animalspot"},
              kind="evaluate", extra_keys=EVALUATE_EXTRA_KEYS)
    # evaluation is CPU work that never loads torch
    code = ("import sys; from alpacaspot.cli import main; "
            f"rc = main(['evaluate', {str(ev_cfg)!r}]); "
            "assert 'torch' not in sys.modules, 'torch imported'; sys.exit(rc)")
    subprocess.run([sys.executable, "-c", code], check=True)
    ev = run / "evaluation"
    index = read_table(ev / "index.parquet")
    doc = json.loads((ev / "index.json").read_text())
    assert doc["meta"]["n_preds"] == len(index) == len(doc["entries"])
    assert set(doc["entries"][0]) >= {"uid", "pred_path", "tape", "start_s", "end_s", "dur_s"}
    tables = sorted(p.relative_to(ev).as_posix() for p in ev.rglob("*.selections.txt"))
    assert tables == ["b.wav.selections.txt", "tape1/a.2019.wav.selections.txt"]
    raven = read_raven(ev / "b.wav.selections.txt")
    assert len(raven) == (index["recording"] == "b.wav").sum()
    if len(index):
        assert "CNN logit (mean)" in (ev / "b.wav.selections.txt").read_text().splitlines()[0] \
            or (index["recording"] == "b.wav").sum() == 0
    before = (ev / "index.json").read_bytes()
    assert main(["evaluate", str(ev_cfg)]) == 0  # up to date: skipped, unchanged
    assert (ev / "index.json").read_bytes() == before
    # the same scores evaluated from the prediction logs
    write_cfg(ev_cfg, {"prediction_dir": str(run / "prediction"),
                       "output_dir": str(run / "ev_logs"), "threshold": "0.6",
                       "method": "animalspot"}, kind="evaluate", extra_keys=EVALUATE_EXTRA_KEYS)
    assert main(["evaluate", str(ev_cfg)]) == 0
    from_logs = read_table(run / "ev_logs" / "index.parquet")
    assert len(from_logs) == len(index)


def test_predict_reports_skipped_recordings(model_file, audio_dir, tmp_path):
    (audio_dir / "broken.wav").write_bytes(b"not audio at all")
    cfg = _predict_cfg(tmp_path / "predict.cfg", model_file, audio_dir, tmp_path / "run")
    assert main(["predict", str(cfg)]) == 1
    assert (tmp_path / "run" / "scores" / "b.wav.parquet").is_file()


def test_bad_cfgs_name_file_and_line(model_file, audio_dir, tmp_path, capsys):
    cfg = _predict_cfg(tmp_path / "predict.cfg", model_file, audio_dir, tmp_path / "run",
                       mode="turbo")
    assert main(["predict", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert "predict.cfg" in err and "mode" in err and "line" in err
    cfg = _predict_cfg(tmp_path / "p2.cfg", model_file, audio_dir, tmp_path / "run",
                       sequence_len="0.4")
    assert main(["predict", str(cfg)]) == 2
    assert "sequence_len" in capsys.readouterr().err
    ev_cfg = tmp_path / "eval.cfg"
    ev_cfg.write_text("output_dir=ev\nthreshold=high\nscores_dir=s\n")
    assert main(["evaluate", str(ev_cfg)]) == 2
    err = capsys.readouterr().err
    assert "eval.cfg, line 2" in err and "threshold" in err
    ev_cfg.write_text("output_dir=ev\nthreshold=0.5\nscores_dir=nowhere\n")
    assert main(["evaluate", str(ev_cfg)]) == 2
    assert "nowhere" in capsys.readouterr().err


def test_tags_and_refined_evaluation(tmp_path):
    from alpacaspot.detect import benchmark_tag, write_evaluation

    assert benchmark_tag(0.4, 0.05, 0.57) == "len400_hop050_th57"
    assert benchmark_tag(0.4, 0.05, 0.975) == "len400_hop050_th975"
    ev = pd.DataFrame({"recording": ["x/a.wav", "x/a.wav"], "begin_s": [2.0, 1.0],
                       "end_s": [2.2, 1.1], "label": "target", "score": [0.9, 0.8]})
    idx = write_evaluation(ev, tmp_path, tapes={"x/a.wav": "T1"}, generated_at="g")
    assert idx["begin_s"].tolist() == [1.0, 2.0]
    assert idx["tape"].tolist() == ["T1", "T1"]
    doc = json.loads((tmp_path / "index.json").read_text())
    assert doc["meta"] == {"generated_at": "g", "n_preds": 2}


def test_fit_shared_writes_a_model_for_shared_mode(model_file, audio_dir, tmp_path):
    from alpacaspot.models import load_model

    out = tmp_path / "model_shared.pt"
    argv = ["fit-shared", str(model_file), str(audio_dir), "-o", str(out), "--steps", "3",
            "--passes", "2", "--device", "cpu"]
    assert main(argv) == 0
    fitted = load_model(out)
    assert fitted.provenance["shared_fit"]["passes"] == 2
    assert fitted.provenance["shared_fit"]["recordings"] == 2
    assert main(["fit-shared", str(out), str(audio_dir), "-o", str(tmp_path / "x.pt"),
                 "--device", "cpu"]) == 2  # a fitted model is refused, with a message
