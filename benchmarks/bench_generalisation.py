"""Domain shift: event F1 at the stored operating point on unseen tapes and an unseen site.

Synthetic sites (:func:`alpacaspot.data.synthetic.site_style`) differ in recorder response,
noise floor, gain and clipping, reverberation, background sounds, the animals' voices and
held-out negatives. The benchmark

1. writes a training corpus (``--train-sites`` sites without held-out negatives,
   ``--tapes`` tapes each, 6 by default), prepares the demo's ``windows`` dataset from it
   (split by tape: training, validation and test tapes), and, per recipe and seed, trains the demo's
   windows model (ResNet-18, 0.4 s windows, lr 3e-5, width ``--width``);
2. calibrates each model (:func:`alpacaspot.detect.calibrate`: temperature and operating
   point) as the pipeline does: on the dataset's held-out tapes (``--calibration-splits``,
   default the validation and test splits' tapes), choosing the threshold of the demo's
   post-processing (``--calibration-search threshold``; ``full`` also searches curve, merge
   gap and minimum duration);
3. scores (a) ``--test-tapes`` unseen tapes of every training site, (b) the tapes of a
   *validation site* (used to choose the recipe) and, with ``--test-site``, (c) the tapes
   of a test site (run once, at the end), and reports event F1 (IoU >= 0.4) at the stored
   operating point and, beside it, the best F1 over thresholds (chosen on the test tapes
   themselves: a ceiling, not a result), with the median onset and offset errors of the
   matched events; beside them, on the same scores, ANIMAL-SPOT-style merging of whole
   windows (``method="animalspot"``) at its own best threshold over the same threshold grid,
   and the ratio of our errors to its.

A hard-negative recipe (``field_ema_hard``, ``field_ema_interp_hard``) first trains its base
recipe (same seed), scores the training tapes with it, and trains on a dataset whose kept
noise windows are half the highest-scoring ones (:mod:`alpacaspot.data.hard_negatives`), half
drawn at random.

``--window`` sets the model's window (0.4 s by default), ``--extra-tapes`` adds training tapes
per site (numbered after the unseen ones, so the scored sets stay the same) and
``--split-fractions`` the train / validation / test fractions of the training tapes (the
held-out ones calibrate); each other value prepares its own dataset.

``--ensemble N`` also combines each recipe's models in groups of N consecutive seeds (1-N,
N+1-2N, ...) with :func:`alpacaspot.models.combine_models` (each member at its own
temperature), calibrates every ensemble on the same held-out tapes and scores it as one more
recipe, ``<recipe>_ensN``: its spread is over the groups.

Models, calibrations and scores are kept under ``--out`` (calibrated models and scores per
calibration rule): a second run skips what is done.
Prints a table (mean and max - min over seeds) and writes ``results_<rule>.csv`` and
``summary_<rule>.csv`` (``<rule>``: the calibration rule, e.g. ``val+test_threshold``).
``--rescore`` recomputes both from the stored scores alone (no corpus,
training or prediction; runs without scores are skipped with a warning).

With the defaults (3 training sites x 6 tapes of 1.5 min, 2 unseen tapes per training site,
6 tapes per unseen site) the sets hold 94 hums (unseen tapes), 76 (validation site) and 88
(test site), and calibration sees the held-out tapes (4 with 0.4 s windows, 5 with 0.8 s: the
split, stratified by window counts, depends on the window); the earlier defaults (3, 1 and 3
tapes) gave 41-76 hums and 2 calibration tapes, too few to tell recipes apart.

Usage::

    python benchmarks/bench_generalisation.py --recipes none,field_ema_interp --seeds 3 \
        --out /tmp/gen
    python benchmarks/bench_generalisation.py --recipes none,field_ema_interp --seeds 3 \
        --out /tmp/gen --test-site --rescore
    # the README's best recipe: 0.8 s windows, 6 more training tapes per site
    python benchmarks/bench_generalisation.py --recipes field_ema_interp --seeds 6 \
        --window 0.8 --extra-tapes 6 --out /tmp/gen_w08 --test-site
    # the same with 12 more per site (38 training tapes): two runs, one thread each, the
    # second started once the first has made the corpora
    python benchmarks/bench_generalisation.py --recipes field_ema_interp --seeds 3 \
        --window 0.8 --extra-tapes 12 --threads 1 --out /tmp/gen_38 --test-site
    python benchmarks/bench_generalisation.py --recipes field_ema_interp --first-seed 4 \
        --seeds 6 --window 0.8 --extra-tapes 12 --threads 1 --out /tmp/gen_38 --test-site
    # the recipe that meets the spread goal: those six models in two ensembles of three
    # (trained models are kept; two threads, alone on the machine)
    python benchmarks/bench_generalisation.py --recipes field_ema_interp --seeds 6 \
        --ensemble 3 --window 0.8 --extra-tapes 12 --out /tmp/gen_38 --test-site
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import math
import os
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from alpacaspot._atomic import atomic_write_text
from alpacaspot.data import Corpus, build_corpus_index, prepare_datasets
from alpacaspot.data.synthetic import make_site_corpus, site_style
from alpacaspot.detect import calibrate, predict_scores
from alpacaspot.dsp import SpectrogramConfig
from alpacaspot.errors import ConfigError
from alpacaspot.evaluate import event_metrics, load_ground_truth, load_scores, sweep_thresholds
from alpacaspot.events import PostprocessConfig, operating_point, scores_to_events
from alpacaspot.models import TrainConfig, combine_models, load_model, save_model, train
from alpacaspot.pipeline.calibrate_models import (
    CALIBRATION_SEARCHES,
    CALIBRATION_SPLITS,
    check_splits,
    held_out_tapes,
    search_grid,
)
from alpacaspot.pipeline.demo import POSTPROCESS

#: Training recipes: TrainConfig settings on top of the demo's windows recipe (``field_ema``:
#: field augmentation with a moving average of the weights, the recipe that transferred best).
RECIPES: dict[str, dict[str, Any]] = {
    "none": {"augmentation": False},
    "animalspot": {"augmentation": True, "augment_policy": "animalspot"},
    "field": {"augmentation": True, "augment_policy": "field"},
    "field_ls": {"augmentation": True, "augment_policy": "field", "label_smoothing": 0.1},
    "ls": {"augmentation": False, "label_smoothing": 0.1},
    "field_ema": {"augmentation": True, "augment_policy": "field", "ema_decay": 0.995},
    "ema": {"augmentation": False, "ema_decay": 0.995},
}
SPEC = SpectrogramConfig(sr=48000, n_fft=2048, hop_length=1024, fmin=0, fmax=4000,
                         n_freq_bins=128)
#: Front-end variants of ``field_ema``: every bin kept (linear interpolation instead of the
#: nearest-neighbour resize), or twice the frames per window (hop 512 samples).
RECIPES |= {
    "field_ema_interp": {**RECIPES["field_ema"],
                         "spectrogram": dataclasses.replace(SPEC, compression="linear_interp")},
    "field_ema_hop512": {**RECIPES["field_ema"],
                         "spectrogram": dataclasses.replace(SPEC, hop_length=512)},
}
#: Hard-negative recipes: trained like the recipe named, on a dataset whose kept noise windows
#: are half the ones that recipe's model (same seed) scored highest on the training tapes.
HARD_NEGATIVE_RECIPES = {"field_ema_hard": "field_ema",
                         "field_ema_interp_hard": "field_ema_interp"}
RECIPES |= {name: RECIPES[base] for name, base in HARD_NEGATIVE_RECIPES.items()}
HARD_NEGATIVE_FRACTION = 0.5
#: Train / validation / test fractions of the training sites' tapes (the strategies' default).
DEFAULT_SPLIT_FRACTIONS = (0.70, 0.15, 0.15)
DEFAULT_WINDOW_S = 0.4
LABELS = ["hum"]
TRAIN_SITE_SEEDS = (1, 2, 3, 4, 5, 6)
VALIDATION_SITE_SEED = 101
TEST_SITE_SEED = 202
#: The baseline post-processing: ANIMAL-SPOT's merging of overlapping positive windows.
ANIMALSPOT_POST = PostprocessConfig(method="animalspot")
SETS = ("in_domain", "val_site", "test_site")
#: The post-processing whose threshold calibration chooses (the demo's).
POST = PostprocessConfig().replace(**POSTPROCESS)

_log = logging.getLogger("bench_generalisation")


def make_corpora(out: Path, args: argparse.Namespace) -> dict[str, Path]:
    """The training corpus, unseen tapes of its sites, the validation and the test site."""
    train_sites = [site_style(s, heldout=False) for s in TRAIN_SITE_SEEDS[:args.train_sites]]
    common = dict(minutes_per_tape=args.minutes, seed=args.corpus_seed, progress=False)
    roots = {
        "train": make_site_corpus(out / "corpora" / "train", train_sites,
                                  tapes_per_site=args.tapes, **common),
        "in_domain": make_site_corpus(out / "corpora" / "in_domain", train_sites,
                                      tapes_per_site=args.test_tapes, first_tape=args.tapes,
                                      **common),
        "val_site": make_site_corpus(out / "corpora" / "val_site",
                                     [site_style(VALIDATION_SITE_SEED, heldout=True)],
                                     tapes_per_site=args.site_tapes, **common),
    }
    if args.extra_tapes:
        extra = make_site_corpus(out / "corpora" / "train_extra", train_sites,
                                 tapes_per_site=args.extra_tapes,
                                 first_tape=args.tapes + args.test_tapes, **common)
        roots["train"] = _joined(out / "corpora" / f"train_plus{args.extra_tapes}",
                                 [roots["train"], extra])
    if args.test_site:
        roots["test_site"] = make_site_corpus(out / "corpora" / "test_site",
                                              [site_style(TEST_SITE_SEED, heldout=True)],
                                              tapes_per_site=args.site_tapes, **common)
    for root in roots.values():
        if not (root / "corpus_index.parquet").is_file():
            build_corpus_index(root).save()
    return roots


def _joined(root: Path, parts: list[Path]) -> Path:
    """A corpus of every tape folder of ``parts`` (hard links, copies across file systems)."""
    for part in parts:
        for tape in sorted(d for d in part.iterdir() if d.is_dir()
                           and not d.name.startswith("dataset_")):
            (root / tape.name).mkdir(parents=True, exist_ok=True)
            for f in sorted(tape.iterdir()):
                target = root / tape.name / f.name
                if not target.exists():
                    try:
                        os.link(f, target)
                    except OSError:
                        shutil.copy2(f, target)
    return root


def prepare(train_root: Path, args: argparse.Namespace, name: str = "windows",
            **extra: Any) -> Path:
    """The windows dataset, split by tape; other window lengths or split fractions get their
    own folder."""
    if args.window != DEFAULT_WINDOW_S:
        name += f"_w{args.window:g}"
    if args.split_fractions != DEFAULT_SPLIT_FRACTIONS:
        name += "_split" + "-".join(f"{f:g}" for f in args.split_fractions)
        extra["split_fractions"] = list(args.split_fractions)
    strategies = {"active_strategies": [name], "strategies": {name: {
        "split_strategy": "by_tape", "seed": 7, "min_quality": 1, "sampling": "windows",
        "window_s": args.window, "hop_s": args.hop, "noise_ratio": 4.0, **extra}}}
    return prepare_datasets(train_root, strategies, workers=1, progress=False)[name]


def hard_negative_dataset(out: Path, train_root: Path, dataset: Path, recipe: str, seed: int,
                          args: argparse.Namespace) -> Path:
    """The dataset of a hard-negative recipe: its base recipe's model scores the training tapes."""
    base = HARD_NEGATIVE_RECIPES[recipe]
    run = out / "runs" / f"{base}_s{seed}"
    model = train_one(dataset, run / "models", base, seed, args)
    scores = run / "scores_training_corpus"
    files = sorted(Corpus.load(train_root).recordings["recording"].astype(str))
    predict_scores(load_model(model), [train_root / f for f in files], hop_s=args.hop,
                   root=train_root, out_dir=scores, mode="exact", num_threads=args.threads,
                   progress=False)
    hard = prepare(train_root, args, f"windows_{recipe}_s{seed}",
                   hard_negatives=str(scores), hard_negative_fraction=HARD_NEGATIVE_FRACTION)
    splits = ("train", "val", "test")
    if held_out_tapes(hard, splits[1:]) != held_out_tapes(dataset, splits[1:]):
        raise RuntimeError(f"{hard} holds out other tapes than {dataset}")
    return hard


