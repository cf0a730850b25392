"""Prediction front ends: the torch front end's inputs equal the CPU front end's.

Runs the torch front end on CPU torch, so that CI checks the equality without a GPU; the CUDA
variant runs where CUDA is available.

Both front ends compute the FFT in float32 with different libraries (pocketfft here, torch's
MKL or pocketfft, cuFFT), whose rounding differs by processor. Min-max normalisation amplifies
it where a window's minimum sits in a quiet bin: over 16 structured recordings on a Zen 3 CPU
the largest difference was 1.8e-5 to 9.8e-5 (99.99th percentile up to 7.7e-5), and the CPU
front end is itself about 1.4e-4 from float64 arithmetic there. So 99.9 % of the inputs must
agree within 1e-4, and every one within 3e-4, the float32 noise level.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

from alpacaspot.detect import predict_scores
from alpacaspot.detect.frontends import (
    FRONTENDS,
    Batch,
    FrontEnd,
    default_frontend,
    get_frontend,
    register_frontend,
)
from alpacaspot.dsp import SpectrogramConfig
from alpacaspot.dsp.grid import window_grid
from alpacaspot.errors import ConfigError
from alpacaspot.io import audio_info, write_audio
from alpacaspot.io.audio import resampled_length
from alpacaspot.models import build_model
from alpacaspot.models.bundle import ModelBundle

from .conftest import spread_model, structured_signal

ANIMALSPOT = SpectrogramConfig(sr=44100, n_fft=4096, hop_length=441, fmin=500, fmax=10000,
                               n_freq_bins=256)
FORK = SpectrogramConfig(sr=48000, n_fft=2048, hop_length=1024, fmin=0, fmax=4000,
                         n_freq_bins=128)
TOLERANCE = 1e-4
WORST = 3e-4


def _inputs(name: str, path: Path, cfg: SpectrogramConfig, *, hop_s: float = 0.05,
            window_s: float = 0.4, batch_size: int = 7, first: int = 0,
            channel: int | None = None, pad_short: bool = True, device: str = "cpu"
            ) -> tuple[np.ndarray, list[int]]:
    info = audio_info(path)
    n = resampled_length(info.frames, info.sample_rate, cfg.sr)
    grid = window_grid(n, cfg.sr, window_s=window_s, hop_s=hop_s)
    front = get_frontend(name, device=device)
    parts, firsts = [], []
    for batch in front.batches(path, grid, cfg, cfg.window_frames(window_s),
                               batch_size=batch_size, first=first, channel=channel,
                               pad_short=pad_short):
        x = batch.inputs
        if isinstance(x, torch.Tensor):
            assert x.device.type == torch.device(device).type
            x = x.cpu().numpy()
        parts.append(np.asarray(x))
        firsts.append(batch.first)
    return np.concatenate(parts), firsts


def _assert_same(path: Path, cfg: SpectrogramConfig, device: str = "cpu", **kw) -> np.ndarray:
    cpu, cpu_firsts = _inputs("cpu", path, cfg, **kw)
    tor, tor_firsts = _inputs("torch", path, cfg, device=device, **kw)
    assert cpu_firsts == tor_firsts
    assert cpu.shape == tor.shape and tor.dtype == np.float32
    diff = np.abs(tor - cpu)
    if cfg.normalization == "none":  # raw dB: the tolerance after a min-max scaling
        span = cpu.max(axis=(1, 2)) - cpu.min(axis=(1, 2))
        diff = diff / span[:, None, None]
    assert np.quantile(diff, 0.999) <= TOLERANCE, np.quantile(diff, 0.999)
    assert diff.max() <= WORST, diff.max()
    return cpu


@pytest.fixture(scope="module")
def wavs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("frontends")
    files = {
        "44k": (structured_signal(2.0, seed=1, sr=44100), 44100),
        "48k": (structured_signal(2.5, seed=2, sr=48000), 48000),
        "stereo": (np.stack([structured_signal(1.5, seed=3, sr=48000),
                             structured_signal(1.5, seed=4, sr=48000)], axis=1), 48000),
        "at44k_for_48k": (structured_signal(1.7, seed=5, sr=44100), 44100),
        "short": (structured_signal(0.3, seed=6, sr=48000), 48000),
    }
    out = {}
    for name, (x, sr) in files.items():
        out[name] = root / f"{name}.wav"
        write_audio(out[name], x, sr)
    return out


def test_sliced_grid_44k_hop_441(wavs: dict[str, Path]) -> None:
    # 0.05 s = 2205 samples = 5 STFT hops: frames shared by windows are transformed once
    cpu = _assert_same(wavs["44k"], ANIMALSPOT)
    assert cpu.shape == (33, 31, 256)


def test_sliced_grid_with_first_sample_that_matters(wavs: dict[str, Path]) -> None:
    # a Hamming window's first coefficient is not 0: each window's first frame is redone
    cfg = SpectrogramConfig(sr=44100, n_fft=4096, hop_length=441, fmin=500, fmax=10000,
                            n_freq_bins=256, window="hamming", preemphasis=0.97)
    _assert_same(wavs["44k"], cfg, batch_size=10, first=3)


def test_framed_grid_48k_hop_1024(wavs: dict[str, Path]) -> None:
    # 0.05 s = 2400 samples, not a whole number of 1024-sample hops: every window framed alone
    cpu = _assert_same(wavs["48k"], FORK)
    assert cpu.shape == (43, 17, 128)


@pytest.mark.parametrize("compression,normalization",
                         [("mel", "minmax"), ("linear_interp", "ref_level"), ("none", "none")])
def test_compressions_and_normalisations(wavs: dict[str, Path], compression: str,
                                         normalization: str) -> None:
    cfg = SpectrogramConfig(sr=48000, n_fft=1024, hop_length=480, fmin=0, fmax=8000,
                            n_freq_bins=171 if compression == "none" else 64,
                            compression=compression, normalization=normalization)
    _assert_same(wavs["48k"], cfg, batch_size=16)


@pytest.mark.parametrize("channel", [None, 2])
def test_multichannel_file(wavs: dict[str, Path], channel: int | None) -> None:
    _assert_same(wavs["stereo"], FORK, channel=channel)


def test_resampled_file(wavs: dict[str, Path]) -> None:
    cpu = _assert_same(wavs["at44k_for_48k"], FORK, batch_size=64)
    assert cpu.shape[0] == window_grid(resampled_length(74970, 44100, 48000), 48000,
                                       window_s=0.4, hop_s=0.05).count


@pytest.mark.parametrize("pad_short", [True, False])
def test_recording_shorter_than_one_window(wavs: dict[str, Path], pad_short: bool) -> None:
    cpu = _assert_same(wavs["short"], FORK, pad_short=pad_short)
    assert cpu.shape == ((1, 17, 128) if pad_short else (1, 13, 128))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("name,cfg", [("44k", ANIMALSPOT), ("48k", FORK), ("stereo", FORK),
                                      ("at44k_for_48k", FORK), ("short", FORK)])
def test_cuda_inputs_equal_cpu(wavs: dict[str, Path], name: str,
                               cfg: SpectrogramConfig) -> None:
    _assert_same(wavs[name], cfg, device="cuda")


@pytest.fixture(scope="module")
def bundle() -> ModelBundle:
    torch.manual_seed(0)
    net = spread_model(build_model(width=4), FORK, 0.4)
    return ModelBundle(net.eval(), FORK, 0.4, ("noise", "target"))


def _network_scores(bundle: ModelBundle, inputs: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        logits = bundle.network(torch.from_numpy(inputs)[:, None])
    return torch.softmax(logits, dim=1)[:, 1].numpy()


def test_scores_equal_between_front_ends(wavs: dict[str, Path], bundle: ModelBundle) -> None:
    # A random network turns the front ends' float32 differences (within TOLERANCE, tested
    # above) into score differences many times larger: on an Intel Xeon with AVX-512 inputs
    # 5.7e-5 apart gave scores 7.3e-4 apart. So each front end's scores must be the network's
    # on that front end's own inputs, and the two must agree within the network's response to
    # input noise of TOLERANCE, far below what a front end one hop out of step gives. Other
    # batch compositions round otherwise: up to 5.4e-6 apart on the three kernel sets of
    # tests/as_processor.sh.
    files = [wavs["48k"], wavs["stereo"], wavs["short"]]
    kw = dict(hop_s=0.05, device="cpu", compile=False, progress=False, batch_size=16)
    cpu = predict_scores(bundle, files, frontend="cpu", **kw)
    tor = predict_scores(bundle, files, frontend="torch", **kw)
    assert cpu.attrs["runner"]["frontend"] == "cpu"
    assert tor.attrs["runner"]["frontend"] == "torch"
    assert len(cpu) == len(tor) == 43 + 23 + 1
    assert cpu["p_target"].std() > 0.05  # scores that vary, so that equality means something
    inputs = {}
    for name, scores in (("cpu", cpu), ("torch", tor)):
        for path in files:
            inputs[name, path], _ = _inputs(name, path, FORK, batch_size=16)
            rows = scores[scores["recording"] == path.name].sort_values("window")
            np.testing.assert_allclose(rows["p_target"],
                                       _network_scores(bundle, inputs[name, path]),
                                       rtol=0, atol=1e-4, err_msg=f"{name} front end, {path}")

    x = inputs["cpu", wavs["48k"]]
    noise = np.random.default_rng(0).normal(0.0, TOLERANCE, x.shape).astype(np.float32)
    clean = _network_scores(bundle, x)
    sensitivity = np.abs(_network_scores(bundle, x + noise) - clean).max()
    one_hop_out = np.abs(np.diff(clean)).max()
    assert sensitivity < one_hop_out / 10, (sensitivity, one_hop_out)
    np.testing.assert_allclose(tor["p_target"], cpu["p_target"], rtol=0, atol=sensitivity)
    default = predict_scores(bundle, files, **kw)
    assert default.attrs["runner"]["frontend"] == "cpu"
    np.testing.assert_array_equal(default["p_target"], cpu["p_target"])


def test_front_end_is_chosen_by_name(bundle: ModelBundle, wavs: dict[str, Path]) -> None:
    assert default_frontend(torch.device("cpu")) == "cpu"
    assert default_frontend(torch.device("cuda:1")) == "torch"
    assert {"cpu", "torch"} <= set(FRONTENDS)
    assert isinstance(get_frontend("torch"), FrontEnd)
    with pytest.raises(ConfigError, match="frontend must be one of"):
        predict_scores(bundle, wavs["48k"], hop_s=0.05, frontend="fpga", progress=False)
    with pytest.raises(ConfigError, match="mode='exact'"):
        predict_scores(bundle, wavs["48k"], hop_s=0.05, frontend="torch", mode="shared",
                       progress=False)


def test_a_new_front_end_is_one_registration(bundle: ModelBundle,
                                             wavs: dict[str, Path]) -> None:
    @register_frontend("toy")
    class Toy:
        """Silence for every window."""

        name = "toy"

        def __init__(self, *, device: object = "cpu") -> None:
            pass

        def batches(self, path, grid, config, n_frames, *, batch_size, first=0,
                    channel=None, resampler="polyphase", pad_short=True) -> Iterator[Batch]:
            for i0 in range(first, grid.count, batch_size):
                n = min(batch_size, grid.count - i0)
                yield Batch(i0, np.zeros((n, n_frames, config.n_freq_bins), np.float32))

    try:
        scores = predict_scores(bundle, wavs["48k"], hop_s=0.05, frontend="toy",
                                compile=False, progress=False, device="cpu")
    finally:
        del FRONTENDS["toy"]
    assert scores.attrs["runner"]["frontend"] == "toy"
    assert scores["p_target"].nunique() == 1  # every window saw the same (silent) input
