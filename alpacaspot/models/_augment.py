"""Training augmentation on dB spectrograms: ANIMAL-SPOT's policy and a field-audio policy.

``animalspot`` (:func:`augment_spectrogram`): amplitude change of -6..+2 dB, pitch shift by a
factor in 0.5..1.5 and time stretch by a factor in 0.5..2, both nearest-neighbour on the
spectrogram. Under per-window min-max normalisation the amplitude change has no effect, as in
ANIMAL-SPOT. On windows labelled by their centre the warps break labels: a stretch and the
random crop that follows move a hum's edge across the window centre, a squeeze pads the
window with silence no prediction window has, and a pitch factor of 0.5..0.7 moves hums
(150..400 Hz) into the grumbles' range.

``field`` (:class:`FieldAugmenter`): what differs between sites (background, recorder
response, level) without moving calls.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from alpacaspot.dsp import augment, field_augment

__all__: list[str] = []


def _pitch_shift(spec: np.ndarray, factor: float) -> np.ndarray:
    n_bins = spec.shape[1]
    src = np.floor(np.arange(n_bins) / factor).astype(np.int64)
    out = np.full_like(spec, spec.min() if spec.size else 0.0)
    valid = src < n_bins
    out[:, valid] = spec[:, src[valid]]
    return out


def _time_stretch(spec: np.ndarray, factor: float) -> np.ndarray:
    n = spec.shape[0]
    new_n = max(1, int(round(n * factor)))
    src = np.minimum((np.arange(new_n) / factor).astype(np.int64), n - 1)
    return spec[src]


def augment_spectrogram(spec: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Randomly amplitude-shift, pitch-shift and time-stretch a (frames, bins) dB spectrogram."""
    gain_db = rng.uniform(-6.0, 2.0)
    pitch = rng.uniform(0.5, 1.5)
    stretch = rng.uniform(0.5, 2.0)
    out = spec.astype(np.float32, copy=True) + np.float32(gain_db)
    out = _pitch_shift(out, pitch)
    return np.ascontiguousarray(_time_stretch(out, stretch), dtype=np.float32)


#: Training augmentation policies (``augment_policy``): ANIMAL-SPOT's pitch/time/amplitude
#: warps, or field-audio augmentation that keeps calls where they are.
AUGMENT_POLICIES: tuple[str, ...] = ("animalspot", "field")


class FieldAugmenter:
    """Field-audio augmentation of a training clip's dB spectrogram.

    In order: with probability 0.8 the background of a noise clip of another tape is mixed
    in at 0..20 dB SNR (:func:`~alpacaspot.dsp.field_augment.mix_background`), a random
    recorder response (tilt and bell, up to +-6 dB each), a shift of at most one frame, and with
    probability 0.5 each a time mask (up to 2 frames) and a frequency mask (up to 8 bins).
    No step moves a call in time by more than a frame or in pitch, so the window's label
    stays true; the level change is implicit in the mix (min-max normalisation ignores gain).

    Parameters
    ----------
    features : callable
        ``features(i) -> (frames, bins) dB spectrogram`` of training clip ``i``.
    noise : sequence of int
        Indices of the noise clips (the background pool).
    tapes : sequence of str or None
        Tape of every clip (None when unknown); backgrounds come from other tapes when
        there are any.

    Examples
    --------
    >>> specs = [np.full((5, 4), float(v), np.float32) for v in (-20, -30, -40)]
    >>> aug = FieldAugmenter(specs.__getitem__, [1, 2], ["a", "b", "c"])
    >>> aug(specs[0], np.random.default_rng(0), 0).shape
    (5, 4)
    """

    def __init__(self, features: Callable[[int], np.ndarray], noise: Sequence[int],
                 tapes: Sequence[str | None]) -> None:
        self.features = features
        self.noise = np.asarray(sorted(noise), dtype=np.int64)
        self.tapes = list(tapes)

    def _background(self, index: int, rng: np.random.Generator) -> np.ndarray | None:
        pool = self.noise[self.noise != index]
        tape = self.tapes[index] if index < len(self.tapes) else None
        if tape is not None:
            other = [int(j) for j in pool if self.tapes[j] != tape]
            if other:
                pool = np.asarray(other, dtype=np.int64)
        if pool.size == 0:
            return None
        return self.features(int(pool[int(rng.integers(0, pool.size))]))

    def __call__(self, spec: np.ndarray, rng: np.random.Generator, index: int) -> np.ndarray:
        out = np.asarray(spec, dtype=np.float32)
        if rng.random() < 0.8:
            bg = self._background(index, rng)
            if bg is not None and bg.shape[1] == out.shape[1]:
                out = field_augment.mix_background(out, bg, rng, snr_db_low=0.0, snr_db_high=20.0)
        out = field_augment.random_eq(out, rng, max_tilt_db=6.0, max_bell_db=6.0)
        out = field_augment.time_shift(out, rng, max_frames=1)
        if rng.random() < 0.5:
            out = augment.time_mask(out, rng, max_width=2)
        if rng.random() < 0.5:
            out = augment.freq_mask(out, rng, max_width=8)
        return np.ascontiguousarray(out, dtype=np.float32)


def clip_tapes(names: Sequence[str]) -> list[str | None]:
    """The tape of each clip name (None where the name does not follow the convention).

    Examples
    --------
    >>> clip_tapes(["noise-wind_12_2020_S1T01_1000_1400.wav", "x.wav"])
    ['S1T01', None]
    """
    from alpacaspot.errors import AlpacaspotError
    from alpacaspot.io.animalspot import parse_clip_name

    out: list[str | None] = []
    for name in names:
        try:
            out.append(parse_clip_name(name.rsplit("/", 1)[-1]).tape)
        except (AlpacaspotError, ValueError):
            out.append(None)
    return out