def train_one(dataset: Path, model_dir: Path, recipe: str, seed: int,
              args: argparse.Namespace) -> Path:
    settings = {"spectrogram": SPEC, **RECIPES[recipe]}
    cfg = TrainConfig(
        data_dir=dataset, model_dir=model_dir, window_s=args.window,
        width=args.width, max_train_epochs=args.epochs, epochs_per_eval=1, batch_size=32,
        lr=3e-5, early_stopping_patience_epochs=6, lr_patience_epochs=3, seed=seed,
        num_workers=0, torch_threads=args.threads, **settings)
    result = train(cfg)
    if result.model_path is None:
        raise RuntimeError(f"training of {model_dir} was interrupted")
    return Path(result.model_path)


def calibration_tag(splits: tuple[str, ...], search: str) -> str:
    """Names the calibrated model and score folders of a calibration rule."""
    return f"{'+'.join(splits)}_{search}"


def calibrated(model_path: Path, train_root: Path, dataset: Path, hop_s: float,
               threads: int, splits: tuple[str, ...], search: str) -> Path:
    out = model_path.with_name(f"model_calibrated_{calibration_tag(splits, search)}.pt")
    # an earlier calibration is kept when its inputs and settings are those of this rule
    previous = load_model(out) if out.is_file() else load_model(model_path)
    recs = Corpus.load(train_root).recordings
    tapes = held_out_tapes(dataset, splits)
    files = sorted(recs.loc[recs["tape"].astype(str).isin(tapes), "recording"].astype(str))
    truth = load_ground_truth(train_root, labels=LABELS)
    bundle = calibrate(previous, [train_root / f for f in files], truth,
                       root=train_root, hop_s=hop_s, labels=LABELS, num_threads=threads,
                       progress=False, **search_grid(POST, search))
    if bundle is not previous or not out.is_file():
        save_model(out, bundle)
    return out


