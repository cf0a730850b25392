"""A scores folder after killed tasks: what a killed write left is cleared, nothing else."""

import pyarrow.parquet as pq

from alpacaspot.detect import predict_scores
from alpacaspot.io import write_audio
from alpacaspot.io.layout import scores_path

from ..test_atomic import _killed_mid_write
from .conftest import SR, structured_signal


def test_prediction_rerun_after_a_killed_write_leaves_no_temp_file(bundle, tmp_path):
    audio = tmp_path / "audio"
    for name in ("a.wav", "b.wav"):
        write_audio(audio / name, structured_signal(1.0, seed=len(name)), SR)
    out = tmp_path / "scores"
    target = scores_path(out, "a.wav")
    target.parent.mkdir(parents=True)
    assert len(_killed_mid_write(target, tmp_path)) == 1
    scores = predict_scores(bundle, audio, hop_s=0.1, device="cpu", out_dir=out,
                            progress=False)
    assert sorted(scores["recording"].unique()) == ["a.wav", "b.wav"]
    left = [p for p in out.rglob("*") if ".tmp" in p.name]
    assert left == []
    pq.read_metadata(target)
