"""Console entries ``alpacaspot predict <predict.cfg>`` and ``alpacaspot evaluate <eval.cfg>``.

``predict`` stores window scores (idempotent: complete files are kept) and, when asked,
ANIMAL-SPOT prediction logs. ``evaluate`` does no model work and never imports torch: it
thresholds stored window scores (or prediction logs) and writes the run's ``evaluation/``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
from pathlib import Path, PurePosixPath

import pandas as pd

from alpacaspot.detect.cfg import read_evaluate_cfg, read_predict_cfg
from alpacaspot.detect.postprocess import scores_to_events
from alpacaspot.detect.runs import write_evaluation
from alpacaspot.errors import ConfigError
from alpacaspot.io import read_table
from alpacaspot.io.schemas import WINDOW_SCORES

__all__ = ["run_predict", "run_evaluate"]

_log = logging.getLogger(__name__)


def run_fit_shared(args: argparse.Namespace) -> int:
    """Fit a model file to shared-mode prediction and write the fitted model file."""
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


def run_predict(args: argparse.Namespace) -> int:
    """Run a predict.cfg; 0 when every recording was scored, 1 when some were skipped."""
    from alpacaspot.detect.inference import predict_scores
    from alpacaspot.models import load_model

    cfg_path = Path(args.cfg)
    s = read_predict_cfg(cfg_path)
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
    )
    if s.write_log and s.output_dir is not None:
        _write_logs(scores, s, bundle)
    failed = scores.attrs.get("failed", {})
    _log.info("predict: %d recording(s) scored into %s, %d skipped",
              scores["recording"].nunique(), s.scores_dir, len(failed))
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


def _load_scores(folder: Path) -> tuple[pd.DataFrame, float]:
    files = sorted(folder.rglob("*.parquet"), key=lambda p: p.relative_to(folder).as_posix())
    if not files:
        raise ConfigError("no window scores (*.parquet) found", path=folder)
    tables = [read_table(f, schema=WINDOW_SCORES) for f in files]
    return pd.concat(tables, ignore_index=True), max(f.stat().st_mtime for f in files)


def _load_logs(folder: Path) -> tuple[pd.DataFrame, float]:
    from alpacaspot.io.animalspot import read_predict_log

    files = sorted(folder.rglob("*_predict_output.log"),
                   key=lambda p: p.relative_to(folder).as_posix())
    if not files:
        raise ConfigError("no prediction logs (*_predict_output.log) found", path=folder)
    tables = [read_predict_log(f) for f in files]
    return pd.concat(tables, ignore_index=True), max(f.stat().st_mtime for f in files)


def _tapes(corpus_root: Path | None) -> dict[str, str]:
    if corpus_root is None or not (corpus_root / "corpus_recordings.parquet").is_file():
        return {}
    table = read_table(corpus_root / "corpus_recordings.parquet", columns=["recording", "tape"])
    return dict(zip(table["recording"].astype(str), table["tape"].astype(str), strict=True))


def run_evaluate(args: argparse.Namespace) -> int:
    """Run an eval.cfg: stored window scores -> events -> the run's evaluation folder."""
    cfg_path = Path(args.cfg)
    s = read_evaluate_cfg(cfg_path)
    _log.info("evaluate %s: post-processing method=%s%s, threshold=%s", cfg_path, s.method,
              "" if s.method_from_cfg else " (the cfg names no method: ANIMAL-SPOT's merging)",
              s.threshold)
    if s.scores_dir is not None:
        scores, newest = _load_scores(s.scores_dir)
    else:
        assert s.prediction_dir is not None
        scores, newest = _load_logs(s.prediction_dir)
    index = s.output_dir / "index.parquet"
    if not s.overwrite and index.is_file() and index.stat().st_mtime >= newest:
        _log.info("evaluation %s is up to date; nothing to do", s.output_dir)
        return 0
    events = scores_to_events(scores, s.postprocess)
    stamp = dt.datetime.fromtimestamp(newest, tz=dt.timezone.utc).isoformat(timespec="seconds")
    write_evaluation(events, s.output_dir, recordings=sorted(set(scores["recording"])),
                     tapes=_tapes(s.corpus_root), generated_at=stamp)
    _log.info("evaluate: %d detection(s) in %d recording(s) -> %s", len(events),
              scores["recording"].nunique(), s.output_dir)
    return 0
