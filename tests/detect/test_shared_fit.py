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
    """A tiny exact-mode model trained to find the bursts (window centre inside a burst).

    Full-batch steps: minibatch sampling made the teacher's quality (and so every figure
    below) swing with the seed and with torch's thread count and per-processor kernels.
    """
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
    for _ in range(150):
        loss = torch.nn.functional.cross_entropy(net(inputs), labels)
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
                      passes=2, steps=200, lr=1e-3, block_frames=64, device="cpu",
                      progress=False)


def test_fitting_brings_shared_scores_close_to_exact_on_unseen_audio(teacher, fitted, tapes):
    """Fitted shared scores follow exact mode on unseen audio far better than unfitted ones.

    torch picks convolution kernels per processor and per thread count, and SGD amplifies
    their rounding, so the figures move between machines. Measured over 5 seeds (teacher,
    tapes and fit) x 1 and 2 threads on an AVX2 EPYC (Zen 3): mean |log-odds - exact| fell to
    0.22-0.44 of the unfitted value, mean |p - exact| to 0.18-0.30, the fit loss to
    0.11-0.50 of its start. Over 3 seeds x 1 and 2 threads on an AVX-512 EPYC with native
    bfloat16 (Zen 4): 0.23-0.42, 0.16-0.26 and 0.11-0.55. The assertions leave at least 0.15
    of room over the worst.
    Correlation is not asserted: with a teacher that rarely fires it moved either way.
    """
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
    p_before = np.mean(np.abs(rough["p_target"] - exact["p_target"]))
    p_after = np.mean(np.abs(fast["p_target"] - exact["p_target"]))
    assert p_after < 0.5 * p_before, (p_before, p_after)
    record = fitted.provenance["shared_fit"]
    assert record["final_loss"] < 0.7 * record["first_loss"]


def test_fit_leaves_the_original_alone_and_records_itself(teacher, fitted):
    original = teacher.network.state_dict()
    for name, value in fitted.network.state_dict().items():
        assert value.shape == original[name].shape
    assert not all(torch.equal(v, original[k]) for k, v in fitted.network.state_dict().items())
    assert "shared_fit" not in teacher.provenance
    record = fitted.provenance["shared_fit"]
    assert record["passes"] == 2 and record["steps"] == 200 and record["recordings"] == 2
    assert fitted.classes == teacher.classes and fitted.window_s == teacher.window_s
    assert not fitted.network.training


def test_fit_back_propagates_in_the_default_memory_layout(bundle, tapes):
    """Fitting back-propagates, so no convolution it trains sees channels-last weights or
    inputs on the CPU (oneDNN's channels-last convolution backward corrupts the heap on some
    AVX-512 processors; prediction, which has no backward, may use it)."""
    from torch.nn.modules.module import register_module_forward_pre_hook

    layouts = []

    def record(module, args):
        if isinstance(module, torch.nn.Conv2d) and torch.is_grad_enabled():
            w, x = module.weight, args[0]
            layouts.append(w.is_contiguous(memory_format=torch.channels_last)
                           and not w.is_contiguous()
                           or x.is_contiguous(memory_format=torch.channels_last)
                           and not x.is_contiguous())

    handle = register_module_forward_pre_hook(record)
    try:
        fit_shared(bundle, tapes / "tape0.wav", hop_s=0.05, steps=2, block_frames=64,
                   device="cpu", progress=False)
    finally:
        handle.remove()
    assert layouts and not any(layouts)


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


def test_fit_keeps_calibration_and_resampler(bundle, tapes):
    """A calibrated model's fitted copy keeps its temperature, operating point and resampler;
    the student learns the network's own scores, so the temperature is applied once."""
    import dataclasses

    from alpacaspot.events import PostprocessConfig

    op = PostprocessConfig(threshold=0.4)
    calibrated = dataclasses.replace(bundle, temperature=2.0, operating_point=op,
                                     resampler="kaiser_best")
    kwargs = dict(hop_s=0.05, passes=1, steps=3, block_frames=64, device="cpu",
                  progress=False)
    fitted = fit_shared(calibrated, tapes / "tape0.wav", **kwargs)
    assert (fitted.temperature, fitted.operating_point, fitted.resampler) == (
        2.0, op, "kaiser_best")
    plain = fit_shared(dataclasses.replace(bundle, resampler="kaiser_best"),
                       tapes / "tape0.wav", **kwargs)
    for (name, x), y in zip(fitted.network.state_dict().items(),
                            plain.network.state_dict().values(), strict=True):
        torch.testing.assert_close(x, y, atol=1e-4, rtol=1e-4, msg=name)
