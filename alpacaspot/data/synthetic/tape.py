"""Composition of one synthetic recording: background noise, hums in bouts, other calls, decoys.

A tape has a noise *style* (mix of pink, brown and white noise, high-pass corner, level) drawn
once per tape, so that tapes differ in noise character the way field recorders and sites do.
Annotated calls (hums and the other call types) never overlap one another; decoys are laid
anywhere, over calls too, and are not annotated.

Each call's signal-to-noise ratio is measured against the background in the call's own band
and over the call's own span, so that an SNR means the same on a quiet and on a windy tape.
Hum quality follows the SNR: 4 (clearest, >= 12 dB), 3 (>= 6 dB), 2 (>= 0 dB), 1 (faintest),
so that a minimum quality (``min_quality`` of a dataset strategy) keeps the clearer calls.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal

from alpacaspot.data.synthetic import sounds
from alpacaspot.data.synthetic.heldout import HELDOUT_DURATIONS, HELDOUT_GENERATORS
from alpacaspot.data.synthetic.sites import SiteStyle, apply_recorder, apply_room

__all__ = ["Difficulty", "DIFFICULTIES", "TapeStyle", "compose_tape", "hum_quality"]


@dataclass(frozen=True)
class Difficulty:
    """Knobs of one difficulty level.

    Parameters
    ----------
    hum_snr_db : (float, float)
        Range of hum SNRs (uniform), in dB against the in-band background.
    call_snr_db : (float, float)
        Range of SNRs of the other call types.
    decoy_snr_db : (float, float)
        Range of SNRs of the decoys.
    hums_per_minute : float
        Mean number of hums per minute (they come in bouts of 1 + Geometric(0.35) hums).
    calls_per_minute : dict
        Mean rate of each other call type (``alarm``, ``grumble``, ``orgle``).
    decoys_per_minute : dict
        Mean rate of each decoy (``mains``, ``chewing``, ``wind``, ``speech``).
    """

    hum_snr_db: tuple[float, float]
    call_snr_db: tuple[float, float]
    decoy_snr_db: tuple[float, float]
    hums_per_minute: float
    calls_per_minute: tuple[tuple[str, float], ...]
    decoys_per_minute: tuple[tuple[str, float], ...]


DIFFICULTIES: dict[str, Difficulty] = {
    "easy": Difficulty(
        (4.0, 22.0), (4.0, 18.0), (-5.0, 8.0), 12.0,
        (("alarm", 0.4), ("grumble", 0.5), ("orgle", 0.3)),
        (("mains", 0.2), ("chewing", 0.4), ("wind", 0.4), ("speech", 0.2)),
    ),
    "medium": Difficulty(
        (-5.0, 20.0), (0.0, 18.0), (0.0, 15.0), 12.0,
        (("alarm", 1.0), ("grumble", 1.2), ("orgle", 0.8)),
        (("mains", 0.5), ("chewing", 1.0), ("wind", 1.0), ("speech", 0.7)),
    ),
    "hard": Difficulty(
        (-8.0, 15.0), (0.0, 18.0), (3.0, 18.0), 12.0,
        (("alarm", 1.5), ("grumble", 1.8), ("orgle", 1.2)),
        (("mains", 0.8), ("chewing", 1.5), ("wind", 1.5), ("speech", 1.2)),
    ),
}
"""Preset difficulty levels by name."""

# duration ranges (s) of the other call types and decoys
_DURATIONS = {
    "alarm": (0.6, 1.5),
    "grumble": (0.3, 1.5),
    "orgle": (1.0, 3.0),
    "mains": (3.0, 12.0),
    "chewing": (2.0, 8.0),
    "wind": (1.0, 5.0),
    "speech": (1.0, 4.0),
}

_HUM_MEDIAN_S = 0.27
_HUM_SIGMA = 0.63  # log-normal spread: mean ~0.33 s as in the real corpus
_HUM_RANGE_S = (0.03, 3.4)
_GAP_S = 0.15  # minimum silence between two annotated calls


@dataclass(frozen=True)
class TapeStyle:
    """A tape's background: noise mix weights, high-pass corner (Hz) and RMS level."""

    pink: float
    brown: float
    white: float
    highpass_hz: float
    level: float

    @classmethod
    def draw(cls, rng: np.random.Generator) -> TapeStyle:
        """Draw a random style (each tape gets its own)."""
        return cls(
            pink=float(rng.uniform(0.3, 1.0)),
            brown=float(rng.uniform(0.0, 1.2)),
            white=float(rng.uniform(0.02, 0.3)),
            highpass_hz=float(rng.uniform(15.0, 120.0)),
            level=float(10.0 ** (rng.uniform(-42.0, -32.0) / 20.0)),
        )


