"""The pipeline's calibration step: each trained model on its dataset's validation tapes.

A model is calibrated (:func:`alpacaspot.detect.calibrate`) on the whole recordings of the
tapes its dataset variant put in the ``val`` split (``variant_index.parquet``), annotated by
the training corpus index. Tapes that also gave training or test clips are left out, so the
validation tapes are held out by tape; the benchmark corpus is another corpus and is never
seen. The calibrated model replaces ``model.pt`` atomically; a model already calibrated on
the same inputs is skipped, so re-running the pipeline redoes nothing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from alpacaspot._atomic import atomic_write_text
from alpacaspot.errors import ConfigError

__all__ = ["validation_tapes", "calibrate_models"]

_log = logging.getLogger(__name__)


def validation_tapes(dataset_dir: str | Path) -> list[str]:
    """The tapes of a dataset variant's ``val`` split that gave no training or test clip.

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> from alpacaspot.io import write_table
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = write_table(pd.DataFrame({"tape": ["t1", "t2", "t3"], "split": ["train", "val",
    ...                               "test"]}), d / "variant_index.parquet")
    >>> validation_tapes(d)
    ['t2']
    """
    from alpacaspot.io import read_table

    path = Path(dataset_dir) / "variant_index.parquet"
    if not path.is_file():
        raise ConfigError("no variant_index.parquet: prepare the dataset first", path=path)
    index = read_table(path, columns=["tape", "split"])
    split = index["split"].astype(str)
    tapes = index["tape"].astype(str)
    val = set(tapes[split == "val"])
    shared = sorted(val & set(tapes[split != "val"]))
    if shared:
        _log.warning("%s: tapes %s have clips in val and other splits; they are not used "
                     "for calibration", path, shared)
    return sorted(val - set(shared))


def calibrate_models(
    model_paths: Mapping[str, Path],
    dataset_dirs: Mapping[str, Path],
    corpus_root: str | Path,
    *,
    labels: Sequence[str],
    hop_s: float,
    log_path: str | Path | None = None,
) -> dict[str, dict[str, Any]]:
    """Calibrate every trained model on its validation tapes; save each in place.

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
    log_path : path, optional
        Write the calibration records (JSON) here.

    Returns
    -------
    dict
        Variant -> ``provenance["calibration"]`` of its model (without the recordings
        list); variants without validation tapes or events are absent (left uncalibrated,
        with a warning).

    Examples
    --------
    >>> calibrate_models(plan.model_paths, dirs, "data/training_corpus", labels=["hum"],
    ...                  hop_s=0.05)  # doctest: +SKIP
    """
    from alpacaspot.data import Corpus
    from alpacaspot.detect import calibrate
    from alpacaspot.evaluate import load_ground_truth
    from alpacaspot.models import load_model, save_model

    root = Path(corpus_root)
    corpus = Corpus.load(root)
    truth = load_ground_truth(root, labels=list(labels))
    recs = corpus.recordings
    records: dict[str, dict[str, Any]] = {}
    for name in sorted(model_paths):
        path = Path(model_paths[name])
        tapes = validation_tapes(dataset_dirs[name])
        files = sorted(recs.loc[recs["tape"].astype(str).isin(tapes), "recording"].astype(str))
        if not files:
            _log.warning("model %s: no validation tape; it keeps no operating point", name)
            continue
        if not truth["recording"].astype(str).isin(files).any():
            _log.warning("model %s: no %s event on its validation tapes %s; it keeps no "
                         "operating point", name, "/".join(labels), tapes)
            continue
        bundle = load_model(path)
        calibrated = calibrate(bundle, [root / f for f in files], truth, root=root,
                               hop_s=hop_s, labels=labels, progress=False)
        if calibrated is bundle:
            _log.info("model %s already calibrated on these inputs", name)
        else:
            save_model(path, calibrated)
        record = dict(calibrated.provenance["calibration"])
        record.pop("recordings", None)
        records[name] = {"tapes": tapes, **record}
    if log_path is not None:
        atomic_write_text(Path(log_path), json.dumps(records, indent=2, sort_keys=True) + "\n")
    return records
