"""Benchmark of sliding-window detection: exact mode, shared mode and an ANIMAL-SPOT-style loop.

Runs the peers side by side in one process on the same weights (a randomly initialised
ResNet-18, as speed does not depend on the weights) and prints realtime factors (audio seconds
per compute second), ratios and peak memory, then the same as JSON.

* ``speed``: a synthetic recording of ``--seconds`` for the fork's spectrogram config (48 kHz,
  n_fft 2048, hop 1024, 128 bins, 0-4000 Hz) and ANIMAL-SPOT's (44.1 kHz, 4096, 441, 256 bins,
  500-10000 Hz), window 0.4 s, hop 0.05 s. The ANIMAL-SPOT-style loop (cut window, spectrogram,
  normalise, eager network at batch 1) runs on ``--loop-windows`` windows and is scaled.
* ``memory``: peak RSS of exact prediction (fork config) over recordings of ``--hours``, each
  in a fresh subprocess; the benchmark writes the long files itself (PCM_16, in blocks).

Usage::

    python benchmarks/bench_detect.py --seconds 600 --threads 2
    python benchmarks/bench_detect.py --memory --hours 0.5 2 --memory-hop 0.5
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

from alpacaspot.detect import predict_scores
from alpacaspot.detect._frontend import single_window
from alpacaspot.detect.windows import window_grid
from alpacaspot.dsp import SpectrogramConfig
from alpacaspot.io import read_audio
from alpacaspot.models import ModelBundle, build_model

CONFIGS = {
    "fork": dict(sr=48000, n_fft=2048, hop_length=1024, n_freq_bins=128, fmin=0, fmax=4000),
    "animalspot": dict(sr=44100, n_fft=4096, hop_length=441, n_freq_bins=256, fmin=500,
                       fmax=10000),
}


def write_signal(path: Path, seconds: float, sr: int, seed: int = 0) -> Path:
    """Noise with harmonic bursts, written in one-minute blocks (bounded memory)."""
    rng = np.random.default_rng(seed)
    block = 60 * sr
    total = int(seconds * sr)
    with sf.SoundFile(path, "w", samplerate=sr, channels=1, subtype="PCM_16") as f:
        for a in range(0, total, block):
            n = min(block, total - a)
            t = (a + np.arange(n)) / sr
            x = 0.05 * rng.standard_normal(n)
            for _ in range(max(1, n // sr // 5)):
                s = rng.uniform(0, n / sr)
                m = (t - a / sr >= s) & (t - a / sr < s + rng.uniform(0.1, 0.6))
                f0 = rng.uniform(150, 400)
                x[m] += sum(0.1 / k * np.sin(2 * np.pi * k * f0 * t[m]) for k in range(1, 6))
            f.write(np.clip(x, -1, 1).astype(np.float32))
    return path


def make_bundle(name: str, seed: int = 0) -> ModelBundle:
    torch.manual_seed(seed)
    cfg = SpectrogramConfig(**CONFIGS[name])
    return ModelBundle(build_model(resnet=18, width=64).eval(), cfg, 0.4, ("noise", "target"))


def loop_rate(bundle: ModelBundle, path: Path, hop_s: float, n_windows: int) -> float:
    """Windows per second of the per-window, batch-1 path (ANIMAL-SPOT style)."""
    cfg = bundle.spectrogram_config
    x, _ = read_audio(path, end_s=(n_windows * hop_s + bundle.window_s + 1), sr=cfg.sr)
    grid = window_grid(len(x), cfg.sr, window_s=bundle.window_s, hop_s=hop_s)
    starts = grid.starts[:n_windows]
    net = bundle.network.eval()
    t0 = time.perf_counter()
    with torch.inference_mode():
        for s in starts:
            win = single_window(x[s : s + grid.length], cfg, bundle.window_frames)
            torch.softmax(net(torch.from_numpy(win)[None, None]), dim=1)
    return len(starts) / (time.perf_counter() - t0)


def timed(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t0


def speed(args: argparse.Namespace, tmp: Path) -> dict:
    results = {}
    for name in args.configs:
        bundle = make_bundle(name)
        sr = bundle.spectrogram_config.sr
        wav = write_signal(tmp / f"{name}.wav", args.seconds, sr)
        row: dict[str, float | str] = {"seconds": args.seconds,
                                       "input": f"1x{bundle.window_frames}x"
                                                f"{bundle.spectrogram_config.n_freq_bins}"}
        exact, t = timed(predict_scores, bundle, wav, hop_s=args.hop, device="cpu",
                         batch_size=args.batch_size, progress=False)
        row["exact_rtf"] = args.seconds / t
        row["exact_windows_per_s"] = len(exact) / t
        if args.bf16:
            b16, t = timed(predict_scores, bundle, wav, hop_s=args.hop, device="cpu",
                           batch_size=args.batch_size, precision="bf16", bf16_tolerance=1.0,
                           progress=False)
            row["exact_bf16_rtf"] = args.seconds / t
            row["bf16_max_abs_diff"] = float(np.abs(b16["p_target"] - exact["p_target"]).max())
        for passes in args.passes:
            shared, t = timed(predict_scores, bundle, wav, hop_s=args.hop, device="cpu",
                              mode="shared", shared_passes=passes, progress=False)
            row[f"shared{passes}_rtf"] = args.seconds / t
            row[f"shared{passes}_corr_with_exact"] = float(
                np.corrcoef(shared["p_target"], exact["p_target"])[0, 1])
        rate = loop_rate(bundle, wav, args.hop, args.loop_windows)
        row["animalspot_loop_windows_per_s"] = rate
        row["animalspot_loop_rtf"] = rate * args.hop
        row["exact_vs_loop"] = row["exact_rtf"] / row["animalspot_loop_rtf"]
        for passes in args.passes:
            row[f"shared{passes}_vs_exact"] = row[f"shared{passes}_rtf"] / row["exact_rtf"]
        results[name] = row
        print(f"[{name}] " + ", ".join(
            f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()),
            flush=True)
    results["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return results


def _rss_child(wav: str, hop: float, mode: str) -> None:
    bundle = make_bundle("fork")
    t0 = time.perf_counter()
    s = predict_scores(bundle, wav, hop_s=hop, device="cpu", mode=mode, progress=False)
    out = {"windows": len(s), "seconds": time.perf_counter() - t0,
           "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    print(json.dumps(out))


def memory(args: argparse.Namespace, tmp: Path) -> dict:
    results = {}
    for hours in args.hours:
        wav = write_signal(tmp / f"long_{hours}h.wav", hours * 3600, 48000, seed=1)
        cmd = [sys.executable, __file__, "--_rss", str(wav), str(args.memory_hop), args.memory_mode]
        line = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        results[f"{hours}h"] = json.loads(line.strip().splitlines()[-1])
        print(f"[memory {hours} h, hop {args.memory_hop}, {args.memory_mode}] "
              f"{results[f'{hours}h']}", flush=True)
        wav.unlink()
    return results


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=600.0)
    p.add_argument("--hop", type=float, default=0.05)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    p.add_argument("--passes", nargs="+", type=int, default=[1, 2])
    p.add_argument("--loop-windows", type=int, default=150)
    p.add_argument("--bf16", action="store_true")
    p.add_argument("--no-speed", action="store_true")
    p.add_argument("--memory", action="store_true")
    p.add_argument("--hours", nargs="+", type=float, default=[0.5, 2.0])
    p.add_argument("--memory-hop", type=float, default=0.05)
    p.add_argument("--memory-mode", default="exact", choices=["exact", "shared"])
    p.add_argument("--json", type=Path, default=None, help="also write the results here")
    p.add_argument("--_rss", nargs=3, help=argparse.SUPPRESS)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    if args._rss:
        _rss_child(args._rss[0], float(args._rss[1]), args._rss[2])
        return
    out: dict = {"threads": args.threads, "hop_s": args.hop, "window_s": 0.4,
                 "device": "cpu", "torch": torch.__version__}
    with tempfile.TemporaryDirectory() as d:
        if not args.no_speed:
            out["speed"] = speed(args, Path(d))
        if args.memory:
            out["memory"] = memory(args, Path(d))
    text = json.dumps(out, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
