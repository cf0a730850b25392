"""Sliding-window prediction: a trained model over long recordings -> window scores.

The front end never loops over windows in Python (see :mod:`alpacaspot.detect._frontend`);
the network runs on batches under ``torch.inference_mode()``, prepared once per call
(:mod:`alpacaspot.detect._runner`), while a background thread prepares the next batch.
Scores of one recording are stored once, as ``<out_dir>/<recording>.parquet``; thresholds,
merging and metrics are then CPU work over them.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from alpacaspot._atomic import remove_stale_partial_files
from alpacaspot.detect._frontend import prefetch, single_window, window_batches
from alpacaspot.detect._inputs import resolve_inputs, scores_path
from alpacaspot.detect._runner import PRECISIONS, Runner, prepare_runner, resolve_device
from alpacaspot.detect.windows import WindowGrid, window_grid
from alpacaspot.errors import AlpacaspotError, ConfigError
from alpacaspot.evaluate.calibration import apply_temperature
from alpacaspot.events import OPERATING_POINT_KEY
from alpacaspot.io import audio_info, read_audio, read_table, read_table_metadata, write_table
from alpacaspot.io.schemas import WINDOW_SCORES

__all__ = ["predict_scores", "MODES"]

_log = logging.getLogger(__name__)

MODES = ("exact", "shared")
PathLike = str | os.PathLike[str]


def recording_grid(path: Path, bundle: Any, hop_s: float) -> WindowGrid:
    """The window grid of a recording at the model's sample rate (from its header)."""
    info = audio_info(path)
    sr = int(bundle.spectrogram_config.sr)
    n = int(info.frames) if int(info.sample_rate) == sr else int(
        np.ceil(info.frames * sr / info.sample_rate)
    )
    if n <= 0:
        raise AlpacaspotError("recording holds no samples", path=path)
    return window_grid(n, sr, window_s=bundle.window_s, hop_s=hop_s)


def _table(
    recording: str, grid: WindowGrid, probs: np.ndarray, classes: Sequence[str]
) -> pd.DataFrame:
    data: dict[str, Any] = {
        "recording": np.full(grid.count, recording, dtype=object),
        "window": np.arange(grid.count, dtype=np.int64),
        "begin_s": grid.begin_s,
        "end_s": grid.end_s,
    }
    for k, name in enumerate(classes):
        data[f"p_{name}"] = probs[:, k]
    return pd.DataFrame(data)


def _identity(bundle: Any, mode: str, passes: int) -> dict[str, Any]:
    """What made a scores file: stored with it and compared before it is reused."""
    fingerprint = getattr(bundle, "fingerprint", None)
    identity: dict[str, Any] = {"model": fingerprint() if callable(fingerprint) else None,
                                "mode": mode}
    if mode == "shared":
        identity["shared_passes"] = int(passes)
    return identity


def _operating_point(bundle: Any) -> dict[str, str]:
    """The model's stored operating point as scores metadata (empty when it has none)."""
    op = getattr(bundle, "operating_point", None)
    return {} if op is None else {OPERATING_POINT_KEY: op.to_json()}


def _stored(
    path: Path, grid: WindowGrid, classes: Sequence[str], identity: dict[str, Any]
) -> pd.DataFrame | None:
    """The stored scores when complete for this grid, class list and model, else None.

    Files without an identity (written by older versions) are judged by grid and classes.
    """
    if not path.is_file():
        return None
    try:
        table = read_table(path, schema=WINDOW_SCORES)
        made_by = read_table_metadata(path)
    except AlpacaspotError as exc:
        _log.warning("recomputing unreadable window scores %s: %s", path, exc)
        return None
    differs = {k: (made_by[k], v) for k, v in identity.items()
               if k in made_by and v is not None and made_by[k] != v}
    if made_by and "mode" not in made_by:
        differs["mode"] = (None, identity["mode"])
    if differs:
        _log.warning("recomputing window scores %s: made by another model or mode %s",
                     path, differs)
        return None
    wanted = [f"p_{c}" for c in classes]
    if len(table) != grid.count or any(c not in table.columns for c in wanted):
        _log.warning("recomputing window scores %s: they do not fit this model/grid", path)
        return None
    if len(table) and not np.allclose(table["begin_s"].to_numpy(), grid.begin_s):
        _log.warning("recomputing window scores %s: another window hop", path)
        return None
    return table


