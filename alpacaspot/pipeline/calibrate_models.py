"""The pipeline's calibration step: each trained model on its dataset's held-out tapes.

A model is calibrated (:func:`alpacaspot.detect.calibrate`) on the whole recordings of the
tapes its dataset variant held out from training: by default those of the ``val`` and
``test`` splits (``variant_index.parquet``), annotated by the training corpus index. Tapes
that also gave training clips are left out, so the calibration tapes are held out by tape;
the benchmark corpus is another corpus and is never seen. The calibrated model replaces
``model.pt`` atomically; a model already calibrated on the same inputs is skipped, so
re-running the pipeline redoes nothing.

Why both splits: one validation tape holds a few dozen calls, and an operating point chosen
on so few events is mostly noise (the threshold plateau is flat there and not elsewhere).
The test tapes are held out from training and model selection alike; the step runs after
training, whose test-split metrics are written before it. Why only the threshold by
default (``search="threshold"``): the pipeline's post-processing (curve, merge gap, minimum
duration) is already fixed in its spec; searching those too on the same few events picks
noise. On 10 demo-sized models scored on a development corpus of 4 unseen tapes (108
hums), F1 at the stored operating point averaged 0.784 (worst 0.625) when chosen over the
full grid on the validation tape alone, 0.816 with the test tapes added, and 0.821 (worst
0.766) with the test tapes added and the threshold alone searched.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from alpacaspot._atomic import atomic_write_text
from alpacaspot.errors import ConfigError
from alpacaspot.evaluate.calibration import check_f1_tolerance
from alpacaspot.events import PostprocessConfig

__all__ = ["CALIBRATION_SEARCHES", "CALIBRATION_SPLITS", "check_splits", "held_out_tapes",
           "validation_tapes", "search_grid", "calibrate_models"]

#: The dataset splits whose tapes calibrate a model by default.
CALIBRATION_SPLITS: tuple[str, ...] = ("val", "test")
#: ``threshold``: temperature and threshold, the post-processing kept as given; ``full``:
#: the curve, merge gap and minimum duration are searched too.
CALIBRATION_SEARCHES: tuple[str, ...] = ("threshold", "full")

_log = logging.getLogger(__name__)


def held_out_tapes(dataset_dir: str | Path,
                   splits: Sequence[str] = CALIBRATION_SPLITS) -> list[str]:
    """The tapes of a dataset variant whose clips all lie in ``splits``.

    A tape that also gave clips to another split (a clip-level split) is left out with a
    warning: its recordings are not held out.

    Parameters
    ----------
    dataset_dir : path
        The variant's dataset folder (with ``variant_index.parquet``).
    splits : sequence of {"val", "test"}
        The held-out splits.

    Returns
    -------
    list of str
        Tape names, sorted.

    Raises
    ------
    ConfigError
        No ``variant_index.parquet``, or a split other than ``val`` and ``test``.

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> from alpacaspot.io import write_table
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = write_table(pd.DataFrame({"tape": ["t1", "t2", "t3", "t4", "t4"],
    ...                               "split": ["train", "val", "test", "test", "train"]}),
    ...                 d / "variant_index.parquet")
    >>> held_out_tapes(d)
    ['t2', 't3']
    >>> held_out_tapes(d, ["val"])
    ['t2']
    """
    from alpacaspot.io import read_table

    wanted = set(check_splits(splits))
    path = Path(dataset_dir) / "variant_index.parquet"
    if not path.is_file():
        raise ConfigError("no variant_index.parquet: prepare the dataset first", path=path)
    index = read_table(path, columns=["tape", "split"])
    split = index["split"].astype(str)
    tapes = index["tape"].astype(str)
    inside = split.isin(wanted).to_numpy()
    held = set(tapes[inside])
    shared = sorted(held & set(tapes[~inside]))
    if shared:
        _log.warning("%s: tapes %s have clips in %s and other splits; they are not used "
                     "for calibration", path, shared, "/".join(sorted(wanted)))
    return sorted(held - set(shared))


def check_splits(splits: Sequence[str]) -> tuple[str, ...]:
    """``splits`` as a tuple, checked to be a non-empty subset of ``("val", "test")``.

    Examples
    --------
    >>> check_splits(["val"])
    ('val',)
    >>> check_splits(["train"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    alpacaspot.errors.ConfigError: calibration splits must be a non-empty subset of ...
    """
    if isinstance(splits, str):
        raise ConfigError(f"calibration splits must be a sequence of split names, got {splits!r}")
    if not splits or not set(splits) <= {"val", "test"}:
        raise ConfigError(f"calibration splits must be a non-empty subset of ['val', 'test'] "
                          f"(training tapes are never held out), got {list(splits)!r}")
    return tuple(splits)


def validation_tapes(dataset_dir: str | Path) -> list[str]:
    """The tapes of a dataset variant's ``val`` split that gave no training or test clip.

    ``held_out_tapes(dataset_dir, ("val",))``, the calibration tapes before the test tapes
    were added.

    Examples
    --------
    >>> validation_tapes("data/training_corpus/dataset_windows")  # doctest: +SKIP
    ['T08']
    """
    return held_out_tapes(dataset_dir, ("val",))


def search_grid(post: PostprocessConfig | None, search: str) -> dict[str, Any]:
    """Keyword arguments of :func:`alpacaspot.detect.calibrate` for a calibration search.

    Parameters
    ----------
    post : PostprocessConfig, optional
        The pipeline's post-processing (kept as the base of the operating point).
    search : {"threshold", "full"}
        ``threshold``: only the threshold is chosen, ``post``'s curve, merge gap and minimum
        duration are kept (``post`` must use the ``refined`` method); ``full``: those are
        searched too, over :func:`~alpacaspot.detect.calibrate`'s default grid.

    Examples
    --------
    >>> search_grid(PostprocessConfig(curve="centre", merge_gap_s=0.1), "threshold")["curves"]
    ('centre',)
    >>> sorted(search_grid(None, "full"))
    ['base']
    """
    if search not in CALIBRATION_SEARCHES:
        raise ConfigError(f"calibration search must be one of {list(CALIBRATION_SEARCHES)}, "
                          f"got {search!r}")
    base = post or PostprocessConfig()
    if search == "full":
        return {"base": post}
    if base.method != "refined":
        raise ConfigError(f"calibration search 'threshold' keeps the post-processing's curve, "
                          f"merge gap and minimum duration, which only the 'refined' method "
                          f"has; the post-processing uses {base.method!r} (use search "
                          f"'full', or method 'refined')")
    return {"base": base, "curves": (base.curve,), "merge_gaps_s": (base.merge_gap_s,),
            "min_durations_s": (base.min_duration_s,)}


def calibrate_models(
    model_paths: Mapping[str, Path],
    dataset_dirs: Mapping[str, Path],
    corpus_root: str | Path,
    *,
    labels: Sequence[str],
    hop_s: float,
    splits: Sequence[str] = CALIBRATION_SPLITS,
    post: PostprocessConfig | None = None,
    search: str = "threshold",
    f1_tolerance: float | None = None,
    log_path: str | Path | None = None,
) -> dict[str, dict[str, Any]]:
    """Calibrate every trained model on its held-out tapes; save each in place.

    Parameters
    ----------
    model_paths : mapping
        Variant -> its ``model.pt``.
    dataset_dirs : mapping
        Variant -> its dataset folder (with ``variant_index.parquet``).
    corpus_root : path
        The training corpus (``corpus_index.parquet``, ``corpus_recordings.parquet``).
    labels : sequence of str
        Target labels of the ground truth.
    hop_s : float
        Window step of the validation prediction.
    splits : sequence of {"val", "test"}
        The dataset splits whose tapes calibrate (:func:`held_out_tapes`).
    post : PostprocessConfig, optional
        The pipeline's post-processing: the base of every operating point.
    search : {"threshold", "full"}
        What is chosen besides the temperature (:func:`search_grid`).
    f1_tolerance : float, optional
        How far below the best validation F1 a threshold still counts as tied (default: one
        standard error; 0: only exact ties; see
        :func:`alpacaspot.evaluate.choose_operating_point`).
    log_path : path, optional
        Write the calibration records (JSON) here.

    Returns
    -------
    dict
        Variant -> ``provenance["calibration"]`` of its model (without the recordings
        list, with ``tapes`` and ``search`` added); variants without held-out tapes or
        events are absent (left uncalibrated, with a warning).

    Raises
    ------
    ConfigError
        An unknown split or search, ``search="threshold"`` with a post-processing
        method other than ``refined``, or a tolerance that is not a number in [0, 1).

    Examples
    --------
    >>> calibrate_models(plan.model_paths, dirs, "data/training_corpus", labels=["hum"],
    ...                  hop_s=0.05)  # doctest: +SKIP
    """
    from alpacaspot.data import Corpus
    from alpacaspot.detect import calibrate
    from alpacaspot.evaluate import load_ground_truth
    from alpacaspot.models import load_model, save_model

    grid = search_grid(post, search)
    check_f1_tolerance(f1_tolerance)
    root = Path(corpus_root)
    corpus = Corpus.load(root)
    truth = load_ground_truth(root, labels=list(labels))
    recs = corpus.recordings
    records: dict[str, dict[str, Any]] = {}
    for name in sorted(model_paths):
        path = Path(model_paths[name])
        tapes = held_out_tapes(dataset_dirs[name], splits)
        files = sorted(recs.loc[recs["tape"].astype(str).isin(tapes), "recording"].astype(str))
        if not files:
            _log.warning("model %s: no held-out tape in %s; it keeps no operating point",
                         name, "/".join(splits))
            continue
        if not truth["recording"].astype(str).isin(files).any():
            _log.warning("model %s: no %s event on its held-out tapes %s; it keeps no "
                         "operating point", name, "/".join(labels), tapes)
            continue
        bundle = load_model(path)
        calibrated = calibrate(bundle, [root / f for f in files], truth, root=root,
                               hop_s=hop_s, labels=labels, f1_tolerance=f1_tolerance,
                               progress=False, **grid)
        if calibrated is bundle:
            _log.info("model %s already calibrated on these inputs", name)
        else:
            save_model(path, calibrated)
        record = dict(calibrated.provenance["calibration"])
        record.pop("recordings", None)
        records[name] = {"tapes": tapes, "search": search, **record}
    if log_path is not None:
        atomic_write_text(Path(log_path), json.dumps(records, indent=2, sort_keys=True) + "\n")
    return records
