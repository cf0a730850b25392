import numpy as np
import pytest
import torch

from alpacaspot.detect import fit_shared, predict_scores
from alpacaspot.errors import ConfigError, ModelError
from alpacaspot.io import write_audio
from alpacaspot.models import load_model, save_model
from alpacaspot.models.bundle import ModelBundle

from .conftest import SR, structured_signal

WINDOW_S = 0.25


def burst_signal(seconds: float, seed: int) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """Noise with harmonic bursts; returns the signal and the bursts' (begin, end) in s."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    t = np.arange(n) / SR
    x = 0.05 * rng.standard_normal(n)
    spans = []
    begin = rng.uniform(0.2, 0.6)
    while begin < seconds - 0.5:
        length, f0 = rng.uniform(0.15, 0.4), rng.uniform(300, 600)
        m = (t >= begin) & (t < begin + length)
        x[m] += sum(0.2 / k * np.sin(2 * np.pi * k * f0 * t[m]) for k in (1, 2, 3))
        spans.append((begin, begin + length))
        begin += length + rng.uniform(0.4, 1.2)
    return x.astype(np.float32), spans


@pytest.fixture(scope="module")
def teacher(bundle):
    """A tiny exact-mode model trained to find the bursts (window centre inside a burst)."""
    from alpacaspot.dsp import normalize, window_spectrograms
    from alpacaspot.models import build_model

    cfg = bundle.spectrogram_config
    torch.manual_seed(0)
    net = build_model(width=4)
    x, spans = burst_signal(20.0, seed=1)
    inputs = normalize(window_spectrograms(x, cfg, window_s=WINDOW_S, hop_s=0.05), cfg)
    inputs = torch.from_numpy(inputs)[:, None]
    centres = np.arange(len(inputs)) * 0.05 + WINDOW_S / 2
    labels = torch.from_numpy(np.array([any(a <= c < b for a, b in spans) for c in centres],
                                       dtype=np.int64))
    optimiser = torch.optim.Adam(net.parameters(), 3e-3)
    generator = torch.Generator().manual_seed(0)
    for _ in range(150):
        idx = torch.randint(0, len(inputs), (64,), generator=generator)
        loss = torch.nn.functional.cross_entropy(net(inputs[idx]), labels[idx])
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    return ModelBundle(net.eval(), cfg, WINDOW_S, ("noise", "target"))


def _log_odds(table):
    p = np.clip(table["p_target"].to_numpy(), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


@pytest.fixture(scope="module")
def tapes(tmp_path_factory):
    root = tmp_path_factory.mktemp("fit")
    for k in range(2):
        write_audio(root / f"tape{k}.wav", burst_signal(8.0, seed=20 + k)[0], SR)
    write_audio(root / "held_out.wav", burst_signal(8.0, seed=30)[0], SR)
    return root


@pytest.fixture(scope="module")
def fitted(teacher, tapes):
    return fit_shared(teacher, [tapes / "tape0.wav", tapes / "tape1.wav"], hop_s=0.05,
                      passes=2, steps=100, lr=3e-3, block_frames=64, device="cpu",
                      progress=False)


def test_fitting_brings_shared_scores_close_to_exact_on_unseen_audio(teacher, fitted, tapes):
    held_out = tapes / "held_out.wav"
    exact = predict_scores(teacher, held_out, hop_s=0.05, device="cpu", progress=False)
    rough = predict_scores(teacher, held_out, hop_s=0.05, device="cpu", mode="shared",
                           shared_passes=2, progress=False)
    fast = predict_scores(fitted, held_out, hop_s=0.05, device="cpu", mode="shared",
                          progress=False)
    assert len(fast) == len(exact)
    np.testing.assert_allclose(fast["begin_s"], exact["begin_s"])
    before = np.mean(np.abs(_log_odds(rough) - _log_odds(exact)))
    after = np.mean(np.abs(_log_odds(fast) - _log_odds(exact)))
    assert after < 0.6 * before, (before, after)
    corr_before = np.corrcoef(_log_odds(rough), _log_odds(exact))[0, 1]
    corr_after = np.corrcoef(_log_odds(fast), _log_odds(exact))[0, 1]
    assert corr_after > max(0.45, corr_before + 0.25), (corr_before, corr_after)
    record = fitted.provenance["shared_fit"]
    assert record["final_loss"] < 0.5 * record["first_loss"]


def test_fit_leaves_the_original_alone_and_records_itself(teacher, fitted):
    original = teacher.network.state_dict()
    for name, value in fitted.network.state_dict().items():
        assert value.shape == original[name].shape
    assert not all(torch.equal(v, original[k]) for k, v in fitted.network.state_dict().items())
    assert "shared_fit" not in teacher.provenance
    record = fitted.provenance["shared_fit"]
    assert record["passes"] == 2 and record["steps"] == 100 and record["recordings"] == 2
    assert fitted.classes == teacher.classes and fitted.window_s == teacher.window_s
    assert not fitted.network.training


def test_fitted_model_round_trips_and_uses_its_passes(fitted, tapes, tmp_path):
    path = save_model(tmp_path / "model_shared.pt", fitted)
    loaded = load_model(path)
    assert loaded.provenance["shared_fit"] == fitted.provenance["shared_fit"]
    rec = tapes / "held_out.wav"
    default = predict_scores(loaded, rec, hop_s=0.05, device="cpu", mode="shared",
                             progress=False)
    explicit = predict_scores(fitted, rec, hop_s=0.05, device="cpu", mode="shared",
                              shared_passes=2, progress=False)
    np.testing.assert_allclose(default["p_target"], explicit["p_target"], atol=1e-6)


def test_fit_is_deterministic(bundle, tapes):
    kwargs = dict(hop_s=0.05, passes=1, steps=6, block_frames=64, device="cpu",
                  progress=False)
    a = fit_shared(bundle, tapes / "tape0.wav", **kwargs)
    b = fit_shared(bundle, tapes / "tape0.wav", **kwargs)
    for (name, x), y in zip(a.network.state_dict().items(), b.network.state_dict().values(),
                            strict=True):
        assert torch.equal(x, y), name


def test_given_teacher_scores_are_used(bundle, tapes):
    rec = tapes / "tape0.wav"
    teacher = predict_scores(bundle, rec, hop_s=0.05, device="cpu", progress=False)
    out = fit_shared(bundle, rec, steps=2, block_frames=64, device="cpu",
                     teacher_scores=teacher, progress=False)
    assert out.provenance["shared_fit"]["blocks"] >= 1
    with pytest.raises(ConfigError, match="p_target"):
        fit_shared(bundle, rec, steps=2, device="cpu", progress=False,
                   teacher_scores=teacher.drop(columns=["p_target"]))


@pytest.mark.parametrize("kwargs, match", [
    ({"steps": 0}, "steps"),
    ({"passes": 0}, "passes"),
    ({"lr": 0.0}, "lr"),
    ({"block_frames": 0}, "block_frames"),
])
def test_bad_options_are_refused(bundle, tapes, kwargs, match):
    with pytest.raises(ConfigError, match=match):
        fit_shared(bundle, tapes / "tape0.wav", device="cpu", progress=False, **kwargs)


def test_refuses_a_fitted_model_a_network_without_encoder_and_too_short_audio(
        bundle, fitted, tapes, tmp_path):
    with pytest.raises(ModelError, match="already fitted"):
        fit_shared(fitted, tapes / "tape0.wav", device="cpu", progress=False)
    other = ModelBundle(torch.nn.Sequential(torch.nn.Flatten(), torch.nn.LazyLinear(2)),
                        bundle.spectrogram_config, bundle.window_s, bundle.classes,
                        architecture={"x": 1})
    with pytest.raises(ModelError, match="encoder"):
        fit_shared(other, tapes / "tape0.wav", device="cpu", progress=False)
    short = tmp_path / "short.wav"
    write_audio(short, structured_signal(0.1, seed=3), SR)
    with pytest.raises(ConfigError, match="long enough"):
        fit_shared(bundle, short, steps=2, device="cpu", progress=False)
