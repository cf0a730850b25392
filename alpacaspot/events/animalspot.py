"""The ``animalspot`` post-processing method: ANIMAL-SPOT's evaluation merging.

Windows with ``p >= threshold`` are joined into one selection while each starts at or before
the current selection's end; every selection also gets the alpaca fork's ``CNN logit
(mean)`` (column ``cnn_logit_mean``), the overlap-weighted mean of ``ln(p / (1 - p))`` (``p``
clamped to ``[1e-6, 1 - 1e-6]``) over all windows overlapping it. Selections are whole
windows. Window times are rounded like ANIMAL-SPOT's log (``decimals``) and, with ``sr``,
window ends are taken as the log writes them (the window's last sample). Torch-free.
"""

from __future__ import annotations

import numpy as np

from alpacaspot.errors import ConfigError
from alpacaspot.events.config import PostprocessConfig
from alpacaspot.events.registry import Detection, register_postprocessor

__all__ = ["AnimalspotPostprocessor"]

_LOGIT_EPS = 1e-6


def _logit(p: np.ndarray) -> np.ndarray:
    q = np.clip(p, _LOGIT_EPS, 1.0 - _LOGIT_EPS)
    return np.log(q / (1.0 - q))


class AnimalspotPostprocessor:
    """The ``animalspot`` method for one configuration (see the module docstring).

    Examples
    --------
    >>> import numpy as np
    >>> post = AnimalspotPostprocessor(PostprocessConfig(method="animalspot", threshold=0.5))
    >>> b = np.arange(5) * 0.1
    >>> [(d.begin_s, d.end_s) for d in post(b, b + 0.2, np.array([0.9, 0.9, 0.1, 0.1, 0.9]))]
    [(0.0, 0.3), (0.4, 0.6)]
    """

    extra_columns: tuple[str, ...] = ("cnn_logit_mean",)

    def __init__(self, config: PostprocessConfig) -> None:
        if config.threshold is None:
            raise ConfigError("the animalspot method needs a threshold")
        self.threshold = float(config.threshold)
        self.decimals = config.decimals
        self.sr = config.sr

    def __call__(self, begin_s: np.ndarray, end_s: np.ndarray, p: np.ndarray) -> list[Detection]:
        """Selections of one recording."""
        t0 = np.asarray(begin_s, dtype=np.float64)
        t1 = np.asarray(end_s, dtype=np.float64)
        if self.sr is not None:  # ANIMAL-SPOT's log end: the window's last sample
            t1 = (np.rint(t1 * self.sr) - 1.0) / self.sr
        if self.decimals is not None:
            t0, t1 = np.round(t0, self.decimals), np.round(t1, self.decimals)
        order = np.argsort(t0, kind="stable")
        t0, t1, p = t0[order], t1[order], np.asarray(p, dtype=np.float64)[order]
        pos = np.flatnonzero(p >= self.threshold)
        if len(pos) == 0:
            return []
        # A positive window joins the open selection when it starts at or before that
        # selection's end; windows have one length, so the open selection's end is the running
        # maximum end.
        ends_so_far = np.maximum.accumulate(t1[pos])
        starts_new = np.ones(len(pos), dtype=bool)
        starts_new[1:] = t0[pos[1:]] > ends_so_far[:-1]
        first = np.flatnonzero(starts_new)
        last = np.append(first[1:], len(pos)) - 1
        begins = t0[pos[first]]
        ends = np.maximum.reduceat(t1[pos], first)
        logits = _logit(p)
        lo = np.searchsorted(np.maximum.accumulate(t1), begins, side="right")
        hi = np.searchsorted(t0, ends, side="left")
        out = []
        for b, e, a, z, k0, k1 in zip(begins.tolist(), ends.tolist(), lo, hi, first, last,
                                      strict=True):
            seg = slice(int(a), int(z))
            overlap = np.minimum(t1[seg], e) - np.maximum(t0[seg], b)
            mask = overlap > 0
            weights = overlap[mask]
            logit_mean = (float(np.sum(weights * logits[seg][mask]) / np.sum(weights))
                          if mask.any() else 0.0)
            members = pos[k0:k1 + 1]
            inside = members[(t0[members] >= b) & (t1[members] <= e)]
            score = float(p[inside].mean()) if len(inside) else float(p[seg][mask].mean())
            out.append(Detection(b, e, score, {"cnn_logit_mean": logit_mean}))
        return out


register_postprocessor("animalspot", AnimalspotPostprocessor)
