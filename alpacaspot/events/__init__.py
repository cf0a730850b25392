"""Window scores -> events: post-processing of sliding-window predictions.

:class:`PostprocessConfig` is the one owner of the post-processing settings (eval.cfg keys,
the benchmark variants' ``postprocess`` block and a model's stored operating point derive
from it). Methods sit behind the :class:`Postprocessor` protocol and are chosen by name from
a registry: ``"refined"`` (hop-resolution events with hysteresis, merging and duration
limits, on a ``"mean"`` or ``"centre"`` score curve) and ``"animalspot"`` (ANIMAL-SPOT's
evaluation merging of whole windows). A new method is one module with a factory plus
:func:`register_postprocessor`.

This package never imports torch: CPU evaluation jobs and :mod:`alpacaspot.evaluate` use it.

Examples
--------
>>> import pandas as pd
>>> from alpacaspot.events import PostprocessConfig, scores_to_events
>>> s = pd.DataFrame({"recording": "a.wav", "window": [0, 1], "begin_s": [0.0, 0.05],
...                   "end_s": [0.4, 0.45], "p_noise": [0.8, 0.1], "p_target": [0.2, 0.9]})
>>> config = PostprocessConfig(method="animalspot", threshold=0.5)
>>> scores_to_events(s, config)[["begin_s", "end_s"]].values.tolist()
[[0.05, 0.45]]
"""

from __future__ import annotations

from alpacaspot.events.animalspot import AnimalspotPostprocessor
from alpacaspot.events.config import OPERATING_POINT_KEY, PostprocessConfig
from alpacaspot.events.convert import (
    operating_point,
    resolve_config,
    scores_to_events,
    target_class,
)
from alpacaspot.events.curves import CURVES, score_curve
from alpacaspot.events.refined import RefinedPostprocessor
from alpacaspot.events.registry import (
    CurveFunction,
    Detection,
    Postprocessor,
    PostprocessorFactory,
    build_postprocessor,
    curve_names,
    get_curve,
    postprocessor_names,
    register_curve,
    register_postprocessor,
    unregister_curve,
    unregister_postprocessor,
)

METHODS = ("refined", "animalspot")
"""The built-in post-processing methods (more may be registered)."""

__all__ = [
    "PostprocessConfig",
    "OPERATING_POINT_KEY",
    "scores_to_events",
    "resolve_config",
    "operating_point",
    "target_class",
    "score_curve",
    "Detection",
    "Postprocessor",
    "PostprocessorFactory",
    "CurveFunction",
    "register_postprocessor",
    "unregister_postprocessor",
    "build_postprocessor",
    "postprocessor_names",
    "register_curve",
    "unregister_curve",
    "get_curve",
    "curve_names",
    "RefinedPostprocessor",
    "AnimalspotPostprocessor",
    "METHODS",
    "CURVES",
]
