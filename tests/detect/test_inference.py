import os

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from alpacaspot.detect import predict_scores
from alpacaspot.detect.inference import reference_scores
from alpacaspot.errors import AudioError, ConfigError
from alpacaspot.io import read_table, write_audio

from .conftest import SR, structured_signal

ALIGNED_HOP = 3 * 256 / SR  # a whole number of STFT hops: windows are slices
# The fast path (batched, frozen TorchScript, frames computed once) and the per-window
# reference do the same float32 arithmetic in other orders, and the random test network turns
# that rounding into score differences: up to 8.5e-6 with an Intel Xeon's AVX-512 kernels and
# 2.1e-5 with x86-64-v2 kernels (tests/as_processor.sh v2). Neighbouring windows' scores differ
# by more than 0.9, so a window out of place still fails by far.
ROUNDING = 1e-4


@pytest.mark.parametrize("hop_s", [0.05, ALIGNED_HOP])
def test_compute_once_equals_per_window_path(bundle, tmp_path, hop_s):
    path = tmp_path / "rec.wav"
    write_audio(path, structured_signal(3.0, seed=3), SR)
    fast = predict_scores(bundle, path, hop_s=hop_s, device="cpu", batch_size=16)
    slow = reference_scores(bundle, path, hop_s=hop_s)
    assert len(fast) == len(slow) == int(np.ceil((3 * SR + 1 - 4000) / np.ceil(hop_s * SR)))
    assert np.abs(np.diff(slow["p_target"])).max() > 1000 * ROUNDING  # not a trivial check
    np.testing.assert_allclose(fast["p_target"], slow["p_target"], atol=ROUNDING, rtol=0)
    np.testing.assert_allclose(fast["begin_s"], slow["begin_s"])
    assert fast.attrs["runner"]["compiled"] == "torchscript-frozen"


def test_eager_and_slicing_forced_off_agree(bundle, tmp_path):
    path = tmp_path / "rec.wav"
    write_audio(path, structured_signal(2.0, seed=4), SR)
    a = predict_scores(bundle, path, hop_s=ALIGNED_HOP, device="cpu", compile=False)
    b = predict_scores(bundle, path, hop_s=ALIGNED_HOP, device="cpu")
    np.testing.assert_allclose(a["p_target"], b["p_target"], atol=ROUNDING)


def test_folder_idempotent_and_overwrite(bundle, audio_dir, tmp_path):
    out = tmp_path / "scores"
    first = predict_scores(bundle, audio_dir, hop_s=0.05, device="cpu", out_dir=out, compile=False)
    assert sorted(first["recording"].unique()) == ["b.wav", "tape1/a.2019.wav"]
    stored = out / "tape1" / "a.2019.wav.parquet"
    assert stored.is_file() and (out / "b.wav.parquet").is_file()
    mtime = stored.stat().st_mtime_ns
    again = predict_scores(bundle, audio_dir, hop_s=0.05, device="cpu", out_dir=out, compile=False)
    assert stored.stat().st_mtime_ns == mtime
    pd.testing.assert_frame_equal(first, again)
    before = stored.read_bytes()
    predict_scores(bundle, audio_dir, hop_s=0.05, device="cpu", out_dir=out, overwrite=True,
                   compile=False)
    assert stored.stat().st_mtime_ns != mtime
    assert stored.read_bytes() == before  # deterministic bytes
    # another hop is not mistaken for complete scores
    other = predict_scores(bundle, audio_dir, hop_s=0.1, device="cpu", out_dir=out, compile=False)
    assert len(read_table(stored)) == len(other[other["recording"] == "tape1/a.2019.wav"])


def test_stored_scores_of_another_model_or_mode_are_recomputed(bundle, audio_dir, tmp_path,
                                                               caplog):
    import copy

    import torch

    from alpacaspot.io import read_table_metadata

    out = tmp_path / "scores"
    first = predict_scores(bundle, audio_dir, hop_s=0.05, device="cpu", out_dir=out)
    stored = out / "b.wav.parquet"
    made_by = read_table_metadata(stored)
    assert made_by["model"] == bundle.fingerprint() and made_by["mode"] == "exact"
    retrained = copy.deepcopy(bundle)
    with torch.no_grad():
        retrained.network.classifier.linear.bias[1] += 1.0
    assert retrained.fingerprint() != bundle.fingerprint()
    again = predict_scores(retrained, audio_dir, hop_s=0.05, device="cpu", out_dir=out)
    assert "another model or mode" in caplog.text
    assert not np.allclose(again["p_target"], first["p_target"])
    assert read_table_metadata(stored)["model"] == retrained.fingerprint()
    caplog.clear()
    shared = predict_scores(retrained, audio_dir, hop_s=0.05, device="cpu", out_dir=out,
                            mode="shared", shared_passes=1)
    assert "another model or mode" in caplog.text
    assert read_table_metadata(stored)["mode"] == "shared"
    assert not np.allclose(shared["p_target"], again["p_target"])


