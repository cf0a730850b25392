"""Train/validation/test splits of a clip dataset, with scikit-learn's group splitters.

Strategies (names of the alpaca fork, plus ``by_tape``, the default):

``by_tape``
    Whole tapes per split: every clip of one tape (year + tape name) lands in one split, so
    nothing of a recording leaks into validation or test. Splits are stratified by class and
    quality as far as the tapes allow.
``random``
    Clips (a hum together with the noise mined for it) shuffled into the splits.
``quality_balanced``
    As ``random`` but stratified by hum quality.
``clipwise_balanced``
    Whole annotated clips (the fork's labelled clips; whole recordings in the raven layout)
    per split.
``quality_and_clipwise_balanced``
    Whole annotated clips per split, stratified by quality.

The four fork strategies keep the fork's meaning and so can put clips of one tape into
several splits; a warning says so. Every strategy uses
:class:`sklearn.model_selection.StratifiedGroupKFold` with ``k`` folds: the test and
validation splits get ``round(fraction * k)`` folds each (at least one), the rest is training
(``k = 7`` for 0.70/0.15/0.15 when there are enough groups, else the number of groups).
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedGroupKFold

from alpacaspot.errors import ConfigError, CorpusError

__all__ = ["SPLIT_STRATEGIES", "SPLITS", "assign_splits"]

_log = logging.getLogger(__name__)
SPLITS = ("train", "val", "test")
SPLIT_STRATEGIES = (
    "by_tape",
    "random",
    "quality_balanced",
    "clipwise_balanced",
    "quality_and_clipwise_balanced",
)


def _fold_counts(n_groups: int, fractions: tuple[float, float, float]) -> tuple[int, int, int]:
    small = min(f for f in fractions[1:] if f > 0)
    k = max(3, min(n_groups, int(round(1.0 / small))))
    n_val = max(1, int(round(fractions[1] * k)))
    n_test = max(1, int(round(fractions[2] * k)))
    return k, n_val, n_test


def assign_splits(
    clips: pd.DataFrame,
    *,
    strategy: str = "by_tape",
    seed: int = 0,
    fractions: tuple[float, float, float] = (0.70, 0.15, 0.15),
) -> np.ndarray:
    """Assign every clip to ``train``, ``val`` or ``test``.

    Parameters
    ----------
    clips : pandas.DataFrame
        One row per clip with columns ``class``, ``tape``, ``quality`` (nullable), ``unit``
        (clips that must stay together, e.g. a hum and its noise clips) and ``region`` (the
        annotated clip or recording it comes from).
    strategy : str
        One of :data:`SPLIT_STRATEGIES`.
    seed : int
        Seed of the splitter.
    fractions : (float, float, float)
        Target train/val/test fractions.

    Returns
    -------
    numpy.ndarray of str
        The split of each row.

    Raises
    ------
    CorpusError
        When a split would lack a class (too few tapes or clips), naming the class and split.

    Examples
    --------
    >>> df = pd.DataFrame({"class": ["target", "noise"] * 6, "tape": list("aabbccddeeff"),
    ...                    "quality": [1, None] * 6, "unit": list(range(12)),
    ...                    "region": list("aabbccddeeff")})
    >>> s = assign_splits(df, seed=0)
    >>> all(len(set(s[df["tape"] == t])) == 1 for t in "abcdef")
    True
    """
    if strategy not in SPLIT_STRATEGIES:
        raise ConfigError(f"split_strategy must be one of {list(SPLIT_STRATEGIES)}, "
                          f"got {strategy!r}")
    if len(fractions) != 3 or min(fractions) < 0 or abs(sum(fractions) - 1.0) > 1e-6:
        raise ConfigError(f"split fractions must be three non-negative numbers summing to 1, "
                          f"got {fractions}")
    if len(clips) == 0:
        raise CorpusError("no clips to split")
    quality = clips["quality"].astype("Float64").fillna(0).astype(int).astype(str)
    by_quality = strategy in ("by_tape", "quality_balanced", "quality_and_clipwise_balanced")
    strata = clips["class"].astype(str) + (":" + quality if by_quality else "")
    if strategy == "by_tape":
        groups = clips["tape"].astype(str)
    elif strategy in ("random", "quality_balanced"):
        groups = clips["unit"].astype(str)
    else:
        groups = clips["region"].astype(str)
    codes, _ = pd.factorize(groups, sort=True)
    n_groups = int(codes.max()) + 1
    if n_groups < 3:
        what = "tapes" if strategy == "by_tape" else "groups"
        raise CorpusError(f"split strategy {strategy!r} needs at least 3 {what} to fill "
                          f"train, val and test; the corpus has {n_groups}")
    k, n_val, n_test = _fold_counts(n_groups, fractions)
    if n_val + n_test >= k:
        n_val, n_test = 1, 1
    splitter = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
    out = np.full(len(clips), "train", dtype=object)
    # stratify as finely as the data allows: class and quality, else class, else nothing
    folds: list[np.ndarray] = []
    for labels in (strata, clips["class"].astype(str), pd.Series(["all"] * len(clips))):
        y, _ = pd.factorize(labels, sort=True)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # "least populated class"
                folds = [test for _, test in splitter.split(np.zeros(len(clips)), y, codes)]
            break
        except ValueError:
            continue
    for i, idx in enumerate(folds):
        if i < n_test:
            out[idx] = "test"
        elif i < n_test + n_val:
            out[idx] = "val"
    if strategy != "by_tape":
        tapes = pd.Series(out).groupby(clips["tape"].to_numpy()).nunique()
        if (tapes > 1).any():
            _log.warning("split strategy %r puts clips of %d tape(s) into several splits; use "
                         "'by_tape' to keep recordings apart", strategy, int((tapes > 1).sum()))
    _check_filled(clips, out)
    return out


def _check_filled(clips: pd.DataFrame, splits: np.ndarray) -> None:
    classes = sorted(set(clips["class"].astype(str)))
    for split in SPLITS:
        have = set(clips["class"].astype(str)[splits == split])
        for cls in classes:
            if cls not in have:
                n_tapes = clips["tape"].nunique()
                raise CorpusError(
                    f"split '{split}' gets no '{cls}' clip ({len(clips)} clips from {n_tapes} "
                    f"tape(s)); add tapes or clips, or choose another split strategy"
                )
