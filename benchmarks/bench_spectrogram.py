"""Spectrogram front end: alpacaspot against torch.stft, librosa, scipy and a per-window loop.

Every peer computes the same front end (pre-emphasis, periodic-Hann STFT without centring,
scaled power, ANIMAL-SPOT's linear compression to 256 bins, dB, min-max normalisation) of the
same white-noise signal, in this one process, and the script prints realtime factors (audio
seconds per compute second), the peak extra resident memory of each run, and each peer's
speed relative to alpacaspot. The per-window peers compute every 0.4 s window at a 0.05 s hop
on its own: ANIMAL-SPOT's way (torch, one window at a time) and alpacaspot's
``window_spectrograms`` (all windows in one vectorised pass, batches of 256 windows).

It also measures the first-call cost of the numba kernels in a fresh process, with an empty
and with a warm on-disk cache.

Run: ``python benchmarks/bench_spectrogram.py [--seconds 600] [--repeats 3]``. Results go to
``benchmarks/results/bench_spectrogram.json``.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from alpacaspot._atomic import atomic_write_text

SR = 44100
N_BINS = 256
FMIN, FMAX = 500.0, 10000.0
SEQ_S, HOP_S = 0.4, 0.05
THREADS = 2


def _pin_malloc() -> None:
    """Fixed mmap threshold: freed large blocks go back to the OS, so peaks are comparable."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 128 * 1024)  # M_MMAP_THRESHOLD
    except OSError:  # pragma: no cover - non-glibc
        pass


def _mem() -> dict[str, int]:
    out = {}
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(("VmRSS", "VmHWM")):
                key, value = line.split(":")
                out[key] = int(value.split()[0]) * 1024
    return out


def _reset_peak() -> int:
    gc.collect()
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass
    return _mem()["VmRSS"]


def _measure(fn: Callable[[], object], repeats: int, *, warmup: bool = True) -> tuple[float, float]:
    """Median seconds of ``repeats`` runs (after one warm-up) and peak extra RSS in MB."""
    if warmup:
        fn()
    times = []
    base = _reset_peak()
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    peak = _mem()["VmHWM"] - base
    return statistics.median(times), peak / 2**20


