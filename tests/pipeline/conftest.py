"""A small pipeline tree on disk for the check and clean tests: tiny WAVs, real Parquet.

Also the small demo pipeline, run once per session (``baseline``) on synthetic corpora with a
corrupt WAV and a malformed table (``corpora``), whose outputs the end-to-end and shared-mode
tests reuse.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from alpacaspot.io import write_audio, write_table

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "examples" / "run_pipeline.py"
SR = 8000
SLURM = {"partition": "gpu", "time": "02:00:00", "gpus": 1, "cpus": 2,
         "evaluate": {"partition": "cpu", "gpus": 0}}
SPEC = {"sr": 8000, "n_fft": 256, "hop_length": 128, "n_freq_bins": 16, "fmin": 0,
        "fmax": 4000}


def _tone(seconds: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (0.1 * rng.standard_normal(int(seconds * SR))).astype(np.float32)


def make_corpus(corpus: Path) -> None:
    """Two one-second recordings on two tapes with two hums each."""
    recs = []
    for i, tape in enumerate(["tapeA", "tapeB"]):
        rel = f"{tape}/rec{i}.wav"
        write_audio(corpus / rel, _tone(1.0, i), SR)
        recs.append({"recording": rel, "tape": tape, "year": 2020, "sample_rate": SR,
                     "channels": 1, "frames": SR, "duration_s": 1.0})
    write_table(pd.DataFrame(recs), corpus / "corpus_recordings.parquet", schema="recordings")
    events = pd.DataFrame({
        "recording": [r["recording"] for r in recs for _ in range(2)],
        "begin_s": [0.1, 0.5, 0.1, 0.5], "end_s": [0.3, 0.7, 0.3, 0.7],
        "label": ["hum"] * 4, "quality": [1, 2, 3, 4],
        "tape": [r["tape"] for r in recs for _ in range(2)], "year": [2020] * 4,
    })
    write_table(events, corpus / "corpus_index.parquet", schema="events")
    (corpus / "corpus_index.json").write_text(json.dumps({"meta": {}, "entries": []}))


def make_dataset(dataset: Path) -> None:
    """Two clips per class in every split, with the split lists and the variant index."""
    rows = []
    for s, split in enumerate(["train", "val", "test"]):
        for c, cls in enumerate(["target", "noise"]):
            start = 100 * (2 * s + c)
            info = "hum" if cls == "target" else ""
            name = f"{cls}-{info}_{s}{c}_2020_tape{s}_{start}_{start + 200}.wav"
            write_audio(dataset / name, _tone(0.2, 10 * s + c), SR)
            rows.append({"clip": name, "class": cls, "label": "hum" if cls == "target" else "",
                         "recording": f"tape{s}/rec.wav", "tape": f"tape{s}",
                         "begin_s": start / 1000, "end_s": (start + 200) / 1000,
                         "split": split, "source": "annotation" if cls == "target" else "noise",
                         "quality": 1 if cls == "target" else None})
    table = pd.DataFrame(rows)
    write_table(table, dataset / "variant_index.parquet", schema="clips")
    for split in ["train", "val", "test"]:
        names = table.loc[table["split"] == split, "clip"]
        (dataset / f"{split}.csv").write_text("".join(f"{n}\n" for n in names))


def write_train_variants(root: Path, **extra: object) -> Path:
    doc = {
        "globals": {"src_dir": "unused", "data_root": "data", "runs_root": "TRAINING/runs",
                    "slurm": SLURM, **SPEC},
        "v1": {"dataset": "corpus1/dataset_v1", "sequence_len": 400, "n_fft": 256,
               "hop_length": 128},
        "active_variants": ["v1"],
        **extra,
    }
    path = root / "tools" / "train_variants.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2))
    return path


def write_benchmark_variants(root: Path, variants: list[dict] | None = None) -> Path:
    doc = {"slurm": SLURM, "variants": variants or [
        {"seq_len": 0.4, "hop": 0.05, "threshold": 0.9},
        {"seq_len": 0.4, "hop": 0.05, "threshold": 0.5},
    ]}
    path = root / "tools" / "benchmark_variants.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2))
    return path


def write_train_job(root: Path) -> Path:
    """Run the training factory on the tree's variants file; return the array script."""
    from alpacaspot.pipeline import training_factory

    factory = training_factory(root / "tools" / "train_variants.json", root=root, check=False)
    return factory.script_path


@pytest.fixture
def pipeline_root(tmp_path: Path) -> Path:
    """A pipeline root ready for training: corpus, dataset variant, variants files, job."""
    root = tmp_path / "pipe"
    make_corpus(root / "data" / "corpus1")
    make_dataset(root / "data" / "corpus1" / "dataset_v1")
    write_train_variants(root)
    write_benchmark_variants(root)
    write_train_job(root)
    return root


