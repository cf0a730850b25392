"""The window grid: where each model window lies in a recording, in samples and STFT frames.

This module is the one owner of that arithmetic; the spectrogram config, window framing,
prediction's front ends and shared mode call it. The ANIMAL-SPOT log reader and writer in
``io`` (which may not import ``dsp``) apply the same ``ceil`` rule, and their tests check that
they agree with :func:`window_grid`.

* seconds to samples: ``ceil(seconds * sr)``, as ANIMAL-SPOT cuts windows;
* samples to frames: ``1 + (N - n_fft) // hop_length`` frames (none for ``N < n_fft``);
* the grid: window ``i`` of a recording of ``N`` samples starts at sample ``i * H`` and spans
  ``L`` samples, with ``L = ceil(window_s * sr)`` and ``H = ceil(hop_s * sr)``; there are
  ``max(ceil((N + 1 - L) / H), 1)`` windows: every window that fits entirely, and at least
  one (zero-padded) for a recording shorter than a window. This is ANIMAL-SPOT's grid, so
  window scores line up with its prediction logs;
* per-window framing: frame ``k`` of window ``i`` starts at ``i * H + k * hop_length``, and
  its pre-emphasis does not reach back before ``i * H``.

The length of a signal after resampling is :func:`alpacaspot.io.audio.resampled_length`'s
(``io`` decodes, so it owns that rule; ``dsp`` and ``io`` do not import each other).

Torch-free.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from alpacaspot.errors import ConfigError

__all__ = ["seconds_to_samples", "frame_count", "window_count", "frame_starts", "WindowGrid",
           "window_grid"]


def seconds_to_samples(seconds: float, sr: int) -> int:
    """Number of samples covering ``seconds`` at ``sr``, rounded up as ANIMAL-SPOT does.

    Parameters
    ----------
    seconds : float
        A duration in seconds.
    sr : int
        Sample rate in Hz.

    Returns
    -------
    int
        ``ceil(seconds * sr)``.

    Examples
    --------
    >>> seconds_to_samples(0.4, 48000)
    19200
    >>> seconds_to_samples(0.05, 22050)
    1103
    """
    return int(math.ceil(seconds * sr))


def frame_count(n_samples: int, *, frame_length: int, hop_length: int) -> int:
    """STFT frames that fit entirely in ``n_samples``: ``1 + (N - n_fft) // hop`` (0 if none).

    Examples
    --------
    >>> frame_count(48000, frame_length=2048, hop_length=1024)
    45
    >>> frame_count(100, frame_length=2048, hop_length=1024)
    0
    """
    if n_samples < frame_length:
        return 0
    return 1 + (int(n_samples) - int(frame_length)) // int(hop_length)


def window_count(n_samples: int, *, window_samples: int, hop_samples: int) -> int:
    """ANIMAL-SPOT's number of windows over a signal: ``max(ceil((N + 1 - L) / H), 1)``.

    That is every window that fits entirely, and at least one (zero-padded) for a signal
    shorter than a window.

    Raises
    ------
    ConfigError
        When the window or hop is not positive.

    Examples
    --------
    >>> window_count(48000, window_samples=19200, hop_samples=2400)
    13
    >>> window_count(100, window_samples=19200, hop_samples=2400)
    1
    """
    if window_samples < 1 or hop_samples < 1:
        raise ConfigError(
            f"window and hop must be positive, got {window_samples}, {hop_samples} samples"
        )
    m = int(n_samples) + 1 - int(window_samples)
    return max(-(-m // int(hop_samples)), 1)


def frame_starts(
    window_starts: np.ndarray, *, n_frames: int, hop_length: int
) -> tuple[np.ndarray, np.ndarray]:
    """First sample of every frame of every window, and of the window each frame belongs to.

    Parameters
    ----------
    window_starts : numpy.ndarray
        First sample of each window (int).
    n_frames : int
        Frames per window.
    hop_length : int
        STFT hop in samples.

    Returns
    -------
    starts, seg_starts : numpy.ndarray
        int64 arrays of ``len(window_starts) * n_frames``, window-major: frame ``k`` of window
        ``i`` starts at ``window_starts[i] + k * hop_length``; ``seg_starts`` repeats
        ``window_starts[i]`` (pre-emphasis restarts there).

    Examples
    --------
    >>> s, g = frame_starts(np.array([0, 100]), n_frames=3, hop_length=10)
    >>> s.tolist(), g.tolist()
    ([0, 10, 20, 100, 110, 120], [0, 0, 0, 100, 100, 100])
    """
    ws = np.asarray(window_starts, dtype=np.int64).reshape(-1)
    offsets = np.arange(int(n_frames), dtype=np.int64) * int(hop_length)
    starts = (ws[:, None] + offsets[None, :]).reshape(-1)
    return starts, np.repeat(ws, int(n_frames))


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
    >>> g.span(1, 3), g.frame_step(1024), g.frame_step(480)
    ((2400, 24000), None, 5)
    """

    n_samples: int
    sr: int
    length: int
    hop: int

    @property
    def count(self) -> int:
        """Number of windows: ``max(ceil((N + 1 - L) / H), 1)``."""
        return window_count(self.n_samples, window_samples=self.length, hop_samples=self.hop)

    @property
    def short(self) -> bool:
        """Whether the recording is shorter than one window (scored as one, zero-padded)."""
        return self.n_samples < self.length

    def begin(self, i: int) -> int:
        """First sample of window ``i``."""
        return int(i) * self.hop

    def end(self, i: int) -> int:
        """One past the last sample of window ``i``, clipped to the recording."""
        return min(int(i) * self.hop + self.length, self.n_samples)

    def span(self, first: int, stop: int) -> tuple[int, int]:
        """Samples ``[a, b)`` that windows ``first .. stop - 1`` cover (clipped)."""
        return self.begin(first), self.end(stop - 1)

    def frame_step(self, hop_length: int) -> int | None:
        """The window hop in STFT frames when it is a whole number of them, else None."""
        step, rest = divmod(self.hop, int(hop_length))
        return step if rest == 0 and step > 0 else None

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
    return WindowGrid(n_samples=int(n_samples), sr=int(sr),
                      length=seconds_to_samples(window_s, sr),
                      hop=seconds_to_samples(hop_s, sr))
