import pytest

from alpacaspot.detect.cfg import read_evaluate_cfg, read_predict_cfg
from alpacaspot.errors import ConfigError


def _write(path, text):
    path.write_text(text)
    return path


def test_predict_cfg_defaults_and_relative_paths(tmp_path):
    p = _write(tmp_path / "predict.cfg",
               "# comment\nmodel_path=m/model.pt\ninput_file=/audio\nhop=0.05\n"
               "output_dir=out\nnum_workers=4\njit_load\nthreshold=0.9\nmode=shared\n"
               "precision=bf16\nbatch_size=32\n")
    s = read_predict_cfg(p)
    assert s.model_path == tmp_path / "m" / "model.pt"
    assert s.scores_dir == tmp_path / "out" / "scores"
    assert (s.mode, s.precision, s.batch_size, s.threshold) == ("shared", "bf16", 32, 0.9)
    assert s.device == "auto" and not s.write_log and s.min_max_norm


@pytest.mark.parametrize("text, match", [
    ("input_file=/a\nhop=0.05\nscores_dir=s\n", "model_path"),
    ("model_path=m\ninput_file=/a\nhop=fast\nscores_dir=s\n", "line 3"),
    ("model_path=m\ninput_file=/a\nhop=0.05\n", "scores_dir"),
    ("model_path=m\ninput_file=/a\nhop=0.05\nscores_dir=s\nbatch_size=0\n", "batch_size"),
    ("model_path=m\ninput_file=/a\nhop=0.05\nscores_dir=s\nwibble=1\n", "wibble"),
    ("model_path=m\ninput_file=/a\nhop=0.05\nscores_dir=s\nthreshold=2\n", "threshold"),
    ("model_path\ninput_file=/a\nhop=0.05\nscores_dir=s\n", "model_path"),
])
def test_bad_predict_cfgs(tmp_path, text, match):
    p = _write(tmp_path / "predict.cfg", text)
    with pytest.raises(ConfigError, match=match) as info:
        read_predict_cfg(p)
    assert "predict.cfg" in str(info.value)


def test_evaluate_cfg(tmp_path):
    p = _write(tmp_path / "eval.cfg",
               "prediction_dir=pred\noutput_dir=ev\nthreshold=0.95\nnoise_in_anno\n"
               "low_threshold=0.5\nmerge_gap_s=0.1\ncurve=centre\nmax_duration_s=3\n")
    s = read_evaluate_cfg(p)
    assert s.scores_dir is None and s.prediction_dir == tmp_path / "pred"
    assert (s.threshold, s.low_threshold, s.merge_gap_s, s.curve, s.max_duration_s) == (
        0.95, 0.5, 0.1, "centre", 3.0)


@pytest.mark.parametrize("text, match", [
    ("output_dir=ev\nthreshold=0.9\n", "scores_dir"),
    ("output_dir=ev\nscores_dir=s\n", "threshold"),
    ("output_dir=ev\nscores_dir=s\nthreshold=0.5\nlow_threshold=0.7\n", "low_threshold"),
    ("output_dir=ev\nscores_dir=s\nthreshold=0.5\nmethod=magic\n", "line 4"),
])
def test_bad_evaluate_cfgs(tmp_path, text, match):
    p = _write(tmp_path / "eval.cfg", text)
    with pytest.raises(ConfigError, match=match) as info:
        read_evaluate_cfg(p)
    assert "eval.cfg" in str(info.value)


def test_evaluate_cfg_without_method_keeps_animalspot_merging(tmp_path, caplog):
    """An ANIMAL-SPOT eval.cfg (no method key) gives ANIMAL-SPOT's selections."""
    import logging

    import numpy as np
    import pandas as pd

    from alpacaspot.events import scores_to_events

    p = _write(tmp_path / "eval.cfg", "prediction_dir=pred\noutput_dir=ev\nthreshold=0.9\n")
    with caplog.at_level(logging.INFO, logger="alpacaspot.detect.cfg"):
        s = read_evaluate_cfg(p)
    assert s.method == "animalspot" and not s.method_from_cfg
    assert "method=animalspot" in caplog.text
    prob = np.array([0.1, 0.95, 0.2, 0.97, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.99])
    i = np.arange(len(prob))
    scores = pd.DataFrame({"recording": "a.wav", "window": i, "begin_s": i * 0.05,
                           "end_s": i * 0.05 + 0.4, "p_noise": 1 - prob, "p_target": prob})
    ev = scores_to_events(scores, s.postprocess)
    assert ev[["begin_s", "end_s"]].values.tolist() == [[0.05, 0.55], [0.6, 1.0]]
    assert "cnn_logit_mean" in ev.columns
    named = _write(tmp_path / "e2.cfg", "scores_dir=s\noutput_dir=ev\nthreshold=0.9\n"
                   "method=refined\n")
    assert read_evaluate_cfg(named).method == "refined"
    assert read_evaluate_cfg(named).method_from_cfg


def test_refined_keys_without_method_are_named_as_ignored(tmp_path, caplog):
    p = _write(tmp_path / "eval.cfg", "scores_dir=s\noutput_dir=ev\nthreshold=0.9\n"
               "curve=centre\nmerge_gap_s=0.1\n")
    s = read_evaluate_cfg(p)
    assert s.method == "animalspot" and s.curve == "centre"
    assert "curve" in caplog.text and "method=refined" in caplog.text


def test_alpacaspot_writes_method_explicitly(tmp_path):
    from alpacaspot.pipeline._cfg_keys import eval_values
    from alpacaspot.pipeline.variants import BenchmarkVariant

    v = BenchmarkVariant(0.4, 0.05, 0.9)
    path = eval_values(tmp_path / "eval.cfg", corpus_root=tmp_path, run_dir=tmp_path / "run",
                       scores_dir=tmp_path / "scores", variant=v)
    assert "method=refined\n" in path.read_text()
    s = read_evaluate_cfg(path)
    assert (s.method, s.threshold, s.method_from_cfg) == ("refined", 0.9, True)
    path = eval_values(tmp_path / "eval.cfg", corpus_root=tmp_path, run_dir=tmp_path / "run",
                       scores_dir=tmp_path / "scores", variant=v,
                       postprocess={"method": "animalspot"})
    assert read_evaluate_cfg(path).method == "animalspot"


def test_evaluate_command_logs_the_method_of_an_animalspot_cfg(tmp_path, caplog):
    """``alpacaspot evaluate`` on an ANIMAL-SPOT eval.cfg merges as ANIMAL-SPOT and says so."""
    import logging

    import numpy as np
    import pandas as pd

    from alpacaspot.cli import main
    from alpacaspot.io import read_raven, write_table

    prob = np.array([0.1, 0.95, 0.2, 0.97, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.99])
    i = np.arange(len(prob))
    write_table(pd.DataFrame({"recording": "a.wav", "window": i, "begin_s": i * 0.05,
                              "end_s": i * 0.05 + 0.4, "p_noise": 1 - prob,
                              "p_target": prob}), tmp_path / "scores" / "a.wav.parquet")
    cfg = _write(tmp_path / "eval.cfg", "scores_dir=scores\noutput_dir=ev\nthreshold=0.9\n")
    with caplog.at_level(logging.INFO):
        assert main(["evaluate", str(cfg)]) == 0
    assert "method=animalspot" in caplog.text
    raven = (tmp_path / "ev" / "a.wav.selections.txt").read_text()
    assert "CNN logit (mean)" in raven.splitlines()[0]
    table = read_raven(tmp_path / "ev" / "a.wav.selections.txt")
    assert len(table) == 2
