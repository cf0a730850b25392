"""Event matching: scaling of ``match_events`` and its peers, side by side in one process.

Peers (the dense ones only at sizes where an n x m matrix fits):

* ``alpacaspot``: sort-and-sweep candidates + optimal sparse matching (``match_events``);
* ``dense_hungarian``: the full n x m IoU matrix and ``scipy.optimize.linear_sum_assignment``
  (optimal, what a straightforward implementation does);
* ``dense_greedy``: the full IoU matrix and best-IoU-first greedy pairing (the alpaca fork's
  approach; not optimal).

Realistic density: hums of median 0.27 s, about one per 10 s per recording, recordings of
one hour; detections are the calls with jittered boundaries, 10% missed, plus 30% false
alarms. Prints seconds per size and the ratios to ``alpacaspot``.

    python benchmarks/bench_matching.py            # up to 10^6 x 10^6
    python benchmarks/bench_matching.py --max-n 100000
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from alpacaspot.evaluate import match_events


def make_events(n: int, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    n_rec = max(1, n // 360)  # ~360 calls per hour-long recording
    rec = np.sort(rng.integers(0, n_rec, n))
    begin = rng.uniform(0, 3600, n)
    dur = np.clip(rng.lognormal(np.log(0.27), 0.6, n), 0.03, 3.4)
    names = np.array([f"tape{i:05d}.wav" for i in range(n_rec)], dtype=object)
    gt = pd.DataFrame({"recording": names[rec], "begin_s": begin, "end_s": begin + dur})
    keep = rng.random(n) > 0.1
    jb = rng.normal(0, 0.03, n)
    je = rng.normal(0, 0.05, n)
    tp_b = (begin + jb)[keep]
    tp_e = np.maximum(begin + dur + je, begin + jb + 0.01)[keep]
    n_fa = int(0.3 * n)
    fa_b = rng.uniform(0, 3600, n_fa)
    fa_e = fa_b + rng.uniform(0.1, 0.6, n_fa)
    pred = pd.DataFrame({
        "recording": np.concatenate([names[rec][keep], names[rng.integers(0, n_rec, n_fa)]]),
        "begin_s": np.concatenate([tp_b, fa_b]), "end_s": np.concatenate([tp_e, fa_e])})
    return gt, pred.sample(frac=1.0, random_state=1).reset_index(drop=True)


def _iou_matrix(gt: pd.DataFrame, pred: pd.DataFrame) -> np.ndarray:
    gb, ge = gt.begin_s.to_numpy()[:, None], gt.end_s.to_numpy()[:, None]
    pb, pe = pred.begin_s.to_numpy()[None], pred.end_s.to_numpy()[None]
    inter = np.minimum(ge, pe) - np.maximum(gb, pb)
    iou = np.where(inter > 0, inter / (np.maximum(ge, pe) - np.minimum(gb, pb)), 0.0)
    same = gt.recording.to_numpy()[:, None] == pred.recording.to_numpy()[None]
    return np.where(same, iou, 0.0)


def dense_hungarian(gt: pd.DataFrame, pred: pd.DataFrame, thr: float) -> int:
    iou = _iou_matrix(gt, pred)
    ok = iou >= thr
    # maximise the number of valid pairs, then IoU
    r, c = linear_sum_assignment(-(ok * (1.0 + iou)))
    return int(ok[r, c].sum())


def dense_greedy(gt: pd.DataFrame, pred: pd.DataFrame, thr: float) -> int:
    iou = _iou_matrix(gt, pred)
    gi, pj = np.nonzero(iou >= thr)
    order = np.argsort(-iou[gi, pj], kind="stable")
    used_g, used_p, n = set(), set(), 0
    for i, j in zip(gi[order], pj[order], strict=True):
        if i not in used_g and j not in used_p:
            used_g.add(i)
            used_p.add(j)
            n += 1
    return n


def _time(func, *args) -> tuple[float, int]:
    t0 = time.perf_counter()
    tp = func(*args)
    return time.perf_counter() - t0, tp


def _time_cpu(func) -> tuple[float, float, int]:
    """Wall and CPU seconds (CPU: robust on a shared machine)."""
    t0, c0 = time.perf_counter(), time.process_time()
    tp = func()
    return time.perf_counter() - t0, time.process_time() - c0, tp


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-n", type=int, default=1_000_000)
    parser.add_argument("--dense-max-n", type=int, default=3000)
    parser.add_argument("--iou", type=float, default=0.4)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    sizes = [n for n in (1_000, 3_000, 10_000, 100_000, 1_000_000) if n <= args.max_n]
    print(f"{'n_gt':>9} {'n_pred':>9} {'alpacaspot s':>13} {'cpu s':>7} {'tp':>8} "
          f"{'hungarian s':>12} {'ratio':>7} {'greedy s':>9} {'ratio':>7} {'greedy tp':>9}")
    for n in sizes:
        gt, pred = make_events(n, rng)
        t_ours, c_ours, tp = _time_cpu(
            lambda g=gt, p=pred: match_events(g, p, threshold=args.iou, by=("recording",)).tp)
        line = f"{len(gt):>9} {len(pred):>9} {t_ours:>13.3f} {c_ours:>7.3f} {tp:>8}"
        if n <= args.dense_max_n:
            t_h, tp_h = _time(dense_hungarian, gt, pred, args.iou)
            t_g, tp_g = _time(dense_greedy, gt, pred, args.iou)
            assert tp_h == tp, (tp_h, tp)
            line += (f" {t_h:>12.3f} {t_h / t_ours:>6.1f}x {t_g:>9.3f} {t_g / t_ours:>6.1f}x"
                     f" {tp_g:>9}")
        print(line, flush=True)


if __name__ == "__main__":
    main()
