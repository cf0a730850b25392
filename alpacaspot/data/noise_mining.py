"""Noise mining: cutting noise clips from stretches of a recording that hold no annotation.

Unlike the fork (which avoided only the hum a noise clip was mined for), a noise clip here
avoids *every* annotation of its recording (any label, any quality) by ``margin_s``, never
overlaps another noise clip of the same dataset, and is placed in a free gap chosen with
probability proportional to the room the gap leaves (so long gaps give more clips, and every
position inside the free space is equally likely).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

__all__ = ["free_gaps", "NoiseMiner"]


def free_gaps(
    span: tuple[float, float],
    busy: Iterable[tuple[float, float]],
    *,
    margin_s: float = 0.0,
) -> list[tuple[float, float]]:
    """The parts of ``span`` that lie at least ``margin_s`` away from every busy interval.

    Parameters
    ----------
    span : (float, float)
        The stretch to search, in seconds.
    busy : iterable of (float, float)
        Occupied intervals (annotations, earlier noise clips), in any order.
    margin_s : float
        Clearance kept around every busy interval.

    Returns
    -------
    list of (float, float)
        Sorted, disjoint free intervals of positive length.

    Examples
    --------
    >>> free_gaps((0.0, 10.0), [(2.0, 3.0), (6.0, 7.0)], margin_s=0.5)
    [(0.0, 1.5), (3.5, 5.5), (7.5, 10.0)]
    """
    lo, hi = span
    blocks = sorted((b - margin_s, e + margin_s) for b, e in busy)
    out: list[tuple[float, float]] = []
    cur = lo
    for b, e in blocks:
        if e <= cur:
            continue
        if b > cur:
            out.append((cur, min(b, hi)))
        cur = max(cur, e)
        if cur >= hi:
            break
    if cur < hi:
        out.append((cur, hi))
    return [(b, e) for b, e in out if e - b > 1e-9]


class NoiseMiner:
    """Draws non-overlapping noise clips from the free gaps of recordings.

    Parameters
    ----------
    annotations : dict
        Recording -> list of annotated (begin_s, end_s), every label and quality.
    durations : dict
        Recording -> duration in seconds.
    margin_s : float
        Clearance kept from every annotation.
    rng : numpy.random.Generator
        Source of randomness.

    Examples
    --------
    >>> miner = NoiseMiner({"a.wav": [(1.0, 2.0)]}, {"a.wav": 10.0}, margin_s=0.5,
    ...                    rng=np.random.default_rng(0))
    >>> b, e = miner.draw("a.wav", 1.0)
    >>> e - b, (e <= 0.5 or b >= 2.5)
    (1.0, True)
    """

    def __init__(
        self,
        annotations: dict[str, list[tuple[float, float]]],
        durations: dict[str, float],
        *,
        margin_s: float,
        rng: np.random.Generator,
    ) -> None:
        self._annotations = annotations
        self._durations = durations
        self._margin = float(margin_s)
        self._rng = rng
        self._used: dict[str, list[tuple[float, float]]] = {}

    def draw(
        self,
        recording: str,
        duration_s: float,
        *,
        within: tuple[float, float] | None = None,
    ) -> tuple[float, float] | None:
        """A free stretch of ``duration_s`` in ``recording`` (inside ``within``), or None.

        The chosen stretch is remembered, so later draws never overlap it.
        """
        span = within if within is not None else (0.0, self._durations[recording])
        used = self._used.setdefault(recording, [])
        m = self._margin
        busy = [*((b - m, e + m) for b, e in self._annotations.get(recording, [])), *used]
        gaps = [(b, e) for b, e in free_gaps(span, busy) if e - b >= duration_s]
        if not gaps:
            return None
        room = np.array([e - b - duration_s for b, e in gaps]) + 1e-6
        k = int(self._rng.choice(len(gaps), p=room / room.sum()))
        begin = gaps[k][0] + float(self._rng.uniform(0.0, room[k] - 1e-6))
        # millisecond grid: clip names carry integer milliseconds
        begin = float(np.ceil(begin * 1000.0) / 1000.0)
        end = begin + duration_s
        if end > gaps[k][1]:
            begin, end = gaps[k][0], gaps[k][0] + duration_s
        used.append((begin, end))
        return begin, end
