"""Benchmark of sliding-window detection: exact mode, shared mode and an ANIMAL-SPOT-style loop.

Runs the peers side by side in one process on the same weights (a randomly initialised
ResNet-18, as speed does not depend on the weights) and prints realtime factors (audio seconds
per compute second), ratios and peak memory, then the same as JSON.

* ``speed``: a synthetic recording of ``--seconds`` for the fork's spectrogram config (48 kHz,
  n_fft 2048, hop 1024, 128 bins, 0-4000 Hz) and ANIMAL-SPOT's (44.1 kHz, 4096, 441, 256 bins,
  500-10000 Hz), window 0.4 s, hop 0.05 s. The ANIMAL-SPOT-style loop (cut window, spectrogram,
  normalise, eager network at batch 1) runs on ``--loop-windows`` windows and is scaled.
* ``parts``: each front end alone (audio -> normalised windows, no network: ``cpu``,
  ``torch`` on the CPU, ``torch`` on CUDA when available) and the network alone (random
  inputs, the same batches), in windows per second and x realtime, with the network's GFLOP
  per window and the GFLOP/s it reached: where the network alone is slower than the targets
  ask, the machine, not the pipeline, sets the limit.
* ``ratios`` (printed as a table at the end): exact mode / network alone, exact / the
  ANIMAL-SPOT-style loop, shared / exact, and each front end's speed over the network's.
* ``memory``: peak RSS of exact prediction (fork config) over recordings of ``--hours``, each
  in a fresh subprocess; the benchmark writes the long files itself (PCM_16, in blocks).

Usage::

    python benchmarks/bench_detect.py --seconds 600 --threads 2
    python benchmarks/bench_detect.py --memory --hours 0.5 2 --memory-hop 0.5
    python benchmarks/bench_detect.py --device cuda --batch-size 512 --precision fp32 bf16
    python benchmarks/bench_detect.py --seconds 30 --width 16 --loop-windows 40  # a quick look
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
from alpacaspot.detect._runner import prepare_runner
from alpacaspot.detect.frontends import get_frontend
from alpacaspot.detect.frontends.cpu import single_window
from alpacaspot.detect.inference import recording_grid
from alpacaspot.dsp import SpectrogramConfig
from alpacaspot.dsp.grid import window_grid
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


def make_bundle(name: str, seed: int = 0, width: int = 64) -> ModelBundle:
    torch.manual_seed(seed)
    cfg = SpectrogramConfig(**CONFIGS[name])
    return ModelBundle(build_model(resnet=18, width=width).eval(), cfg, 0.4,
                       ("noise", "target"))


def loop_rate(bundle: ModelBundle, path: Path, hop_s: float, n_windows: int,
              device: str = "cpu") -> float:
    """Windows per second of the per-window, batch-1 path (ANIMAL-SPOT style)."""
    cfg = bundle.spectrogram_config
    x, _ = read_audio(path, end_s=(n_windows * hop_s + bundle.window_s + 1), sr=cfg.sr)
    grid = window_grid(len(x), cfg.sr, window_s=bundle.window_s, hop_s=hop_s)
    starts = grid.starts[:n_windows]
    net = bundle.network.eval().to(device)
    t0 = time.perf_counter()
    with torch.inference_mode():
        for s in starts:
            win = single_window(x[s : s + grid.length], cfg, bundle.window_frames)
            torch.softmax(net(torch.from_numpy(win)[None, None].to(device)), dim=1).cpu()
    net.to("cpu")
    return len(starts) / (time.perf_counter() - t0)


def gflop_per_window(bundle: ModelBundle) -> float:
    from torch.utils.flop_counter import FlopCounterMode

    x = torch.zeros(1, 1, bundle.window_frames, bundle.spectrogram_config.n_freq_bins)
    with FlopCounterMode(display=False) as counter, torch.inference_mode():
        bundle.network.eval()(x)
    return counter.get_total_flops() / 1e9


def frontend_rate(bundle: ModelBundle, path: Path, hop_s: float, batch_size: int,
                  name: str = "cpu", device: str = "cpu") -> float:
    """Windows per second of one front end alone (audio -> normalised windows)."""
    cfg = bundle.spectrogram_config
    grid = recording_grid(path, bundle, hop_s)
    front = get_frontend(name, device=device)
    t0 = time.perf_counter()
    n = 0
    for b in front.batches(path, grid, cfg, bundle.window_frames, batch_size=batch_size):
        n += b.inputs.shape[0]
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return n / (time.perf_counter() - t0)


def frontend_list(device: str) -> list[tuple[str, str]]:
    """(front end, device) pairs to time alone: cpu, torch on the CPU, torch on CUDA."""
    pairs = [("cpu", "cpu"), ("torch", "cpu")]
    if device.startswith("cuda") or torch.cuda.is_available():
        pairs.append(("torch", device if device.startswith("cuda") else "cuda"))
    return pairs


def network_rate(bundle: ModelBundle, batch_size: int, device: str, precision: str,
                 repeats: int = 8) -> float:
    """Windows per second of the prepared network alone, on random inputs."""
    cfg = bundle.spectrogram_config
    rng = np.random.default_rng(0)
    batch = rng.random((batch_size, bundle.window_frames, cfg.n_freq_bins), dtype=np.float32)
    runner = prepare_runner(bundle.network, batch[:8], device=device, precision=precision)
    runner(batch)
    runner(batch)
    t0 = time.perf_counter()
    for _ in range(repeats):
        runner(batch)
    return repeats * batch_size / (time.perf_counter() - t0)


def timed(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t0


def speed(args: argparse.Namespace, tmp: Path) -> dict:
    results = {}
    for name in args.configs:
        bundle = make_bundle(name, width=args.width)
        sr = bundle.spectrogram_config.sr
        wav = write_signal(tmp / f"{name}.wav", args.seconds, sr)
        row: dict[str, float | str] = {"seconds": args.seconds,
                                       "input": f"1x{bundle.window_frames}x"
                                                f"{bundle.spectrogram_config.n_freq_bins}"}
        gflop = gflop_per_window(bundle)
        row["network_gflop_per_window"] = gflop
        dev = args.device
        # warm-up: first-call costs (numba, TorchScript, CUDA context) stay out of the timings
        warm = write_signal(tmp / f"{name}_warm.wav", 20.0, sr, seed=2)
        for precision in args.precision:
            predict_scores(
                bundle, warm, hop_s=args.hop, device=dev, batch_size=args.batch_size,
                precision=precision, bf16_tolerance=1.0, progress=False)
        exact = None
        for precision in args.precision:
            scores, t = timed(predict_scores, bundle, wav, hop_s=args.hop, device=dev,
                              batch_size=args.batch_size, precision=precision,
                              bf16_tolerance=1.0, progress=False)
            tag = "exact" if precision == "fp32" else f"exact_{precision}"
            row[f"{tag}_rtf"] = args.seconds / t
            row[f"{tag}_windows_per_s"] = len(scores) / t
            if exact is None:
                exact = scores
            else:
                row[f"{tag}_max_abs_diff"] = float(
                    np.abs(scores["p_target"] - exact["p_target"]).max())
        if dev.startswith("cuda"):  # exact mode fed by the CPU front end, for comparison
            scores, t = timed(predict_scores, bundle, wav, hop_s=args.hop, device=dev,
                              batch_size=args.batch_size, frontend="cpu", progress=False)
            row["exact_cpu_frontend_rtf"] = args.seconds / t
        for fe, fe_dev in frontend_list(dev):
            frontend_rate(bundle, warm, args.hop, args.batch_size, fe, fe_dev)  # warm-up
            rate = frontend_rate(bundle, wav, args.hop, args.batch_size, fe, fe_dev)
            tag = fe if fe == "cpu" else f"{fe}_{fe_dev.split(':')[0]}"
            row[f"frontend_{tag}_windows_per_s"] = rate
            row[f"frontend_{tag}_rtf"] = rate * args.hop
        for precision in args.precision:
            rate = network_rate(bundle, args.batch_size, dev, precision)
            row[f"network_{precision}_windows_per_s"] = rate
            row[f"network_{precision}_gflop_per_s"] = rate * gflop
        for passes in args.passes:
            shared, t = timed(predict_scores, bundle, wav, hop_s=args.hop, device=dev,
                              mode="shared", shared_passes=passes, progress=False)
            row[f"shared{passes}_rtf"] = args.seconds / t
            row[f"shared{passes}_corr_with_exact"] = float(
                np.corrcoef(shared["p_target"], exact["p_target"])[0, 1])
        rate = loop_rate(bundle, wav, args.hop, args.loop_windows, dev)
        row["animalspot_loop_windows_per_s"] = rate
        row["animalspot_loop_rtf"] = rate * args.hop
        row["exact_vs_loop"] = row["exact_rtf"] / row["animalspot_loop_rtf"]
        for passes in args.passes:
            row[f"shared{passes}_vs_exact"] = row[f"shared{passes}_rtf"] / row["exact_rtf"]
        net = row[f"network_{args.precision[0]}_windows_per_s"]
        row["network_windows_per_s"] = net
        row["network_rtf"] = net * args.hop
        row["exact_vs_network"] = row["exact_windows_per_s"] / net
        results[name] = row
        print(f"[{name}] " + ", ".join(
            f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()),
            flush=True)
    print_ratios(results, args.hop)
    results["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if args.device.startswith("cuda"):
        results["peak_gpu_mb"] = torch.cuda.max_memory_allocated() / 2**20
    return results


def print_ratios(results: dict, hop_s: float) -> None:
    """The ratios that matter, one column per config."""
    names = list(results)
    rows: list[tuple[str, str]] = [
        ("exact / network alone", "exact_vs_network"),
        ("exact / ANIMAL-SPOT-style loop", "exact_vs_loop"),
        *[(f"shared ({k[6:-9]} passes) / exact", k) for k in results[names[0]]
          if k.startswith("shared") and k.endswith("_vs_exact")],
        ("exact (x realtime)", "exact_rtf"),
        ("network alone (windows/s)", "network_windows_per_s"),
        ("network alone (x realtime)", "network_rtf"),
        *[(f"front end {k[9:-14]} alone (windows/s)", k) for k in results[names[0]]
          if k.startswith("frontend_") and k.endswith("_windows_per_s")],
        *[(f"front end {k[9:-4]} alone (x realtime)", k) for k in results[names[0]]
          if k.startswith("frontend_") and k.endswith("_rtf")],
    ]
    width = max(len(label) for label, _ in rows)
    print("\n" + " " * width + "  " + "  ".join(f"{n:>12}" for n in names))
    for label, key in rows:
        cells = [results[n].get(key) for n in names]
        print(f"{label:<{width}}  " + "  ".join(
            f"{c:>12.3g}" if isinstance(c, float) else f"{'-':>12}" for c in cells))
    print(flush=True)


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


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "cpu"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=600.0)
    p.add_argument("--hop", type=float, default=0.05)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--width", type=int, default=64,
                   help="ResNet-18 width (64: ANIMAL-SPOT's; smaller for a quick look)")
    p.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    p.add_argument("--passes", nargs="+", type=int, default=[1, 2])
    p.add_argument("--loop-windows", type=int, default=150)
    p.add_argument("--precision", nargs="+", default=["fp32"], choices=["fp32", "bf16"],
                   help="exact-mode precisions to time (the first is the reference)")
    p.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1 ...")
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
                 "device": args.device, "torch": torch.__version__,
                 "device_name": (torch.cuda.get_device_name(args.device)
                                 if args.device.startswith("cuda") else _cpu_name())}
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
