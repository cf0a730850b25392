"""Synthetic recording sites: reproducible, distinct, and each effect measurable."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from alpacaspot.data import build_corpus_index, make_synthetic_corpus
from alpacaspot.data.synthetic import (
    DIFFICULTIES,
    TapeStyle,
    compose_tape,
    make_site_corpus,
    site_style,
)
from alpacaspot.data.synthetic.heldout import HELDOUT_GENERATORS
from alpacaspot.data.synthetic.sites import apply_recorder, apply_room, recorder_response
from alpacaspot.errors import ConfigError
from alpacaspot.io import read_audio

SR = 16000


def _digest(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file():
            h.update(p.relative_to(root).as_posix().encode())
            h.update(p.read_bytes())
    return h.hexdigest()[:16]


def _dry(**changes: object):
    """Site 0 with every effect neutral except those changed."""
    neutral = dict(tilt_db=0.0, bells=(), band_hz=(1.0, 1e9), self_noise_db=-300.0,
                   gain_db=0.0, rt60_s=0.0)
    return dataclasses.replace(site_style(0), **{**neutral, **changes})


def _tone(freq: float = 1000.0, n: int = SR) -> np.ndarray:
    return (0.1 * np.sin(2 * np.pi * freq * np.arange(n) / SR)).astype(np.float32)


def _annotation_digest(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file() and p.suffix != ".wav":
            h.update(p.relative_to(root).as_posix().encode())
            h.update(p.read_bytes())
    return h.hexdigest()[:16]


@pytest.mark.parametrize("layout", ["raven", "alpaca"])
def test_default_corpus_unchanged(tmp_path: Path, layout: str) -> None:
    """The generator's output before sites existed (the demo depends on it).

    Annotations and file names are pinned byte for byte. Audio is pinned by its frames and
    RMS to 1e-6: numpy's transcendental functions may differ in the last bit between
    processors (SIMD implementations), which can flip a 16-bit sample here and there but
    moves an RMS by far less than any change to the generator would.
    """
    expected = {"raven": ("c7048aac45b602b3", 480000, 0.03670669949089365),
                "alpaca": ("6f837a9cd1812968", 1000122, 0.4135020877634595)}[layout]
    root = make_synthetic_corpus(tmp_path / layout, n_tapes=2, minutes_per_tape=0.25, seed=5,
                                 sr=SR, layout=layout, alpaca_clip_s=5.0, progress=False)
    wavs = sorted(root.rglob("*.wav"))
    rms = [float(np.sqrt(np.mean(sf.read(p, dtype="float64")[0] ** 2))) for p in wavs]
    assert _annotation_digest(root) == expected[0]
    assert sum(sf.info(p).frames for p in wavs) == expected[1]
    assert sum(rms) == pytest.approx(expected[2], rel=1e-6)


def test_site_styles_deterministic_and_distinct() -> None:
    sites = [site_style(s) for s in range(8)]
    assert sites == [site_style(s) for s in range(8)]
    assert len({repr(s) for s in sites}) == 8
    assert len({s.gain_db for s in sites}) == 8 and len({s.animals for s in sites}) == 8
    assert any(s.heldout for s in sites) and not all(s.heldout for s in sites)
    assert site_style(3, heldout=True).heldout and site_style(3, heldout=False).heldout == ()
    with pytest.raises(ConfigError, match="non-negative"):
        site_style(-1)


def test_eq_changes_the_spectrum() -> None:
    site = _dry(tilt_db=6.0)
    low = apply_recorder(_tone(250.0), SR, site, np.random.default_rng(0))
    high = apply_recorder(_tone(4000.0), SR, site, np.random.default_rng(0))
    # +6 dB per octave around 1 kHz: 250 Hz loses 12 dB, 4 kHz gains 12 dB
    ratio_db = 20 * np.log10(np.std(high) / np.std(low))
    assert ratio_db == pytest.approx(24.0, abs=0.5)
    g = recorder_response(_dry(bells=((1000.0, 9.0, 0.5),)), np.array([1000.0, 4000.0]))
    assert 20 * np.log10(g[0]) == pytest.approx(9.0, abs=0.01) and g[1] == pytest.approx(1.0,
                                                                                       abs=0.01)
    band = recorder_response(_dry(band_hz=(100.0, 3000.0)), np.array([30.0, 1000.0, 8000.0]))
    assert band[0] < 0.01 and band[1] == pytest.approx(1.0, abs=0.01) and band[2] < 0.03


def test_clipping_caps_the_level_and_gain_scales() -> None:
    x = _tone()
    quiet = apply_recorder(x, SR, _dry(gain_db=-6.0), np.random.default_rng(0))
    assert np.max(np.abs(quiet)) == pytest.approx(0.1 * 10 ** (-6 / 20), rel=1e-3)
    loud = apply_recorder(x, SR, _dry(gain_db=30.0), np.random.default_rng(0))
    assert np.max(np.abs(loud)) == pytest.approx(0.98)
    assert np.mean(np.abs(loud) >= 0.98) > 0.5  # a clipped sine is mostly flat tops


def test_self_noise_sets_a_floor() -> None:
    silence = np.zeros(SR, np.float32)
    y = apply_recorder(silence, SR, _dry(self_noise_db=-60.0), np.random.default_rng(0))
    assert 20 * np.log10(np.std(y)) == pytest.approx(-60.0, abs=0.3)


def test_reverb_lengthens_the_decay() -> None:
    x = np.zeros(SR, np.float32)
    x[1000:1400] = _tone(n=400) * 10
    dry = apply_room(x, SR, _dry(rt60_s=0.0), np.random.default_rng(0))
    wet = apply_room(x, SR, _dry(rt60_s=0.5, wet=0.5), np.random.default_rng(0))
    assert np.array_equal(dry, x)
    tail = slice(1400 + SR // 10, 1400 + SR // 5)  # 100..200 ms after the tone
    assert np.std(dry[tail]) == 0.0 and np.std(wet[tail]) > 1e-3
    assert np.sum(wet.astype(np.float64) ** 2) > np.sum(x.astype(np.float64) ** 2)


def test_heldout_generators_have_unit_rms() -> None:
    for name, gen in HELDOUT_GENERATORS.items():
        x, lo, hi = gen(np.random.default_rng(1), SR, 2.0)
        assert x.shape == (2 * SR,) and x.dtype == np.float32 and lo < hi, name
        assert np.isfinite(x).all(), name


def test_compose_tape_with_site_differs_and_annotates_hums() -> None:
    style = TapeStyle.draw(np.random.default_rng(0))
    kw = dict(sr=SR, duration_s=20.0, style=style, difficulty=DIFFICULTIES["medium"])
    plain, _ = compose_tape(np.random.default_rng(1), **kw)
    a, ev_a = compose_tape(np.random.default_rng(1), site=site_style(1, heldout=True), **kw)
    b, _ = compose_tape(np.random.default_rng(1), site=site_style(1, heldout=True), **kw)
    assert np.array_equal(a, b) and not np.array_equal(a, plain)
    assert np.max(np.abs(a)) <= 0.98 and any(e["label"] == "hum" for e in ev_a)
    # the hums follow the site's animals' voices
    lows = [e["low_hz"] for e in ev_a if e["label"] == "hum"]
    f0_min = min(a.f0_range[0] for a in site_style(1).animals)
    assert min(lows) >= 0.8 * f0_min


def test_site_corpus(tmp_path: Path) -> None:
    sites = [site_style(1), site_style(2)]
    root = make_site_corpus(tmp_path / "c", sites, tapes_per_site=2, minutes_per_tape=0.1,
                            seed=0, sr=SR, progress=False)
    more = make_site_corpus(tmp_path / "d", sites, tapes_per_site=1, minutes_per_tape=0.1,
                            seed=0, sr=SR, first_tape=1, progress=False)
    tapes = sorted(build_corpus_index(root).recordings["tape"])
    assert tapes == ["S1T01", "S1T02", "S2T01", "S2T02"]
    # tape 2 of a site is the same recording whoever writes it
    a, _ = read_audio(next((root / "S1T02").glob("*.wav")))
    b, _ = read_audio(next((more / "S1T02").glob("*.wav")))
    assert np.array_equal(a, b)
    again = make_site_corpus(tmp_path / "e", sites, tapes_per_site=2, minutes_per_tape=0.1,
                             seed=0, sr=SR, progress=False)
    assert _digest(again) == _digest(root)
    with pytest.raises(ConfigError, match="distinct seeds"):
        make_site_corpus(tmp_path / "f", [sites[0], sites[0]], tapes_per_site=1,
                         minutes_per_tape=0.1, seed=0, sr=SR)


def test_single_site_corpus(tmp_path: Path) -> None:
    plain = make_synthetic_corpus(tmp_path / "a", n_tapes=1, minutes_per_tape=0.1, seed=1,
                                  sr=SR, progress=False)
    sited = make_synthetic_corpus(tmp_path / "b", n_tapes=1, minutes_per_tape=0.1, seed=1,
                                  sr=SR, progress=False, site=site_style(4))
    wa, wb = (next(r.rglob("*.wav")) for r in (plain, sited))
    assert wa.relative_to(plain) == wb.relative_to(sited)
    assert wa.read_bytes() != wb.read_bytes()