def ensemble_groups(seeds: range, size: int) -> list[list[int]]:
    """Consecutive seeds in groups of ``size`` (1-3, 4-6, ...): one ensemble each."""
    return [list(seeds[i:i + size]) for i in range(0, len(seeds), size)]


def ensemble_name(recipe: str, group: list[int]) -> str:
    """The run folder of an ensemble of ``recipe``'s models of the seeds in ``group``."""
    return f"{recipe}_ens{len(group)}_s{group[0]}-{group[-1]}"


def ensemble_model(out: Path, recipe: str, group: list[int], members: list[Path]) -> Path:
    """The members' calibrated models combined (each at its temperature), saved once."""
    path = out / "runs" / ensemble_name(recipe, group) / "models" / "model.pt"
    bundle = combine_models(members)
    if not path.is_file() or load_model(path).fingerprint() != bundle.fingerprint():
        save_model(path, bundle)
    return path


def scores_of(model_path: Path, corpus: Path, out_dir: Path, hop_s: float,
              threads: int) -> pd.DataFrame:
    return predict_scores(load_model(model_path), corpus, hop_s=hop_s, root=corpus,
                          out_dir=out_dir, mode="exact", num_threads=threads, progress=False)


def score_sets(model: Path, roots: dict[str, Path], run: Path, tag: str,
               args: argparse.Namespace, recipe: str, seed: int) -> list[dict[str, Any]]:
    """One result row per scored set (every corpus but the training one)."""
    rows = []
    for where in [k for k in roots if k != "train"]:
        scores = scores_of(model, roots[where], run / f"scores_{tag}" / where, args.hop,
                           args.threads)
        rows.append({"recipe": recipe, "seed": seed, "set": where,
                     **evaluate(scores, roots[where])})
    return rows


