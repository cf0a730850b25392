"""Score curves: the window scores of one recording as one value per hop.

Step ``k`` spans ``[begin_s[0] + k * hop, ... + hop)``. ``"mean"`` averages the windows that
cover each step's centre; ``"centre"`` takes the window whose centre is nearest to it (the
mean of two on a tie). Both are registered with :func:`~alpacaspot.events.register_curve`;
the ``refined`` method picks one by its ``curve`` setting. Torch-free.
"""

from __future__ import annotations

import numpy as np

from alpacaspot.events.registry import get_curve, register_curve

__all__ = ["score_curve", "mean_curve", "centre_curve", "CURVES"]

CURVES = ("mean", "centre")
"""The built-in curves (more may be registered)."""


def mean_curve(centres: np.ndarray, p: np.ndarray, hop: float, width: float) -> np.ndarray:
    """Mean score of the windows ``i`` with ``i * hop <= c < i * hop + width``.

    Examples
    --------
    >>> import numpy as np
    >>> mean_curve(np.array([0.05, 0.15]), np.array([1.0, 0.0]), 0.1, 0.2).tolist()
    [1.0, 0.5]
    """
    n = len(p)
    first = np.ceil((centres - width) / hop + 1e-9).astype(np.int64)
    last = np.floor(centres / hop + 1e-9).astype(np.int64)
    first = np.clip(first, 0, n - 1)
    last = np.clip(last, 0, n - 1)
    csum = np.concatenate([[0.0], np.cumsum(p)])
    count = np.maximum(last - first + 1, 1)
    return (csum[last + 1] - csum[first]) / count


def centre_curve(centres: np.ndarray, p: np.ndarray, hop: float, width: float) -> np.ndarray:
    """Score of the window whose centre is nearest (two on a tie: even window/hop ratios).

    Examples
    --------
    >>> import numpy as np
    >>> centre_curve(np.array([0.05, 0.15]), np.array([1.0, 0.0]), 0.1, 0.1).tolist()
    [1.0, 0.0]
    """
    n = len(p)
    x = (centres - width / 2.0) / hop
    upper = np.clip(np.floor(x + 0.5 + 1e-9).astype(np.int64), 0, n - 1)
    lower = np.clip(np.ceil(x - 0.5 - 1e-9).astype(np.int64), 0, n - 1)
    return 0.5 * (p[upper] + p[lower])


register_curve("mean", mean_curve)
register_curve("centre", centre_curve)


def _hop_of(begin: np.ndarray, end: np.ndarray) -> float:
    if len(begin) > 1:
        return float(np.median(np.diff(begin)))
    return float(end[0] - begin[0]) if len(begin) else 0.0


def score_curve(
    begin_s: np.ndarray,
    end_s: np.ndarray,
    p: np.ndarray,
    *,
    hop_s: float | None = None,
    window_s: float | None = None,
    curve: str = "mean",
) -> tuple[np.ndarray, float]:
    """Score curve of one recording on the hop grid.

    Parameters
    ----------
    begin_s, end_s : numpy.ndarray
        Window start and end times (seconds), sorted, evenly spaced.
    p : numpy.ndarray
        Window scores.
    hop_s : float, optional
        Window step; inferred from ``begin_s`` when omitted.
    window_s : float, optional
        Window length; by default the longest ``end_s - begin_s``.
    curve : str
        A registered curve: ``"mean"`` (mean score of the windows covering each step's
        centre) or ``"centre"`` (score of the window whose centre is nearest to the step's
        centre, the mean of two on a tie), or one added with ``register_curve``.

    Returns
    -------
    values : numpy.ndarray
        One value per step; step ``k`` spans ``[begin_s[0] + k * hop, ... + hop)``.
    hop : float
        The step in seconds.

    Raises
    ------
    ConfigError
        ``curve`` is not registered.

    Examples
    --------
    >>> import numpy as np
    >>> b = np.arange(5) * 0.1
    >>> v, h = score_curve(b, b + 0.2, np.array([0, 0, 1, 0, 0.0]), curve="centre")
    >>> v.round(2).tolist()
    [0.0, 0.0, 0.5, 0.5, 0.0, 0.0]
    """
    function = get_curve(curve)
    n = len(p)
    if n == 0:
        return np.zeros(0), float(hop_s or 0.0)
    hop = float(hop_s) if hop_s else _hop_of(begin_s, end_s)
    if hop <= 0:
        hop = float(end_s[0] - begin_s[0])
    width = float(window_s) if window_s else float(np.max(end_s - begin_s))
    origin = float(begin_s[0])
    n_steps = max(int(np.ceil((float(end_s[-1]) - origin) / hop - 1e-9)), 1)
    centres = (np.arange(n_steps) + 0.5) * hop
    return function(centres, np.asarray(p, dtype=np.float64), hop, width), hop
