"""Which stretches of a corpus become training clips.

``calls`` sampling (ANIMAL-SPOT's): one target clip per target call (optionally with
``context_s`` seconds on each side), plus ``noise_per_hum`` noise clips of the same length
mined from free gaps (:mod:`alpacaspot.data.noise_mining`) of the call's annotated region,
else (``fallback_raw``) anywhere in its recording.

``windows`` sampling: fixed windows of ``window_s`` every ``hop_s`` along each annotated
region; a window is ``target`` when its centre lies inside a target call (of the kept
qualities; windows centred in a call of an excluded quality are dropped), else ``noise``;
noise windows are subsampled to ``noise_ratio`` per target window (at random, or partly the
hardest by an earlier model's scores: :mod:`alpacaspot.data.hard_negatives`, as many per tape
as at random, so that the split by tape stays the same; those clips have ``source``
``"hard_negative"``).

Both return a clips table (``class, label, recording, tape, year, begin_s, end_s, source,
quality, unit, region``) on a millisecond grid, sorted by recording, onset and class.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from alpacaspot.data.corpus import Corpus
from alpacaspot.data.hard_negatives import overlaps_any, pick_noise_windows, scores_at_windows
from alpacaspot.data.noise_mining import NoiseMiner
from alpacaspot.data.strategy import Strategy
from alpacaspot.errors import CorpusError

__all__ = ["sample_calls", "sample_windows"]

_log = logging.getLogger(__name__)
_COLUMNS = ["class", "label", "recording", "tape", "year", "begin_s", "end_s", "source",
            "quality", "unit", "region"]


def _ms(t: float) -> float:
    return round(float(t) * 1000.0) / 1000.0


def _regions(corpus: Corpus) -> dict[str, list[tuple[float, float, str]]]:
    out: dict[str, list[tuple[float, float, str]]] = {}
    if corpus.regions is not None and len(corpus.regions):
        for row in corpus.regions.itertuples(index=False):
            out.setdefault(row.recording, []).append((float(row.begin_s), float(row.end_s),
                                                      str(row.clip)))
    else:
        recs = corpus.recordings
        for rec, dur in zip(recs["recording"], recs["duration_s"], strict=True):
            out[rec] = [(0.0, float(dur), str(rec))]
    return out


def _targets(corpus: Corpus, strat: Strategy) -> tuple[pd.DataFrame, pd.Series]:
    ev = corpus.events
    is_target = ev["label"].astype(str) == strat.target_label
    keep = is_target.copy()
    known = ev["quality"].notna()
    if strat.min_quality:
        keep &= ~known | (ev["quality"].fillna(-1) >= strat.min_quality)
    if strat.drop_unknown_quality:
        keep &= known
    return ev[keep].reset_index(drop=True), is_target


def _finish(rows: list[dict[str, object]]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=_COLUMNS)
    df["quality"] = df["quality"].astype("Int64")
    df["year"] = df["year"].astype("Int64")
    df = df.sort_values(["recording", "begin_s", "class", "end_s"], kind="stable")
    return df.reset_index(drop=True)


def sample_calls(
    corpus: Corpus, strat: Strategy, rng: np.random.Generator
) -> tuple[pd.DataFrame, list[dict[str, object]]]:
    """Target clips around calls and noise clips mined for them.

    Returns
    -------
    clips : pandas.DataFrame
        The clips (see the module docstring).
    shortfall : list of dict
        One entry per call for which fewer noise clips than wanted could be mined
        (``recording, begin_s, end_s, wanted, found``).
    """
    targets, _ = _targets(corpus, strat)
    if targets.empty:
        raise CorpusError(f"the corpus has no {strat.target_label!r} event to train on"
                          + (f" with quality >= {strat.min_quality}" if strat.min_quality
                             else ""), path=corpus.root)
    recs = corpus.recordings
    durations = dict(zip(recs["recording"], recs["duration_s"], strict=True))
    meta = corpus.recordings.set_index("recording")
    regions = _regions(corpus)
    busy: dict[str, list[tuple[float, float]]] = {}
    for row in corpus.events.itertuples(index=False):
        busy.setdefault(row.recording, []).append((float(row.begin_s), float(row.end_s)))
    miner = NoiseMiner(busy, durations, margin_s=strat.margin_s, rng=rng)
    whole = corpus.regions is not None and len(corpus.regions) > 0
    rows: list[dict[str, object]] = []
    shortfall: list[dict[str, object]] = []
    base_n = int(np.floor(strat.noise_per_hum))
    extra_p = strat.noise_per_hum - base_n
    for unit, t in enumerate(targets.itertuples(index=False)):
        rec, dur = t.recording, durations[t.recording]
        b = _ms(max(0.0, t.begin_s - strat.context_s))
        e = _ms(min(dur, t.end_s + strat.context_s))
        region = next(((rb, re_, rid) for rb, re_, rid in regions.get(rec, [])
                       if rb - 1e-6 <= t.begin_s and t.end_s <= re_ + 1e-6),
                      (0.0, dur, rec))
        common = dict(recording=rec, tape=meta.at[rec, "tape"], year=meta.at[rec, "year"],
                      unit=unit, region=region[2])
        q = None if pd.isna(t.quality) else int(t.quality)
        rows.append(dict(common, **{"class": "target"}, label=str(t.label), begin_s=b,
                         end_s=e, source="annotation", quality=q))
        wanted = base_n + int(rng.random() < extra_p)
        found = 0
        for _ in range(wanted):
            span = miner.draw(rec, e - b, within=(region[0], region[1]))
            if span is None and strat.fallback_raw and whole:
                span = miner.draw(rec, e - b)
            if span is None:
                continue
            found += 1
            nb = _ms(span[0])
            rows.append(dict(common, **{"class": "noise"}, label="", begin_s=nb,
                             end_s=_ms(nb + (e - b)), source="noise", quality=None))
        if found < wanted:
            shortfall.append(dict(recording=rec, begin_s=float(t.begin_s),
                                  end_s=float(t.end_s), wanted=wanted, found=found))
    clips = _finish(rows)
    if strat.noise_per_hum > 0:
        per_tape = clips.groupby("tape")["class"].apply(lambda c: int((c == "noise").sum()))
        empty = sorted(per_tape[per_tape == 0].index)
        if empty:
            recs = sorted(clips.loc[clips["tape"].isin(empty), "recording"].unique())
            raise CorpusError(
                f"tape(s) {empty} have no free gap of the needed length at margin_s="
                f"{strat.margin_s} s for any noise clip (recordings {recs}); lower margin_s, "
                "allow fallback_raw or annotate less densely", path=corpus.root)
    if shortfall:
        _log.warning("%s: no noise clip could be mined for %d of %d calls (wanted %d, found %d)",
                     strat.name, len(shortfall), len(targets),
                     sum(int(s["wanted"]) for s in shortfall),  # type: ignore[call-overload]
                     sum(int(s["found"]) for s in shortfall))  # type: ignore[call-overload]
    return clips, shortfall


def sample_windows(corpus: Corpus, strat: Strategy, rng: np.random.Generator, *,
                   hard_scores: pd.DataFrame | None = None) -> pd.DataFrame:
    """Fixed windows along every annotated region, labelled by their centre.

    ``hard_scores`` (window scores of an earlier model over the corpus) makes
    ``strat.hard_negative_fraction`` of the kept noise windows the highest-scoring ones.
    """
    targets, is_target = _targets(corpus, strat)
    all_targets = corpus.events[is_target]
    meta = corpus.recordings.set_index("recording")
    rows: list[dict[str, object]] = []
    unit = 0
    for rec, spans in sorted(_regions(corpus).items()):
        kept = targets[targets["recording"] == rec].sort_values("begin_s")
        every = all_targets[all_targets["recording"] == rec]
        for rb, re_, rid in spans:
            n = int(np.floor((re_ - rb - strat.window_s) / strat.hop_s + 1e-9)) + 1
            if n <= 0:
                continue
            starts = np.round((rb + np.arange(n) * strat.hop_s) * 1000.0) / 1000.0
            centres = starts + strat.window_s / 2.0
            cls = np.zeros(n, dtype=np.int8)  # 0 noise, 1 target, -1 dropped
            qual: list[int | None] = [None] * n
            for ev in every.itertuples(index=False):
                lo, hi = np.searchsorted(centres, [ev.begin_s, ev.end_s], side="left")
                cls[lo:hi] = -1
            for ev in kept.itertuples(index=False):
                lo, hi = np.searchsorted(centres, [ev.begin_s, ev.end_s], side="left")
                cls[lo:hi] = 1
                for i in range(lo, hi):
                    qual[i] = None if pd.isna(ev.quality) else int(ev.quality)
            for i in np.flatnonzero(cls >= 0):
                target = bool(cls[i] == 1)
                rows.append({"class": "target" if target else "noise",
                             "label": strat.target_label if target else "", "recording": rec,
                             "tape": meta.at[rec, "tape"], "year": meta.at[rec, "year"],
                             "begin_s": float(starts[i]),
                             "end_s": _ms(starts[i] + strat.window_s),
                             "source": "annotation" if target else "noise",
                             "quality": qual[i], "unit": unit, "region": rid})
                unit += 1
    clips = _finish(rows)
    is_noise = (clips["class"] == "noise").to_numpy()
    n_target = int((~is_noise).sum())
    if n_target == 0:
        raise CorpusError(f"no window is centred in a {strat.target_label!r} event",
                          path=corpus.root)
    noise_idx = np.flatnonzero(is_noise)
    n_keep = min(len(noise_idx), int(round(strat.noise_ratio * n_target)))
    keep = np.sort(rng.choice(noise_idx, size=n_keep, replace=False))
    if hard_scores is not None:
        keep, hard = _swap_in_hard_negatives(clips, noise_idx, keep, hard_scores, all_targets,
                                             strat, rng)
        clips.loc[clips.index[hard], "source"] = "hard_negative"
    mask = ~is_noise
    mask[keep] = True
    return clips[mask].reset_index(drop=True)


def _swap_in_hard_negatives(
    clips: pd.DataFrame, noise_idx: np.ndarray, keep: np.ndarray, hard_scores: pd.DataFrame,
    targets: pd.DataFrame, strat: Strategy, rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Re-choose the kept noise windows of each tape, the hardest first, same count per tape.

    Keeping each tape's count keeps the class counts the split by tape is balanced on, so a
    dataset with hard negatives holds out the same tapes as one without.
    """
    noise = clips.iloc[noise_idx]
    scores = scores_at_windows(noise, hard_scores, target_class="target",
                               source=strat.hard_negatives)
    scores[overlaps_any(noise, targets)] = np.nan
    tapes = clips["tape"].astype(str).to_numpy()
    kept, hard = [], []
    for tape in sorted(set(tapes[noise_idx])):
        here = np.flatnonzero(tapes[noise_idx] == tape)
        n_here = int(np.count_nonzero(tapes[keep] == tape))
        picked, by_score = pick_noise_windows(scores[here], n_here,
                                              strat.hard_negative_fraction, rng)
        kept.append(noise_idx[here[picked]])
        hard.append(noise_idx[here[by_score]])
    return np.sort(np.concatenate(kept)), np.sort(np.concatenate(hard))