def _exact_probs(
    runner: Runner,
    path: Path,
    grid: WindowGrid,
    bundle: Any,
    *,
    batch_size: int,
    bf16_tolerance: float,
    progress: Any,
) -> np.ndarray:
    probs = np.empty((grid.count, len(bundle.classes)), dtype=np.float64)
    batches = window_batches(
        path, grid, bundle.spectrogram_config, bundle.window_frames, batch_size=batch_size
    )
    for batch in prefetch(batches):
        n = batch.inputs.shape[0]
        if runner.precision in ("bf16", "auto") and runner.bf16_max_abs_diff is None:
            out = runner.check_bf16(batch.inputs, bf16_tolerance)
        else:
            out = runner(batch.inputs)
        probs[batch.first : batch.first + n] = out
        progress.update(n)
    return probs


def predict_scores(
    bundle: Any,
    audio: PathLike | Sequence[PathLike],
    *,
    hop_s: float,
    batch_size: int = 64,
    device: str = "auto",
    num_threads: int | None = None,
    out_dir: PathLike | None = None,
    overwrite: bool = False,
    root: PathLike | None = None,
    mode: str = "exact",
    precision: str = "fp32",
    bf16_tolerance: float = 1e-2,
    compile: bool = True,
    shared_passes: int | None = None,
    progress: bool | None = None,
) -> pd.DataFrame:
    """Score every sliding window of one or many recordings with a trained model.

    Parameters
    ----------
    bundle : ModelBundle
        The model with its spectrogram config, window length and class names.
    audio : path-like or sequence of path-like
        An audio file, a list of files, or a folder (searched recursively, sorted).
    hop_s : float
        Window step in seconds (``H = ceil(hop_s * sr)``; window ``i`` starts at ``i * H``).
    batch_size : int, default 64
        Windows per network call.
    device : str, default "auto"
        ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda"``, ``"cuda:1"``...
    num_threads : int, optional
        Torch CPU threads for this call (restored afterwards).
    out_dir : path-like, optional
        Store each recording's scores as ``<out_dir>/<recording>.parquet`` (atomically, with
        the model's fingerprint and the mode in the file's metadata). An existing file made by
        the same model and mode on the same window grid is read instead of recomputed unless
        ``overwrite``; one made by another model or mode is recomputed, with a warning.
    overwrite : bool, default False
        Recompute stored scores.
    root : path-like, optional
        Folder the ``recording`` names are relative to (default: the input folder, or the
        common parent of the input files).
    mode : {"exact", "shared"}
        ``"exact"``: each window is transformed and classified on its own samples (equal to
        cutting it out). ``"shared"`` (experimental): the encoder runs once over long blocks
        and windows pool its output (:mod:`alpacaspot.detect.shared`); much faster,
        approximate, and only accurate with a model fitted to it by
        :func:`alpacaspot.detect.fit_shared`.
    precision : {"fp32", "bf16", "auto"}
        ``"bf16"`` runs under bfloat16 autocast when the first batch's probabilities stay
        within ``bf16_tolerance`` of fp32 (else fp32, with a warning). ``"auto"`` times both
        on the first batch and keeps the faster (bf16 only within the tolerance).
    bf16_tolerance : float, default 1e-2
        Largest accepted probability change of bf16.
    compile : bool, default True
        Trace and freeze the network with TorchScript (eager on failure).
    shared_passes : int, optional
        ``mode="shared"``: shifted encoder passes per block (time resolution of the pooled
        features). Default: the passes a model fitted by :func:`fit_shared` was fitted for,
        else 2.
    progress : bool, optional
        tqdm progress bar (None: only on a terminal).

    Returns
    -------
    pandas.DataFrame
        WINDOW_SCORES table (``recording, window, begin_s, end_s, p_<class>...``) of every
        recording that could be read, sorted by recording and window. Recordings that could
        not be read (corrupt, empty) are logged and skipped;
        ``table.attrs["failed"]`` maps their names to the error message. Probabilities are
        calibrated with the model's ``temperature``; a model with an operating point puts it
        (JSON) in ``attrs["operating_point"]`` and in each stored file's metadata, so that
        ``scores_to_events(scores)`` uses it, also on scores read back with ``load_scores``.

    Raises
    ------
    ConfigError
        Bad options (mode, precision, device, hop).
    AudioError
        An input path that does not exist.

    Examples
    --------
    >>> from alpacaspot.models import load_model  # doctest: +SKIP
    >>> bundle = load_model("TRAINING/runs/models/v1/models/model.pt")  # doctest: +SKIP
    >>> scores = predict_scores(bundle, "recordings/", hop_s=0.05,
    ...                         out_dir="BENCHMARK/runs/v1/scores/len400_hop050")  # doctest: +SKIP
    >>> scores.columns.tolist()  # doctest: +SKIP
    ['recording', 'window', 'begin_s', 'end_s', 'p_noise', 'p_target']
    """
    if mode not in MODES:
        raise ConfigError(f"mode must be one of {MODES}, got {mode!r}")
    if not hop_s > 0:
        raise ConfigError(f"hop_s must be positive, got {hop_s}")
    if batch_size < 1:
        raise ConfigError(f"batch_size must be at least 1, got {batch_size}")
    if precision not in PRECISIONS:
        raise ConfigError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    resolve_device(device)
    fitted = (getattr(bundle, "provenance", None) or {}).get("shared_fit")
    if shared_passes is None:
        shared_passes = int(fitted["passes"]) if fitted else 2
    if mode == "exact" and fitted:
        _log.warning("this model was fitted for shared mode; its exact-mode scores are not "
                     "those of the model it was fitted from")
    elif mode == "shared" and not fitted:
        _log.warning("shared mode with a model not fitted for it (alpacaspot.detect."
                     "fit_shared): scores are a rough approximation of exact mode's")
    inputs = resolve_inputs(audio, root=root)
    classes = tuple(bundle.classes)
    old_threads = torch.get_num_threads()
    if num_threads is not None:
        torch.set_num_threads(int(num_threads))
    tables: list[pd.DataFrame] = []
    failed: dict[str, str] = {}
    runner: Runner | None = None
    shared: Any = None
    try:
        grids: list[tuple[Path, str, WindowGrid | None]] = []
        for path, rec in inputs:
            try:
                grids.append((path, rec, recording_grid(path, bundle, hop_s)))
            except AlpacaspotError as exc:
                _log.error("skipping recording %s: %s", rec, exc)
                failed[rec] = str(exc)
        total = sum(g.count for _, _, g in grids if g is not None)
        identity = _identity(bundle, mode, shared_passes) if out_dir is not None else {}
        if out_dir is not None:
            for folder in sorted({scores_path(out_dir, rec).parent for _, rec, _ in grids}):
                for stale in remove_stale_partial_files(folder):
                    _log.info("removed %s, left by a killed write", stale)
        bar = tqdm(total=total, unit="win", desc="predict",
                   disable=None if progress is None else not progress)
        with bar:
            for path, rec, grid in grids:
                assert grid is not None
                target = None if out_dir is None else scores_path(out_dir, rec)
                if target is not None and not overwrite:
                    done = _stored(target, grid, classes, identity)
                    if done is not None:
                        _log.info("window scores of %s exist: %s", rec, target)
                        tables.append(done)
                        bar.update(grid.count)
                        continue
                if mode == "exact" and runner is None:
                    example = np.zeros(
                        (min(batch_size, 8), bundle.window_frames,
                         bundle.spectrogram_config.n_freq_bins), np.float32)
                    runner = prepare_runner(bundle.network, example, device=device,
                                            precision=precision, compile=compile)
                if mode == "shared" and shared is None:
                    from alpacaspot.detect.shared import prepare_shared

                    shared = prepare_shared(bundle, device=device, compile=compile)
                try:
                    if mode == "shared":
                        from alpacaspot.detect.shared import shared_probs

                        probs = shared_probs(
                            bundle, path, grid, passes=shared_passes, prepared=shared,
                            progress=bar,
                        )
                    else:
                        probs = _exact_probs(runner, path, grid, bundle, batch_size=batch_size,
                                             bf16_tolerance=bf16_tolerance, progress=bar)
                except (AlpacaspotError, RuntimeError, OSError) as exc:
                    if isinstance(exc, RuntimeError) and not _is_audio_error(exc):
                        raise
                    _log.error("skipping recording %s: %s", rec, exc)
                    failed[rec] = str(exc)
                    continue
                probs = apply_temperature(probs, float(getattr(bundle, "temperature", 1.0)))
                table = _table(rec, grid, probs, classes)
                if target is not None:
                    write_table(table, target, schema=WINDOW_SCORES,
                                metadata={**identity, "hop_s": float(hop_s),
                                          **_operating_point(bundle)})
                tables.append(table)
    finally:
        if num_threads is not None:
            torch.set_num_threads(old_threads)
    result = pd.concat(tables, ignore_index=True) if tables else _empty(classes)
    result = WINDOW_SCORES.validate(result)
    result.attrs["failed"] = failed
    result.attrs.update(_operating_point(bundle))
    if runner is not None:
        result.attrs["runner"] = {"compiled": runner.compiled, "precision": runner.precision,
                                  "bf16_max_abs_diff": runner.bf16_max_abs_diff,
                                  **runner.info}
    return result


