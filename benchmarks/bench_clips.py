"""Clip extraction: clips per second and peak memory, peers side by side in one process.

Writes a corpus of long recordings (default 10 h as 10 one-hour files at 16 kHz; noise is
enough, since only reading and writing frames is measured) and a clips table of short clips
(0.1..0.8 s, about 18 per minute of audio, like hums plus their noise clips), then cuts the
clips with:

- ``alpacaspot``: :func:`alpacaspot.data.clips.extract_clips` (seek + read only the clip's
  frames, threads), with 2 workers and with 1;
- ``whole-file``: the fork's way, loading each whole recording with ``soundfile.read`` and
  slicing it (memory grows with the recording's length);
- ``librosa.load``: one ``librosa.load(path, sr=None, offset=, duration=)`` per clip.

Peak memory is the tracemalloc peak of the Python process's own allocations (numpy arrays
included) during each run. Run: ``python benchmarks/bench_clips.py [--hours 10] [--sr 16000]
[--peer-clips 1500]``.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile as sf

from alpacaspot.data.clips import extract_clips


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
        for j, (b, d) in enumerate(zip(begins, lengths)):
            rows.append(dict(clip=f"c{i:02d}_{j:05d}.wav", recording=rec,
                             begin_s=round(b, 3), end_s=round(b + d, 3)))
    return pd.DataFrame(rows)


def whole_file(root: Path, clips: pd.DataFrame, out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    n = 0
    for rec, grp in clips.groupby("recording", sort=True):
        data, sr = sf.read(root / rec, dtype="float32")
        for c, b, e in zip(grp["clip"], grp["begin_s"], grp["end_s"]):
            sf.write(out / c, data[int(round(b * sr)) : int(round(e * sr))], sr,
                     subtype="PCM_16")
            n += 1
    return n


def librosa_per_clip(root: Path, clips: pd.DataFrame, out: Path) -> int:
    import librosa

    out.mkdir(parents=True, exist_ok=True)
    for c, rec, b, e in zip(clips["clip"], clips["recording"], clips["begin_s"], clips["end_s"]):
        y, sr = librosa.load(root / rec, sr=None, offset=b, duration=e - b)
        sf.write(out / c, y, sr, subtype="PCM_16")
    return len(clips)


def measure(name: str, fn: Callable[[], int]) -> tuple[float, float]:
    tracemalloc.start()
    t = time.perf_counter()
    n = fn()
    dt = time.perf_counter() - t
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rate = n / dt
    print(f"{name:28s} {n:7d} clips {dt:8.2f} s {rate:9.0f} clips/s  peak {peak / 2**20:8.1f} MB")
    return rate, peak


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hours", type=float, default=10.0)
    ap.add_argument("--files", type=int, default=10)
    ap.add_argument("--sr", type=int, default=16000)
    ap.add_argument("--peer-clips", type=int, default=1500,
                    help="clips given to the slow peers (a prefix of the table)")
    ap.add_argument("--workdir", default=None)
    args = ap.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="bench_clips_"))
    try:
        t = time.perf_counter()
        clips = make_corpus(work / "corpus", hours=args.hours, n_files=args.files, sr=args.sr,
                            seed=0)
        print(f"corpus: {args.hours:g} h in {args.files} files at {args.sr} Hz, "
              f"{len(clips)} clips (written in {time.perf_counter() - t:.1f} s)")
        root = work / "corpus"
        ours2, mem2 = measure("alpacaspot, 2 workers",
                              lambda: extract_clips(root, clips, work / "o2", workers=2))
        ours1, _ = measure("alpacaspot, 1 worker",
                           lambda: extract_clips(root, clips, work / "o1", workers=1))
        # the peers on recordings of the same length (a prefix of the table)
        first = clips[clips["recording"] == clips["recording"].iloc[0]]
        sub = first.iloc[: args.peer_clips]
        ours_sub, mem_sub = measure("alpacaspot, 1 worker, 1 file",
                                    lambda: extract_clips(root, sub, work / "o3", workers=1))
        whole, mem_whole = measure("whole-file load, 1 file", lambda: whole_file(root, sub,
                                                                                work / "w"))
        lib, _ = measure("librosa.load per clip", lambda: librosa_per_clip(root, sub, work / "l"))
        print(f"ratios: 2 workers / 1 worker {ours2 / ours1:.2f}x; on one file: ours / whole-file "
              f"{ours_sub / whole:.2f}x, ours / librosa {ours_sub / lib:.2f}x; peak memory "
              f"whole-file / ours {mem_whole / max(mem_sub, 1):.0f}x (ours over all {args.hours:g}"
              f" h: {mem2 / 2**20:.1f} MB)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
