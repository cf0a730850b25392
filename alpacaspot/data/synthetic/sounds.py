"""Sound generators of the synthetic alpaca corpus: calls, decoys and background noise.

Every generator takes a :class:`numpy.random.Generator` and a sample rate and returns a
float32 waveform of unit RMS (background: of unit RMS too), so that the tape composer scales
each sound to its signal-to-noise ratio. Only the samples a sound covers are synthesised, so a
tape costs one background pass plus a few milliseconds per call.

Sounds
------
hum
    The detection target: harmonic, 5..12 harmonics, f0 150..400 Hz with a slow contour
    (rise-fall plus a gentle drift and a little vibrato), nasal spectral tilt, soft attack and
    release.
alarm
    Alarm-call syllable train: 3..10 short (30..90 ms) frequency-modulated syllables with the
    energy around 0.6..1.5 kHz.
grumble
    Low, rough, noisy vocalisation: f0 60..140 Hz, jittered, amplitude modulated.
orgle
    Orgle-like pulsed buzz: a pulse train at 25..60 pulses/s through a low resonant filter.
mains
    Decoy: 50 or 60 Hz machinery hum with harmonics (stationary, harmonic: a naive harmonic
    detector fires on it).
chewing
    Decoy: bursts of broadband clicks at a chewing rhythm.
wind
    Decoy: a gust of low-pass noise with a slow swell.
speech
    Decoy: speech-like voiced syllables (glottal pulses at 90..220 Hz through moving formants).
"""

from __future__ import annotations

import numpy as np
from scipy import signal

__all__ = [
    "hum",
    "alarm",
    "grumble",
    "orgle",
    "mains",
    "chewing",
    "wind",
    "speech",
    "background",
    "GENERATORS",
]

_TWO_PI = 2.0 * np.pi
_TABLE = 4096  # wavetable length (linear interpolation error < 3e-4 at harmonic 12)


def _unit_rms(x: np.ndarray, *, active: bool = False) -> np.ndarray:
    """Scale to unit RMS; ``active``: RMS over the non-silent samples only (sparse sounds)."""
    v = x[np.abs(x) > 1e-3 * float(np.max(np.abs(x)))] if active and x.size else x
    rms = float(np.sqrt(np.mean(np.square(v, dtype=np.float64)))) if v.size else 0.0
    if rms <= 0.0:
        return x.astype(np.float32)
    return (x / rms).astype(np.float32)


def _envelope(n: int, sr: int, attack_s: float, release_s: float) -> np.ndarray:
    env = np.ones(n, dtype=np.float64)
    a = min(n // 2, max(1, int(attack_s * sr)))
    r = min(n - a, max(1, int(release_s * sr)))
    env[:a] = 0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, a))
    env[n - r :] = 0.5 + 0.5 * np.cos(np.linspace(0.0, np.pi, r))
    return env


