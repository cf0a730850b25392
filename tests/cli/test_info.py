"""``alpacaspot info`` on the cfg files the pipeline writes and on folders."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from alpacaspot.cli import main
from alpacaspot.io import write_audio
from alpacaspot.io.animalspot import write_cfg
from alpacaspot.pipeline._cfg_keys import eval_values, predict_values
from alpacaspot.pipeline.variants import BenchmarkVariant


@pytest.fixture()
def pipeline_root(tmp_path: Path) -> Path:
    """A pipeline root with the cfg files the factories write, and a corpus with audio."""
    root = tmp_path / "pipe"
    tag_dir = root / "BENCHMARK" / "cfg" / "v1" / "len400_hop050_th90"
    tag_dir.mkdir(parents=True)
    run = root / "BENCHMARK" / "runs" / "v1" / "len400_hop050_th90"
    variant = BenchmarkVariant(seq_len=0.4, hop=0.05, threshold=0.9)
    corpus = root / "data" / "corpus"
    predict_values(tag_dir / "predict.cfg", model_path=root / "model.pt", corpus_root=corpus,
                   run_dir=run, scores_dir=run / "scores", variant=variant)
    eval_values(tag_dir / "eval.cfg", corpus_root=corpus, run_dir=run,
                scores_dir=run / "scores", variant=variant,
                postprocess={"curve": "centre", "merge_gap_s": 0.1})
    from alpacaspot.models import TRAIN_EXTRA_KEYS

    train_dir = root / "TRAINING" / "cfg" / "v1"
    values = {"data_dir": str(corpus / "dataset_v1"), "model_dir": str(root / "m"),
              "sequence_len": "400", "width": "8", "seed": "3", "val_metric": "f1_target"}
    write_cfg(train_dir / "alpaca_server.cfg", values, kind="train",
              extra_keys=TRAIN_EXTRA_KEYS)
    write_cfg(train_dir / "v1_small.cfg", values, kind="train", extra_keys=TRAIN_EXTRA_KEYS)
    for name in ("tape1/a.wav", "tape1/b.wav", "tape2/c.flac"):
        (corpus / name).parent.mkdir(parents=True, exist_ok=True)
        write_audio(corpus / name, np.zeros(800, dtype=np.float32), 8000)
    (corpus / "corpus_index.parquet").write_bytes(b"")
    return root


def test_info_on_every_cfg_the_pipeline_writes(pipeline_root: Path,
                                               capsys: pytest.CaptureFixture) -> None:
    tag = pipeline_root / "BENCHMARK" / "cfg" / "v1" / "len400_hop050_th90"
    train = pipeline_root / "TRAINING" / "cfg" / "v1"
    paths = [tag / "predict.cfg", tag / "eval.cfg", train / "alpaca_server.cfg",
             train / "v1_small.cfg"]
    assert main(["info", *map(str, paths)]) == 0
    out = capsys.readouterr().out
    assert "ANIMAL-SPOT predict cfg: 9 keys (run it with: alpacaspot predict predict.cfg)" in out
    assert "ANIMAL-SPOT evaluate cfg: 10 keys (run it with: alpacaspot evaluate eval.cfg)" in out
    assert f"model_path = {pipeline_root / 'model.pt'}" in out
    assert "curve = centre" in out and "method = refined" in out
    assert out.count("ANIMAL-SPOT train cfg: 6 keys (run it with: alpacaspot train") == 2
    assert "width = 8" in out


def test_info_on_a_cfg_of_no_kind_names_the_file(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture) -> None:
    bad = tmp_path / "eval.cfg"
    bad.write_text("prediction_dir=/p\ncolour=red\n")
    assert main(["info", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "not a train, predict or evaluate cfg" in err and "colour" in err
    assert str(bad) in err and "line 2" in err


def test_info_on_folders(pipeline_root: Path, capsys: pytest.CaptureFixture) -> None:
    corpus = pipeline_root / "data" / "corpus"
    empty = pipeline_root / "empty"
    empty.mkdir()
    assert main(["info", str(pipeline_root), str(corpus), str(empty)]) == 0
    out = capsys.readouterr().out
    root_part, corpus_part, empty_part = out.split(f"{corpus}\n")[0], *out.split(
        f"{corpus}\n")[1].split(f"{empty}\n")
    assert "pipeline root: TRAINING/" in root_part and "pipeline root: BENCHMARK/" in root_part
    assert "contents: 3 audio file(s), 4 cfg file(s), 1 Parquet table(s)" in root_part
    assert "folder: 4 file(s), 2 folder(s) inside" in corpus_part
    assert "corpus: corpus_index.parquet" in corpus_part
    assert "contents: 3 audio file(s), 1 Parquet table(s)" in corpus_part
    assert "folder: 0 file(s), 0 folder(s) inside" in empty_part


def test_info_on_a_table_or_a_cfg_loads_no_torch(pipeline_root: Path) -> None:
    tag = pipeline_root / "BENCHMARK" / "cfg" / "v1" / "len400_hop050_th90"
    code = ("import sys; from alpacaspot.cli import main; "
            f"rc = main(['info', {str(tag / 'eval.cfg')!r}, {str(tag / 'predict.cfg')!r}, "
            f"{str(pipeline_root)!r}, {str(pipeline_root / 'data/corpus/tape1/a.wav')!r}]); "
            "assert 'torch' not in sys.modules, 'torch imported'; sys.exit(rc)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "ANIMAL-SPOT evaluate cfg" in r.stdout and "audio: WAV" in r.stdout
