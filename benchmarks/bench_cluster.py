"""Job-array overheads and savings, peers side by side in one process; prints ratios.

1. LocalExecutor task overhead against a bare ``subprocess.run(["bash", "-c", cmd])`` loop.
2. A re-run of a finished array (every task skips on its done marker) against the first run.
3. Prediction tasks planned by the benchmark factory (one per model x (seq_len, hop)) against
   the seed's plan (one GPU run per model x variant) for a threshold sweep.

    .venv/bin/python benchmarks/bench_cluster.py [--tasks 8] [--work-s 0.5]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from alpacaspot.cluster import JobArray, LocalExecutor
from alpacaspot.pipeline import benchmark_factory
from alpacaspot.pipeline.launchers import wrapped_command


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=8)
    parser.add_argument("--work-s", type=float, default=0.5, help="seconds of work per task")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())

    # 1. overhead per task
    t0 = time.perf_counter()
    for i in range(args.tasks):
        subprocess.run(["bash", "-c", f"echo {i} > /dev/null"], check=True)
    bare = time.perf_counter() - t0
    arr = JobArray("overhead", [f"echo {i} > /dev/null" for i in range(args.tasks)],
                   log_dir=tmp / "logs")
    t0 = time.perf_counter()
    LocalExecutor().submit(arr)
    local = time.perf_counter() - t0
    print(f"task overhead: bare bash {bare / args.tasks * 1e3:.1f} ms/task, LocalExecutor "
          f"{local / args.tasks * 1e3:.1f} ms/task (ratio {local / bare:.2f}x)")

    # 2. re-run of a finished array
    cmds = [wrapped_command(sys.executable, ["bash", "-c", f"sleep {args.work_s}"],
                            output=tmp / f"out{i}") for i in range(args.tasks)]
    arr = JobArray("markers", cmds, log_dir=tmp / "logs", max_concurrent=2)
    ex = LocalExecutor()
    t0 = time.perf_counter()
    ex.submit(arr)
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    ex.submit(arr)
    again = time.perf_counter() - t0
    print(f"re-run of a finished array: first {first:.2f} s, re-run {again:.2f} s "
          f"(first/re-run {first / again:.1f}x; re-run cost is the Python start per task)")

    # 3. prediction tasks planned for a threshold sweep
    thresholds = [round(0.5 + 0.01 * i, 2) for i in range(50)]
    variants = [{"seq_len": 0.4, "hop": h, "threshold": t} for h in (0.05, 0.1)
                for t in thresholds]
    corpus = tmp / "corpus"
    corpus.mkdir()
    models = {f"m{i}": tmp / f"m{i}.pt" for i in range(3)}
    t0 = time.perf_counter()
    plan = benchmark_factory(corpus, variants, root=tmp, models=models)
    took = time.perf_counter() - t0
    ours = sum(a.n_tasks for a in plan.predict_arrays.values())
    seed = len(models) * len(variants)
    print(f"prediction runs for {len(models)} models x {len(variants)} variants: seed plan "
          f"{seed}, ours {ours} (ratio {seed / ours:.0f}x fewer GPU runs); factory took "
          f"{took:.2f} s for {seed * 2} cfgs")


if __name__ == "__main__":
    main()
