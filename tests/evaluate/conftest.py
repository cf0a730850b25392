"""Fixtures of the evaluation tests: a small synthetic benchmark on disk."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alpacaspot.io.tables import write_table

TAPES = ("tapeA", "tapeB", "tapeC")


def make_truth(seed: int = 0, n_per_tape: int = 12) -> pd.DataFrame:
    """Hums (quality 1..4) and a few alarms on three 60 s recordings."""
    rng = np.random.default_rng(seed)
    rows = []
    for tape in TAPES:
        starts = np.sort(rng.choice(np.arange(1, 58, 1.5), n_per_tape, replace=False))
        for i, b in enumerate(starts):
            d = float(rng.uniform(0.15, 0.6))
            rows.append({"recording": f"2020/{tape}.wav", "begin_s": float(b),
                         "end_s": float(b) + d, "label": "hum", "quality": i % 4 + 1,
                         "tape": tape})
        rows.append({"recording": f"2020/{tape}.wav", "begin_s": 58.5, "end_s": 59.0,
                     "label": "alarm", "quality": None, "tape": tape})
    return pd.DataFrame(rows)


def post_threshold(scores: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """Minimal post-processing for tests: join overlapping windows at or above threshold."""
    rows = []
    for rec, grp in scores.sort_values(["recording", "begin_s"]).groupby("recording", sort=True):
        on = grp[grp["p_target"] >= threshold]
        cur = None
        for b, e in zip(on["begin_s"], on["end_s"], strict=True):
            if cur is not None and b <= cur[1]:
                cur[1] = max(cur[1], e)
            else:
                if cur is not None:
                    rows.append((rec, *cur))
                cur = [b, e]
        if cur is not None:
            rows.append((rec, *cur))
    return pd.DataFrame(rows, columns=["recording", "begin_s", "end_s"]).assign(label="target")


def make_scores(truth: pd.DataFrame, seed: int, noise: float) -> dict[str, pd.DataFrame]:
    """Window scores (0.2 s windows, hop 0.1 s) that rise over each hum."""
    rng = np.random.default_rng(seed)
    out = {}
    hums = truth[truth["label"] == "hum"]
    for rec, grp in hums.groupby("recording", sort=True):
        begin = np.arange(0, 600) * 0.1
        end = begin + 0.2
        p = rng.uniform(0, noise, len(begin))
        for b, e in zip(grp["begin_s"], grp["end_s"], strict=True):
            inside = (begin + 0.1 >= b) & (begin + 0.1 <= e)
            p[inside] = rng.uniform(0.6, 1.0, inside.sum())
        out[rec] = pd.DataFrame({"recording": rec, "window": np.arange(len(begin)),
                                 "begin_s": begin, "end_s": end, "p_noise": 1 - p,
                                 "p_target": p})
    return out


@pytest.fixture()
def truth() -> pd.DataFrame:
    return make_truth()


@pytest.fixture()
def benchmark(tmp_path: Path, truth: pd.DataFrame) -> Path:
    """``<tmp>/BENCHMARK`` with 2 models x 2 tags, detections and stored window scores."""
    root = tmp_path / "BENCHMARK"
    for k, model in enumerate(("modelA", "nested/modelB")):
        scores = make_scores(truth, seed=k, noise=0.5 + 0.3 * k)
        for rec, table in scores.items():
            write_table(table, root / "runs" / model / "scores" / "len200_hop100" /
                        f"{rec}.parquet", schema="window_scores")
        all_scores = pd.concat(scores.values(), ignore_index=True)
        for th in (0.5, 0.9):
            tag = f"len200_hop100_th{round(th * 100):02d}"
            det = post_threshold(all_scores, th)
            det["tape"] = det["recording"].str.slice(5, 10)
            det["pred_path"] = "x.txt"
            write_table(det, root / "runs" / model / tag / "evaluation" / "index.parquet",
                        schema="events")
    # a run that has not been evaluated yet
    (root / "runs" / "modelA" / "len400_hop050_th90" / "prediction").mkdir(parents=True)
    corpus = tmp_path / "corpus"
    write_table(truth.drop(columns="tape"), corpus / "corpus_index.parquet", schema="events")
    recs = pd.DataFrame({"recording": [f"2020/{t}.wav" for t in TAPES], "tape": list(TAPES),
                         "year": 2020, "sample_rate": 8000, "channels": 1, "frames": 480000,
                         "duration_s": 60.0})
    write_table(recs, corpus / "corpus_recordings.parquet", schema="recordings")
    return root
