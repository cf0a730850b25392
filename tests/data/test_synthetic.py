from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from alpacaspot.data import make_synthetic_corpus
from alpacaspot.data.synthetic import DIFFICULTIES, TapeStyle, compose_tape, sounds
from alpacaspot.errors import ConfigError
from alpacaspot.io import audio_info, read_audio, read_raven


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    a = make_synthetic_corpus(tmp_path / "a", n_tapes=2, minutes_per_tape=0.2, seed=11, sr=16000)
    b = make_synthetic_corpus(tmp_path / "b", n_tapes=2, minutes_per_tape=0.2, seed=11, sr=16000)
    c = make_synthetic_corpus(tmp_path / "c", n_tapes=2, minutes_per_tape=0.2, seed=12, sr=16000)
    fa, fb, fc = _files(a), _files(b), _files(c)
    assert fa == fb
    wavs = [k for k in fa if k.endswith(".wav")]
    assert len(wavs) == 2
    assert all(fa[k] != fc.get(k) for k in wavs)


def test_raven_layout_files(raven_corpus_master: Path) -> None:
    wavs = sorted(raven_corpus_master.rglob("*.wav"))
    assert [w.parent.name for w in wavs] == ["T01", "T02", "T03", "T04"]
    for w in wavs:
        year = int(w.stem.split("_")[1][:4])
        assert 2017 <= year <= 2023
        table = w.with_name(w.stem + ".Table.1.selections.txt")
        header = table.read_text().splitlines()[0].split("\t")
        assert "Annotation" in header and "Quality" in header
        info = audio_info(w)
        assert info.sample_rate == 16000 and info.duration_s == pytest.approx(30.0)


def test_annotations_are_sane(raven_corpus_master: Path) -> None:
    tables = sorted(raven_corpus_master.rglob("*.selections.txt"))
    ev = read_raven(tables)
    assert set(ev["label"]) <= {"hum", "alarm", "grumble", "orgle"}
    hums = ev[ev["label"] == "hum"]
    assert len(hums) >= 10
    assert set(hums["quality"].astype(int)) <= {1, 2, 3, 4}
    assert ev.loc[ev["label"] != "hum", "quality"].isna().all()
    assert (ev["end_s"] <= 30.0).all() and (ev["begin_s"] >= 0).all()


def test_recordings_per_tape_and_alpaca_layout(tmp_path: Path) -> None:
    root = make_synthetic_corpus(tmp_path / "c", n_tapes=1, minutes_per_tape=0.4, seed=2,
                                 sr=16000, recordings_per_tape=2, layout="alpaca",
                                 alpaca_clip_s=8.0)
    raws = sorted((root / "raw_recordings").glob("*.wav"))
    assert [r.name.endswith(f"_r{i}_cut.wav") for i, r in enumerate(raws, 1)] == [True, True]
    clips = sorted((root / "labelled_recordings").glob("*.wav"))
    hums = sorted((root / "segmented_hums").glob("*.wav"))
    assert clips and hums
    assert all("Q" in h.name for h in hums)
    assert (root / "corpus_layout.json").is_file()


def test_tape_statistics_long_run() -> None:
    rng = np.random.default_rng(0)
    durations, qualities, n_hums = [], [], 0
    for _ in range(4):
        x, events = compose_tape(rng, sr=8000, duration_s=300.0, style=TapeStyle.draw(rng),
                                 difficulty=DIFFICULTIES["medium"])
        assert x.dtype == np.float32 and np.abs(x).max() <= 1.0
        hums = [e for e in events if e["label"] == "hum"]
        n_hums += len(hums)
        durations += [e["end_s"] - e["begin_s"] for e in hums]
        qualities += [e["quality"] for e in hums]
        spans = sorted((e["begin_s"], e["end_s"]) for e in events)
        assert all(b2 >= e1 for (_, e1), (b2, _) in zip(spans, spans[1:], strict=False))
    assert 0.2 < float(np.median(durations)) < 0.36
    assert min(durations) >= 0.03 and max(durations) <= 3.4
    assert set(qualities) == {1, 2, 3, 4}
    # dozens of hums in a few minutes of tape
    assert 5.0 < n_hums / 20.0 < 20.0


def test_hum_is_harmonic() -> None:
    sr = 16000
    x, low, high = sounds.hum(np.random.default_rng(4), sr, 1.0)
    spec = np.abs(np.fft.rfft(x * np.hanning(x.size)))
    freqs = np.fft.rfftfreq(x.size, 1 / sr)
    peak = freqs[np.argmax(spec)]
    assert 140.0 <= low <= 420.0 and high > 4 * low
    assert low * 0.8 <= peak <= high
    band = spec[(freqs > 100) & (freqs < high)] ** 2 + 1e-12
    flatness = np.exp(np.mean(np.log(band))) / np.mean(band)
    assert flatness < 0.05  # tonal, not noise-like


def test_tapes_differ_in_noise_character(raven_corpus_master: Path) -> None:
    tilts = []
    for w in sorted(raven_corpus_master.rglob("*.wav")):
        x, sr = read_audio(w, start_s=0.0, end_s=10.0)
        spec = np.abs(np.fft.rfft(x)) ** 2
        f = np.fft.rfftfreq(x.size, 1 / sr)
        tilts.append(float(np.log10(spec[f < 500].mean() / spec[(f > 3000) & (f < 6000)].mean())))
    assert max(tilts) - min(tilts) > 0.3


@pytest.mark.parametrize("kwargs", [dict(layout="bad"), dict(difficulty="x"), dict(n_tapes=0)])
def test_bad_arguments(tmp_path: Path, kwargs: dict) -> None:
    args = dict(n_tapes=1, minutes_per_tape=0.1, seed=0, sr=16000) | kwargs
    with pytest.raises(ConfigError):
        make_synthetic_corpus(tmp_path, **args)


def test_rerun_keeps_files(tmp_path: Path) -> None:
    root = make_synthetic_corpus(tmp_path / "c", n_tapes=1, minutes_per_tape=0.1, seed=0,
                                 sr=16000)
    wav = next(root.rglob("*.wav"))
    before = wav.stat().st_mtime_ns
    make_synthetic_corpus(root, n_tapes=1, minutes_per_tape=0.1, seed=0, sr=16000)
    assert wav.stat().st_mtime_ns == before
