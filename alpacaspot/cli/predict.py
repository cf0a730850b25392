"""``alpacaspot predict <predict.cfg>``, ``fit-shared`` and ``combine``: commands that load models.

``predict`` stores window scores (idempotent: complete files are kept) and, when asked,
ANIMAL-SPOT prediction logs. ``fit-shared`` fits a model file to shared-mode prediction;
``combine`` writes an ensemble of model files (:func:`alpacaspot.models.combine_models`).
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
from pathlib import Path, PurePosixPath

import pandas as pd

from alpacaspot.detect.cfg import FRONTEND_CHOICES, read_predict_cfg
from alpacaspot.errors import ConfigError

__all__ = ["run_predict", "run_fit_shared", "run_combine"]

_log = logging.getLogger(__name__)


def run_fit_shared(args: argparse.Namespace) -> int:
    """Fit a model file to shared-mode prediction and write the fitted model file.

    Examples
    --------
    >>> import argparse
    >>> run_fit_shared(argparse.Namespace(  # doctest: +SKIP
    ...     model="model.pt", audio=["rec/"], output="fit.pt",
    ...     hop=0.05, passes=1, steps=400, lr=3e-4, seed=0, device="auto",
    ...     num_threads=None))
    0
    """
    from alpacaspot.detect.shared_fit import fit_shared
    from alpacaspot.models import load_model, save_model

    bundle = load_model(args.model, device="cpu")
    audio = [Path(a) for a in args.audio]
    fitted = fit_shared(bundle, audio if len(audio) > 1 else audio[0], hop_s=args.hop,
                        passes=args.passes, steps=args.steps, lr=args.lr, seed=args.seed,
                        device=args.device, num_threads=args.num_threads)
    out = save_model(args.output, fitted)
    record = fitted.provenance["shared_fit"]
    _log.info("fit-shared: loss %.3g -> %.3g; wrote %s (use it with mode=shared)",
              record["first_loss"], record["final_loss"], out)
    return 0


def run_combine(args: argparse.Namespace) -> int:
    """Combine model files of other seeds into one ensemble model file.

    The ensemble is uncalibrated: give its predict or eval cfg a threshold, or calibrate it
    with :func:`alpacaspot.detect.calibrate`.

    Examples
    --------
    >>> import argparse
    >>> run_combine(argparse.Namespace(models=["s1.pt", "s2.pt", "s3.pt"],
    ...                                output="ensemble.pt"))  # doctest: +SKIP
    0
    """
    from alpacaspot.models import combine_models, save_model

    ensemble = combine_models([Path(m) for m in args.models])
    out = save_model(args.output, ensemble)
    _log.info("combine: %d models -> %s (fingerprint %s; uncalibrated)", len(args.models), out,
              ensemble.fingerprint())
    return 0


def run_predict(args: argparse.Namespace) -> int:
    """Run a predict.cfg; 0 when every recording was scored, 1 when some were skipped.

    ``args.frontend`` (``--frontend``), when given, replaces the cfg's ``frontend`` key.

    Examples
    --------
    >>> import argparse
    >>> run_predict(argparse.Namespace(cfg="predict.cfg", frontend=None))  # doctest: +SKIP
    0
    """
    from alpacaspot.detect.inference import predict_scores
    from alpacaspot.models import load_model

    cfg_path = Path(args.cfg)
    s = read_predict_cfg(cfg_path)
    s = dataclasses.replace(s, frontend=getattr(args, "frontend", None) or s.frontend)
    if s.frontend not in FRONTEND_CHOICES:
        raise ConfigError(f"--frontend must be one of {list(FRONTEND_CHOICES)}, "
                          f"got {s.frontend!r}")
    if s.mode == "shared" and s.frontend != "auto":
        raise ConfigError(f"--frontend {s.frontend} applies to mode=exact, but the cfg asks "
                          "for mode=shared", path=cfg_path)
    bundle = load_model(
        s.model_path,
        device="cpu" if s.device == "auto" else s.device,
        sequence_len_s=s.sequence_len_s,
        normalization="minmax" if s.min_max_norm else "ref_level",
    )
    if s.sequence_len_s is not None and abs(bundle.window_s - s.sequence_len_s) > 1e-9:
        raise ConfigError(
            f"sequence_len={s.sequence_len_s} s but the model was trained on "
            f"{bundle.window_s} s windows (the model file decides)",
            path=cfg_path,
        )
    scores = predict_scores(
        bundle, s.input_file, hop_s=s.hop_s, batch_size=s.batch_size, device=s.device,
        num_threads=s.num_threads, out_dir=s.scores_dir, overwrite=s.overwrite,
        root=s.input_root, mode=s.mode, precision=s.precision, shared_passes=s.shared_passes,
        channel=s.channel, frontend=s.frontend_arg,
    )
    if s.write_log and s.output_dir is not None:
        _write_logs(scores, s, bundle)
    failed = scores.attrs.get("failed", {})
    used = scores.attrs.get("runner", {}).get("frontend", "none: every score was stored")
    _log.info("predict: %d recording(s) scored into %s, %d skipped (front end: %s)",
              scores["recording"].nunique(), s.scores_dir, len(failed),
              used if s.mode == "exact" else "shared mode's own")
    return 1 if failed else 0


def _write_logs(scores: pd.DataFrame, s, bundle) -> None:  # type: ignore[no-untyped-def]
    from alpacaspot.io.animalspot import predict_log_name, write_predict_log

    cfg = bundle.spectrogram_config
    for rec, part in scores.groupby("recording", sort=True):
        rel = PurePosixPath(str(rec))
        path = s.output_dir / rel.parent / predict_log_name(str(rec))
        if path.is_file() and not s.overwrite:
            continue
        n = int(round(float(part["end_s"].max()) * cfg.sr))
        write_predict_log(
            path, part, threshold=s.threshold, sequence_len_s=bundle.window_s, hop_s=s.hop_s,
            sr=cfg.sr, n_samples=n, model_path=str(s.model_path), data_opts=cfg.to_dict(),
            classes=bundle.classes, min_max_norm=cfg.normalization == "minmax",
        )
