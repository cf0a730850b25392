"""The sliding-window grid of prediction, in samples and seconds.

Window ``i`` of a recording of ``N`` samples starts at sample ``i * H`` and spans ``L``
samples, with ``L = ceil(window_s * sr)`` and ``H = ceil(hop_s * sr)``; there are
``max(ceil((N + 1 - L) / H), 1)`` windows. This is ANIMAL-SPOT's grid, so window scores line
up with its prediction logs. Only a recording shorter than one window has a short window (it is
zero-padded, never dropped).

This module is torch-free.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from alpacaspot.errors import ConfigError

__all__ = ["WindowGrid", "window_grid"]


def _samples(seconds: float, sr: int) -> int:
    # plain ceil, as ANIMAL-SPOT and alpacaspot.dsp compute it
    return int(math.ceil(seconds * sr))


@dataclass(frozen=True)
class WindowGrid:
    """Window positions over one recording.

    Parameters
    ----------
    n_samples : int
        Length of the recording in samples (at ``sr``).
    sr : int
        Sample rate in Hz.
    length : int
        Window length ``L`` in samples.
    hop : int
        Window step ``H`` in samples.

    Examples
    --------
    >>> g = window_grid(48000, 48000, window_s=0.4, hop_s=0.05)
    >>> g.length, g.hop, g.count
    (19200, 2400, 13)
    >>> float(g.begin_s[1]), float(g.end_s[1])
    (0.05, 0.45)
    """

    n_samples: int
    sr: int
    length: int
    hop: int

    @property
    def count(self) -> int:
        """Number of windows: ``max(ceil((N + 1 - L) / H), 1)``."""
        return max(-(-(self.n_samples + 1 - self.length) // self.hop), 1)

    @property
    def starts(self) -> np.ndarray:
        """First sample of every window (int64)."""
        return np.arange(self.count, dtype=np.int64) * self.hop

    @property
    def begin_s(self) -> np.ndarray:
        """Window start times in seconds."""
        return self.starts / float(self.sr)

    @property
    def end_s(self) -> np.ndarray:
        """Window end times in seconds (exclusive end, clipped to the recording)."""
        return np.minimum(self.starts + self.length, self.n_samples) / float(self.sr)

    @property
    def log_end_s(self) -> np.ndarray:
        """ANIMAL-SPOT's log end times ``min(t0 * sr + L - 1, N - 1) / sr``."""
        last = np.minimum(self.starts + self.length - 1, max(self.n_samples - 1, 0))
        return last / float(self.sr)


def window_grid(n_samples: int, sr: int, *, window_s: float, hop_s: float) -> WindowGrid:
    """Build the window grid of a recording.

    Parameters
    ----------
    n_samples : int
        Recording length in samples at ``sr``.
    sr : int
        Sample rate in Hz.
    window_s : float
        Window length in seconds (``L = ceil(window_s * sr)``).
    hop_s : float
        Window step in seconds (``H = ceil(hop_s * sr)``).

    Returns
    -------
    WindowGrid

    Raises
    ------
    ConfigError
        When a length is not positive.

    Examples
    --------
    >>> window_grid(10, 10, window_s=0.5, hop_s=0.2).count
    3
    """
    if sr <= 0:
        raise ConfigError(f"sample rate must be positive, got {sr}")
    if not window_s > 0 or not hop_s > 0:
        raise ConfigError(
            f"window and hop must be positive seconds, got window_s={window_s}, hop_s={hop_s}"
        )
    if n_samples < 0:
        raise ConfigError(f"recording length must not be negative, got {n_samples}")
    return WindowGrid(
        n_samples=int(n_samples), sr=int(sr), length=_samples(window_s, sr), hop=_samples(hop_s, sr)
    )