def _bins(n_fft: int) -> tuple[int, int, np.ndarray]:
    n = 2 * (n_fft // 2)
    lo = max(0, math.floor(n * FMIN / SR))
    hi = min(n - 1, math.ceil(n * FMAX / SR))
    scale = np.float32(hi - lo) / np.float32(N_BINS)
    idx = np.minimum(np.floor(np.arange(N_BINS, dtype=np.float32) * scale).astype(np.int64),
                     hi - lo - 1)
    return lo, hi, idx


def _numpy_tail(power: np.ndarray, n_fft: int, wsum: float) -> np.ndarray:
    """Frames x bins power -> compressed, dB, min-max (numpy), as each peer finishes."""
    lo, hi, idx = _bins(n_fft)
    p = power[:, lo:hi][:, idx] / wsum
    db = 10 * np.log10(np.maximum(p, 1e-10))
    return (db - db.min()) / (db.max() - db.min())


def peers(x: np.ndarray, n_fft: int, hop: int) -> dict[str, Callable[[], object]]:
    import librosa
    import scipy.fft
    import scipy.signal
    import torch

    from alpacaspot.dsp import SpectrogramConfig, normalize, spectrogram, window_spectrograms

    torch.set_num_threads(THREADS)
    cfg = SpectrogramConfig(sr=SR, n_fft=n_fft, hop_length=hop, fmin=FMIN, fmax=FMAX,
                            n_freq_bins=N_BINS)
    win = scipy.signal.get_window("hann", n_fft).astype(np.float32)
    wsum = float(np.sum(win.astype(np.float64) ** 2))
    lo, hi, idx = _bins(n_fft)
    t_idx = torch.from_numpy(idx + lo)
    t_win = torch.hann_window(n_fft)

    def pre(y: np.ndarray) -> np.ndarray:
        return np.concatenate([y[:1], y[1:] - np.float32(0.98) * y[:-1]])

    def ours() -> object:
        s = spectrogram(x, cfg, workers=THREADS)
        return normalize(s, cfg, out=s)

    def torch_stft() -> object:
        with torch.inference_mode():
            y = torch.from_numpy(x)
            y = torch.cat((y[:1], y[1:] - 0.98 * y[:-1]))
            s = torch.stft(y, n_fft, hop, window=t_win, center=False, onesided=True,
                           return_complex=True)
            p = (s.real.square() + s.imag.square()).T / wsum
            db = 10 * torch.log10(torch.clamp(p.index_select(1, t_idx), min=1e-10))
            return ((db - db.min()) / (db.max() - db.min())).numpy()

    def librosa_stft() -> object:
        s = librosa.stft(pre(x), n_fft=n_fft, hop_length=hop, window="hann", center=False)
        return _numpy_tail((s.real**2 + s.imag**2).T, n_fft, wsum)

    sft = scipy.signal.ShortTimeFFT(win, hop=hop, fs=SR, fft_mode="onesided",
                                    phase_shift=None)
    p0 = sft.m_num_mid // hop if sft.m_num_mid % hop == 0 else None

    def scipy_stft() -> object:
        y = pre(x)
        n_frames = 1 + (len(y) - n_fft) // hop
        with scipy.fft.set_workers(THREADS):
            if p0 is not None:
                s = sft.stft(y, p0=p0, p1=p0 + n_frames)
            else:  # shift the signal so slice centres fall on the frame grid
                shift = (-sft.m_num_mid) % hop
                q0 = (sft.m_num_mid + shift) // hop
                s = sft.stft(np.concatenate([np.zeros(shift, y.dtype), y]), p0=q0,
                             p1=q0 + n_frames)
        return _numpy_tail((s.real**2 + s.imag**2).T, n_fft, wsum)

    length, step = math.ceil(SEQ_S * SR), math.ceil(HOP_S * SR)
    n_windows = max(math.ceil((len(x) + 1 - length) / step), 1)

    def animalspot_loop() -> object:
        import torch.nn.functional as functional

        last = None
        with torch.inference_mode():
            xt = torch.from_numpy(x)
            for i in range(n_windows):
                y = xt[i * step : i * step + length][None]
                y = torch.cat((y[:, :1], y[:, 1:] - 0.98 * y[:, :-1]), dim=-1)
                s = torch.stft(y, n_fft, hop, window=t_win, center=False, onesided=True,
                               return_complex=True).transpose(1, 2)
                s = (s / t_win.pow(2).sum().sqrt()).abs().pow(2)
                s = functional.interpolate(s[:, :, lo:hi].unsqueeze(0),
                                           size=(s.size(1), N_BINS), mode="nearest")
                db = 10 * torch.log10(torch.clamp(s, min=1e-10))
                db -= db.min()
                last = db / db.max()
        return last

    def ours_windows() -> object:
        last = None
        for start in range(0, n_windows, 256):
            w = window_spectrograms(x, cfg, window_s=SEQ_S, hop_s=HOP_S, start=start,
                                    count=min(256, n_windows - start), workers=THREADS)
            last = normalize(w, cfg, out=w)
        return last

    return {
        "alpacaspot": ours,
        "torch.stft": torch_stft,
        "librosa.stft": librosa_stft,
        "scipy.ShortTimeFFT": scipy_stft,
        "alpacaspot window_spectrograms (per window)": ours_windows,
        "ANIMAL-SPOT-style per-window loop": animalspot_loop,
    }


def jit_first_call() -> dict[str, float]:
    """Seconds for import + first spectrogram in a fresh process, cold and warm disk cache."""
    code = (
        "import time; t = time.perf_counter()\n"
        "import numpy as np\n"
        "from alpacaspot.dsp import SpectrogramConfig, spectrogram, normalize, "
        "window_spectrograms\n"
        "c = SpectrogramConfig(sr=44100, n_fft=2048, hop_length=1024, fmin=500, fmax=10000,"
        " n_freq_bins=256)\n"
        "x = np.zeros(44100, 'float32')\n"
        "normalize(window_spectrograms(x, c, window_s=0.4, hop_s=0.05), c)\n"
        "print(time.perf_counter() - t)\n"
    )
    out = {}
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        for label in ("cold_cache_s", "warm_cache_s"):
            res = subprocess.run([sys.executable, "-c", code], env=env, check=True,
                                 capture_output=True, text=True)
            out[label] = float(res.stdout.strip().splitlines()[-1])
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-loop", action="store_true",
                        help="skip the slow ANIMAL-SPOT-style per-window loop")
    parser.add_argument("--out", type=Path,
                        default=Path(__file__).parent / "results" / "bench_spectrogram.json")
    args = parser.parse_args(argv)
    _pin_malloc()
    os.environ.setdefault("NUMBA_NUM_THREADS", str(THREADS))
    x = np.random.default_rng(0).standard_normal(int(args.seconds * SR)).astype(np.float32)
    results: dict[str, object] = {
        "signal": {"seconds": args.seconds, "sr": SR, "bins": N_BINS, "fmin": FMIN,
                   "fmax": FMAX, "window_s": SEQ_S, "hop_s": HOP_S},
        "machine": {"cpus": os.cpu_count(), "threads": THREADS,
                    "processor": platform.processor() or platform.machine(),
                    "load_avg_at_start": os.getloadavg()[0]},
        "configs": {},
    }
    for n_fft, hop in [(2048, 1024), (4096, 441)]:
        rows = {}
        for name, fn in peers(x, n_fft, hop).items():
            if args.skip_loop and name.startswith("ANIMAL-SPOT"):
                continue
            slow = name.startswith("ANIMAL-SPOT")  # torch is warm from the torch.stft peer
            sec, peak = _measure(fn, 1 if slow else args.repeats, warmup=not slow)
            rows[name] = {"seconds": sec, "realtime": args.seconds / sec, "peak_mb": peak}
        base = rows["alpacaspot"]["seconds"]
        print(f"\n== n_fft {n_fft} / hop {hop}: {args.seconds:g} s of {SR} Hz audio ==")
        print(f"{'pipeline':46s} {'realtime':>10s} {'peak MB':>9s} {'alpacaspot x':>13s}")
        for name, row in rows.items():
            row["alpacaspot_speedup"] = row["seconds"] / base
            print(f"{name:46s} {row['realtime']:9.0f}x {row['peak_mb']:9.1f} "
                  f"{row['alpacaspot_speedup']:12.2f}x")
        results["configs"][f"{n_fft}_{hop}"] = rows
    results["jit_first_call"] = jit_first_call()
    print(f"\nfirst call (import + compile/load kernels): {results['jit_first_call']}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(args.out, json.dumps(results, indent=2, sort_keys=True) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
