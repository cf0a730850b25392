"""Training throughput: the data pipeline with and without the feature cache, and whole epochs.

Builds a synthetic dataset variant (harmonic "hums" as ``target``, noise as ``noise``) at the
alpaca fork's settings (48 kHz, n_fft 2048, hop 1024, 128 bins up to 4 kHz, 0.4 s windows),
then measures, side by side in one process:

1. clips/s of the data pipeline alone: WAV -> spectrogram on every access (what ANIMAL-SPOT
   does every epoch) versus the on-disk cache of un-augmented spectrograms, both with
   augmentation and normalisation, and the ratio;
2. one training epoch per network width, split into data time and network time, so that a
   GPU user can see whether the data pipeline would starve the GPU.

Run: ``.venv/bin/python benchmarks/bench_training.py [--clips 400] [--widths 16 32 64]``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader

from alpacaspot.dsp import SpectrogramConfig
from alpacaspot.io import write_audio
from alpacaspot.models import ClipDataset, build_model

SR = 48000


def _make_variant(root: Path, n: int, seed: int = 0) -> tuple[list[str], list[int]]:
    rng = np.random.default_rng(seed)
    clips, labels = [], []
    for i in range(n):
        target = i % 2 == 0
        m = int(rng.uniform(0.1, 0.8) * SR)
        t = np.arange(m) / SR
        x = rng.standard_normal(m) * 0.05
        if target:
            phase = 2 * np.pi * np.cumsum(rng.uniform(200, 500) * (1 + 0.1 * np.sin(3 * t))) / SR
            x += 0.3 * sum(np.sin(k * phase) / k for k in (1, 2, 3)) * np.hanning(m)
        cls = "target" if target else "noise"
        name = f"{cls}-_{i}_2020_tape{i % 7}_{i * 1000}_{i * 1000 + m * 1000 // SR}.wav"
        write_audio(root / name, x.astype(np.float32), SR)
        clips.append(name)
        labels.append(int(target))
    return clips, labels


def _clips_per_s(ds: ClipDataset, passes: int = 1) -> float:
    start = time.perf_counter()
    for epoch in range(passes):
        ds.set_epoch(epoch)
        for i in range(len(ds)):
            ds[i]
    return passes * len(ds) / (time.perf_counter() - start)


def _epoch(ds: ClipDataset, width: int, batch_size: int) -> tuple[float, float, int]:
    """Network seconds, end time and clips of one epoch."""
    torch.manual_seed(0)
    net = build_model(width=width)
    opt = torch.optim.Adam(net.parameters(), lr=1e-4)
    loss_fn = torch.nn.CrossEntropyLoss()
    loader = DataLoader(ds, batch_size=batch_size, shuffle=True,
                        generator=torch.Generator().manual_seed(0))
    t_net = 0.0
    for x, y in loader:
        t1 = time.perf_counter()
        opt.zero_grad()
        loss_fn(net(x), y).backward()
        opt.step()
        t_net += time.perf_counter() - t1
    return t_net, time.perf_counter(), len(ds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=400)
    parser.add_argument("--widths", type=int, nargs="+", default=[16, 32, 64])
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    cfg = SpectrogramConfig(sr=SR, n_fft=2048, hop_length=1024, fmin=0, fmax=4000,
                            n_freq_bins=128)
    frames = cfg.window_frames(0.4)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        clips, labels = _make_variant(root, args.clips)
        print(f"data pipeline, {args.clips} clips of 0.1-0.8 s at 48 kHz, "
              f"{frames} x 128 per example")
        for augment in (False, True):
            plain = ClipDataset(root, clips, labels, cfg, frames, augment=augment)
            cached = ClipDataset(root, clips, labels, cfg, frames, augment=augment,
                                 cache_root=root / "cache")
            _clips_per_s(cached)  # fills the cache (and compiles numba kernels)
            uncached = _clips_per_s(plain)
            warm = _clips_per_s(cached, passes=2)
            print(f"  augment={augment!s:5}: no cache (WAV + STFT every access) "
                  f"{uncached:7.0f} clips/s; feature cache {warm:7.0f} clips/s; "
                  f"ratio {warm / uncached:.1f}x")
        _epoch(cached, args.widths[0], args.batch_size)  # warm-up: lazy imports, allocator
        print(f"training epoch, batch {args.batch_size}, {args.threads} torch threads, CPU")
        for width in args.widths:
            for name, ds in (("cache", cached), ("no cache", plain)):
                start = time.perf_counter()
                t_net, end, n = _epoch(ds, width, args.batch_size)
                total = end - start
                t_data = total - t_net
                print(f"  width {width:3d} {name:9s}: {n / total:7.0f} clips/s  "
                      f"data {t_data:6.2f} s ({100 * t_data / total:4.1f}%)  "
                      f"network {t_net:6.2f} s ({n / t_net:7.0f} clips/s)")


if __name__ == "__main__":
    main()