def write_model(root: Path, name: str = "v1", **spec: object) -> Path:
    """A tiny untrained model file with the variant's (or the given) spectrogram settings."""
    from alpacaspot.dsp import SpectrogramConfig
    from alpacaspot.models import ModelBundle, build_model, save_model

    cfg = SpectrogramConfig(**{**SPEC, **spec})
    bundle = ModelBundle(build_model(width=4), cfg, 0.4, ("noise", "target"))
    path = root / "TRAINING" / "runs" / "models" / name / "models" / "model.pt"
    save_model(path, bundle)
    return path


def write_benchmark_outputs(root: Path, model: str = "v1") -> Path:
    """Run the benchmark and evaluation factories, then store one recording's window scores."""
    from alpacaspot.pipeline import benchmark_factory, eval_factory

    model_path = root / "TRAINING" / "runs" / "models" / model / "models" / "model.pt"
    if not model_path.is_file():
        write_model(root, model)
    benchmark_factory(root / "data" / "corpus1", root / "tools" / "benchmark_variants.json",
                      root=root, models={model: model_path}, check=False)
    eval_factory(root / "BENCHMARK", check=False)
    scores = root / "BENCHMARK" / "runs" / model / "scores" / "len400_hop050"
    table = pd.DataFrame({"recording": ["tapeA/rec0.wav"], "window": [0], "begin_s": [0.0],
                          "end_s": [0.4], "p_noise": [0.3], "p_target": [0.7]})
    write_table(table, scores / "tapeA" / "rec0.wav.parquet", schema="window_scores")
    return scores


@pytest.fixture
def tree() -> SimpleNamespace:
    """The helpers that build or change parts of a pipeline tree."""
    return SimpleNamespace(
        SR=SR,
        make_corpus=make_corpus,
        make_dataset=make_dataset,
        write_train_variants=write_train_variants,
        write_benchmark_variants=write_benchmark_variants,
        write_train_job=write_train_job,
        write_model=write_model,
        write_benchmark_outputs=write_benchmark_outputs,
    )


def _corrupt(corpus: Path) -> tuple[Path, Path]:
    """Add a corrupt WAV and a recording whose Raven table is malformed."""
    bad_wav = corpus / "zz_broken" / "corrupt_20200101.wav"
    bad_wav.parent.mkdir()
    bad_wav.write_bytes(b"RIFF\x10\x00\x00\x00WAVEfmt garbage that is not audio")
    good = sorted(corpus.rglob("*.wav"))[0]
    odd = corpus / "zz_badtable" / "badtable_20200102.wav"
    odd.parent.mkdir()
    shutil.copy(good, odd)
    (odd.parent / "badtable_20200102.Table.1.selections.txt").write_text(
        "Selection\tView\tChannel\tBegin Time (s)\tEnd Time (s)\tAnnotation\n"
        "1\tSpectrogram 1\t1\tnot-a-number\t2.0\thum\n")
    return bad_wav, odd.parent / "badtable_20200102.Table.1.selections.txt"


@pytest.fixture(scope="session")
def corpora(tmp_path_factory) -> dict[str, Path]:
    from alpacaspot.data import make_synthetic_corpus

    base = tmp_path_factory.mktemp("corpora")
    train = make_synthetic_corpus(base / "train", n_tapes=3, minutes_per_tape=1.0, seed=11)
    bench = make_synthetic_corpus(base / "bench", n_tapes=2, minutes_per_tape=0.5, seed=2024)
    bad_wav, bad_table = _corrupt(train)
    return {"train": train, "bench": bench, "bad_wav": bad_wav, "bad_table": bad_table}


def _command(out: Path, corpora: dict[str, Path], *extra: str) -> list[str]:
    return [sys.executable, str(SCRIPT), "--out", str(out), "--budget", "small",
            "--training-corpus", str(out / "corpora" / "train"),
            "--benchmark-corpus", str(out / "corpora" / "bench"), *extra]


def _fresh(out: Path, corpora: dict[str, Path]) -> None:
    for name in ("train", "bench"):
        shutil.copytree(corpora[name], out / "corpora" / name)


def _run(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, MPLBACKEND="Agg")
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900,
                          check=False)


@pytest.fixture(scope="session")
def baseline(corpora, tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    out = tmp_path_factory.mktemp("baseline") / "run"
    _fresh(out, corpora)
    done = _run(_command(out, corpora, "--lenient"))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    return out, done
