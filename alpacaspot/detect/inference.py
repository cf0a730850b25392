"""Sliding-window prediction: a trained model over long recordings -> window scores.

The front end never loops over windows in Python (see :mod:`alpacaspot.detect.frontends`:
``"cpu"`` by default, ``"torch"`` on the model's device when it runs on CUDA); the network
runs on batches under ``torch.inference_mode()``, prepared once per call
(:mod:`alpacaspot.detect._runner`), while a background thread prepares the next batch.
Scores of one recording are stored once, as ``<out_dir>/<recording>.parquet``; thresholds,
merging and metrics are then CPU work over them.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from alpacaspot._atomic import remove_stale_partial_files
from alpacaspot.detect._inputs import (
    feeds_short_as_is,
    note_input,
    recording_grid,
    resolve_inputs,
    scores_path,
)
from alpacaspot.detect._reuse import identity_of, operating_point_meta, stored_scores
from alpacaspot.detect._runner import PRECISIONS, Runner, prepare_runner, resolve_device
from alpacaspot.detect.frontends import FrontEnd, default_frontend, get_frontend
from alpacaspot.detect.frontends.cpu import single_window
from alpacaspot.dsp.grid import WindowGrid, window_grid
from alpacaspot.errors import AlpacaspotError, AudioError, ConfigError
from alpacaspot.evaluate.calibration import apply_temperature
from alpacaspot.io import (
    audio_info,
    read_audio,
    write_table,
)
from alpacaspot.io.audio import DEFAULT_RESAMPLER
from alpacaspot.io.schemas import WINDOW_SCORES

if TYPE_CHECKING:
    from alpacaspot.models.bundle import ModelBundle

__all__ = ["predict_scores", "MODES", "recording_grid"]

_log = logging.getLogger(__name__)

MODES = ("exact", "shared")
PathLike = str | os.PathLike[str]


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


def _exact_probs(
    runner: Runner,
    frontend: FrontEnd,
    path: Path,
    grid: WindowGrid,
    bundle: ModelBundle,
    *,
    batch_size: int,
    bf16_tolerance: float,
    progress: Any,
    channel: int | None = None,
    resampler: str = DEFAULT_RESAMPLER,
) -> np.ndarray:
    probs = np.empty((grid.count, len(bundle.classes)), dtype=np.float64)
    batches = frontend.batches(
        path, grid, bundle.spectrogram_config, bundle.window_frames, batch_size=batch_size,
        channel=channel, resampler=resampler, pad_short=not feeds_short_as_is(bundle),
    )
    for batch in batches:
        n = batch.inputs.shape[0]
        if runner.precision in ("bf16", "auto") and runner.bf16_max_abs_diff is None:
            out = runner.check_bf16(batch.inputs, bf16_tolerance)
        else:
            out = runner(batch.inputs)
        probs[batch.first : batch.first + n] = out
        progress.update(n)
    return probs


def predict_scores(
    bundle: ModelBundle,
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
    channel: int | None = None,
    resampler: str | None = None,
    frontend: str | None = None,
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
    channel : int, optional
        1-based channel to score (a Raven table's ``Channel``); ``None`` averages the
        channels. A file without that channel is reported in ``attrs["failed"]``.
    resampler : {"polyphase", "kaiser_best"}, optional
        How files at another sample rate are resampled to the model's; default the model's
        own (``bundle.resampler``: ``"kaiser_best"``, ANIMAL-SPOT's, for imported models).
        Pass ``"kaiser_best"`` to resample any model's input exactly as ANIMAL-SPOT does.
        Averaged channels and resampling are logged once per file.
    frontend : {"cpu", "torch"}, optional
        ``mode="exact"``: what turns audio into the network's inputs
        (:mod:`alpacaspot.detect.frontends`). Default: ``"torch"`` (on the model's device)
        when the model runs on CUDA, else ``"cpu"``. Both give the same inputs within float32
        rounding (1e-4); the chosen one is in ``attrs["runner"]["frontend"]``.

    Returns
    -------
    pandas.DataFrame
        WINDOW_SCORES table (``recording, window, begin_s, end_s, p_<class>...``) of every
        recording that could be read, sorted by recording and window. Recordings that could
        not be read (corrupt, empty, shorter than one STFT frame, without the channel) are
        logged and skipped; ``table.attrs["failed"]`` maps their names to the reason. A
        recording shorter than one window is scored as one window (logged): models imported
        from ANIMAL-SPOT see its own frames, as there; alpacaspot's models see it centred
        between zero frames, as training fits short clips. Probabilities are
        calibrated with the model's ``temperature``; a model with an operating point puts it
        (JSON) in ``attrs["operating_point"]`` and in each stored file's metadata, so that
        ``scores_to_events(scores)`` uses it, also on scores read back with ``load_scores``.

    Raises
    ------
    ConfigError
        Bad options (mode, precision, device, hop, frontend).
    AudioError
        An input path that does not exist, or every input failed (the message names each
        file and why).

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
    dev = resolve_device(device)
    frontend_name = default_frontend(dev) if frontend is None else frontend
    front = get_frontend(frontend_name, device=dev)
    if resampler is None:
        resampler = str(getattr(bundle, "resampler", DEFAULT_RESAMPLER))
    if channel is not None and (isinstance(channel, bool) or int(channel) != channel
                                or int(channel) < 1):
        raise ConfigError(f"channel must be a positive (1-based) integer, got {channel!r}")
    if mode == "shared" and frontend is not None:
        raise ConfigError("frontend= applies to mode='exact'; shared mode computes its own "
                          "block spectrograms (on the model's device)")
    if mode == "shared" and channel is not None:
        raise ConfigError("mode='shared' averages the channels; use mode='exact' for channel=")
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
                info = audio_info(path)
                grid = recording_grid(path, bundle, hop_s, info=info, channel=channel)
                if mode == "shared" and info.sample_rate != grid.sr:
                    used = DEFAULT_RESAMPLER
                    if resampler != DEFAULT_RESAMPLER:
                        _log.warning("%s: mode='shared' resamples with %s, not %s", rec, used,
                                     resampler)
                else:
                    used = resampler
                note_input(rec, info, grid, bundle, channel, used)
                grids.append((path, rec, grid))
            except AlpacaspotError as exc:
                _log.error("skipping recording %s: %s", rec, exc)
                failed[rec] = str(exc)
        total = sum(g.count for _, _, g in grids if g is not None)
        identity = identity_of(bundle, mode, shared_passes) if out_dir is not None else {}
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
                    done = stored_scores(target, grid, classes, identity)
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
                        probs = _exact_probs(runner, front, path, grid, bundle,
                                             batch_size=batch_size,
                                             bf16_tolerance=bf16_tolerance, progress=bar,
                                             channel=channel, resampler=resampler)
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
                                          **operating_point_meta(bundle)})
                tables.append(table)
    finally:
        if num_threads is not None:
            torch.set_num_threads(old_threads)
    if failed and not tables:
        raise AudioError("every input failed: " + "; ".join(
            f"{rec}: {why}" for rec, why in sorted(failed.items())))
    result = pd.concat(tables, ignore_index=True) if tables else _empty(classes)
    result = WINDOW_SCORES.validate(result)
    result.attrs["failed"] = failed
    result.attrs.update(operating_point_meta(bundle))
    if runner is not None:
        result.attrs["runner"] = {"compiled": runner.compiled, "precision": runner.precision,
                                  "bf16_max_abs_diff": runner.bf16_max_abs_diff,
                                  "frontend": front.name, **runner.info}
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
    bundle: ModelBundle, path: PathLike, *, hop_s: float, recording: str | None = None
) -> pd.DataFrame:
    """Straightforward per-window prediction: cut each window, transform, classify alone.

    Slow (one network call per window, eager, as ANIMAL-SPOT predicts); it is the yardstick
    the fast path is tested and benchmarked against.

    Examples
    --------
    >>> reference_scores(bundle, "a.wav", hop_s=0.05)  # doctest: +SKIP
    """
    cfg = bundle.spectrogram_config
    x, _ = read_audio(path, sr=cfg.sr,
                      resampler=str(getattr(bundle, "resampler", DEFAULT_RESAMPLER)))
    grid = window_grid(len(x), cfg.sr, window_s=bundle.window_s, hop_s=hop_s)
    pad = not feeds_short_as_is(bundle)
    net = bundle.network.eval()
    probs = np.empty((grid.count, len(bundle.classes)))
    with torch.inference_mode():
        for i, start in enumerate(grid.starts):
            win = single_window(x[start : start + grid.length], cfg, bundle.window_frames,
                                pad=pad)
            logits = net(torch.from_numpy(win)[None, None])
            probs[i] = torch.softmax(logits, dim=1)[0].numpy()
    probs = apply_temperature(probs, float(getattr(bundle, "temperature", 1.0)))
    name = recording if recording is not None else Path(path).name
    return WINDOW_SCORES.validate(_table(name, grid, probs, tuple(bundle.classes)))