def _is_audio_error(exc: RuntimeError) -> bool:
    # soundfile reports decoding failures as RuntimeError subclasses (LibsndfileError)
    return type(exc).__module__.startswith("soundfile")


def _empty(classes: Sequence[str]) -> pd.DataFrame:
    table = WINDOW_SCORES.empty()
    for c in classes:
        table[f"p_{c}"] = pd.Series([], dtype="float64")
    return table


def reference_scores(
    bundle: Any, path: PathLike, *, hop_s: float, recording: str | None = None
) -> pd.DataFrame:
    """Straightforward per-window prediction: cut each window, transform, classify alone.

    Slow (one network call per window, eager, as ANIMAL-SPOT predicts); it is the yardstick
    the fast path is tested and benchmarked against.

    Examples
    --------
    >>> reference_scores(bundle, "a.wav", hop_s=0.05)  # doctest: +SKIP
    """
    cfg = bundle.spectrogram_config
    x, _ = read_audio(path, sr=cfg.sr)
    grid = window_grid(len(x), cfg.sr, window_s=bundle.window_s, hop_s=hop_s)
    net = bundle.network.eval()
    probs = np.empty((grid.count, len(bundle.classes)))
    with torch.inference_mode():
        for i, start in enumerate(grid.starts):
            win = single_window(x[start : start + grid.length], cfg, bundle.window_frames)
            logits = net(torch.from_numpy(win)[None, None])
            probs[i] = torch.softmax(logits, dim=1)[0].numpy()
    probs = apply_temperature(probs, float(getattr(bundle, "temperature", 1.0)))
    name = recording if recording is not None else Path(path).name
    return WINDOW_SCORES.validate(_table(name, grid, probs, tuple(bundle.classes)))
