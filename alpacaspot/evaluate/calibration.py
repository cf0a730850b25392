"""Probability calibration and the operating point, chosen on validation recordings.

Networks trained with cross-entropy are over-confident: their probabilities crowd at 0 and 1,
and the threshold that works (0.99 in the demo) says little about how sure the model is.
Temperature scaling (Guo et al. 2017) divides the logits by one number ``T`` fitted by
minimising the negative log-likelihood of held-out labels; since ``softmax(log p / T)``
equals ``softmax(logits / T)``, it is fitted and applied on stored probabilities, without
the network. :func:`expected_calibration_error` measures the result.
:func:`choose_operating_point` then picks the threshold and the post-processing settings by
event F1 on whole validation recordings, as a :class:`~alpacaspot.events.PostprocessConfig`
that a model file carries. Torch-free.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import product

import numpy as np
import pandas as pd
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax

from alpacaspot.errors import ConfigError
from alpacaspot.evaluate.sweep import sweep_thresholds
from alpacaspot.events import PostprocessConfig, target_class

__all__ = ["apply_temperature", "fit_temperature", "expected_calibration_error",
           "window_labels", "choose_operating_point", "check_f1_tolerance",
           "f1_standard_error", "TEMPERATURE_BOUNDS"]

TEMPERATURE_BOUNDS = (0.02, 50.0)
"""Range searched by :func:`fit_temperature`."""

_TINY = np.finfo(np.float64).tiny


def _probs(probs: np.ndarray | Sequence[Sequence[float]], what: str = "probs") -> np.ndarray:
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim == 1:
        p = np.stack([1.0 - p, p], axis=1)
    if p.ndim != 2 or p.shape[1] < 2:
        raise ConfigError(f"{what} must be an (n, classes) array with at least 2 classes or "
                          f"a 1-D array of positive-class probabilities, got shape {p.shape}")
    bad = ~np.isfinite(p) | (p < 0) | (p > 1)
    if bad.any():
        row = int(np.argwhere(bad)[0, 0])
        raise ConfigError(f"{what} must be probabilities in [0, 1]; row {row} holds "
                          f"{p[row].tolist()}")
    return p


def _labels(labels: np.ndarray | Sequence[int], n: int, k: int) -> np.ndarray:
    y = np.asarray(labels)
    if y.dtype == bool:
        y = y.astype(np.int64)
    if y.shape != (n,) or not np.issubdtype(y.dtype, np.integer):
        raise ConfigError(f"labels must be {n} class indices (integers), got an array of "
                          f"shape {y.shape} and dtype {y.dtype}")
    if n and (y.min() < 0 or y.max() >= k):
        raise ConfigError(f"labels must lie in [0, {k - 1}], got {int(y.min())}..{int(y.max())}")
    return y.astype(np.int64)


def apply_temperature(probs: np.ndarray, temperature: float) -> np.ndarray:
    """Rescale probabilities as if the logits had been divided by ``temperature``.

    Parameters
    ----------
    probs : ndarray, shape (n, classes)
        Softmax outputs (rows sum to 1).
    temperature : float
        ``T > 0``; above 1 softens, below 1 sharpens, 1 returns the input unchanged.

    Returns
    -------
    ndarray
        ``softmax(log(probs) / T)``, float64.

    Examples
    --------
    >>> apply_temperature(np.array([[0.1, 0.9]]), 2.0).round(3).tolist()
    [[0.25, 0.75]]
    """
    if not (np.isfinite(temperature) and temperature > 0):
        raise ConfigError(f"temperature must be a finite number > 0, got {temperature!r}")
    p = np.asarray(probs, dtype=np.float64)
    if temperature == 1.0:
        return p
    out = np.exp(log_softmax(np.log(np.maximum(p, _TINY)) / temperature, axis=-1))
    return out


def _nll(logp: np.ndarray, y: np.ndarray, temperature: float) -> float:
    scaled = log_softmax(logp / temperature, axis=1)
    return float(-scaled[np.arange(len(y)), y].mean())


def fit_temperature(probs: np.ndarray, labels: np.ndarray | Sequence[int]) -> float:
    """The temperature that minimises the negative log-likelihood of ``labels``.

    Parameters
    ----------
    probs : ndarray, shape (n, classes) or (n,)
        Softmax outputs of held-out windows (1-D: probability of the positive class).
    labels : array of int or bool, shape (n,)
        True class index of each row (bool for 1-D ``probs``).

    Returns
    -------
    float
        ``T`` in :data:`TEMPERATURE_BOUNDS` (bounded scalar search over ``log T``); 1.0 when
        there are no rows or only one class among the labels.

    Raises
    ------
    ConfigError
        Arrays of the wrong shape, values that are not probabilities, labels out of range.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> z = rng.normal(0, 3, 4000)
    >>> y = rng.random(4000) < 1 / (1 + np.exp(-z))          # calibrated at T = 1
    >>> p = 1 / (1 + np.exp(-3 * z))                          # three times over-confident
    >>> round(fit_temperature(p, y), 1)
    3.0
    """
    p = _probs(probs)
    y = _labels(labels, len(p), p.shape[1])
    if len(y) == 0 or len(np.unique(y)) < 2:
        return 1.0
    logp = np.log(np.maximum(p, _TINY))
    lo, hi = np.log(TEMPERATURE_BOUNDS)
    res = minimize_scalar(lambda u: _nll(logp, y, float(np.exp(u))), bounds=(lo, hi),
                          method="bounded", options={"xatol": 1e-5})
    return float(np.exp(res.x))


def expected_calibration_error(probs: np.ndarray, labels: np.ndarray | Sequence[int],
                               n_bins: int = 15) -> float:
    """Expected calibration error of the top-class confidence, in equal-width bins.

    ``sum_b (n_b / n) * |accuracy_b - confidence_b|`` over bins of the largest probability.

    Parameters
    ----------
    probs : ndarray, shape (n, classes) or (n,)
        Probabilities (1-D: of the positive class).
    labels : array of int or bool, shape (n,)
        True classes.
    n_bins : int, default 15
        Bins over [0, 1].

    Returns
    -------
    float
        In [0, 1]; NaN without rows.

    Examples
    --------
    >>> expected_calibration_error(np.array([0.9, 0.9, 0.1, 0.1]), [1, 0, 0, 0])
    0.15
    """
    if int(n_bins) < 1:
        raise ConfigError(f"n_bins must be at least 1, got {n_bins!r}")
    p = _probs(probs)
    y = _labels(labels, len(p), p.shape[1])
    if len(y) == 0:
        return float("nan")
    conf = p.max(axis=1)
    correct = (p.argmax(axis=1) == y).astype(np.float64)
    bins = np.minimum((conf * n_bins).astype(np.int64), n_bins - 1)
    total = 0.0
    for b in np.unique(bins):
        sel = bins == b
        total += sel.sum() * abs(correct[sel].mean() - conf[sel].mean())
    return round(float(total / len(y)), 12)


def window_labels(scores: pd.DataFrame, ground_truth: pd.DataFrame) -> np.ndarray:
    """Whether each window's centre lies inside an annotated event of its recording.

    Parameters
    ----------
    scores : pandas.DataFrame
        Window scores (``recording, begin_s, end_s``).
    ground_truth : pandas.DataFrame
        Events of the target label (``recording, begin_s, end_s``).

    Returns
    -------
    ndarray of bool, one per row of ``scores``.

    Examples
    --------
    >>> s = pd.DataFrame({"recording": "a", "begin_s": [0.0, 1.0], "end_s": [0.4, 1.4]})
    >>> gt = pd.DataFrame({"recording": ["a"], "begin_s": [1.1], "end_s": [1.3]})
    >>> window_labels(s, gt).tolist()
    [False, True]
    """
    centre = (scores["begin_s"].to_numpy(np.float64) + scores["end_s"].to_numpy(np.float64)) / 2
    rec = scores["recording"].astype(str).to_numpy()
    out = np.zeros(len(scores), dtype=bool)
    gt_rec = ground_truth["recording"].astype(str).to_numpy()
    for name in np.unique(gt_rec):
        ev = ground_truth[gt_rec == name]
        b = ev["begin_s"].to_numpy(np.float64)
        e = ev["end_s"].to_numpy(np.float64)
        idx = np.flatnonzero(rec == name)
        c = centre[idx][:, None]
        out[idx] = ((c >= b[None, :]) & (c <= e[None, :])).any(axis=1)
    return out


def choose_operating_point(
    scores: pd.DataFrame,
    ground_truth: pd.DataFrame,
    *,
    thresholds: Iterable[float] | None = None,
    curves: Sequence[str] = ("mean", "centre"),
    merge_gaps_s: Sequence[float] = (0.0, 0.1, 0.2),
    min_durations_s: Sequence[float] = (0.0, 0.05, 0.1),
    base: PostprocessConfig | None = None,
    criterion: str = "iou",
    iou: float = 0.4,
    f1_tolerance: float | None = None,
) -> tuple[PostprocessConfig, pd.DataFrame]:
    """Pick the threshold and post-processing settings with the best event F1.

    Every combination of curve, merge gap and minimum duration is swept over the thresholds
    on whole recordings (:func:`~alpacaspot.evaluate.sweep_thresholds`, one event matching
    per setting and threshold). The setting with the best F1 is kept (ties: the earliest in
    grid order: curves, then merge gaps, then minimum durations, as given). Within it, every
    threshold whose F1 is within ``f1_tolerance`` of the best counts as equally good, and
    the middle one of them (the lower of two middles) is chosen: on a few dozen validation
    events F1 differences smaller than its standard error are noise, and the middle of the
    near-best thresholds moves less between models and recordings than the single best.

    Parameters
    ----------
    scores : pandas.DataFrame
        Window scores of the validation recordings (calibrated, as the model will give them).
    ground_truth : pandas.DataFrame
        Target events of the same recordings; recordings without events count (their
        detections are false positives).
    thresholds : iterable of float, optional
        Default 0.05, 0.10, ..., 0.95 plus 0.975 and 0.99.
    curves, merge_gaps_s, min_durations_s : sequence
        The grid of ``refined`` settings.
    base : PostprocessConfig, optional
        Settings kept as they are (target class, band, ...); default the defaults.
    criterion, iou
        Event matching (see :func:`~alpacaspot.evaluate.match_events`).
    f1_tolerance : float, optional
        How far below the best F1 a threshold may be and still count as tied. Default: one
        standard error of the best F1, ``sqrt(F (1 - F) / n)`` with ``n`` the number of
        reference events; 0 keeps only exact ties (a plateau of the best F1).

    Returns
    -------
    config : PostprocessConfig
        ``base`` with the chosen ``threshold``, ``curve``, ``merge_gap_s`` and
        ``min_duration_s``.
    table : pandas.DataFrame
        One row per setting and threshold: ``curve, merge_gap_s, min_duration_s, threshold``
        and the metrics (``precision, recall, f1``, ...); ``chosen`` marks the pick and
        ``attrs["f1_tolerance"]`` holds the tolerance used.

    Examples
    --------
    >>> s = pd.DataFrame({"recording": "a", "window": range(20),
    ...                   "begin_s": np.arange(20) * 0.1, "end_s": np.arange(20) * 0.1 + 0.2,
    ...                   "p_noise": 0.0, "p_target": [0.1] * 8 + [0.4] * 4 + [0.1] * 8})
    >>> s["p_noise"] = 1 - s["p_target"]
    >>> gt = pd.DataFrame({"recording": ["a"], "begin_s": [0.85], "end_s": [1.25]})
    >>> cfg, table = choose_operating_point(s, gt, curves=("centre",), merge_gaps_s=(0.0,),
    ...                                     min_durations_s=(0.0,))
    >>> cfg.threshold, cfg.curve
    (0.25, 'centre')
    """
    check_f1_tolerance(f1_tolerance)
    if thresholds is None:
        ths = np.concatenate([np.round(np.arange(1, 20) * 0.05, 2), [0.975, 0.99]])
    else:
        ths = np.unique(np.asarray(list(thresholds), dtype=np.float64))
    if len(ths) == 0 or not np.all((ths >= 0) & (ths <= 1)):
        raise ConfigError(f"thresholds must be probabilities in [0, 1], got {ths.tolist()}")
    grid = list(product(curves, merge_gaps_s, min_durations_s))
    if not grid:
        raise ConfigError("choose_operating_point needs at least one curve, merge gap and "
                          "minimum duration")
    base = base or PostprocessConfig()
    target = target_class(scores, base.target)
    gt = ground_truth.reset_index(drop=True)
    tables = []
    best_f1, k = -1.0, 0
    for curve, gap, min_dur in grid:
        cfg = base.replace(method="refined", curve=curve, merge_gap_s=float(gap),
                           min_duration_s=float(min_dur))
        sw = sweep_thresholds(gt, scores, ths, post=cfg, criterion=criterion, iou=iou,
                              progress=False)
        sw.insert(0, "min_duration_s", float(min_dur))
        sw.insert(0, "merge_gap_s", float(gap))
        sw.insert(0, "curve", curve)
        if float(sw["f1"].max()) > best_f1 + 1e-12:
            best_f1, k = float(sw["f1"].max()), len(tables)
        tables.append(sw)
    table = pd.concat(tables, ignore_index=True)
    rows = tables[k]
    tolerance = (f1_standard_error(best_f1, len(gt)) if f1_tolerance is None
                 else float(f1_tolerance))
    tied = rows["threshold"].to_numpy()[rows["f1"].to_numpy() >= best_f1 - tolerance - 1e-12]
    threshold = float(np.sort(tied)[(len(tied) - 1) // 2])
    curve, gap, min_dur = grid[k]
    chosen = base.replace(method="refined", threshold=threshold, curve=curve,
                          merge_gap_s=float(gap), min_duration_s=float(min_dur))
    table["chosen"] = ((table["curve"] == curve) & (table["merge_gap_s"] == float(gap))
                       & (table["min_duration_s"] == float(min_dur))
                       & (table["threshold"] == threshold))
    table.attrs["target"] = target
    table.attrs["f1_tolerance"] = tolerance
    return chosen, table


def check_f1_tolerance(f1_tolerance: float | None) -> float | None:
    """``f1_tolerance`` if it is None or a number in [0, 1), else a :class:`ConfigError`.

    Parameters
    ----------
    f1_tolerance : float or None
        The tolerance of :func:`choose_operating_point` (None: one standard error).

    Returns
    -------
    float or None
        The value as given.

    Raises
    ------
    ConfigError
        A bool, a string, NaN or a number outside [0, 1).

    Examples
    --------
    >>> check_f1_tolerance(0.02), check_f1_tolerance(None)
    (0.02, None)
    """
    if f1_tolerance is not None and (isinstance(f1_tolerance, bool)
                                     or not isinstance(f1_tolerance, (int, float))
                                     or not 0 <= f1_tolerance < 1):
        raise ConfigError(f"f1_tolerance must be a number in [0, 1), got {f1_tolerance!r}")
    return f1_tolerance


def f1_standard_error(f1: float, n_events: int) -> float:
    """Binomial standard error of an F1 measured on ``n_events`` reference events.

    ``sqrt(F (1 - F) / n)``: the spread of F1 from one set of ``n`` events to another of the
    same kind; 0 when there are no events.

    Examples
    --------
    >>> round(f1_standard_error(0.8, 50), 3)
    0.057
    """
    if n_events <= 0:
        return 0.0
    f = min(max(float(f1), 0.0), 1.0)
    return float(np.sqrt(f * (1.0 - f) / n_events))
