"""Recording sites that differ as real sites do: recorder, room, noises and animals.

A :class:`SiteStyle` is drawn from a seed (:func:`site_style`), so that training sites,
validation sites and a test site are distinct and reproducible. It holds

- the recorder's frequency response: a tilt (dB per octave around 1 kHz), two or three
  peaking or dipping bells and a band limit (high-pass and low-pass corners);
- the levels: a shift of the background noise, the recorder's self-noise floor, the gain
  before the converter and hard clipping at full scale;
- reverberation: an exponentially decaying noise impulse response (``rt60_s``, wet/dry
  energy ratio) applied to the sounds, not to the diffuse background;
- the background sound kinds and their densities (a rate multiplier per decoy kind);
- the animals: each has its own f0 range, harmonic tilt and hum-duration scale;
- held-out negatives (:mod:`.heldout`): a decoy kind only some sites have.

:func:`apply_room` and :func:`apply_recorder` are the channel effects, used by
:func:`alpacaspot.data.synthetic.compose_tape` when it is given a site.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal

from alpacaspot.errors import ConfigError

__all__ = ["Animal", "SiteStyle", "site_style", "apply_room", "apply_recorder",
           "recorder_response"]

_DECOYS = ("mains", "chewing", "wind", "speech")
_HELDOUT = ("chirps", "engine", "rain")
_FULL_SCALE = 0.98


@dataclass(frozen=True)
class Animal:
    """One animal's voice: f0 range (Hz), harmonic tilt range (dB/harmonic), duration scale."""

    f0_range: tuple[float, float]
    tilt_range: tuple[float, float]
    duration_scale: float


@dataclass(frozen=True)
class SiteStyle:
    """Everything that makes one site's recordings differ from another's.

    Parameters
    ----------
    seed : int
        The seed it was drawn from (names the site).
    tilt_db : float
        Recorder response slope, dB per octave around 1 kHz.
    bells : tuple of (float, float, float)
        Peaks and dips of the response: (centre Hz, gain dB, width in octaves).
    band_hz : (float, float)
        High-pass and low-pass corners of the recorder (4th-order Butterworth magnitude).
    noise_db : float
        Shift of the tapes' background level (dB).
    self_noise_db : float
        RMS of the recorder's white self-noise (dB full scale).
    gain_db : float
        Gain before the converter; the result is clipped at full scale.
    rt60_s, wet : float
        Reverberation time (0: dry) and reverberant-to-direct energy ratio.
    decoy_rates : tuple of (str, float)
        Multiplier of each decoy kind's rate (``mains``, ``chewing``, ``wind``, ``speech``).
    heldout : tuple of (str, float)
        Held-out negative kinds of this site and their rates per minute (may be empty).
    animals : tuple of Animal
        The site's animals; each bout of hums comes from one of them.
    """

    seed: int
    tilt_db: float
    bells: tuple[tuple[float, float, float], ...]
    band_hz: tuple[float, float]
    noise_db: float
    self_noise_db: float
    gain_db: float
    rt60_s: float
    wet: float
    decoy_rates: tuple[tuple[str, float], ...]
    heldout: tuple[tuple[str, float], ...]
    animals: tuple[Animal, ...]

    @property
    def name(self) -> str:
        """``site<seed>``."""
        return f"site{self.seed}"


def site_style(seed: int, *, heldout: bool | None = None) -> SiteStyle:
    """Draw a site from ``seed`` (the same seed, the same site).

    Parameters
    ----------
    seed : int
        Non-negative seed.
    heldout : bool, optional
        Force the site to have (True) or lack (False) a held-out negative kind; by default
        a third of the sites lack one.

    Examples
    --------
    >>> a, b = site_style(1), site_style(2)
    >>> a == site_style(1), a == b
    (True, False)
    >>> site_style(3, heldout=False).heldout
    ()
    """
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ConfigError(f"site seed must be a non-negative integer, got {seed!r}")
    rng = np.random.default_rng([int(seed), 86243])
    bells = tuple(
        (float(2.0 ** rng.uniform(np.log2(150.0), np.log2(5000.0))),
         float(rng.uniform(-9.0, 9.0)), float(rng.uniform(0.3, 1.5)))
        for _ in range(int(rng.integers(2, 4))))
    band = (float(rng.uniform(20.0, 200.0)), float(rng.uniform(3000.0, 12000.0)))
    decoys = tuple((k, float(2.0 ** rng.uniform(-2.0, 1.5))) for k in _DECOYS)
    n_animals = int(rng.integers(2, 6))
    animals = []
    for _ in range(n_animals):
        f_lo = float(rng.uniform(140.0, 330.0))
        t_lo = float(rng.uniform(2.0, 7.0))
        animals.append(Animal((f_lo, f_lo * float(rng.uniform(1.1, 1.4))),
                              (t_lo, t_lo + float(rng.uniform(1.0, 3.0))),
                              float(2.0 ** rng.uniform(-0.6, 0.6))))
    has_heldout = rng.random() >= 1.0 / 3.0
    kind = _HELDOUT[int(rng.integers(0, len(_HELDOUT)))]
    rate = float(rng.uniform(0.5, 1.5))
    if heldout is not None:
        has_heldout = bool(heldout)
    return SiteStyle(
        seed=int(seed),
        tilt_db=float(rng.uniform(-4.0, 4.0)),
        bells=bells,
        band_hz=band,
        noise_db=float(rng.uniform(-6.0, 8.0)),
        self_noise_db=float(rng.uniform(-80.0, -55.0)),
        gain_db=float(rng.uniform(-6.0, 26.0)),
        rt60_s=float(rng.uniform(0.0, 0.6)) if rng.random() < 0.7 else 0.0,
        wet=float(rng.uniform(0.1, 0.8)),
        decoy_rates=decoys,
        heldout=((kind, rate),) if has_heldout else (),
        animals=tuple(animals),
    )


