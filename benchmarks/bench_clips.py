"""Clip extraction: clips per second and peak memory, peers side by side in one process.

Writes a corpus of long recordings (default 10 h as 10 one-hour files at 16 kHz; noise is
enough, since only reading and writing frames is measured) and a clips table of short clips
(0.1..0.8 s, about 18 per minute of audio, like hums plus their noise clips), then cuts the
clips with:

- ``alpacaspot``: :func:`alpacaspot.data.clips.extract_clips` (seek + read only the clip's
  frames), with 1 worker, 2 threads and 2 processes (start-up included);
- ``whole-file``: the fork's way, loading each whole recording with ``soundfile.read`` and
  slicing it (memory grows with the recording's length);
- ``librosa.load``: one ``librosa.load(path, sr=None, offset=, duration=)`` per clip.

Peak memory is the tracemalloc peak of the Python process's own allocations (numpy arrays
included) during each run. Also timed: CPU seconds to compose one 3-minute 48 kHz synthetic
tape (:func:`alpacaspot.data.synthetic.compose_tape`). Results go to
``benchmarks/results/bench_clips.json``. Run: ``python benchmarks/bench_clips.py [--hours 10]
[--sr 16000] [--peer-clips 1500]``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile as sf

from alpacaspot._atomic import atomic_write_text
from alpacaspot.data.clips import extract_clips
from alpacaspot.data.synthetic import DIFFICULTIES, TapeStyle, compose_tape


def make_corpus(root: Path, *, hours: float, n_files: int, sr: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    per_file = hours * 3600.0 / n_files
    rows = []
    for i in range(n_files):
        rec = f"tape{i:02d}/rec_2020{i + 1:02d}01.wav"
        path = root / rec
        path.parent.mkdir(parents=True, exist_ok=True)
        with sf.SoundFile(path, "w", samplerate=sr, channels=1, subtype="PCM_16") as fh:
            left = int(per_file * sr)
            while left > 0:
                n = min(left, sr * 60)
                fh.write((0.1 * rng.standard_normal(n)).astype(np.float32))
                left -= n
        n_clips = int(per_file / 60.0 * 18)
        begins = np.sort(rng.uniform(0.0, per_file - 1.0, n_clips))
        lengths = rng.uniform(0.1, 0.8, n_clips)
        for j, (b, d) in enumerate(zip(begins, lengths, strict=False)):
            rows.append(dict(clip=f"c{i:02d}_{j:05d}.wav", recording=rec,
                             begin_s=round(b, 3), end_s=round(b + d, 3)))
    return pd.DataFrame(rows)


def whole_file(root: Path, clips: pd.DataFrame, out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    n = 0
    for rec, grp in clips.groupby("recording", sort=True):
        data, sr = sf.read(root / rec, dtype="float32")
        for c, b, e in zip(grp["clip"], grp["begin_s"], grp["end_s"], strict=False):
            sf.write(out / c, data[int(round(b * sr)) : int(round(e * sr))], sr,
                     subtype="PCM_16")
            n += 1
    return n


def librosa_per_clip(root: Path, clips: pd.DataFrame, out: Path) -> int:
    import librosa

    out.mkdir(parents=True, exist_ok=True)
    cols = [clips[k] for k in ("clip", "recording", "begin_s", "end_s")]
    for c, rec, b, e in zip(*cols, strict=True):
        y, sr = librosa.load(root / rec, sr=None, offset=b, duration=e - b)
        sf.write(out / c, y, sr, subtype="PCM_16")
    return len(clips)


def measure(name: str, fn: Callable[[], int]) -> float:
    """Clips per second (no tracing: tracemalloc slows every allocation down)."""
    t = time.perf_counter()
    n = fn()
    dt = time.perf_counter() - t
    print(f"{name:30s} {n:7d} clips {dt:8.2f} s {n / dt:9.0f} clips/s")
    return n / dt


def peak_mb(fn: Callable[[], int]) -> float:
    """tracemalloc peak (MB) of the Python process's own allocations, numpy included."""
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def synthetic_cpu_s(n: int = 5) -> list[float]:
    """CPU seconds to compose each of ``n`` 3-minute 48 kHz medium tapes."""
    out = []
    for seed in range(n):
        rng = np.random.default_rng(seed)
        t = time.process_time()
        compose_tape(rng, sr=48000, duration_s=180.0, style=TapeStyle.draw(rng),
                     difficulty=DIFFICULTIES["medium"])
        out.append(time.process_time() - t)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hours", type=float, default=10.0)
    ap.add_argument("--files", type=int, default=10)
    ap.add_argument("--sr", type=int, default=16000)
    ap.add_argument("--peer-clips", type=int, default=1500,
                    help="clips given to the slow peers (a prefix of the table)")
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--out", type=Path,
                    default=Path(__file__).parent / "results" / "bench_clips.json")
    args = ap.parse_args()
    cpu = synthetic_cpu_s()
    print(f"synthetic 3-min 48 kHz tape: median {float(np.median(cpu)):.2f} s CPU "
          f"(runs: {', '.join(f'{c:.2f}' for c in cpu)})")
    work = Path(args.workdir or tempfile.mkdtemp(prefix="bench_clips_"))
    try:
        t = time.perf_counter()
        clips = make_corpus(work / "corpus", hours=args.hours, n_files=args.files, sr=args.sr,
                            seed=0)
        print(f"corpus: {args.hours:g} h in {args.files} files at {args.sr} Hz, "
              f"{len(clips)} clips (written in {time.perf_counter() - t:.1f} s)")
        root = work / "corpus"
        for p in sorted(root.rglob("*.wav")):  # same page-cache state for every peer
            with open(p, "rb") as fh:
                while fh.read(1 << 24):
                    pass
        ours1 = measure("alpacaspot, 1 worker",
                        lambda: extract_clips(root, clips, work / "o1", workers=1))
        threads = measure("alpacaspot, 2 threads", lambda: extract_clips(
            root, clips, work / "o2", workers=2, executor="threads"))
        procs = measure("alpacaspot, 2 processes", lambda: extract_clips(
            root, clips, work / "o4", workers=2, executor="processes"))
        ours2 = max(threads, procs)
        # the peers on one recording (a prefix of the table)
        first = clips[clips["recording"] == clips["recording"].iloc[0]]
        sub = first.iloc[: args.peer_clips]
        ours_sub = measure("alpacaspot, 1 worker, 1 file",
                           lambda: extract_clips(root, sub, work / "o3", workers=1))
        whole = measure("whole-file load, 1 file", lambda: whole_file(root, sub, work / "w"))
        lib = measure("librosa.load per clip, 1 file",
                      lambda: librosa_per_clip(root, sub, work / "l"))
        mem_all = peak_mb(lambda: extract_clips(root, clips, work / "m1", workers=1))
        mem_sub = peak_mb(lambda: extract_clips(root, sub, work / "m2", workers=1))
        mem_whole = peak_mb(lambda: whole_file(root, sub, work / "m3"))
        print(f"peak memory: alpacaspot {mem_all:.1f} MB over all {args.hours:g} h, "
              f"{mem_sub:.1f} MB on one file; whole-file load {mem_whole:.1f} MB on one file")
        print(f"ratios: 2 workers / 1 worker {ours2 / ours1:.2f}x; on one file: ours / "
              f"whole-file {ours_sub / whole:.2f}x, ours / librosa {ours_sub / lib:.2f}x; "
              f"memory whole-file / ours {mem_whole / max(mem_sub, 1e-3):.0f}x")
        results = {
            "corpus": {"hours": args.hours, "files": args.files, "sr": args.sr,
                       "clips": int(len(clips))},
            "clips_per_s": {"alpacaspot_1_worker": ours1, "alpacaspot_2_threads": threads,
                            "alpacaspot_2_processes": procs, "alpacaspot_1_file": ours_sub,
                            "whole_file_1_file": whole, "librosa_per_clip_1_file": lib},
            "peak_mb": {"alpacaspot_all": mem_all, "alpacaspot_1_file": mem_sub,
                        "whole_file_1_file": mem_whole},
            "synthetic_tape_3min_48k_cpu_s": cpu,
        }
        atomic_write_text(args.out, json.dumps(results, indent=2, sort_keys=True) + "\n")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
