"""A post-processing method is one new module plus its registration: a toy one, added here
(not shipped), works through scores_to_events, the config, eval.cfg and benchmark variants."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alpacaspot.detect.cfg import read_evaluate_cfg
from alpacaspot.errors import ConfigError
from alpacaspot.events import (
    Detection,
    PostprocessConfig,
    build_postprocessor,
    curve_names,
    postprocessor_names,
    register_curve,
    register_postprocessor,
    scores_to_events,
    unregister_curve,
    unregister_postprocessor,
)
from alpacaspot.pipeline.variants import parse_benchmark_variants


class PeakPicker:
    """Toy method: one event per window at or above the threshold, the window itself."""

    extra_columns = ("peak_p",)

    def __init__(self, config: PostprocessConfig) -> None:
        self.threshold = config.threshold

    def __call__(self, begin_s, end_s, p):
        return [Detection(float(b), float(e), float(x), {"peak_p": float(x)})
                for b, e, x in zip(begin_s, end_s, p, strict=True) if x >= self.threshold]


@pytest.fixture
def toy_method():
    register_postprocessor("toy_peaks", PeakPicker)
    yield "toy_peaks"
    unregister_postprocessor("toy_peaks")


def _scores(p, hop=0.1, win=0.2):
    p = np.asarray(p, dtype=float)
    i = np.arange(len(p))
    return pd.DataFrame({"recording": "a.wav", "window": i, "begin_s": i * hop,
                         "end_s": i * hop + win, "p_noise": 1 - p, "p_target": p})


def test_toy_method_runs_through_scores_to_events(toy_method):
    assert toy_method in postprocessor_names()
    ev = scores_to_events(_scores([0.1, 0.9, 0.95, 0.2]), threshold=0.5, method=toy_method)
    assert ev[["begin_s", "end_s"]].values.round(3).tolist() == [[0.1, 0.3], [0.2, 0.4]]
    assert ev["peak_p"].tolist() == [0.9, 0.95]
    assert ev["selection"].tolist() == [1, 2]
    empty = scores_to_events(_scores([0.1]), PostprocessConfig(method=toy_method, threshold=0.5))
    assert len(empty) == 0 and "peak_p" in empty.columns


def test_toy_method_through_cfg_and_variants(toy_method, tmp_path):
    cfg = tmp_path / "eval.cfg"
    cfg.write_text(f"output_dir=ev\nthreshold=0.5\nscores_dir=s\nmethod={toy_method}\n")
    settings = read_evaluate_cfg(cfg)
    assert settings.method == toy_method and settings.postprocess.threshold == 0.5
    assert isinstance(build_postprocessor(settings.postprocess), PeakPicker)
    bv = parse_benchmark_variants({"postprocess": {"method": toy_method},
                                   "variants": [{"seq_len": 0.4, "hop": 0.05,
                                                 "threshold": 0.9}]})
    assert bv.postprocess_config.method == toy_method


def test_unregistered_method_is_refused_everywhere(tmp_path):
    assert "toy_peaks" not in postprocessor_names()
    with pytest.raises(ConfigError, match="toy_peaks"):
        scores_to_events(_scores([0.9]), threshold=0.5, method="toy_peaks")
    cfg = tmp_path / "eval.cfg"
    cfg.write_text("output_dir=ev\nthreshold=0.5\nscores_dir=s\nmethod=toy_peaks\n")
    with pytest.raises(ConfigError, match="line 4"):
        read_evaluate_cfg(cfg)


def test_registration_rules(toy_method):
    with pytest.raises(ConfigError, match="already registered"):
        register_postprocessor(toy_method, PeakPicker)
    register_postprocessor(toy_method, PeakPicker, replace=True)
    with pytest.raises(ConfigError, match="name"):
        register_postprocessor("no spaces", PeakPicker)
    with pytest.raises(ConfigError, match="callable"):
        register_postprocessor("not_callable", 3)  # type: ignore[arg-type]


def test_a_registered_curve_drives_the_refined_method():
    register_curve("toy_max", lambda centres, p, hop, width: np.full(len(centres), p.max()))
    try:
        assert "toy_max" in curve_names()
        ev = scores_to_events(_scores([0.1, 0.9, 0.1]), threshold=0.5, curve="toy_max")
        # the flat curve is above the threshold everywhere: one event over the whole recording
        assert ev[["begin_s", "end_s"]].values.round(3).tolist() == [[0.0, 0.4]]
    finally:
        unregister_curve("toy_max")
    with pytest.raises(ConfigError, match="curve"):
        PostprocessConfig(curve="toy_max")