def evaluate(scores: pd.DataFrame, corpus: Path) -> dict[str, float]:
    """Ours at the stored operating point and best threshold; ANIMAL-SPOT-style at its best."""
    truth = load_ground_truth(corpus, labels=LABELS)
    op = operating_point(scores)
    events = scores_to_events(scores)
    at_op = event_metrics(truth, events, threshold=0.4, by=("recording",))
    best = _best(sweep_thresholds(truth, scores, post=op, iou=0.4, progress=False))
    asp = _best(sweep_thresholds(truth, scores, post=ANIMALSPOT_POST, iou=0.4, progress=False))
    return {"op_f1": at_op["f1"], "op_precision": at_op["precision"],
            "op_recall": at_op["recall"], "op_threshold": op.threshold if op else np.nan,
            "best_threshold_f1": float(best["f1"]), "best_threshold": float(best["threshold"]),
            "median_dstart_ms": at_op["median_dstart_ms"],
            "median_dend_ms": at_op["median_dend_ms"], "n_gt": at_op["n_gt"],
            "animalspot_f1": float(asp["f1"]), "animalspot_threshold": float(asp["threshold"]),
            "animalspot_median_dstart_ms": float(asp["median_dstart_ms"]),
            "animalspot_median_dend_ms": float(asp["median_dend_ms"])}


