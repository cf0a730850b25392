import numpy as np
import pytest

SR = 16000


def structured_signal(seconds: float, *, seed: int = 0, sr: int = SR) -> np.ndarray:
    """Noise with tone bursts at random times, so that windows differ from each other."""
    rng = np.random.default_rng(seed)
    n = int(seconds * sr)
    x = 0.02 * rng.standard_normal(n)
    t = np.arange(n) / sr
    for start in rng.uniform(0, seconds, size=max(1, int(seconds * 2))):
        f = rng.uniform(300, 3000)
        dur = rng.uniform(0.05, 0.3)
        m = (t >= start) & (t < start + dur)
        x[m] += 0.3 * np.sin(2 * np.pi * f * t[m])
    return x.astype(np.float32)


def spread_model(net, cfg, window_s: float, *, seed: int = 0):
    """Give a random network well-spread outputs: BatchNorm statistics measured on real
    windows, and a linear head scaled to logits of standard deviation 2."""
    import torch

    from alpacaspot.dsp import normalize, window_spectrograms

    x = structured_signal(6.0, seed=seed + 11, sr=cfg.sr)
    w = normalize(window_spectrograms(x, cfg, window_s=window_s, hop_s=0.05), cfg)
    w = torch.from_numpy(w)[:, None]
    for m in net.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.momentum = None
            m.reset_running_stats()
    net.train()
    with torch.no_grad():
        net(w)
        net.eval()
        f = net.encoder(w).flatten(2).mean(2)
        v = torch.randn(f.shape[1], generator=torch.Generator().manual_seed(seed + 2))
        proj = f @ v
        k = 2.0 / proj.std()
        lin = net.classifier.linear
        lin.weight.zero_()
        lin.bias.zero_()
        lin.weight[1] = v * k
        lin.bias[1] = -proj.mean() * k
    return net


@pytest.fixture(scope="session")
def bundle():
    import torch

    from alpacaspot.dsp import SpectrogramConfig
    from alpacaspot.models import build_model
    from alpacaspot.models.bundle import ModelBundle

    torch.manual_seed(0)
    cfg = SpectrogramConfig(sr=SR, n_fft=512, hop_length=256, fmin=0, fmax=8000, n_freq_bins=32)
    net = spread_model(build_model(width=4), cfg, 0.25)
    return ModelBundle(net, cfg, 0.25, ("noise", "target"))


@pytest.fixture
def audio_dir(tmp_path):
    from alpacaspot.io import write_audio

    root = tmp_path / "audio"
    write_audio(root / "b.wav", structured_signal(3.0, seed=1), SR)
    write_audio(root / "tape1" / "a.2019.wav", structured_signal(2.0, seed=2), SR)
    return root