def hum_quality(snr_db: float) -> int:
    """Quality 4 (clearest) .. 1 (faintest) of a hum with the given in-band SNR.

    Examples
    --------
    >>> hum_quality(15.0), hum_quality(-2.0)
    (4, 1)
    """
    if snr_db >= 12.0:
        return 4
    if snr_db >= 6.0:
        return 3
    if snr_db >= 0.0:
        return 2
    return 1


def _hum_duration(rng: np.random.Generator) -> float:
    d = _HUM_MEDIAN_S * float(np.exp(_HUM_SIGMA * rng.standard_normal()))
    return float(np.clip(d, *_HUM_RANGE_S))


class _Occupancy:
    """Sorted, non-overlapping intervals of annotated calls."""

    def __init__(self) -> None:
        self.spans: list[tuple[float, float]] = []

    def free(self, begin: float, end: float) -> bool:
        return all(end + _GAP_S <= b or begin >= e + _GAP_S for b, e in self.spans)

    def add(self, begin: float, end: float) -> None:
        self.spans.append((begin, end))


def _band_rms(noise: np.ndarray, sr: int, low: float, high: float) -> float:
    low = max(20.0, low * 0.9)
    high = min(0.45 * sr, max(high * 1.1, low * 2.0))
    if noise.size < 64:
        return float(np.sqrt(np.mean(np.square(noise, dtype=np.float64))) + 1e-12)
    sos = signal.butter(2, [low, high], btype="bandpass", fs=sr, output="sos")
    band = signal.sosfilt(sos, noise.astype(np.float64))
    return float(np.sqrt(np.mean(band**2)) + 1e-12)


def _mix(
    tape: np.ndarray,
    bg: np.ndarray,
    sr: int,
    start: int,
    x: np.ndarray,
    low: float,
    high: float,
    snr_db: float,
) -> None:
    stop = min(tape.size, start + x.size)
    x = x[: stop - start]
    if x.size == 0:
        return
    ref = _band_rms(bg[start : min(stop, start + 2 * sr)], sr, low, high)
    # x has unit RMS over its span; scale so that its in-band level sits snr_db above noise
    tape[start:stop] += (x * np.float32(ref * 10.0 ** (snr_db / 20.0))).astype(np.float32)


