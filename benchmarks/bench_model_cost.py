"""Model cost against detection quality: which network a laptop user should train.

Trains the demo's windows recipe (dataset strategy ``windows``, 0.4 s windows, calibrated on
the tapes the dataset held out from training, as the pipeline does) at several ResNet widths
and depths, and with ANIMAL-SPOT's ``max_pool=1`` (3x3/2 max pooling after the first
convolution, which quarters the work of every later stage), through the real pipeline
(:func:`alpacaspot.pipeline.run.run_pipeline`) on the demo corpus. It then reports, per model:

* event F1 (IoU >= 0.4) on the unseen benchmark tapes at the operating point stored in the
  model (chosen on held-out training-corpus tapes, never on the benchmark), and the
  best-threshold F1 beside it (chosen on the benchmark itself: an optimistic ceiling, not a result);
* the network's GFLOP per window and exact-mode prediction speed on this machine (windows/s
  and x realtime at a 0.05 s hop, ``--threads`` CPU threads), all models timed in this one
  process on the same recording;
* whether the model is on the Pareto front (no other model is both faster and better) and
  which is the fastest model within ``--tolerance`` of the best operating-point F1: the
  candidate for the demo's default.

Every model is trained once per seed with the same data, so differences between widths are
of the same order as the seed spread (about 0.04 F1 on this corpus): use ``--seeds 1 2 3``
before acting on a difference under that. Re-running skips trained models and finished steps.

Usage::

    python benchmarks/bench_model_cost.py --out /tmp/model_cost            # demo's full budget
    python benchmarks/bench_model_cost.py --out /tmp/mc --budget small --configs w8 w8p1
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

import pandas as pd
import torch

from alpacaspot.detect import predict_scores
from alpacaspot.io import audio_info
from alpacaspot.models import ModelBundle, load_model
from alpacaspot.pipeline.demo import demo_spec
from alpacaspot.pipeline.run import PipelineSpec, run_pipeline

#: Network settings per configuration name: ResNet depth, width, ANIMAL-SPOT's max_pool; names
#: ending in ``f`` train with the field-audio augmentation (``augment_policy="field"``).
CONFIGS: dict[str, dict[str, int]] = {
    "w8": {"resnet": 18, "width": 8, "max_pool": 2},
    "w16": {"resnet": 18, "width": 16, "max_pool": 2},
    "w24": {"resnet": 18, "width": 24, "max_pool": 2},
    "w32": {"resnet": 18, "width": 32, "max_pool": 2},
    "w16p1": {"resnet": 18, "width": 16, "max_pool": 1},
    "w32p1": {"resnet": 18, "width": 32, "max_pool": 1},
    "w64p1": {"resnet": 18, "width": 64, "max_pool": 1},
    "r34w16": {"resnet": 34, "width": 16, "max_pool": 2},
    "w16p1f": {"resnet": 18, "width": 16, "max_pool": 1, "augmentation": True,
               "augment_policy": "field"},
    "w32f": {"resnet": 18, "width": 32, "max_pool": 2, "augmentation": True,
             "augment_policy": "field"},
}


def cost_spec(out: Path, configs: list[str], seeds: list[int], budget: str) -> PipelineSpec:
    """The demo's pipeline with only the windows dataset and one variant per config and seed."""
    spec = demo_spec(out, budget=budget)
    glob = dict(spec.train_variants["globals"])
    variants: dict[str, object] = {"globals": glob}
    names = []
    for name in configs:
        for seed in seeds:
            variant = f"{name}_s{seed}"
            variants[variant] = {"dataset": "dataset_windows", "seed": seed, **CONFIGS[name]}
            names.append(variant)
    variants["active_variants"] = names
    strategies = {**spec.strategies, "active_strategies": ["windows"]}
    return PipelineSpec(
        out=out, training_corpus=spec.training_corpus, benchmark_corpus=spec.benchmark_corpus,
        strategies=strategies, train_variants=variants,
        benchmark_variants=spec.benchmark_variants, post=spec.post, executor="local",
    )


