"""The spectrogram configuration: one frozen object that owns every front-end setting.

A :class:`SpectrogramConfig` says how audio becomes the CNN's input: sample rate, STFT size and
hop, window, pre-emphasis, frequency range and compression, dB floor and normalisation. A model
file stores it, so prediction cannot drift from training. It can be built from an ANIMAL-SPOT
training cfg (the dict :func:`alpacaspot.io.animalspot.read_cfg` returns) or from the
``dataOpts`` dict stored in an ANIMAL-SPOT model file.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from alpacaspot.dsp._animalspot import animalspot_kwargs, flag
from alpacaspot.dsp.grid import frame_count, seconds_to_samples
from alpacaspot.errors import ConfigError

__all__ = [
    "COMPRESSIONS",
    "NORMALIZATIONS",
    "WINDOWS",
    "SpectrogramConfig",
    "seconds_to_samples",
]

#: Frequency compressions: ANIMAL-SPOT's nearest-neighbour resize, a linear interpolation that
#: keeps every bin's energy, a librosa-compatible mel filterbank, or no resize at all.
COMPRESSIONS = ("linear", "linear_interp", "mel", "none")
#: Normalisations: per-window min-max to [0, 1], ANIMAL-SPOT's reference-level clip, none.
NORMALIZATIONS = ("minmax", "ref_level", "none")
#: Analysis windows (periodic, as scipy's ``get_window`` and torch's defaults).
WINDOWS = ("hann", "hamming", "blackman", "boxcar")


@dataclass(frozen=True, kw_only=True)
class SpectrogramConfig:
    """Every setting of the spectrogram front end.

    Parameters
    ----------
    sr : int
        Sample rate the audio is read or resampled at, in Hz.
    n_fft : int
        STFT frame length in samples (at least 2).
    hop_length : int
        STFT hop in samples (at least 1).
    fmin, fmax : float
        Frequency range kept, in Hz (``0 <= fmin < fmax <= sr / 2``).
    n_freq_bins : int
        Number of frequency bins after compression.
    window : str
        Analysis window, periodic: one of :data:`WINDOWS`.
    preemphasis : float
        Pre-emphasis factor ``a`` of ``y[n] - a * y[n-1]`` (0 disables it).
    compression : str
        ``"linear"`` (ANIMAL-SPOT's nearest-neighbour resize of the bins
        ``floor(n_fft*fmin/sr)`` .. ``ceil(n_fft*fmax/sr) - 1``), ``"linear_interp"`` (linear
        interpolation; triangular averaging when shrinking, so no bin is dropped), ``"mel"``
        (librosa's Slaney mel filterbank) or ``"none"`` (the bins of the range as they are;
        ``n_freq_bins`` must then equal their number).
    min_level_db : float
        dB floor: power is clamped at ``10 ** (min_level_db / 10)`` before the log.
    ref_level_db : float
        Reference level of the ``"ref_level"`` normalisation.
    normalization : str
        ``"minmax"`` (each window to [0, 1]), ``"ref_level"``
        (``clip((dB - ref_level_db - min_level_db) / -min_level_db, 0, 1)``) or ``"none"``.

    Raises
    ------
    ConfigError
        On an invalid value or combination.

    Examples
    --------
    >>> cfg = SpectrogramConfig(sr=48000, n_fft=2048, hop_length=1024, fmin=0, fmax=4000,
    ...                         n_freq_bins=128)
    >>> cfg.window_frames(0.4)
    17
    >>> SpectrogramConfig.from_dict(cfg.to_dict()) == cfg
    True
    """

    sr: int
    n_fft: int
    hop_length: int
    fmin: float
    fmax: float
    n_freq_bins: int
    window: str = "hann"
    preemphasis: float = 0.98
    compression: str = "linear"
    min_level_db: float = -100.0
    ref_level_db: float = 20.0
    normalization: str = "minmax"

    def __post_init__(self) -> None:
        for name in ("sr", "n_fft", "hop_length", "n_freq_bins"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                if isinstance(value, float) and value.is_integer():
                    object.__setattr__(self, name, int(value))
                else:
                    raise ConfigError(f"{name} must be an integer, got {value!r}")
        for name in ("fmin", "fmax", "preemphasis", "min_level_db", "ref_level_db"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ConfigError(f"{name} must be a number, got {value!r}")
            if not math.isfinite(value):
                raise ConfigError(f"{name} must be finite, got {value!r}")
            object.__setattr__(self, name, float(value))
        if self.sr <= 0:
            raise ConfigError(f"sr must be positive, got {self.sr}")
        if self.n_fft < 2:
            raise ConfigError(f"n_fft must be at least 2, got {self.n_fft}")
        if self.hop_length < 1:
            raise ConfigError(f"hop_length must be at least 1, got {self.hop_length}")
        if self.n_freq_bins < 1:
            raise ConfigError(f"n_freq_bins must be at least 1, got {self.n_freq_bins}")
        if not 0.0 <= self.fmin < self.fmax:
            raise ConfigError(
                f"expected 0 <= fmin < fmax, got fmin={self.fmin:g}, fmax={self.fmax:g}"
            )
        if self.fmax > self.sr / 2:
            raise ConfigError(
                f"fmax={self.fmax:g} Hz is above the Nyquist frequency sr/2={self.sr / 2:g} Hz"
            )
        if not 0.0 <= self.preemphasis < 1.0:
            raise ConfigError(f"preemphasis must be in [0, 1), got {self.preemphasis:g}")
        if self.min_level_db >= 0:
            raise ConfigError(f"min_level_db must be negative, got {self.min_level_db:g}")
        for name, allowed in (
            ("window", WINDOWS),
            ("compression", COMPRESSIONS),
            ("normalization", NORMALIZATIONS),
        ):
            value = getattr(self, name)
            if value not in allowed:
                raise ConfigError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")
        lo, hi = self.bin_range
        if hi <= lo:
            raise ConfigError(
                f"fmin={self.fmin:g}..fmax={self.fmax:g} Hz covers no STFT bin at "
                f"n_fft={self.n_fft}, sr={self.sr}"
            )
        if self.compression == "none" and self.n_freq_bins != hi - lo:
            raise ConfigError(
                f"compression='none' keeps the {hi - lo} bins of {self.fmin:g}..{self.fmax:g} Hz; "
                f"set n_freq_bins={hi - lo}, got {self.n_freq_bins}"
            )

    # ------------------------------------------------------------------ derived values
    @property
    def n_stft_bins(self) -> int:
        """Number of one-sided STFT bins, ``n_fft // 2 + 1``."""
        return self.n_fft // 2 + 1

    @property
    def bin_range(self) -> tuple[int, int]:
        """STFT bins ``[lo, hi)`` of the frequency range, as ANIMAL-SPOT selects them.

        ``lo = floor(n * fmin / sr)``, ``hi = min(n - 1, ceil(n * fmax / sr))`` with
        ``n = 2 * (n_fft // 2)``, clipped to the one-sided bins.
        """
        n = 2 * (self.n_fft // 2)
        lo = max(0, math.floor(n * self.fmin / self.sr))
        hi = min(n - 1, math.ceil(n * self.fmax / self.sr), self.n_stft_bins)
        return int(lo), int(hi)

    def window_samples(self, window_s: float) -> int:
        """Samples of a window of ``window_s`` seconds: ``ceil(window_s * sr)``.

        Examples
        --------
        >>> SpectrogramConfig(sr=48000, n_fft=2048, hop_length=1024, fmin=0, fmax=4000,
        ...                   n_freq_bins=128).window_samples(0.4)
        19200
        """
        return seconds_to_samples(window_s, self.sr)

    def window_frames(self, window_s: float) -> int:
        """STFT frames of a window of ``window_s`` seconds.

        ``1 + (ceil(window_s * sr) - n_fft) // hop_length``.

        Raises
        ------
        ConfigError
            If the window is shorter than one STFT frame.

        Examples
        --------
        >>> SpectrogramConfig(sr=44100, n_fft=4096, hop_length=441, fmin=500, fmax=10000,
        ...                   n_freq_bins=256).window_frames(0.4)
        31
        """
        n = self.window_samples(window_s)
        if n < self.n_fft:
            raise ConfigError(
                f"a window of {window_s:g} s ({n} samples) is shorter than one STFT frame "
                f"(n_fft={self.n_fft})"
            )
        return frame_count(n, frame_length=self.n_fft, hop_length=self.hop_length)

    def n_frames(self, n_samples: int) -> int:
        """Frames of a signal of ``n_samples`` (0 when it is shorter than ``n_fft``).

        Examples
        --------
        >>> SpectrogramConfig(sr=48000, n_fft=2048, hop_length=1024, fmin=0, fmax=4000,
        ...                   n_freq_bins=128).n_frames(48000)
        45
        """
        return frame_count(n_samples, frame_length=self.n_fft, hop_length=self.hop_length)

    # ------------------------------------------------------------------ (de)serialisation
    def to_dict(self) -> dict[str, Any]:
        """The config as a dict of primitives (JSON- and model-file-safe).

        Examples
        --------
        >>> SpectrogramConfig(sr=48000, n_fft=2048, hop_length=1024, fmin=0, fmax=4000,
        ...                   n_freq_bins=128).to_dict()["n_fft"]
        2048
        """
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(
        cls, d: Mapping[str, Any], *, path: str | os.PathLike[str] | None = None
    ) -> SpectrogramConfig:
        """Build a config from :meth:`to_dict`'s output.

        Parameters
        ----------
        d : Mapping
            Field names to values.
        path : path-like, optional
            File the dict came from, named in errors.

        Raises
        ------
        ConfigError
            On unknown or missing keys or invalid values.

        Examples
        --------
        >>> SpectrogramConfig.from_dict({"sr": 16000, "n_fft": 512, "hop_length": 128,
        ...     "fmin": 0, "fmax": 8000, "n_freq_bins": 64}).n_fft
        512
        """
        if not isinstance(d, Mapping):
            raise ConfigError(f"expected a dict of spectrogram settings, got {d!r}", path=path)
        names = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(set(d) - set(names))
        if unknown:
            raise ConfigError(
                f"unknown spectrogram setting(s) {unknown}; allowed: {', '.join(names)}",
                path=path,
            )
        required = [f.name for f in dataclasses.fields(cls) if f.default is dataclasses.MISSING]
        missing = [k for k in required if k not in d]
        if missing:
            raise ConfigError(f"missing spectrogram setting(s) {missing}", path=path)
        return _construct(cls, dict(d), path)

    @classmethod
    def from_animalspot_cfg(
        cls, values: Mapping[str, Any], *, path: str | os.PathLike[str] | None = None
    ) -> SpectrogramConfig:
        """Build a config from an ANIMAL-SPOT training cfg.

        Parameters
        ----------
        values : Mapping
            What :func:`alpacaspot.io.animalspot.read_cfg` returns (raw strings; a bare key is
            ``True``; ``None`` means unset). Keys used: ``sr, n_fft, hop_length, n_freq_bins,
            fmin, fmax, freq_compression, min_max_norm``; missing ones take ANIMAL-SPOT's
            defaults. ``min_max_norm`` selects ``"minmax"``, its absence ``"ref_level"``.
        path : path-like, optional
            The cfg file, named in errors.

        Raises
        ------
        ConfigError
            On a value that is not a number, an unsupported compression or an invalid
            combination.

        Examples
        --------
        >>> cfg = SpectrogramConfig.from_animalspot_cfg({"sr": "48000", "n_fft": "2048",
        ...     "hop_length": "1024", "n_freq_bins": "128", "fmin": "0", "fmax": "4000",
        ...     "freq_compression": "linear", "min_max_norm": True})
        >>> (cfg.sr, cfg.fmax, cfg.normalization)
        (48000, 4000.0, 'minmax')
        """
        norm = "minmax" if flag(values.get("min_max_norm"), "min_max_norm", path) else "ref_level"
        kwargs = animalspot_kwargs(values, path=path, kind="cfg")
        return _construct(cls, {**kwargs, "normalization": norm}, path)

    @classmethod
    def from_animalspot_data_opts(
        cls,
        d: Mapping[str, Any],
        *,
        normalization: str = "minmax",
        path: str | os.PathLike[str] | None = None,
    ) -> SpectrogramConfig:
        """Build a config from the ``dataOpts`` dict of an ANIMAL-SPOT model file.

        Parameters
        ----------
        d : Mapping
            ``dataOpts``: ``sr, preemphases, n_fft, hop_length, n_freq_bins, fmin, fmax,
            freq_compression, min_level_db, ref_level_db`` (other keys are ignored).
        normalization : str
            ANIMAL-SPOT does not store it; pass what the model was trained with.
        path : path-like, optional
            The model file, named in errors.

        Examples
        --------
        >>> cfg = SpectrogramConfig.from_animalspot_data_opts({"sr": 44100, "preemphases": 0.98,
        ...     "n_fft": 4096, "hop_length": 441, "n_freq_bins": 256, "fmin": 500,
        ...     "fmax": 10000, "freq_compression": "linear", "min_level_db": -100,
        ...     "ref_level_db": 20})
        >>> cfg.hop_length
        441
        """
        kwargs = animalspot_kwargs(d, path=path, kind="dataOpts")
        return _construct(cls, {**kwargs, "normalization": normalization}, path)


def _construct(
    cls: type[SpectrogramConfig], kwargs: dict[str, Any], path: str | os.PathLike[str] | None
) -> SpectrogramConfig:
    """Build a config, naming ``path`` in any ConfigError."""
    try:
        return cls(**kwargs)
    except ConfigError as err:
        if err.path is not None or path is None:
            raise
        raise ConfigError(err.message, path=path) from None