def recorder_response(site: SiteStyle, freqs_hz: np.ndarray) -> np.ndarray:
    """The recorder's magnitude response (linear gain) at ``freqs_hz``.

    Examples
    --------
    >>> s = site_style(0)
    >>> g = recorder_response(s, np.array([5.0, 1000.0]))
    >>> bool(g[0] < g[1])
    True
    """
    f = np.maximum(np.asarray(freqs_hz, dtype=np.float64), 1.0)
    octaves = np.log2(np.maximum(f, 20.0) / 1000.0)
    db = site.tilt_db * octaves
    for centre, gain, width in site.bells:
        db = db + gain * np.exp(-0.5 * (np.log2(f / centre) / (width / 2.0)) ** 2)
    lo, hi = site.band_hz
    band = 1.0 / np.sqrt(1.0 + (lo / f) ** 8) / np.sqrt(1.0 + (f / hi) ** 8)
    return (10.0 ** (db / 20.0)) * band


def apply_room(x: np.ndarray, sr: int, site: SiteStyle, rng: np.random.Generator) -> np.ndarray:
    """Add the site's reverberation to ``x`` (a no-op for a dry site).

    The impulse response is Gaussian noise under an exponential decay reaching -60 dB at
    ``rt60_s``, scaled so that the reverberant energy is ``wet`` times the direct energy.

    Examples
    --------
    >>> import dataclasses
    >>> s = dataclasses.replace(site_style(0), rt60_s=0.3, wet=0.5)
    >>> x = np.zeros(8000, np.float32); x[100] = 1.0
    >>> y = apply_room(x, 8000, s, np.random.default_rng(0))
    >>> y.shape, bool(np.abs(y[1000:]).max() > 0)
    ((8000,), True)
    """
    if site.rt60_s <= 0.0 or site.wet <= 0.0 or x.size == 0:
        return np.asarray(x, dtype=np.float32)
    n_ir = max(2, int(site.rt60_s * sr))
    t = np.arange(n_ir) / sr
    ir = rng.standard_normal(n_ir) * np.exp(-6.91 * t / site.rt60_s)
    ir *= np.sqrt(site.wet / np.sum(ir**2))
    tail = signal.fftconvolve(np.asarray(x, dtype=np.float64), ir)[: x.size]
    return (x + tail).astype(np.float32)


def apply_recorder(x: np.ndarray, sr: int, site: SiteStyle,
                   rng: np.random.Generator) -> np.ndarray:
    """The site's recorder: frequency response, self-noise, gain and clipping at full scale.

    Examples
    --------
    >>> import dataclasses
    >>> s = dataclasses.replace(site_style(0), gain_db=40.0)
    >>> x = 0.1 * np.sin(np.arange(4000) / 3.0).astype(np.float32)
    >>> round(float(np.abs(apply_recorder(x, 8000, s, np.random.default_rng(0))).max()), 4)
    0.98
    """
    x = np.asarray(x, dtype=np.float64)
    spec = np.fft.rfft(x)
    spec *= recorder_response(site, np.fft.rfftfreq(x.size, 1.0 / sr))
    y = np.fft.irfft(spec, n=x.size)
    y += 10.0 ** (site.self_noise_db / 20.0) * rng.standard_normal(x.size)
    y *= 10.0 ** (site.gain_db / 20.0)
    return np.clip(y, -_FULL_SCALE, _FULL_SCALE).astype(np.float32)