def _best(sweep: pd.DataFrame) -> pd.Series:
    """The sweep's row of highest F1 (ties: the lowest threshold)."""
    return sweep.loc[sweep["f1"].idxmax()]


def summarise(results: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for (recipe, where), part in results.groupby(["recipe", "set"], sort=False):
        rows.append({"recipe": recipe, "set": where, "seeds": len(part),
                     "op_f1": part["op_f1"].mean(),
                     "op_f1_spread": part["op_f1"].max() - part["op_f1"].min(),
                     "best_threshold_f1": part["best_threshold_f1"].mean(),
                     "op_threshold": part["op_threshold"].mean(),
                     "op_precision": part["op_precision"].mean(),
                     "op_recall": part["op_recall"].mean(),
                     "animalspot_f1": part["animalspot_f1"].mean(),
                     **_error_ratios(part)})
    return pd.DataFrame(rows)


def _error_ratios(part: pd.DataFrame) -> dict[str, float]:
    """Seed means of the median onset/offset errors (ms) and ours / ANIMAL-SPOT-style."""
    out = {}
    for edge in ("dstart", "dend"):
        ours = part[f"median_{edge}_ms"].mean()
        theirs = part[f"animalspot_median_{edge}_ms"].mean()
        out |= {f"median_{edge}_ms": ours, f"animalspot_median_{edge}_ms": theirs,
                f"{edge}_ratio": ours / theirs if theirs > 0 else np.nan}
    return out


def rescore(out: Path, recipes: list[str], seeds: range, sets: list[str], tag: str,
            ensemble: int = 1) -> list[dict]:
    """Result rows from the scores stored under ``out`` (missing ones skipped, warned)."""
    runs = [(recipe, seed, f"{recipe}_s{seed}") for seed in seeds for recipe in recipes]
    if ensemble > 1:
        runs += [(f"{recipe}_ens{ensemble}", group[0], ensemble_name(recipe, group))
                 for recipe in recipes for group in ensemble_groups(seeds, ensemble)]
    rows = []
    for recipe, seed, name in runs:
        for where in sets:
            folder = out / "runs" / name / f"scores_{tag}" / where
            scores = load_scores(folder)
            if scores is None:
                _log.warning("no stored scores in %s; skipped", folder)
                continue
            rows.append({"recipe": recipe, "seed": seed, "set": where,
                         **evaluate(scores, out / "corpora" / where)})
    return rows


def _positive(text: str) -> float:
    value = float(text)
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def _first_seconds(path: Path, seconds: float) -> float:
    """The time of a run's first pass (stored in ``path``): a re-run only loads what is done."""
    if path.is_file():
        return float(path.read_text())
    atomic_write_text(path, f"{seconds:.1f}\n")
    return round(seconds, 1)


def _fractions(text: str) -> tuple[float, float, float]:
    values = tuple(float(v) for v in text.split(","))
    if len(values) != 3 or min(values) <= 0 or abs(sum(values) - 1) > 1e-6:
        raise argparse.ArgumentTypeError(f"expected three positive fractions summing to 1, "
                                         f"got {text!r}")
    return values  # type: ignore[return-value]


def main(argv: list[str] | None = None) -> pd.DataFrame:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, default=Path("bench_generalisation_run"))
    p.add_argument("--recipes", default="none,field_ema_interp",
                   help=f"comma-separated, of {', '.join(RECIPES)}")
    p.add_argument("--seeds", type=int, default=3, help="training seeds up to N")
    p.add_argument("--first-seed", type=int, default=1,
                   help="the first training seed (to share seeds among runs)")
    p.add_argument("--train-sites", type=int, default=3)
    p.add_argument("--tapes", type=int, default=6, help="tapes per training site")
    p.add_argument("--test-tapes", type=int, default=2, help="unseen tapes per training site")
    p.add_argument("--extra-tapes", type=int, default=0,
                   help="more training tapes per site, after the unseen ones (the sets scored "
                        "stay the same)")
    p.add_argument("--site-tapes", type=int, default=6, help="tapes of the validation/test site")
    p.add_argument("--minutes", type=float, default=1.5, help="minutes per tape")
    p.add_argument("--width", type=int, default=16)
    p.add_argument("--epochs", type=int, default=8)
    p.add_argument("--window", type=_positive, default=DEFAULT_WINDOW_S,
                   help="the model's window (s)")
    p.add_argument("--hop", type=float, default=0.05, help="window step (s)")
    p.add_argument("--threads", type=int, default=1, help="torch threads")
    p.add_argument("--corpus-seed", type=int, default=0)
    p.add_argument("--test-site", action="store_true",
                   help="also score the test site (once, after choosing the recipe)")
    p.add_argument("--calibration-splits", default=",".join(CALIBRATION_SPLITS),
                   help="dataset splits whose tapes calibrate (comma-separated)")
    p.add_argument("--split-fractions", type=_fractions, default=DEFAULT_SPLIT_FRACTIONS,
                   help="train,val,test fractions of the training sites' tapes (the held-out "
                        "ones calibrate); default 0.7,0.15,0.15")
    p.add_argument("--calibration-search", default="threshold", choices=CALIBRATION_SEARCHES,
                   help="threshold: the demo's post-processing, threshold chosen; full: "
                        "curve, merge gap and minimum duration chosen too")
    p.add_argument("--ensemble", type=int, default=1,
                   help="also combine the seeds in groups of N (1-N, N+1-2N, ...) into "
                        "ensembles, calibrated and scored as one model each; default 1: none")
    p.add_argument("--rescore", action="store_true",
                   help="only recompute the results and summary from the stored scores")
    args = p.parse_args(argv)
    recipes = [r.strip() for r in args.recipes.split(",") if r.strip()]
    unknown = sorted(set(recipes) - set(RECIPES))
    if unknown or not 1 <= args.train_sites <= len(TRAIN_SITE_SEEDS):
        p.error(f"unknown recipes {unknown} or --train-sites outside 1..{len(TRAIN_SITE_SEEDS)}")
    try:
        splits = check_splits([s.strip() for s in args.calibration_splits.split(",")
                               if s.strip()])
    except ConfigError as e:
        p.error(str(e))
    tag = calibration_tag(splits, args.calibration_search)
    seeds = range(args.first_seed, args.seeds + 1)
    if not seeds or args.first_seed < 1:
        p.error(f"no seeds from {args.first_seed} to {args.seeds} (seeds start at 1)")
    if args.extra_tapes < 0:
        p.error(f"--extra-tapes must be >= 0, got {args.extra_tapes}")
    if args.ensemble < 1 or len(seeds) % args.ensemble:
        p.error(f"--ensemble must be >= 1 and divide the {len(seeds)} seeds "
                f"{args.first_seed}-{args.seeds} into groups, got {args.ensemble}")
    logging.basicConfig(level=logging.WARNING)
    out = args.out.absolute()
    t0 = time.perf_counter()
    if args.rescore:
        sets = list(SETS) if args.test_site else list(SETS[:-1])
        return report(out, pd.DataFrame(rescore(out, recipes, seeds, sets, tag,
                                                args.ensemble)), t0, tag)
    roots = make_corpora(out, args)
    dataset = prepare(roots["train"], args)
    t_data = time.perf_counter() - t0
    rows: list[dict[str, Any]] = []
    models: dict[tuple[str, int], Path] = {}
    jobs = [(r, s) for s in seeds for r in recipes]  # all recipes first
    for recipe, seed in tqdm(jobs, desc="recipes x seeds", unit="model"):
        run = out / "runs" / f"{recipe}_s{seed}"
        t1 = time.perf_counter()
        data = (hard_negative_dataset(out, roots["train"], dataset, recipe, seed, args)
                if recipe in HARD_NEGATIVE_RECIPES else dataset)
        model = train_one(data, run / "models", recipe, seed, args)
        models[recipe, seed] = calibrated(model, roots["train"], data, args.hop, args.threads,
                                          splits, args.calibration_search)
        rows += score_sets(models[recipe, seed], roots, run, tag, args, recipe, seed)
        rows[-1]["seconds"] = _first_seconds(run / f"seconds_{tag}.txt",
                                             time.perf_counter() - t1)
    groups = ensemble_groups(seeds, args.ensemble) if args.ensemble > 1 else []
    for recipe, group in tqdm([(r, g) for r in recipes for g in groups], desc="ensembles",
                              unit="model"):
        t1 = time.perf_counter()
        model = ensemble_model(out, recipe, group, [models[recipe, s] for s in group])
        model = calibrated(model, roots["train"], dataset, args.hop, args.threads, splits,
                           args.calibration_search)
        run = model.parent.parent
        rows += score_sets(model, roots, run, tag, args, f"{recipe}_ens{len(group)}", group[0])
        rows[-1]["seconds"] = _first_seconds(run / f"seconds_{tag}.txt",
                                             time.perf_counter() - t1)
    summary = report(out, pd.DataFrame(rows), t0, tag)
    wall = time.perf_counter() - t0
    run = {"args": {k: str(v) for k, v in vars(args).items()}, "wall_s": round(wall, 1),
           "data_s": round(t_data, 1)}
    atomic_write_text(out / f"run_{tag}.json", json.dumps(run, indent=2) + "\n")
    print(f"corpora and dataset {t_data:.0f} s")
    return summary


def report(out: Path, results: pd.DataFrame, t0: float, tag: str) -> pd.DataFrame:
    """Write ``results_<tag>.csv`` and ``summary_<tag>.csv`` and print the summary."""
    if results.empty:
        raise SystemExit(f"no results: no stored scores under {out / 'runs'}")
    summary = summarise(results)
    results_path, summary_path = out / f"results_{tag}.csv", out / f"summary_{tag}.csv"
    if "seconds" not in results and results_path.is_file():  # keep training times
        old = pd.read_csv(results_path)
        if "seconds" in old:
            keys = ["recipe", "seed", "set"]
            results = results.merge(old[[*keys, "seconds"]], on=keys, how="left")
    atomic_write_text(results_path, results.to_csv(index=False))
    atomic_write_text(summary_path, summary.to_csv(index=False))
    with pd.option_context("display.width", 200, "display.max_columns", 30):
        print(summary.round(3).to_string(index=False))
    print(f"wall time {time.perf_counter() - t0:.0f} s")
    return summary


if __name__ == "__main__":
    main()
