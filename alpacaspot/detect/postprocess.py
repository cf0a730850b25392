"""Compatibility home of post-processing: it moved to :mod:`alpacaspot.events`.

``from alpacaspot.detect.postprocess import scores_to_events`` keeps working; new code
imports from :mod:`alpacaspot.events`. Torch-free.
"""

from __future__ import annotations

from alpacaspot.events import (
    CURVES,
    METHODS,
    PostprocessConfig,
    score_curve,
    scores_to_events,
    target_class,
)

__all__ = ["scores_to_events", "score_curve", "target_class", "PostprocessConfig", "METHODS",
           "CURVES"]
