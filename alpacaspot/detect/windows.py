"""The sliding-window grid of prediction (moved to :mod:`alpacaspot.dsp.grid`, its one owner).

``WindowGrid`` and ``window_grid`` stay importable from here.

Examples
--------
>>> window_grid(48000, 48000, window_s=0.4, hop_s=0.05).count
13
"""

from __future__ import annotations

from alpacaspot.dsp.grid import WindowGrid, window_grid

__all__ = ["WindowGrid", "window_grid"]
