"""The prepared network: precision choice and memory layout."""

import numpy as np
import pytest

from alpacaspot.detect import predict_scores
from alpacaspot.detect._runner import prepare_runner
from alpacaspot.io import write_audio

from .conftest import SR, structured_signal


def test_auto_precision_keeps_the_faster_within_tolerance(bundle, tmp_path):
    """``auto`` keeps bf16 only where it measured faster than fp32 on the first batch.

    Which one wins depends on the processor (native bfloat16 or not), so the test checks the
    decision against the speed-up the run itself recorded.
    """
    path = tmp_path / "rec.wav"
    write_audio(path, structured_signal(1.0, seed=7), SR)
    s = predict_scores(bundle, path, hop_s=0.05, device="cpu", precision="auto",
                       bf16_tolerance=1.0)
    runner = s.attrs["runner"]
    assert runner["precision"] in ("fp32", "bf16")
    assert (runner["precision"] == "bf16") == (runner["bf16_speedup"] >= 1.1)
    ref = predict_scores(bundle, path, hop_s=0.05, device="cpu")
    atol = 1e-6 if runner["precision"] == "fp32" else 1.0
    np.testing.assert_allclose(s["p_target"], ref["p_target"], atol=atol)


def test_auto_precision_falls_back_to_fp32_outside_tolerance(bundle, tmp_path):
    path = tmp_path / "rec.wav"
    write_audio(path, structured_signal(1.0, seed=8), SR)
    s = predict_scores(bundle, path, hop_s=0.05, device="cpu", precision="auto",
                       bf16_tolerance=0.0)
    runner = s.attrs["runner"]
    assert runner["bf16_max_abs_diff"] > 0  # bf16 rounds a random network's outputs
    assert runner["precision"] == "fp32"


def test_runner_refuses_unknown_precision(bundle):
    from alpacaspot.errors import ConfigError

    with pytest.raises(ConfigError, match="auto"):
        prepare_runner(bundle.network, np.zeros((1, 8, 32), np.float32), precision="fp16")
