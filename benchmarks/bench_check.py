"""Cost of the pre-run corpus check, peers side by side in one process; prints ratios.

The check compares a corpus index with the audio on disk. Peers, on the same corpus:

1. ``stat``: the index records each file's size and mtime; the check only stats files.
2. ``header``: the index holds sample rate, channels and frames only; the check reads each
   file's header (:func:`alpacaspot.io.audio_info`).
3. ``full read``: the naive alternative, decoding every recording (``soundfile.read``) to be
   sure it is intact.

It also times ``alpacaspot clean``'s planning (listing and sizing, no links followed) against
``du -sb`` on the same benchmark tree.

    .venv/bin/python benchmarks/bench_check.py [--recordings 100] [--seconds 30]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile as sf

from alpacaspot.io import write_audio, write_table
from alpacaspot.pipeline.check import _Collector
from alpacaspot.pipeline.check_data import check_corpus
from alpacaspot.pipeline.clean import plan_clean

SR = 16000


def _corpus(root: Path, n: int, seconds: float) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    x = (0.1 * rng.standard_normal(int(seconds * SR))).astype(np.float32)
    rows = []
    for i in range(n):
        rel = f"tape{i % 10:02d}/rec{i:04d}.wav"
        write_audio(root / rel, x, SR)
        st = (root / rel).stat()
        rows.append({"recording": rel, "tape": f"tape{i % 10:02d}", "year": 2020,
                     "sample_rate": SR, "channels": 1, "frames": len(x),
                     "duration_s": len(x) / SR, "size_bytes": st.st_size,
                     "mtime_ns": st.st_mtime_ns})
    recs = pd.DataFrame(rows)
    write_table(pd.DataFrame({"recording": [recs["recording"][0]], "begin_s": [0.0],
                              "end_s": [0.1]}), root / "corpus_index.parquet", schema="events")
    (root / "corpus_index.json").write_text("{}")
    return recs


def _best(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def _check(root: Path) -> None:
    sink = _Collector()
    check_corpus(sink, "benchmark", root)
    assert not [p for p in sink.problems if p.severity == "error"], sink.problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recordings", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    try:
        root = tmp / "corpus"
        recs = _corpus(root, args.recordings, args.seconds)
        stat_root = tmp / "corpus_stat"
        shutil.copytree(root, stat_root, copy_function=shutil.copy2)
        write_table(recs, stat_root / "corpus_recordings.parquet", schema="recordings")
        write_table(recs.drop(columns=["size_bytes", "mtime_ns"]),
                    root / "corpus_recordings.parquet", schema="recordings")

        t_stat = _best(lambda: _check(stat_root), args.repeats)
        t_header = _best(lambda: _check(root), args.repeats)
        t_full = _best(lambda: [sf.read(root / r) for r in recs["recording"]], args.repeats)
        hours = args.recordings * args.seconds / 3600
        print(f"corpus check, {args.recordings} recordings, {hours:.2f} h of audio:")
        print(f"  stat (size+mtime)  {t_stat * 1000:8.1f} ms")
        print(f"  header reads       {t_header * 1000:8.1f} ms")
        print(f"  full read (peer)   {t_full * 1000:8.1f} ms")
        print(f"  full read / header = {t_full / t_header:.1f}x, "
              f"full read / stat = {t_full / t_stat:.1f}x")

        bench = tmp / "pipe" / "BENCHMARK"
        for m in range(4):
            for t in range(10):
                d = bench / "runs" / f"v{m}" / "scores" / f"len400_hop{t:03d}"
                d.mkdir(parents=True)
                for r in range(50):
                    (d / f"rec{r}.wav.parquet").write_bytes(b"x" * 1000)
        t_plan = _best(lambda: plan_clean(tmp / "pipe"), args.repeats)
        du = shutil.which("du")
        if du is not None:
            t_du = _best(lambda: subprocess.run([du, "-sb", str(bench)], capture_output=True,
                                                check=True), args.repeats)
            print(f"clean plan of 2000 files: {t_plan * 1000:.1f} ms, du -sb {t_du * 1000:.1f} "
                  f"ms, ratio plan/du = {t_plan / t_du:.1f}x")
        else:
            print(f"clean plan of 2000 files: {t_plan * 1000:.1f} ms")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
