"""Event quality of detection on a synthetic benchmark: exact vs shared mode, refined vs
ANIMAL-SPOT post-processing, on the same window scores.

A small ResNet-18 (width 16, fork spectrogram config, 0.4 s windows) is trained for
``--train-seconds`` on windows drawn along synthetic training tapes, labelled by "window centre
inside a hum". Unseen test tapes are then scored in exact mode and in shared mode; events come
from ``method="refined"`` and ``method="animalspot"``; every threshold of a fine sweep is
matched one-to-one at IoU >= 0.4 against the hums, and the best F1 per configuration is
reported (threshold chosen on the test tapes themselves: an optimistic but equal footing),
with median absolute onset/offset errors of its matches. Perfect window scores (from the
ground truth) give the post-processing ceiling. Prints a table and JSON.

Usage::

    python benchmarks/bench_detect_quality.py --train-tapes 3 --test-tapes 2 --minutes 3
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from alpacaspot.data import build_corpus_index, make_synthetic_corpus
from alpacaspot.detect import fit_shared, predict_scores, scores_to_events
from alpacaspot.detect._frontend import window_batches
from alpacaspot.detect.windows import window_grid
from alpacaspot.dsp import SpectrogramConfig
from alpacaspot.evaluate import match_events
from alpacaspot.models import ModelBundle, build_model

FORK = dict(sr=48000, n_fft=2048, hop_length=1024, n_freq_bins=128, fmin=0, fmax=4000)
WINDOW_S, HOP_S = 0.4, 0.05


def centre_labels(begin: np.ndarray, hums: pd.DataFrame) -> np.ndarray:
    centre = begin + WINDOW_S / 2
    b, e = hums["begin_s"].to_numpy(), hums["end_s"].to_numpy()
    return ((centre[:, None] >= b[None, :]) & (centre[:, None] < e[None, :])).any(axis=1)


def window_inputs(path: Path, cfg: SpectrogramConfig, frames: int, n: int):
    grid = window_grid(n, cfg.sr, window_s=WINDOW_S, hop_s=HOP_S)
    parts = [b.inputs for b in window_batches(path, grid, cfg, frames, batch_size=512)]
    return np.concatenate(parts), grid.begin_s


def train(bundle: ModelBundle, x: np.ndarray, y: np.ndarray, seconds: float, seed: int,
          lr: float = 2e-3, device: str = "cpu") -> dict:
    rng = np.random.default_rng(seed)
    net = bundle.network.to(device).train()
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    pos, neg = np.flatnonzero(y), np.flatnonzero(~y)
    steps, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        idx = np.concatenate([rng.choice(pos, 24), rng.choice(neg, 40)])
        xb = torch.from_numpy(x[idx])[:, None].to(device)
        yb = torch.from_numpy(y[idx].astype(np.int64)).to(device)
        loss = torch.nn.functional.cross_entropy(net(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        steps += 1
    net.cpu().eval()
    return {"steps": steps, "last_loss": float(loss.item())}


def evaluate(scores: pd.DataFrame, hums: pd.DataFrame, method: str, curve: str) -> dict:
    best: dict = {"f1": -1.0}
    for th in np.round(np.arange(0.05, 0.995, 0.01), 3):
        ev = scores_to_events(scores, threshold=float(th), method=method, curve=curve,
                              decimals=None)
        m = match_events(hums, ev, criterion="iou", threshold=0.4, by=("recording",))
        p = m.tp / max(m.n_pred, 1)
        r = m.tp / max(m.n_gt, 1)
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        if f1 > best["f1"]:
            best = {"f1": f1, "threshold": float(th), "precision": p, "recall": r,
                    "tp": m.tp, "n_pred": m.n_pred, "n_gt": m.n_gt,
                    "median_onset_ms": 1000 * float(np.median(np.abs(m.pairs["d_onset_s"])))
                    if m.tp else None,
                    "median_offset_ms": 1000 * float(np.median(np.abs(m.pairs["d_offset_s"])))
                    if m.tp else None}
    return best


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--train-tapes", type=int, default=3)
    p.add_argument("--test-tapes", type=int, default=2)
    p.add_argument("--minutes", type=float, default=3.0)
    p.add_argument("--train-seconds", type=float, default=180.0)
    p.add_argument("--width", type=int, default=16)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--device", default="cpu", help="cpu, cuda ... (training, fit, scoring)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--fit-steps", type=int, default=400,
                   help="steps of fit_shared (shared mode distilled from exact mode)")
    p.add_argument("--fit-passes", type=int, nargs="*", default=[1, 2])
    p.add_argument("--corpus", type=Path, default=None, help="reuse/keep the corpus here")
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    with tempfile.TemporaryDirectory() as d:
        root = make_synthetic_corpus(args.corpus or Path(d) / "corpus",
                                     n_tapes=args.train_tapes + args.test_tapes,
                                     minutes_per_tape=args.minutes, seed=args.seed, sr=48000)
        corpus = build_corpus_index(root)
        recs = corpus.recordings.sort_values("recording")
        hums = corpus.events[corpus.events["label"] == "hum"]
        cfg = SpectrogramConfig(**FORK)
        bundle = ModelBundle(build_model(width=args.width), cfg, WINDOW_S, ("noise", "target"))
        xs, ys = [], []
        for row in recs.iloc[: args.train_tapes].itertuples():
            x, begin = window_inputs(Path(root) / row.recording, cfg, bundle.window_frames,
                                     int(row.frames))
            xs.append(x)
            ys.append(centre_labels(begin, hums[hums["recording"] == row.recording]))
        x, y = np.concatenate(xs), np.concatenate(ys)
        info = train(bundle, x, y, args.train_seconds, args.seed, device=args.device)
        del xs, x
        test = recs.iloc[args.train_tapes :]
        files = [Path(root) / r for r in test["recording"]]
        gt = hums[hums["recording"].isin(test["recording"])].reset_index(drop=True)
        gt = gt.assign(label="target")
        out: dict = {"device": args.device, "width": args.width,
                     "train": {**info, "windows": int(len(y)), "positives": int(y.sum())},
                     "n_test_hums": int(len(gt)), "rows": []}
        scored = {}
        train_files = [Path(root) / r for r in recs.iloc[: args.train_tapes]["recording"]]
        fitted = {}
        for passes in args.fit_passes:
            t0 = time.perf_counter()
            fitted[passes] = fit_shared(bundle, train_files, hop_s=HOP_S, passes=passes,
                                        steps=args.fit_steps, device=args.device,
                                        root=root,
                                        progress=False)
            record = fitted[passes].provenance["shared_fit"]
            out[f"fit_shared{passes}"] = {**record,
                                          "wall_seconds": time.perf_counter() - t0}
            print(f"fit_shared passes={passes}: {record}", flush=True)
        runs = [("exact", 1, bundle), ("shared", 1, bundle), ("shared", 2, bundle)]
        runs += [("shared", p, fitted[p]) for p in args.fit_passes]
        for mode, passes, model in runs:
            t0 = time.perf_counter()
            s = predict_scores(model, files, hop_s=HOP_S, device=args.device, mode=mode,
                               shared_passes=passes, root=root, progress=False)
            rtf = float(test["duration_s"].sum()) / (time.perf_counter() - t0)
            name = "exact" if mode == "exact" else f"shared{passes}"
            if model is not bundle:
                name = f"fitted{passes}"
            scored[name] = (s, rtf)
        perfect = scored["exact"][0].copy()
        lab = np.concatenate([
            centre_labels(part["begin_s"].to_numpy(), gt[gt["recording"] == rec])
            for rec, part in perfect.groupby("recording", sort=True)])
        perfect["p_target"] = lab.astype(float)
        perfect["p_noise"] = 1 - perfect["p_target"]
        scored["perfect"] = (perfect, float("nan"))
        for name, (s, rtf) in scored.items():
            for method, curve in (("animalspot", "mean"), ("refined", "centre"),
                                  ("refined", "mean")):
                res = evaluate(s, gt, method, curve)
                row = {"scores": name, "rtf": rtf, "method": method, "curve": curve, **res}
                out["rows"].append(row)
                print(f"{name:8s} rtf={rtf:7.1f} {method:10s} {curve:6s} F1={res['f1']:.3f} "
                      f"th={res['threshold']:.2f} P={res['precision']:.2f} R={res['recall']:.2f} "
                      f"onset={res['median_onset_ms']} offset={res['median_offset_ms']}",
                      flush=True)
    text = json.dumps(out, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
