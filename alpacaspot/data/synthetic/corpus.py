"""Writing a synthetic alpaca corpus to disk, in the ``raven`` or the fork's ``alpaca`` layout.

``raven`` layout (default)::

    <root>/<tape>/<tape>_<YYYYMMDD>_<HHMM>.wav
    <root>/<tape>/<tape>_<YYYYMMDD>_<HHMM>.Table.1.selections.txt   # Annotation, Quality columns

``alpaca`` layout (the fork's folders; clip suffix times in seconds, recorded in
``corpus_layout.json``)::

    <root>/raw_recordings/<animal>_<YYYYMMDD>_r<k>_cut.wav
    <root>/labelled_recordings/<raw>.wav_<start_s>_<end_s>.wav
    <root>/segmented_hums/<clip>_<hum_start_s>_<hum_end_s>Q<quality>.wav
    <root>/corpus_layout.json

Hums are labelled ``hum`` (quality 1..4); alarm calls, grumbles and orgles carry their own
labels; decoys (machinery hum, chewing, wind, speech-like sounds) are not annotated. The
``alpaca`` layout annotates hums only, as the fork's corpus does.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import logging
import os
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from alpacaspot._atomic import write_text_if_changed
from alpacaspot.data.synthetic.sites import SiteStyle
from alpacaspot.data.synthetic.tape import DIFFICULTIES, TapeStyle, compose_tape
from alpacaspot.errors import ConfigError

__all__ = ["make_synthetic_corpus"]

_log = logging.getLogger(__name__)
_MANIFEST = "synthetic_corpus.json"
_LAYOUTS = ("raven", "alpaca")


def _tape_dates(seed: int, tape: int, count: int) -> list[_dt.datetime]:
    rng = np.random.default_rng([seed, tape, 7919])
    first = _dt.datetime(int(rng.integers(2017, 2024)), int(rng.integers(1, 13)),
                         int(rng.integers(1, 29)), int(rng.integers(6, 17)), 0)
    return [first + _dt.timedelta(days=k, minutes=int(rng.integers(0, 120))) for k in range(count)]


def _events_frame(recording: str, events: list[dict[str, object]]) -> pd.DataFrame:
    df = pd.DataFrame(
        {
            "recording": [recording] * len(events),
            "begin_s": [float(e["begin_s"]) for e in events],
            "end_s": [float(e["end_s"]) for e in events],
            "low_hz": [float(e["low_hz"]) for e in events],
            "high_hz": [float(e["high_hz"]) for e in events],
            "label": [str(e["label"]) for e in events],
            "quality": pd.array([e["quality"] for e in events], dtype="Int64"),
            "channel": pd.array([1] * len(events), dtype="Int64"),
            "selection": pd.array(list(range(1, len(events) + 1)), dtype="Int64"),
        }
    )
    return df


def _write_raven_recording(root: Path, rel: str, x: np.ndarray, sr: int,
                           events: list[dict[str, object]]) -> None:
    from alpacaspot.io import write_audio, write_raven

    wav = root / rel
    write_audio(wav, x, sr)
    table = wav.with_name(wav.stem + ".Table.1.selections.txt")
    write_raven(_events_frame(rel, events), table)


def _clip_cuts(duration_s: float, hums: list[tuple[float, float]], clip_s: float) -> list[float]:
    """Clip boundaries about ``clip_s`` apart, moved forward out of any hum."""
    cuts = [0.0]
    t = clip_s
    while t < duration_s - 1.0:
        for b, e in hums:
            if b - 0.05 <= t <= e + 0.05:
                t = e + 0.1
        if t < duration_s - 1.0:
            cuts.append(round(t, 3))
        t += clip_s
    cuts.append(duration_s)
    return cuts


def _fmt_s(t: float) -> str:
    return f"{t:.3f}".rstrip("0").rstrip(".") if t != int(t) else str(int(t))


def _write_alpaca_recording(root: Path, raw_name: str, x: np.ndarray, sr: int,
                            events: list[dict[str, object]], clip_s: float) -> None:
    from alpacaspot.io import write_audio

    write_audio(root / "raw_recordings" / raw_name, x, sr)
    hums = [(float(e["begin_s"]), float(e["end_s"]), int(e["quality"]))  # type: ignore[arg-type]
            for e in events if e["label"] == "hum"]
    cuts = _clip_cuts(x.size / sr, [(b, e) for b, e, _ in hums], clip_s)
    for c0, c1 in zip(cuts[:-1], cuts[1:], strict=False):
        inside = [h for h in hums if h[0] >= c0 and h[1] <= c1]
        if not inside:
            continue  # the fork labelled only clips with hums
        clip_name = f"{raw_name}_{_fmt_s(c0)}_{_fmt_s(c1)}.wav"
        s0 = int(round(c0 * sr))
        write_audio(root / "labelled_recordings" / clip_name, x[s0 : int(round(c1 * sr))], sr)
        for b, e, q in inside:
            hb, he = round(b - c0, 3), round(e - c0, 3)
            hum_name = f"{clip_name[:-4]}_{hb:.3f}_{he:.3f}Q{q}.wav"
            write_audio(root / "segmented_hums" / hum_name,
                        x[int(round(b * sr)) : int(round(e * sr))], sr)


def make_synthetic_corpus(
    root: str | os.PathLike[str],
    *,
    n_tapes: int,
    minutes_per_tape: float,
    seed: int,
    sr: int = 48000,
    layout: str = "raven",
    recordings_per_tape: int = 1,
    difficulty: str = "medium",
    alpaca_clip_s: float = 60.0,
    hum_snr_db: tuple[float, float] | None = None,
    hums_per_minute: float | None = None,
    progress: bool | None = None,
    site: SiteStyle | None = None,
) -> Path:
    """Write a realistic synthetic alpaca-hum corpus and return its root.

    Each tape has its own background noise character (pink/brown/white mix, high-pass corner,
    level) and a recording date (a real year, in the file name). Hums (label ``hum``) are
    harmonic (5..12 harmonics, f0 150..400 Hz, slow contour), log-normal in duration (median
    0.27 s, 0.03..3.4 s) and come in bouts, about 9 per minute; their SNR against the in-band
    background is drawn from the difficulty's range (medium: -5..20 dB) and sets their quality
    (4 clearest .. 1 faintest). Alarm-call trains, grumbles and orgles are annotated with their
    own labels; decoys (50/60 Hz machinery hum, chewing clicks, wind gusts, speech-like
    syllables) are not annotated.

    Parameters
    ----------
    root : path-like
        Output folder (created). Existing files of an identical earlier call are kept.
    n_tapes : int
        Number of tapes (distinct noise styles and dates).
    minutes_per_tape : float
        Total audio per tape, split evenly over its recordings.
    seed : int
        Seed; the same arguments give byte-identical files.
    sr : int, default 48000
        Sample rate in Hz.
    layout : {"raven", "alpaca"}
        ``raven``: WAVs with ``<stem>.Table.1.selections.txt`` beside them (one folder per
        tape); ``alpaca``: the fork's ``raw_recordings/``, ``labelled_recordings/`` and
        ``segmented_hums/`` folders (hums only).
    recordings_per_tape : int, default 1
        Recordings (files) per tape, on successive days.
    difficulty : {"easy", "medium", "hard"}
        SNR ranges and rates of other calls and decoys (see ``tape.DIFFICULTIES``).
    alpaca_clip_s : float, default 60.0
        Length of the labelled clips of the ``alpaca`` layout.
    hum_snr_db : (float, float), optional
        Overrides the difficulty's range of hum SNRs (dB, against the in-band background).
    hums_per_minute : float, optional
        Overrides the difficulty's mean hum rate (12 per minute before overlaps are
        rejected: about 9 per minute land on the tape).
    progress : bool, optional
        Show a progress bar (None: only on a terminal).
    site : SiteStyle, optional
        Record every tape at this site (recorder, room, noises, animals; see
        :func:`alpacaspot.data.synthetic.site_style`). Without one the corpus is the
        generator's original, byte for byte. :func:`make_site_corpus` mixes several sites.

    Returns
    -------
    pathlib.Path
        ``root``.

    Examples
    --------
    >>> import tempfile
    >>> root = make_synthetic_corpus(tempfile.mkdtemp(), n_tapes=1, minutes_per_tape=0.2,
    ...                              seed=0, sr=16000)
    >>> sorted(p.suffix for p in root.rglob("*.*") if p.is_file())[:2]
    ['.json', '.txt']
    """
    if layout not in _LAYOUTS:
        raise ConfigError(f"layout must be one of {_LAYOUTS}, got {layout!r}")
    if difficulty not in DIFFICULTIES:
        raise ConfigError(f"difficulty must be one of {sorted(DIFFICULTIES)}, got {difficulty!r}")
    if n_tapes < 1 or recordings_per_tape < 1 or minutes_per_tape <= 0 or sr < 8000:
        raise ConfigError(
            "need n_tapes >= 1, recordings_per_tape >= 1, minutes_per_tape > 0 and sr >= 8000; "
            f"got {n_tapes}, {recordings_per_tape}, {minutes_per_tape}, {sr}"
        )
    out = Path(root)
    out.mkdir(parents=True, exist_ok=True)
    params = dict(n_tapes=n_tapes, minutes_per_tape=minutes_per_tape, seed=seed, sr=sr,
                  layout=layout, recordings_per_tape=recordings_per_tape,
                  difficulty=difficulty, alpaca_clip_s=alpaca_clip_s,
                  hum_snr_db=None if hum_snr_db is None else list(hum_snr_db),
                  hums_per_minute=hums_per_minute, generator_version=1)
    if site is not None:
        params["site"] = json.loads(json.dumps(dataclasses.asdict(site)))
    manifest = out / _MANIFEST
    reuse = manifest.is_file() and json.loads(manifest.read_text()).get("params") == params
    diff = DIFFICULTIES[difficulty]
    if hum_snr_db is not None:
        lo, hi = (float(v) for v in hum_snr_db)
        if not lo <= hi:
            raise ConfigError(f"hum_snr_db must be (low, high) with low <= high, got {hum_snr_db}")
        diff = dataclasses.replace(diff, hum_snr_db=(lo, hi))
    if hums_per_minute is not None:
        if not hums_per_minute >= 0:
            raise ConfigError(f"hums_per_minute must be >= 0, got {hums_per_minute}")
        diff = dataclasses.replace(diff, hums_per_minute=float(hums_per_minute))
    duration_s = minutes_per_tape * 60.0 / recordings_per_tape
    files: list[str] = []
    jobs = [(t, r) for t in range(n_tapes) for r in range(recordings_per_tape)]
    for t, r in tqdm(jobs, desc="synthetic tapes", disable=None if progress is None
                     else not progress, unit="rec"):
        tape = f"T{t + 1:02d}"
        when = _tape_dates(seed, t, recordings_per_tape)[r]
        if layout == "raven":
            rel = f"{tape}/{tape}_{when:%Y%m%d_%H%M}.wav"
        else:
            rel = f"raw_recordings/{tape.lower()}_{when:%Y%m%d}_r{r + 1}_cut.wav"
        files.append(rel)
        if reuse and (out / rel).is_file():
            continue
        style = TapeStyle.draw(np.random.default_rng([seed, t, 104729]))
        rng = np.random.default_rng([seed, t, r])
        x, events = compose_tape(rng, sr=sr, duration_s=duration_s, style=style,
                                 difficulty=diff, site=site)
        if layout == "raven":
            _write_raven_recording(out, rel, x, sr, events)
        else:
            _write_alpaca_recording(out, Path(rel).name, x, sr, events, alpaca_clip_s)
    if layout == "alpaca":
        write_text_if_changed(out / "corpus_layout.json",
                          json.dumps({"layout": "alpaca", "clip_time_unit": "s"}, indent=2) + "\n")
    write_text_if_changed(manifest, json.dumps({"params": params, "recordings": files},
                                           indent=2, sort_keys=True) + "\n")
    _log.info("synthetic corpus with %d recordings in %s", len(files), out)
    return out