def compose_tape(
    rng: np.random.Generator,
    *,
    sr: int,
    duration_s: float,
    style: TapeStyle,
    difficulty: Difficulty,
    site: SiteStyle | None = None,
) -> tuple[np.ndarray, list[dict[str, object]]]:
    """Synthesise one recording and its annotations.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of all randomness of this recording.
    sr : int
        Sample rate in Hz.
    duration_s : float
        Length of the recording in seconds.
    style : TapeStyle
        The tape's background noise character.
    difficulty : Difficulty
        Rates and SNR ranges.
    site : SiteStyle, optional
        The recording site (:mod:`.sites`): its animals voice the hums, its decoy rates
        and held-out negatives replace the difficulty's decoy mix, its room reverberates the
        sounds and its recorder filters, adds self-noise, gains and clips the whole tape.
        Without a site the tape is the generator's original (byte for byte).

    Returns
    -------
    samples : numpy.ndarray
        float32 mono waveform in [-1, 1].
    events : list of dict
        One dict per annotated call, sorted by onset: ``begin_s, end_s, low_hz, high_hz,
        label, quality`` (quality only for hums, else None) and ``snr_db``.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> x, ev = compose_tape(rng, sr=8000, duration_s=20.0, style=TapeStyle.draw(rng),
    ...                      difficulty=DIFFICULTIES["medium"])
    >>> x.shape, all(e["end_s"] <= 20.0 for e in ev)
    ((160000,), True)
    """
    n = int(round(duration_s * sr))
    bg = sounds.background(
        rng, sr, n, pink=style.pink, brown=style.brown, white=style.white,
        highpass_hz=style.highpass_hz,
    )
    bg *= np.float32(style.level if site is None else style.level * 10.0 ** (site.noise_db / 20))
    tape = bg.copy()
    occ = _Occupancy()
    events: list[dict[str, object]] = []
    minutes = duration_s / 60.0

    # hums in bouts
    # bouts of ~2.9 hums; at least one, so that even a short recording has a hum
    n_bouts = int(rng.poisson(difficulty.hums_per_minute * 0.35 * minutes))
    if difficulty.hums_per_minute > 0:
        n_bouts = max(1, n_bouts)
    for _ in range(n_bouts):
        t = float(rng.uniform(0.0, max(0.0, duration_s - 2.0)))
        animal = None if site is None else site.animals[int(rng.integers(len(site.animals)))]
        for _ in range(int(rng.geometric(0.35))):
            dur = _hum_duration(rng)
            if animal is not None:
                dur = float(np.clip(dur * animal.duration_scale, *_HUM_RANGE_S))
            if t + dur < duration_s and occ.free(t, t + dur):
                if animal is None:
                    x, low, high = sounds.hum(rng, sr, dur)
                else:
                    x, low, high = sounds.hum(rng, sr, dur, f0_range=animal.f0_range,
                                              tilt_range=animal.tilt_range)
                snr = float(rng.uniform(*difficulty.hum_snr_db))
                start = int(round(t * sr))
                _mix(tape, bg, sr, start, x, low, high, snr)
                occ.add(t, t + dur)
                events.append(dict(begin_s=start / sr, end_s=(start + x.size) / sr, low_hz=low,
                                   high_hz=high, label="hum", quality=hum_quality(snr),
                                   snr_db=snr))
            t += dur + float(rng.uniform(0.3, 2.5))

    # other annotated call types
    for kind, rate in difficulty.calls_per_minute:
        for _ in range(int(rng.poisson(rate * minutes))):
            dur = float(rng.uniform(*_DURATIONS[kind]))
            for _attempt in range(20):
                t = float(rng.uniform(0.0, max(0.0, duration_s - dur)))
                if occ.free(t, t + dur):
                    break
            else:
                continue
            x, low, high = sounds.GENERATORS[kind](rng, sr, dur)
            snr = float(rng.uniform(*difficulty.call_snr_db))
            start = int(round(t * sr))
            _mix(tape, bg, sr, start, x, low, high, snr)
            occ.add(t, t + dur)
            events.append(dict(begin_s=start / sr, end_s=(start + x.size) / sr, low_hz=low,
                               high_hz=high, label=kind, quality=None, snr_db=snr))

    # decoys, anywhere, not annotated
    decoys = difficulty.decoys_per_minute
    durations = _DURATIONS
    generators = sounds.GENERATORS
    if site is not None:
        scale = dict(site.decoy_rates)
        decoys = tuple((k, r * scale.get(k, 1.0)) for k, r in decoys) + site.heldout
        durations = {**_DURATIONS, **HELDOUT_DURATIONS}
        generators = {**sounds.GENERATORS, **HELDOUT_GENERATORS}
    for kind, rate in decoys:
        for _ in range(int(rng.poisson(rate * minutes))):
            dur = min(float(rng.uniform(*durations[kind])), duration_s)
            t = float(rng.uniform(0.0, max(0.0, duration_s - dur)))
            x, low, high = generators[kind](rng, sr, dur)
            _mix(tape, bg, sr, int(round(t * sr)), x, low, high,
                 float(rng.uniform(*difficulty.decoy_snr_db)))

    if site is not None:
        tape = bg + apply_room(tape - bg, sr, site, rng)
        tape = apply_recorder(tape, sr, site, rng)
    peak = float(np.max(np.abs(tape))) if tape.size else 0.0
    if peak > 0.98:
        tape *= np.float32(0.98 / peak)
    events.sort(key=lambda e: (e["begin_s"], e["end_s"]))
    return tape, events