def network_gflop(bundle: ModelBundle) -> float:
    """Multiply-accumulates x 2 of one window through the network, counted with torch hooks."""
    net = bundle.network.eval()
    flops = 0.0

    def _count(module: torch.nn.Module, inputs: tuple, output: torch.Tensor) -> None:
        nonlocal flops
        if isinstance(module, torch.nn.Conv2d):
            k = module.kernel_size[0] * module.kernel_size[1] * module.in_channels
            flops += 2.0 * output.numel() * k / module.groups
        elif isinstance(module, torch.nn.Linear):
            flops += 2.0 * module.in_features * module.out_features

    hooks = [m.register_forward_hook(_count) for m in net.modules()
             if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    try:
        with torch.no_grad():
            net(torch.zeros(1, 1, bundle.window_frames, bundle.spectrogram_config.n_freq_bins))
    finally:
        for h in hooks:
            h.remove()
    return flops / 1e9


def exact_speed(bundle: ModelBundle, audio: Path, *, threads: int, hop_s: float,
                repeats: int) -> tuple[float, float]:
    """Best-of-``repeats`` exact-mode speed on ``audio``: (windows/s, x realtime)."""
    best = float("inf")
    n = 0
    for _ in range(repeats):
        start = time.perf_counter()
        scores = predict_scores(bundle, audio, hop_s=hop_s, device="cpu",
                                num_threads=threads, progress=False)
        best = min(best, time.perf_counter() - start)
        n = len(scores)
    return n / best, audio_info(audio).duration_s / best


def main(argv: list[str] | None = None) -> int:
    """Train the configurations, time them, print and write the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--configs", nargs="+", default=["w8", "w16", "w32", "w16p1", "w32p1"],
                        choices=sorted(CONFIGS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[1])
    parser.add_argument("--budget", default="full", choices=["full", "small"])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--tolerance", type=float, default=0.02)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

    spec = cost_spec(args.out.absolute(), args.configs, args.seeds, args.budget)
    result = run_pipeline(spec)
    metrics = result.metrics[result.metrics["criterion"].astype(str).str.startswith("iou")]
    models_root = args.out.absolute() / "TRAINING" / "runs" / "models"
    bench_audio = sorted((args.out.absolute() / "data" / "benchmark_corpus").rglob("*.wav"))[0]

    rows = []
    for name in args.configs:
        for seed in args.seeds:
            variant = f"{name}_s{seed}"
            m = metrics[metrics["model"] == variant]
            model_path = models_root / variant / "models" / "model.pt"
            bundle = load_model(model_path)
            wps, rt = exact_speed(bundle, bench_audio, threads=args.threads, hop_s=0.05,
                                  repeats=args.repeats)
            rows.append({"config": name, "seed": seed, **CONFIGS[name],
                         "gflop_per_window": network_gflop(bundle),
                         "windows_per_s": wps, "x_realtime": rt,
                         "op_f1": float(m["op_f1"].iloc[0]) if "op_f1" in m else float("nan"),
                         "best_threshold_f1": float(m["f1"].max())})
    per_seed = pd.DataFrame(rows)
    table = per_seed.groupby("config", sort=False).agg(
        resnet=("resnet", "first"), width=("width", "first"), max_pool=("max_pool", "first"),
        gflop_per_window=("gflop_per_window", "first"), x_realtime=("x_realtime", "mean"),
        windows_per_s=("windows_per_s", "mean"), op_f1=("op_f1", "mean"),
        op_f1_spread=("op_f1", lambda s: float(s.max() - s.min())),
        best_threshold_f1=("best_threshold_f1", "mean")).reset_index()
    table["pareto"] = [
        not ((table["x_realtime"] > r.x_realtime) & (table["op_f1"] >= r.op_f1)).any()
        for r in table.itertuples()]
    good = table[table["op_f1"] >= table["op_f1"].max() - args.tolerance]
    table["default_candidate"] = table["config"] == good.sort_values("x_realtime").iloc[-1][
        "config"]
    pd.set_option("display.width", 200)
    print(f"\nCPU threads: {args.threads}; budget {args.budget}; seeds {args.seeds}")
    print(table.round(3).to_string(index=False))
    per_seed.to_csv(args.out / "model_cost_per_seed.csv", index=False)
    table.to_csv(args.out / "model_cost.csv", index=False)
    print(json.dumps(table.round(4).to_dict(orient="records")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
