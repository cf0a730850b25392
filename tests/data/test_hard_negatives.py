"""Hard negatives: noise windows chosen by an earlier model's scores, read from real Parquet."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alpacaspot.data import Corpus, Strategy, load_strategies, prepare_datasets
from alpacaspot.data.hard_negatives import (
    overlaps_any,
    pick_noise_windows,
    read_window_scores,
    scores_at_windows,
)
from alpacaspot.errors import ConfigError, CorpusError
from alpacaspot.io import read_table, write_table
from alpacaspot.io.schemas import WINDOW_SCORES

WINDOW_S, HOP_S = 0.4, 0.1


def _strategy(**extra: object) -> dict:
    return {"strategies": {"win": {"split_strategy": "by_tape", "seed": 2,
                                   "sampling": "windows", "window_s": WINDOW_S,
                                   "hop_s": HOP_S, "noise_ratio": 1.0, **extra}}}


def _grumble_scores(corpus_root: Path, out: Path) -> tuple[Path, pd.DataFrame]:
    """Window scores (0.05 s step): 0.9 inside every non-hum event, 0.05-0.15 elsewhere."""
    corpus = Corpus.load(corpus_root)
    others = corpus.events[corpus.events["label"] != "hum"]
    assert len(others) >= 3
    rng = np.random.default_rng(1)
    for rec in sorted(corpus.recordings["recording"]):
        dur = float(corpus.recordings.set_index("recording").at[rec, "duration_s"])
        begin = np.round(np.arange(0.0, dur - WINDOW_S + 1e-9, 0.05), 3)
        centre = begin + WINDOW_S / 2
        p = rng.uniform(0.05, 0.15, len(begin))
        for ev in others[others["recording"] == rec].itertuples():
            p[(centre >= ev.begin_s) & (centre < ev.end_s)] = 0.9
        table = pd.DataFrame({"recording": rec, "window": np.arange(len(begin)),
                              "begin_s": begin, "end_s": begin + WINDOW_S,
                              "p_noise": 1 - p, "p_target": p})
        write_table(table, out / f"{rec}.parquet", schema=WINDOW_SCORES)
    return out, others


def test_lookup_takes_the_nearest_scored_centre_within_half_a_window() -> None:
    windows = pd.DataFrame({"recording": ["a", "a", "a", "b"], "begin_s": [0.0, 1.0, 5.0, 0.0],
                            "end_s": [0.4, 1.4, 5.4, 0.4]})
    scores = pd.DataFrame({"recording": "a", "window": [0, 1, 2], "begin_s": [0.05, 0.95, 1.1],
                           "end_s": [0.45, 1.35, 1.5], "p_noise": 0.0,
                           "p_hum": [0.1, 0.7, 0.2]})
    got = scores_at_windows(windows, scores)  # the one class column besides p_noise
    assert got[:2].tolist() == [0.1, 0.7] and np.isnan(got[2:]).all()
    with pytest.raises(CorpusError, match="none of the 1 recording"):
        scores_at_windows(windows[windows["recording"] == "b"], scores)
    with pytest.raises(CorpusError, match="'p_target' column"):
        scores_at_windows(windows, scores.assign(p_grumble=0.5))


def test_overlap_counts_every_event_even_one_inside_a_long_one() -> None:
    windows = pd.DataFrame({"recording": "a", "begin_s": [0.0, 2.0, 3.0, 5.0],
                            "end_s": [0.4, 2.4, 3.4, 5.4]})
    events = pd.DataFrame({"recording": "a", "begin_s": [0.4, 1.0, 1.5],
                           "end_s": [0.5, 3.2, 1.6]})
    assert overlaps_any(windows, events).tolist() == [False, True, True, False]


def test_pick_takes_the_highest_scores_then_draws_the_rest() -> None:
    rng = np.random.default_rng(0)
    scores = np.array([0.3, np.nan, 0.9, 0.9, 0.1, np.nan, 0.5, 0.0])
    keep, hard = pick_noise_windows(scores, 5, 0.6, rng)
    assert hard.tolist() == [2, 3, 6] and len(keep) == 5 and set(hard) <= set(keep)
    assert len(set(keep.tolist())) == 5
    keep, hard = pick_noise_windows(scores, 8, 1.0, rng)  # only 6 windows have a score
    assert len(hard) == 6 and keep.tolist() == list(range(8))
    keep, hard = pick_noise_windows(scores, 3, 0.0, rng)
    assert len(hard) == 0 and len(keep) == 3


def test_dataset_keeps_the_windows_the_earlier_model_scored_highest(
        raven_corpus: Path, tmp_path: Path) -> None:
    plain = prepare_datasets(raven_corpus, _strategy(), workers=1)["win"]
    plain_index = read_table(plain / "variant_index.parquet")
    scores, others = _grumble_scores(raven_corpus, tmp_path / "scores")
    out = prepare_datasets(raven_corpus, _strategy(hard_negatives=str(scores),
                                                   hard_negative_fraction=0.5),
                           workers=1, dataset_root=tmp_path / "hard")["win"]
    index = read_table(out / "variant_index.parquet")
    noise = index[index["class"] == "noise"]
    hard = noise[noise["source"] == "hard_negative"]
    # as many noise windows per tape as before, half of them chosen by score, so the split
    # by tape is the same
    per_tape = noise.groupby("tape").size()
    pd.testing.assert_series_equal(
        per_tape, plain_index[plain_index["class"] == "noise"].groupby("tape").size())
    assert (hard.groupby("tape").size() == (0.5 * per_tape).round().astype(int)).all()
    assert (index.groupby("tape")["split"].first()
            == plain_index.groupby("tape")["split"].first()).all()
    # every window centred in a grumble or decoy is taken, then the next highest scores
    at = scores_at_windows(noise, read_window_scores(scores))
    is_hard = (noise["source"] == "hard_negative").to_numpy()
    assert at[is_hard].min() >= np.nanmax(at[~is_hard])
    assert (at[is_hard] == 0.9).sum() >= 10
    hums = Corpus.load(raven_corpus).events
    assert not overlaps_any(hard, hums[hums["label"] == "hum"]).any()
    assert (index["class"] == "target").sum() == (plain_index["class"] == "target").sum()
    meta = json.loads((out / "variant_index.json").read_text())["meta"]
    assert meta["n_hard_negative"] == len(hard)
    assert meta["strategy"]["hard_negatives"] == str(scores)
    # a second run gives the same dataset
    again = prepare_datasets(raven_corpus, _strategy(hard_negatives=str(scores)), workers=1,
                             dataset_root=tmp_path / "hard")["win"]
    pd.testing.assert_frame_equal(read_table(again / "variant_index.parquet"), index)


def test_bad_hard_negative_settings_are_refused(raven_corpus: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="hard_negative_fraction"):
        Strategy.from_dict("w", {"sampling": "windows", "hard_negative_fraction": 1.5})
    with pytest.raises(ConfigError, match="needs sampling 'windows'"):
        Strategy.from_dict("c", {"hard_negatives": "scores"})
    with pytest.raises(ConfigError, match="path of window scores"):
        Strategy.from_dict("w", {"sampling": "windows", "hard_negatives": 3})
    missing = tmp_path / "no_scores"
    with pytest.raises(CorpusError, match="no such file or folder") as err:
        prepare_datasets(raven_corpus, _strategy(hard_negatives=str(missing)), workers=1,
                         dataset_root=tmp_path / "d")
    assert str(missing) in str(err.value)
    missing.mkdir()
    with pytest.raises(CorpusError, match="no window scores"):
        read_window_scores(missing)
    # scores of another root name none of the corpus' recordings
    write_table(pd.DataFrame({"recording": "elsewhere/x.wav", "window": [0], "begin_s": [0.0],
                              "end_s": [0.4], "p_noise": [0.5], "p_target": [0.5]}),
                missing / "x.parquet", schema=WINDOW_SCORES)
    with pytest.raises(CorpusError, match="root=<corpus folder>"):
        prepare_datasets(raven_corpus, _strategy(hard_negatives=str(missing)), workers=1,
                         dataset_root=tmp_path / "d")


def test_a_relative_scores_path_in_a_strategies_file_is_the_files_neighbour(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "config"
    folder.mkdir()
    file = folder / "strategies.json"
    absolute = tmp_path / "elsewhere" / "scores"
    file.write_text(json.dumps({"strategies": {
        "near": {"sampling": "windows", "hard_negatives": "scores/base"},
        "far": {"sampling": "windows", "hard_negatives": str(absolute)}}}))
    monkeypatch.chdir(tmp_path)
    by_name = {s.name: s for s in load_strategies(file)}
    assert by_name["near"].hard_negatives == str(folder / "scores" / "base")
    assert by_name["far"].hard_negatives == str(absolute)
    # a dict has no file: its paths mean what they mean to the caller
    inline = load_strategies(json.loads(file.read_text()))
    assert {s.name: s.hard_negatives for s in inline}["near"] == "scores/base"
