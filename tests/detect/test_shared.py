import numpy as np
import pytest
import torch

from alpacaspot.detect import predict_scores
from alpacaspot.detect.shared import shared_probs
from alpacaspot.detect.windows import window_grid
from alpacaspot.errors import ModelError
from alpacaspot.io import write_audio
from alpacaspot.models.bundle import ModelBundle

from .conftest import SR, structured_signal


def test_shared_mode_gives_valid_scores_on_the_same_grid(bundle, tmp_path):
    path = tmp_path / "rec.wav"
    write_audio(path, structured_signal(3.0, seed=8), SR)
    exact = predict_scores(bundle, path, hop_s=0.05, device="cpu", compile=False)
    for passes in (1, 2):
        shared = predict_scores(bundle, path, hop_s=0.05, device="cpu", mode="shared",
                                shared_passes=passes)
        assert len(shared) == len(exact)
        np.testing.assert_allclose(shared["begin_s"], exact["begin_s"])
        p = shared[["p_noise", "p_target"]].to_numpy()
        assert np.all((p >= 0) & (p <= 1))
        np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-9)
    again = predict_scores(bundle, path, hop_s=0.05, device="cpu", mode="shared",
                           shared_passes=2, compile=False)
    np.testing.assert_allclose(again["p_target"], shared["p_target"], atol=1e-4)


def test_shared_short_recording_equals_exact(bundle, tmp_path):
    path = tmp_path / "short.wav"
    write_audio(path, structured_signal(0.1, seed=9), SR)
    exact = predict_scores(bundle, path, hop_s=0.05, device="cpu", compile=False)
    shared = predict_scores(bundle, path, hop_s=0.05, device="cpu", mode="shared",
                            compile=False)
    np.testing.assert_allclose(shared["p_target"], exact["p_target"], atol=1e-5)


def test_shared_needs_an_encoder(bundle, tmp_path):
    path = tmp_path / "rec.wav"
    write_audio(path, structured_signal(1.0), SR)
    other = ModelBundle(torch.nn.Sequential(torch.nn.Flatten(), torch.nn.LazyLinear(2)),
                        bundle.spectrogram_config, bundle.window_s, bundle.classes,
                        architecture={"x": 1})
    grid = window_grid(SR, SR, window_s=0.25, hop_s=0.05)
    with pytest.raises(ModelError, match="encoder"):
        shared_probs(other, path, grid, device="cpu")


@pytest.mark.parametrize("device", [
    "cpu",
    pytest.param("cuda", marks=pytest.mark.skipif(not torch.cuda.is_available(),
                                                  reason="needs CUDA")),
])
def test_block_spectrogram_on_the_device_equals_numpy(bundle, tmp_path, device):
    from alpacaspot.detect.frontends.torch_frontend import TorchSpectrogram
    from alpacaspot.detect.shared import block_spectrogram, shared_blocks

    path = tmp_path / "rec.wav"
    write_audio(path, structured_signal(4.0, seed=12), SR)
    cfg = bundle.spectrogram_config
    grid = window_grid(4 * SR, SR, window_s=bundle.window_s, hop_s=0.05)
    blocks = shared_blocks(grid, cfg, bundle.window_frames, 16, block_frames=64)
    assert len(blocks) > 1
    on_device = TorchSpectrogram(cfg, device)
    for block in (blocks[0], blocks[-1]):
        ref = block_spectrogram(path, grid, cfg, block, bundle.window_frames)
        dev = block_spectrogram(path, grid, cfg, block, bundle.window_frames,
                                on_device=on_device)
        assert isinstance(dev, torch.Tensor) and dev.device.type == device
        assert dev.shape == ref.shape
        np.testing.assert_allclose(dev.cpu().numpy(), ref, rtol=0, atol=1e-4)
