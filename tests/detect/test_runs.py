import json

import numpy as np
import pandas as pd

from alpacaspot.detect import scores_to_events, write_evaluation
from alpacaspot.detect.runs import benchmark_tag, raven_name
from alpacaspot.io import read_raven, read_table


def _scores(rec, p):
    i = np.arange(len(p))
    return pd.DataFrame({"recording": rec, "window": i, "begin_s": i * 0.05,
                         "end_s": i * 0.05 + 0.4, "p_noise": 1 - np.array(p), "p_target": p})


def test_animalspot_run_folder(tmp_path):
    s = pd.concat([_scores("t/a.b.wav", [0.1, 0.95, 0.97, 0.1]), _scores("z.wav", [0.1] * 4)])
    ev = scores_to_events(s, threshold=0.9, method="animalspot", low_hz=0, high_hz=4000)
    idx = write_evaluation(ev, tmp_path, recordings=["t/a.b.wav", "z.wav"], generated_at="x")
    assert raven_name("t/a.b.wav") == "t/a.b.wav.selections.txt"
    table = tmp_path / "t" / "a.b.wav.selections.txt"
    header = table.read_text().splitlines()[0].split("\t")
    assert "CNN logit (mean)" in header and "Sound type" in header
    back = read_raven(table)
    assert back[["begin_s", "end_s"]].values.tolist() == [[0.05, 0.5]]
    assert read_raven(tmp_path / "z.wav.selections.txt").empty
    stored = read_table(tmp_path / "index.parquet", schema="events")
    assert stored["pred_path"].tolist() == ["t/a.b.wav.selections.txt"]
    # a recording in a folder belongs to the folder's tape, as the corpus index assigns it
    assert stored["tape"].tolist() == ["t"] == idx["tape"].tolist()
    doc = json.loads((tmp_path / "index.json").read_text())
    assert doc["entries"][0]["uid"] == "t/a.b.wav#1"
    assert doc["entries"][0]["dur_s"] == 0.45


def test_same_inputs_same_bytes(tmp_path):
    ev = scores_to_events(_scores("a.wav", [0.1, 0.95, 0.2, 0.1, 0.99]), threshold=0.5)
    write_evaluation(ev, tmp_path / "1", generated_at="g")
    write_evaluation(ev, tmp_path / "2", generated_at="g")
    for name in ("index.json", "index.parquet", "a.wav.selections.txt"):
        assert (tmp_path / "1" / name).read_bytes() == (tmp_path / "2" / name).read_bytes()


def test_tags():
    assert benchmark_tag(0.4, 0.05, 0.9) == "len400_hop050_th90"
    assert benchmark_tag(0.25, 0.1, 0.05) == "len250_hop100_th05"
    assert benchmark_tag(0.4, 0.05, 0.99) == "len400_hop050_th99"
