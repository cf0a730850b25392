"""Window scores -> events: one table in, one events table out, any registered method.

:func:`scores_to_events` resolves a :class:`~alpacaspot.events.config.PostprocessConfig`
(given, or the scores' stored operating point, plus keyword overrides), builds the method's
post-processor with :func:`~alpacaspot.events.registry.build_postprocessor` and runs it on
each recording's windows. Torch-free: CPU evaluation jobs and :mod:`alpacaspot.evaluate` use
it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from alpacaspot.errors import ConfigError, SchemaError
from alpacaspot.events.config import OPERATING_POINT_KEY, PostprocessConfig
from alpacaspot.events.registry import build_postprocessor
from alpacaspot.io.schemas import EVENTS, WINDOW_SCORES

__all__ = ["scores_to_events", "target_class", "operating_point", "resolve_config"]


def target_class(scores: pd.DataFrame, target: str | None = None) -> str:
    """Name the class whose probability column is the detection score.

    Parameters
    ----------
    scores : pandas.DataFrame
        Window scores with ``p_<class>`` columns.
    target : str, optional
        Class name to use; by default ``"target"`` when present, else the only class that is
        not ``"noise"``.

    Returns
    -------
    str

    Examples
    --------
    >>> import pandas as pd
    >>> target_class(pd.DataFrame({"p_noise": [0.1], "p_hum": [0.9]}))
    'hum'
    """
    classes = [c[2:] for c in scores.columns if isinstance(c, str) and c.startswith("p_")]
    if target is not None:
        if target not in classes:
            raise SchemaError(
                f"window scores have no column 'p_{target}'; classes present: {classes}"
            )
        return target
    if "target" in classes:
        return "target"
    others = [c for c in classes if c != "noise"]
    if len(others) != 1:
        raise SchemaError(
            f"cannot tell the target class among {classes}; pass target=<class name>"
        )
    return others[0]


def operating_point(scores: pd.DataFrame) -> PostprocessConfig | None:
    """The post-processing stored with window scores (``attrs[OPERATING_POINT_KEY]``), if any.

    The value is a :class:`PostprocessConfig` as JSON text (or the parsed object), e.g. a
    model's calibrated threshold carried into its scores' table metadata.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"p_target": [0.5]})
    >>> operating_point(s) is None
    True
    >>> s.attrs["operating_point"] = PostprocessConfig(threshold=0.8).to_json()
    >>> operating_point(s).threshold
    0.8
    """
    stored = scores.attrs.get(OPERATING_POINT_KEY)
    if stored is None:
        return None
    try:
        return PostprocessConfig.from_json(stored)
    except ConfigError as exc:
        raise ConfigError(f"the window scores' stored operating point is unusable: "
                          f"{exc.message}", path=scores.attrs.get("path")) from None


def resolve_config(scores: pd.DataFrame, config: PostprocessConfig | None = None,
                   **overrides: Any) -> PostprocessConfig:
    """The settings :func:`scores_to_events` uses: ``config`` (else the scores' operating
    point, else the defaults) with ``overrides`` applied; the threshold must be known.

    Examples
    --------
    >>> import pandas as pd
    >>> resolve_config(pd.DataFrame(), threshold=0.7, method="animalspot").method
    'animalspot'
    """
    if config is not None and not isinstance(config, PostprocessConfig):
        raise ConfigError(f"config must be a PostprocessConfig, got {type(config).__name__}; "
                          "pass settings as keywords or PostprocessConfig.from_mapping(...)")
    base = config or operating_point(scores) or PostprocessConfig()
    resolved = base.replace(**overrides) if overrides else base
    if resolved.threshold is None:
        raise ConfigError("no detection threshold: pass threshold=<p in [0, 1]> or a "
                          "PostprocessConfig with one (these window scores carry no stored "
                          "operating point)")
    return resolved


def scores_to_events(
    scores: pd.DataFrame,
    config: PostprocessConfig | None = None,
    *,
    recordings: Sequence[str] | None = None,
    **overrides: Any,
) -> pd.DataFrame:
    """Turn window scores into detected events.

    Parameters
    ----------
    scores : pandas.DataFrame
        Window-scores table (``recording, window, begin_s, end_s, p_<class>...``), one or
        many recordings.
    config : PostprocessConfig, optional
        The settings; by default the scores' stored operating point
        (:func:`operating_point`), else :class:`PostprocessConfig`'s defaults.
    recordings : sequence of str, optional
        Restrict to these recordings.
    **overrides
        Settings replacing those of ``config`` (the fields of :class:`PostprocessConfig`:
        ``threshold``, ``method``, ``curve``, ``low_threshold``, ``min_duration_s``,
        ``merge_gap_s``, ``max_duration_s``, ``target``, ``low_hz``, ``high_hz``, ``hop_s``,
        ``window_s``, ``decimals``, ``sr``).

    Returns
    -------
    pandas.DataFrame
        EVENTS table sorted by recording and onset, ``selection`` numbered from 1 per
        recording, ``score`` the mean target probability (``refined``: the mean of the curve
        over the event), plus the method's extra columns (``animalspot``:
        ``cnn_logit_mean``).

    Raises
    ------
    ConfigError
        Bad settings, or no threshold from anywhere.
    SchemaError
        The scores table lacks columns or the target class.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"recording": "a.wav", "window": range(6),
    ...                   "begin_s": [i * 0.1 for i in range(6)],
    ...                   "end_s": [i * 0.1 + 0.2 for i in range(6)],
    ...                   "p_noise": [.9, .1, .1, .9, .9, .9],
    ...                   "p_target": [.1, .9, .9, .1, .1, .1]})
    >>> ev = scores_to_events(s, threshold=0.5, method="animalspot")
    >>> ev[["begin_s", "end_s"]].values.tolist()
    [[0.1, 0.4]]
    >>> ev = scores_to_events(s, PostprocessConfig(threshold=0.6, curve="centre"))
    >>> ev[["begin_s", "end_s"]].round(3).values.tolist()
    [[0.2, 0.3]]
    """
    cfg = resolve_config(scores, config, **overrides)
    post = build_postprocessor(cfg)
    scores = WINDOW_SCORES.validate(scores)
    label = target_class(scores, cfg.target)
    column = f"p_{label}"
    if recordings is not None:
        scores = scores[scores["recording"].isin(list(recordings))]
    rows: list[dict[str, object]] = []
    for name, rec in scores.groupby("recording", sort=True):
        rec = rec.sort_values("begin_s", kind="stable")
        found = post(rec["begin_s"].to_numpy(np.float64), rec["end_s"].to_numpy(np.float64),
                     rec[column].to_numpy(np.float64))
        for k, d in enumerate(found, start=1):
            rows.append({"recording": str(name), "begin_s": d.begin_s, "end_s": d.end_s,
                         "low_hz": cfg.low_hz, "high_hz": cfg.high_hz, "label": label,
                         "channel": 1, "selection": k, "score": d.score, **d.extra})
    if not rows:
        table = EVENTS.empty()
        for extra in post.extra_columns:
            table[extra] = pd.Series([], dtype="float64")
        return table
    table = pd.DataFrame(rows)
    for col in ("low_hz", "high_hz"):
        table[col] = table[col].astype("Float64")
    return EVENTS.validate(table)
