"""Benchmark of alpacaspot.io against its peers, run side by side in one process.

1. Cutting 1 s out of a long recording: ``read_audio`` (seek) versus a whole-file
   ``soundfile.read`` + slice and ``librosa.load(offset=, duration=)``.
2. Resampling 48 kHz -> 44.1 kHz: ``read_audio(sr=)`` (polyphase) versus ``librosa.load(sr=)``
   (soxr) and ``scipy.signal.resample`` (FFT).
3. Reading a real 853-row Raven table: ``read_raven`` versus ``pandas.read_csv``.

Usage: ``python benchmarks/bench_io.py [--minutes 20] [--repeats 5]``. Prints medians and the
ratio of each peer's time to alpacaspot's (above 1: alpacaspot is faster).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile as sf
from scipy.signal import resample

from alpacaspot.io import read_audio, read_raven, write_audio

REAL_TABLE = (
    Path(__file__).resolve().parents[1] / "tests/data/real/RR48_2013_D151.ABW.selections.txt"
)


def _median_s(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _peak_mb(fn) -> float:
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 1e6


def _report(
    title: str,
    ours: tuple[str, object],
    peers: list[tuple[str, object]],
    repeats: int,
    memory: bool = False,
) -> None:
    print(f"\n{title}")
    base = _median_s(ours[1], repeats)
    extra = f", peak {_peak_mb(ours[1]):.1f} MB" if memory else ""
    print(f"  {ours[0]:<38s} {base * 1e3:9.2f} ms{extra}")
    for name, fn in peers:
        t = _median_s(fn, repeats)
        extra = f", peak {_peak_mb(fn):.1f} MB" if memory else ""
        print(f"  {name:<38s} {t * 1e3:9.2f} ms  ({t / base:6.1f}x alpacaspot's time){extra}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=20.0, help="length of the long file")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    import librosa  # only the benchmark needs it

    sr = 48000
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        long_wav = Path(tmp) / "long.wav"
        n = int(args.minutes * 60 * sr)
        write_audio(long_wav, 0.1 * rng.standard_normal(n).clip(-9, 9) / 9, sr)
        mid = args.minutes * 30.0
        _report(
            f"1 s span from the middle of a {args.minutes:g} min 48 kHz file",
            (
                "read_audio(start_s, end_s)",
                lambda: read_audio(long_wav, start_s=mid, end_s=mid + 1),
            ),
            [
                (
                    "soundfile.read whole + slice",
                    lambda: sf.read(long_wav, dtype="float32")[0][
                        int(mid * sr) : int((mid + 1) * sr)
                    ],
                ),
                (
                    "librosa.load(offset, duration)",
                    lambda: librosa.load(long_wav, sr=None, offset=mid, duration=1.0),
                ),
            ],
            args.repeats,
            memory=True,
        )
        short = Path(tmp) / "short.wav"
        write_audio(short, 0.1 * rng.standard_normal(60 * sr).clip(-9, 9) / 9, sr)
        x = sf.read(short, dtype="float32")[0]
        _report(
            "60 s at 48 kHz resampled to 44.1 kHz (read included)",
            ("read_audio(sr=44100) polyphase", lambda: read_audio(short, sr=44100)),
            [
                ("librosa.load(sr=44100) soxr_hq", lambda: librosa.load(short, sr=44100)),
                (
                    "soundfile + scipy.signal.resample (FFT)",
                    lambda: resample(sf.read(short, dtype="float32")[0], len(x) * 147 // 160),
                ),
            ],
            args.repeats,
        )
    _report(
        "real Raven table, 853 selections",
        ("read_raven (validated events table)", lambda: read_raven(REAL_TABLE)),
        [
            (
                "pandas.read_csv(sep='\\t') (raw, unchecked)",
                lambda: pd.read_csv(REAL_TABLE, sep="\t"),
            )
        ],
        args.repeats,
    )


if __name__ == "__main__":
    main()
