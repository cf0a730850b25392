"""Threshold sweeps over stored window scores: PR curve, average precision, best threshold.

Prediction stores per-window scores once; every threshold is then CPU work. The
post-processing (window scores -> events) is a :class:`~alpacaspot.events.PostprocessConfig`
(its threshold is replaced by each swept one) or any callable ``post(scores, threshold)``;
this package stays independent of the detector and of torch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from alpacaspot.errors import ConfigError
from alpacaspot.evaluate.matching import match_events
from alpacaspot.evaluate.metrics import metrics_from_matching
from alpacaspot.events import PostprocessConfig, scores_to_events

__all__ = ["PostProcess", "sweep_thresholds", "average_precision", "summarize_sweep",
           "default_thresholds", "threshold_post"]

PostProcess = Callable[[pd.DataFrame, float], pd.DataFrame]


def threshold_post(config: PostprocessConfig | PostProcess) -> PostProcess:
    """``post(scores, threshold)`` from a post-processing config (a callable is returned as is).

    Examples
    --------
    >>> import pandas as pd
    >>> post = threshold_post(PostprocessConfig(method="animalspot"))
    >>> s = pd.DataFrame({"recording": "a", "window": [0, 1], "begin_s": [0.0, 1.0],
    ...                   "end_s": [1.0, 2.0], "p_target": [0.9, 0.2]})
    >>> len(post(s, 0.5)), len(post(s, 0.1))
    (1, 1)
    """
    if isinstance(config, PostprocessConfig):
        def post(scores: pd.DataFrame, threshold: float) -> pd.DataFrame:
            return scores_to_events(scores, config, threshold=threshold)

        return post
    if not callable(config):
        raise ConfigError("post must be a PostprocessConfig or a callable "
                          "post(scores, threshold) -> events")
    return config


def default_thresholds() -> np.ndarray:
    """0.01 .. 0.99 in steps of 0.01, plus 0.975 and 0.985 (networks are overconfident).

    Examples
    --------
    >>> t = default_thresholds()
    >>> len(t), float(t[0]), float(t[-1])
    (101, 0.01, 0.99)
    """
    t = np.round(np.arange(1, 100) / 100.0, 2)
    return np.unique(np.concatenate([t, [0.975, 0.985]]))


def average_precision(precision: Sequence[float], recall: Sequence[float]) -> float:
    """Area under the interpolated PR curve (precision made non-increasing in recall).

    Points are (recall, precision) pairs of any order; recall starts from 0.

    Examples
    --------
    >>> average_precision([1.0, 0.5], [0.5, 1.0])
    0.75
    """
    p = np.asarray(precision, dtype=np.float64)
    r = np.asarray(recall, dtype=np.float64)
    if len(p) == 0:
        return 0.0
    order = np.lexsort((-p, r))
    p, r = p[order], r[order]
    p_interp = np.maximum.accumulate(p[::-1])[::-1]
    steps = np.diff(np.concatenate([[0.0], r]))
    return float(np.sum(steps * p_interp))


def summarize_sweep(sweep: pd.DataFrame) -> dict[str, float]:
    """AP and the F1-best threshold of a sweep table (ties: the lowest threshold).

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"threshold": [0.5, 0.9], "precision": [0.5, 1.0],
    ...                   "recall": [1.0, 0.5], "f1": [2 / 3, 2 / 3]})
    >>> summarize_sweep(s)["best_threshold"]
    0.5
    """
    if len(sweep) == 0:
        return {"ap": float("nan"), "best_threshold": float("nan"), "best_f1": float("nan")}
    s = sweep.sort_values("threshold", kind="stable").reset_index(drop=True)
    best = int(np.argmax(s["f1"].to_numpy()))
    return {
        "ap": average_precision(s["precision"], s["recall"]),
        "best_threshold": float(s["threshold"].iloc[best]),
        "best_f1": float(s["f1"].iloc[best]),
    }


def sweep_thresholds(
    gt: pd.DataFrame,
    window_scores: pd.DataFrame,
    thresholds: Iterable[float] | None = None,
    *,
    post: PostprocessConfig | PostProcess,
    criterion: str = "iou",
    iou: float = 0.4,
    collar_s: float | None = None,
    offset_collar_pct: float | None = None,
    by: Sequence[str] = ("recording",),
    progress: bool | None = None,
) -> pd.DataFrame:
    """Metrics at each detection threshold, from stored window scores (no model needed).

    Parameters
    ----------
    gt : pandas.DataFrame
        Reference events (only the target label, see :func:`load_ground_truth`).
    window_scores : pandas.DataFrame
        Window scores of the recordings to evaluate (``recording, window, begin_s, end_s,
        p_<class>``). Recordings without scores are not evaluated: their references are
        dropped (restrict ``gt`` beforehand to make misses count).
    thresholds : iterable of float, optional
        Score thresholds; :func:`default_thresholds` by default.
    post : PostprocessConfig or callable
        The post-processing (a config's threshold is replaced by each swept one), or
        ``post(scores, threshold) -> events``.
    criterion, iou, collar_s, offset_collar_pct, by
        Matching rule (``iou`` is the IoU threshold), as for :func:`match_events`.
    progress : bool, optional
        Show a progress bar (``None``: only on a terminal).

    Returns
    -------
    pandas.DataFrame
        One row per threshold (ascending): ``threshold`` plus the columns of
        :func:`~alpacaspot.evaluate.metrics.metrics_from_matching`. ``attrs`` holds ``ap``,
        ``best_threshold`` and ``best_f1``.

    Examples
    --------
    >>> import pandas as pd
    >>> gt = pd.DataFrame({"recording": "a", "begin_s": [0.0], "end_s": [1.0]})
    >>> scores = pd.DataFrame({"recording": "a", "window": [0, 1], "begin_s": [0.0, 1.0],
    ...                        "end_s": [1.0, 2.0], "p_target": [0.9, 0.2]})
    >>> def post(s, th):
    ...     return s.loc[s["p_target"] >= th, ["recording", "begin_s", "end_s"]]
    >>> sw = sweep_thresholds(gt, scores, [0.1, 0.5], post=post)
    >>> sw["f1"].round(3).tolist(), sw.attrs["best_threshold"]
    ([0.667, 1.0], 0.5)
    """
    ths = default_thresholds() if thresholds is None else np.unique(
        np.asarray(list(thresholds), dtype=np.float64))
    if len(ths) == 0 or not np.all(np.isfinite(ths)):
        raise ConfigError(f"thresholds must be finite numbers, got {ths!r}")
    post = threshold_post(post)
    scored = set(window_scores["recording"].astype(str).unique())
    gt = gt[gt["recording"].astype(str).isin(scored)].reset_index(drop=True)
    rows = []
    for th in tqdm(ths, desc="thresholds", unit="th", disable=None if progress is None
                   else not progress, leave=False):
        pred = post(window_scores, float(th)).reset_index(drop=True)
        m = match_events(gt, pred, criterion=criterion, threshold=iou, collar_s=collar_s,
                         offset_collar_pct=offset_collar_pct, by=by)
        rows.append({"threshold": float(th), **metrics_from_matching(gt, pred, m)})
    out = pd.DataFrame(rows)
    out.attrs.update(summarize_sweep(out))
    return out