def test_corrupt_and_empty_recordings_are_skipped(bundle, audio_dir, tmp_path, caplog):
    (audio_dir / "corrupt.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk" * 10)
    sf.write(audio_dir / "empty.wav", np.zeros(0, dtype="float32"), SR)
    out = tmp_path / "scores"
    result = predict_scores(bundle, audio_dir, hop_s=0.05, device="cpu", out_dir=out, compile=False)
    assert sorted(result.attrs["failed"]) == ["corrupt.wav", "empty.wav"]
    assert "corrupt.wav" in result.attrs["failed"]["corrupt.wav"]
    assert sorted(result["recording"].unique()) == ["b.wav", "tape1/a.2019.wav"]
    assert sorted(p.name for p in out.rglob("*.parquet")) == ["a.2019.wav.parquet", "b.wav.parquet"]
    assert "corrupt.wav" in caplog.text


def test_short_recording_and_resampled_input(bundle, tmp_path):
    short = tmp_path / "short.wav"
    write_audio(short, structured_signal(0.1, seed=5), SR)
    s = predict_scores(bundle, short, hop_s=0.05, device="cpu", compile=False)
    assert len(s) == 1 and s["end_s"].iloc[0] == pytest.approx(0.1)
    ref = reference_scores(bundle, short, hop_s=0.05)
    np.testing.assert_allclose(s["p_target"], ref["p_target"], atol=ROUNDING)
    slow_rate = tmp_path / "r8k.wav"
    write_audio(slow_rate, structured_signal(2.0, seed=6, sr=8000), 8000)
    r = predict_scores(bundle, slow_rate, hop_s=0.05, device="cpu", compile=False)
    np.testing.assert_allclose(
        r["p_target"], reference_scores(bundle, slow_rate, hop_s=0.05)["p_target"],
        atol=ROUNDING,
    )


def test_bf16_is_checked(bundle, tmp_path):
    path = tmp_path / "rec.wav"
    write_audio(path, structured_signal(1.0, seed=7), SR)
    s = predict_scores(bundle, path, hop_s=0.05, device="cpu", precision="bf16",
                       bf16_tolerance=1.0)
    assert s.attrs["runner"]["bf16_max_abs_diff"] is not None
    assert s.attrs["runner"]["precision"] == "bf16"
    assert s.attrs["runner"]["bf16_speedup"] > 0  # measured against fp32 on the same batch
    strict = predict_scores(bundle, path, hop_s=0.05, device="cpu", precision="bf16",
                            bf16_tolerance=0.0)
    ref = predict_scores(bundle, path, hop_s=0.05, device="cpu")
    if strict.attrs["runner"]["bf16_max_abs_diff"] > 0:
        assert strict.attrs["runner"]["precision"] == "fp32"
        np.testing.assert_allclose(strict["p_target"], ref["p_target"], atol=1e-6)


def test_bad_options(bundle, tmp_path):
    with pytest.raises(AudioError, match="missing.wav"):
        predict_scores(bundle, tmp_path / "missing.wav", hop_s=0.05)
    path = tmp_path / "rec.wav"
    write_audio(path, structured_signal(0.5), SR)
    with pytest.raises(ConfigError, match="mode"):
        predict_scores(bundle, path, hop_s=0.05, mode="fast")
    with pytest.raises(ConfigError, match="hop_s"):
        predict_scores(bundle, path, hop_s=0)
    with pytest.raises(ConfigError, match="precision"):
        predict_scores(bundle, path, hop_s=0.05, precision="fp8")


def test_list_input_with_root(bundle, audio_dir):
    files = [audio_dir / "tape1" / "a.2019.wav", os.fspath(audio_dir / "b.wav")]
    s = predict_scores(bundle, files, hop_s=0.1, device="cpu", root=audio_dir, compile=False)
    assert list(s["recording"].unique()) == ["b.wav", "tape1/a.2019.wav"]
    assert (s.groupby("recording")["window"].apply(lambda w: (np.diff(w) == 1).all())).all()