def _harmonic_stack(
    f0: np.ndarray, sr: int, amps: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Sum of harmonics k*f0(t) with amplitudes ``amps[k-1]``, skipping those above Nyquist.

    Wavetable synthesis: the sum over harmonics is one periodic waveform of the running
    phase, tabulated once per sound and read with linear interpolation, so the cost does not
    grow with the number of harmonics.
    """
    cycles = np.cumsum(f0, dtype=np.float64) / sr
    top = float(np.max(f0))
    grid = np.linspace(0.0, 1.0, _TABLE + 1)
    table = np.zeros_like(grid)
    for k, a in enumerate(amps, start=1):
        if k * top >= 0.45 * sr:
            break
        table += a * np.sin(_TWO_PI * k * grid + rng.uniform(0.0, _TWO_PI))
    return np.interp(cycles % 1.0, grid, table).astype(np.float32)


def hum(
    rng: np.random.Generator,
    sr: int,
    duration_s: float,
    *,
    f0_range: tuple[float, float] = (150.0, 400.0),
    tilt_range: tuple[float, float] = (3.0, 8.0),
) -> tuple[np.ndarray, float, float]:
    """An alpaca hum of ``duration_s`` seconds.

    ``f0_range`` (Hz) and ``tilt_range`` (dB per harmonic) narrow the voice to one animal's
    (see :class:`alpacaspot.data.synthetic.sites.Animal`); the defaults span all animals.

    Returns
    -------
    samples : numpy.ndarray
        float32, unit RMS.
    low_hz, high_hz : float
        The band the hum occupies (lowest f0 to the highest audible harmonic).

    Examples
    --------
    >>> x, lo, hi = hum(np.random.default_rng(0), 16000, 0.3)
    >>> x.shape, 150 <= lo < hi
    ((4800,), True)
    """
    n = max(8, int(round(duration_s * sr)))
    t = np.arange(n) / sr
    f_base = rng.uniform(*f0_range)
    # slow contour: a rise-fall (or fall) of up to +-18 % plus drift and a slight vibrato
    peak = rng.uniform(0.2, 0.6)
    depth = rng.uniform(-0.10, 0.18)
    u = t / max(t[-1], 1e-9)
    contour = 1.0 + depth * np.sin(np.pi * np.clip(u / (2 * peak), 0, 1)) * (1 - 0.5 * u)
    contour += rng.uniform(-0.06, 0.06) * u
    contour += 0.01 * np.sin(_TWO_PI * rng.uniform(4.0, 7.0) * t)
    f0 = f_base * contour
    n_harm = int(rng.integers(5, 13))
    tilt = rng.uniform(*tilt_range)  # dB per harmonic
    amps = 10.0 ** (-tilt * np.arange(n_harm) / 20.0)
    amps[1:3] *= rng.uniform(0.8, 1.6, size=min(2, n_harm - 1))  # nasal formant
    x = _harmonic_stack(f0, sr, amps, rng)
    x *= _envelope(n, sr, rng.uniform(0.01, 0.05), rng.uniform(0.02, 0.08))
    high = min(float(np.max(f0)) * n_harm, 0.45 * sr)
    return _unit_rms(x), float(np.min(f0)), high


def alarm(rng: np.random.Generator, sr: int, duration_s: float) -> tuple[np.ndarray, float, float]:
    """An alarm-call syllable train filling about ``duration_s`` seconds."""
    n = max(8, int(round(duration_s * sr)))
    out = np.zeros(n)
    n_syl = int(rng.integers(3, 11))
    period = n / n_syl
    fc = rng.uniform(600.0, 1500.0)
    for i in range(n_syl):
        length = int(min(period * 0.8, rng.uniform(0.03, 0.09) * sr))
        if length < 8:
            continue
        start = int(i * period + rng.uniform(0, max(1.0, period - length)))
        start = min(start, n - length)
        sweep = fc * (1.0 + rng.uniform(-0.25, 0.25) * np.linspace(-1, 1, length))
        syl = _harmonic_stack(sweep, sr, np.array([1.0, 0.4, 0.15]), rng)
        out[start : start + length] += syl * np.hanning(length)
    return _unit_rms(out, active=True), fc * 0.7, fc * 3.5


def grumble(
    rng: np.random.Generator, sr: int, duration_s: float
) -> tuple[np.ndarray, float, float]:
    """A low, rough grumble of ``duration_s`` seconds."""
    n = max(8, int(round(duration_s * sr)))
    t = np.arange(n) / sr
    f0 = rng.uniform(60.0, 140.0) * (1.0 + 0.08 * rng.standard_normal(n).cumsum() / np.sqrt(n))
    x = _harmonic_stack(np.abs(f0) + 30.0, sr, 0.7 ** np.arange(15), rng)
    noise = signal.lfilter([1.0], [1.0, -0.97], rng.standard_normal(n))
    x = x / (np.std(x) + 1e-9) + 0.6 * noise / (np.std(noise) + 1e-9)
    x *= 0.6 + 0.4 * np.sin(_TWO_PI * rng.uniform(3.0, 9.0) * t) ** 2
    x *= _envelope(n, sr, 0.05, 0.1)
    return _unit_rms(x), 50.0, 1500.0


def orgle(rng: np.random.Generator, sr: int, duration_s: float) -> tuple[np.ndarray, float, float]:
    """An orgle-like pulsed buzz of ``duration_s`` seconds."""
    n = max(8, int(round(duration_s * sr)))
    rate = rng.uniform(25.0, 60.0)
    jitter = 1.0 + 0.05 * rng.standard_normal(n)
    phase = np.cumsum(rate * jitter) / sr
    pulses = np.diff(np.floor(phase), prepend=0.0)
    res = rng.uniform(250.0, 700.0)
    b, a = signal.iirpeak(res, 3.0, fs=sr)
    x = signal.lfilter(b, a, pulses)
    x += 0.3 * signal.lfilter([1.0], [1.0, -0.9], pulses)
    x *= _envelope(n, sr, 0.05, 0.1)
    return _unit_rms(x), 40.0, 2000.0


def mains(rng: np.random.Generator, sr: int, duration_s: float) -> tuple[np.ndarray, float, float]:
    """Machinery hum at 50 or 60 Hz with harmonics for ``duration_s`` seconds."""
    n = max(8, int(round(duration_s * sr)))
    base = 50.0 if rng.random() < 0.5 else 60.0
    f0 = np.full(n, base * (1.0 + rng.uniform(-0.003, 0.003)))
    x = _harmonic_stack(f0, sr, rng.uniform(0.2, 1.0, size=12), rng)
    x *= _envelope(n, sr, 0.3, 0.3)
    return _unit_rms(x), base, base * 12


def chewing(
    rng: np.random.Generator, sr: int, duration_s: float
) -> tuple[np.ndarray, float, float]:
    """Chewing: broadband clicks at 1.2..2.5 per second with a short ring."""
    n = max(8, int(round(duration_s * sr)))
    out = np.zeros(n)
    rate = rng.uniform(1.2, 2.5)
    pos = rng.uniform(0, 0.2) * sr
    click_len = max(8, int(0.012 * sr))
    while pos < n - click_len:
        p = int(pos)
        burst = rng.standard_normal(click_len) * np.exp(-np.arange(click_len) / (0.002 * sr))
        out[p : p + click_len] += burst * rng.uniform(0.5, 1.0)
        pos += sr / rate * rng.uniform(0.7, 1.3)
    return _unit_rms(out, active=True), 200.0, 0.45 * sr


def wind(rng: np.random.Generator, sr: int, duration_s: float) -> tuple[np.ndarray, float, float]:
    """A wind gust: low-pass noise with a slow swell."""
    n = max(8, int(round(duration_s * sr)))
    sos = signal.butter(2, rng.uniform(300.0, 900.0), fs=sr, output="sos")
    x = signal.sosfilt(sos, rng.standard_normal(n))
    t = np.linspace(0.0, 1.0, n)
    swell = np.sin(np.pi * t) ** 2 * (1.0 + 0.4 * np.sin(_TWO_PI * rng.uniform(0.5, 2.0) * t))
    return _unit_rms(x * swell), 20.0, 1000.0


def speech(rng: np.random.Generator, sr: int, duration_s: float) -> tuple[np.ndarray, float, float]:
    """Speech-like voiced syllables: glottal pulses through two moving formants."""
    n = max(8, int(round(duration_s * sr)))
    out = np.zeros(n)
    pos = 0
    f0_base = rng.uniform(90.0, 220.0)
    while pos < n:
        length = min(n - pos, int(rng.uniform(0.12, 0.3) * sr))
        if length < 16:
            break
        f0 = f0_base * (1.0 + 0.1 * np.linspace(rng.uniform(-1, 1), rng.uniform(-1, 1), length))
        phase = np.cumsum(f0) / sr
        pulses = np.diff(np.floor(phase), prepend=0.0)
        voiced = np.zeros(length)
        for formant, bw in ((rng.uniform(400, 900), 6.0), (rng.uniform(1000, 2400), 8.0)):
            b, a = signal.iirpeak(formant, bw, fs=sr)
            voiced += signal.lfilter(b, a, pulses)
        out[pos : pos + length] = voiced * np.hanning(length)
        pos += length + int(rng.uniform(0.03, 0.15) * sr)
    return _unit_rms(out), f0_base, 3000.0


# Pink-noise filter (Kellet's 3-pole approximation of a 1/f spectrum).
_PINK_B = np.array([0.049922035, -0.095993537, 0.050612699, -0.004408786])
_PINK_A = np.array([1.0, -2.494956002, 2.017265875, -0.522189400])


def _noise_gain(b: np.ndarray, a: np.ndarray) -> float:
    """RMS of the filter's output for unit white noise (from its impulse response)."""
    h = signal.lfilter(b, a, np.r_[1.0, np.zeros(8191)])
    return float(np.sqrt(np.sum(h**2)))


def background(
    rng: np.random.Generator,
    sr: int,
    n: int,
    *,
    pink: float,
    brown: float,
    white: float,
    highpass_hz: float = 20.0,
) -> np.ndarray:
    """Background noise of ``n`` samples: a weighted mix of pink, brown and white noise.

    The weights set the tape's noise character; the result has unit RMS and a slow (0.02..0.1
    Hz) level drift of a few dB.

    Examples
    --------
    >>> x = background(np.random.default_rng(0), 8000, 8000, pink=1.0, brown=0.5, white=0.1)
    >>> x.dtype, x.shape
    (dtype('float32'), (8000,))
    """
    w = rng.standard_normal(n, dtype=np.float32)
    # one IIR filter for the whole mix: pink + brown + white, then a first-order high-pass
    brown_a = np.array([1.0, -0.995])
    gp = _noise_gain(_PINK_B, _PINK_A)
    gb = _noise_gain(np.array([1.0]), brown_a)
    num = np.polyadd(
        np.polyadd(pink / gp * np.polymul(_PINK_B, brown_a), brown / gb * _PINK_A),
        white * np.polymul(_PINK_A, brown_a),
    )
    den = np.polymul(_PINK_A, brown_a)
    hb, ha = signal.butter(1, highpass_hz, btype="highpass", fs=sr)
    x = signal.lfilter(np.polymul(num, hb), np.polymul(den, ha), w).astype(np.float32)
    # slow level drift, evaluated every 10 ms (steps far below audibility at these rates)
    step = max(1, sr // 100)
    t = np.arange(0, n, step, dtype=np.float64) / sr
    rate = _TWO_PI * rng.uniform(0.02, 0.1)
    drift = (1.0 + 0.25 * np.sin(rate * t + rng.uniform(0, 6))).astype(np.float32)
    x *= np.repeat(drift, step)[:n]
    return _unit_rms(x)


GENERATORS = {
    "hum": hum,
    "alarm": alarm,
    "grumble": grumble,
    "orgle": orgle,
    "mains": mains,
    "chewing": chewing,
    "wind": wind,
    "speech": speech,
}
"""Sound kind -> generator ``f(rng, sr, duration_s) -> (samples, low_hz, high_hz)``."""
