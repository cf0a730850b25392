"""The ``refined`` post-processing method: hysteresis runs on a score curve at hop resolution.

Builds a score curve on the hop grid (:func:`~alpacaspot.events.curves.score_curve`, curve
``config.curve``), finds runs above ``threshold`` with hysteresis (a run extends while the
curve stays at or above ``low_threshold``), merges runs separated by at most
``merge_gap_s``, splits runs longer than ``max_duration_s`` at their weakest step and drops
runs shorter than ``min_duration_s``. Onsets and offsets are at hop resolution, so events may
be shorter than one window; an event's score is the mean of the curve over it. Torch-free.
"""

from __future__ import annotations

import numpy as np

from alpacaspot.errors import ConfigError
from alpacaspot.events.config import PostprocessConfig
from alpacaspot.events.curves import score_curve
from alpacaspot.events.registry import Detection, register_postprocessor

__all__ = ["RefinedPostprocessor"]


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start (inclusive) and stop (exclusive) indices of the True runs of ``mask``."""
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return edges[0::2], edges[1::2]


def _split_long(values: np.ndarray, start: int, stop: int, max_steps: int) -> list[tuple[int, int]]:
    if stop - start <= max_steps or stop - start < 2:
        return [(start, stop)]
    inner = values[start + 1 : stop - 1]
    cut = start + 1 + int(np.argmin(inner)) if len(inner) else start + (stop - start) // 2
    return _split_long(values, start, cut, max_steps) + _split_long(values, cut, stop, max_steps)


class RefinedPostprocessor:
    """The ``refined`` method for one configuration (see the module docstring).

    Examples
    --------
    >>> import numpy as np
    >>> post = RefinedPostprocessor(PostprocessConfig(threshold=0.5, curve="centre"))
    >>> b = np.arange(6) * 0.1
    >>> [(round(d.begin_s, 3), round(d.end_s, 3)) for d in
    ...  post(b, b + 0.1, np.array([0, 0.9, 0.8, 0, 0, 0.0]))]
    [(0.1, 0.3)]
    """

    extra_columns: tuple[str, ...] = ()

    def __init__(self, config: PostprocessConfig) -> None:
        if config.threshold is None:
            raise ConfigError("the refined method needs a threshold")
        self.config = config
        self.threshold = float(config.threshold)
        self.low_threshold = (self.threshold if config.low_threshold is None
                              else float(config.low_threshold))

    def __call__(self, begin_s: np.ndarray, end_s: np.ndarray, p: np.ndarray) -> list[Detection]:
        """Detections of one recording (windows sorted by ``begin_s``)."""
        c = self.config
        values, hop = score_curve(begin_s, end_s, p, hop_s=c.hop_s, window_s=c.window_s,
                                  curve=c.curve)
        if len(values) == 0:
            return []
        origin, limit = float(begin_s[0]), float(end_s.max())
        starts, stops = _runs(values >= self.low_threshold)
        keep = [
            (int(a), int(b))
            for a, b in zip(starts, stops, strict=True)
            if values[a:b].max() >= self.threshold
        ]
        gap_steps = int(np.floor(c.merge_gap_s / hop + 1e-9)) if c.merge_gap_s > 0 else 0
        merged: list[tuple[int, int]] = []
        for a, b in keep:
            if merged and a - merged[-1][1] <= gap_steps:
                merged[-1] = (merged[-1][0], b)
            else:
                merged.append((a, b))
        if c.max_duration_s is not None and c.max_duration_s > 0:
            max_steps = max(int(np.floor(c.max_duration_s / hop + 1e-9)), 1)
            merged = [piece for a, b in merged for piece in _split_long(values, a, b, max_steps)]
        out = []
        for a, b in merged:
            t0 = origin + a * hop
            t1 = min(origin + b * hop, limit)
            if t1 - t0 + 1e-9 < c.min_duration_s or t1 <= t0:
                continue
            out.append(Detection(t0, t1, float(values[a:b].mean())))
        return out


register_postprocessor("refined", RefinedPostprocessor)
