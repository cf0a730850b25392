"""Negatives that only some synthetic sites have: bird-like chirps, a tractor engine, rain.

A detector trained on sites without them meets them first at test time, as a lab meets the
birds of a new farm. Each generator has the signature of :mod:`.sounds`' generators,
``f(rng, sr, duration_s) -> (unit-RMS float32 samples, low_hz, high_hz)``.
"""

from __future__ import annotations

import numpy as np
from scipy import signal

from alpacaspot.data.synthetic.sounds import _envelope, _harmonic_stack, _unit_rms

__all__ = ["HELDOUT_GENERATORS", "HELDOUT_DURATIONS", "chirps", "engine", "rain"]

_TWO_PI = 2.0 * np.pi


def chirps(rng: np.random.Generator, sr: int, duration_s: float) -> tuple[np.ndarray, float, float]:
    """A bird-like song: short tonal sweeps (40..150 ms) at 1.5..3.5 kHz with gaps.

    Examples
    --------
    >>> x, lo, hi = chirps(np.random.default_rng(0), 16000, 1.0)
    >>> x.shape, lo < hi
    ((16000,), True)
    """
    n = max(8, int(round(duration_s * sr)))
    out = np.zeros(n)
    fc = rng.uniform(1500.0, 3500.0)
    pos = int(rng.uniform(0.0, 0.1) * sr)
    while pos < n:
        length = int(rng.uniform(0.04, 0.15) * sr)
        if pos + length > n or length < 8:
            break
        sweep = fc * (1.0 + rng.uniform(-0.4, 0.4) * np.linspace(-1.0, 1.0, length))
        out[pos:pos + length] += _harmonic_stack(sweep, sr, np.array([1.0, 0.2]), rng) * \
            np.hanning(length)
        pos += length + int(rng.uniform(0.03, 0.25) * sr)
    return _unit_rms(out, active=True), fc * 0.6, min(fc * 2.8, 0.45 * sr)


def engine(rng: np.random.Generator, sr: int, duration_s: float) -> tuple[np.ndarray, float, float]:
    """A diesel engine: a harmonic firing rate of 20..45 Hz whose speed wanders, plus rumble.

    Its harmonics sweep through the hums' band as the engine speeds up and slows down.

    Examples
    --------
    >>> engine(np.random.default_rng(0), 16000, 0.5)[0].dtype
    dtype('float32')
    """
    n = max(8, int(round(duration_s * sr)))
    t = np.arange(n) / sr
    base = rng.uniform(20.0, 45.0)
    f0 = base * (1.0 + 0.25 * np.sin(_TWO_PI * rng.uniform(0.05, 0.3) * t + rng.uniform(0, 6)))
    x = _harmonic_stack(f0, sr, 0.85 ** np.arange(30), rng).astype(np.float64)
    rumble = signal.lfilter([1.0], [1.0, -0.98], rng.standard_normal(n))
    x = x / (np.std(x) + 1e-9) + 0.5 * rumble / (np.std(rumble) + 1e-9)
    x *= _envelope(n, sr, 0.5, 0.5)
    return _unit_rms(x), base * 0.75, min(base * 1.25 * 30, 0.45 * sr)


def rain(rng: np.random.Generator, sr: int, duration_s: float) -> tuple[np.ndarray, float, float]:
    """Rain: a dense stream of short band-passed drop impacts over a noisy wash.

    Examples
    --------
    >>> rain(np.random.default_rng(0), 16000, 0.5)[0].shape
    (8000,)
    """
    n = max(8, int(round(duration_s * sr)))
    drops = (rng.random(n) < rng.uniform(150.0, 600.0) / sr) * rng.uniform(0.2, 1.0, n)
    ring = np.exp(-np.arange(max(8, int(0.004 * sr))) / (0.0008 * sr))
    x = signal.fftconvolve(drops, ring)[:n] + 0.3 * rng.standard_normal(n)
    sos = signal.butter(2, [400.0, min(7000.0, 0.45 * sr)], btype="bandpass", fs=sr,
                        output="sos")
    x = signal.sosfilt(sos, x) * _envelope(n, sr, 1.0, 1.0)
    return _unit_rms(x), 400.0, min(7000.0, 0.45 * sr)


HELDOUT_GENERATORS = {"chirps": chirps, "engine": engine, "rain": rain}
"""Held-out negative kind -> generator."""

HELDOUT_DURATIONS: dict[str, tuple[float, float]] = {
    "chirps": (0.5, 3.0), "engine": (5.0, 20.0), "rain": (5.0, 20.0)}
"""Duration range (s) of each held-out negative."""
