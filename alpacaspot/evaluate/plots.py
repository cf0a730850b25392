"""Plots of evaluation results: leaderboard, threshold curves, PR curves, per-tape heat map,
boundary-error box plots and a detection view.

Every function builds a :class:`matplotlib.figure.Figure` without pyplot (headless, no global
state; the Agg canvas), returns it, and saves a PNG when ``path`` is given.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from alpacaspot.errors import SchemaError
from alpacaspot.evaluate.sweep import average_precision

__all__ = [
    "plot_leaderboard",
    "plot_threshold_curves",
    "plot_pr_curves",
    "plot_tape_heatmap",
    "plot_boundary_errors",
    "plot_detections",
]

PathLike = str | os.PathLike[str]


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _save(fig: Figure, path: PathLike | None) -> Figure:
    if path is not None:
        from alpacaspot._atomic import atomic_path

        with atomic_path(path) as tmp:
            fig.savefig(tmp, format="png", dpi=100, metadata={"Software": None})
    return fig


def _need(table: pd.DataFrame, cols: Sequence[str], what: str) -> None:
    missing = [c for c in cols if c not in table.columns]
    if missing:
        raise SchemaError(f"{what} needs column(s) {missing}; got {list(table.columns)}",
                          path=table.attrs.get("path"))


def _pick_criterion(table: pd.DataFrame, criterion: str | None) -> pd.DataFrame:
    if "criterion" not in table.columns or len(table) == 0:
        return table
    crit = criterion if criterion is not None else sorted(table["criterion"].unique())[0]
    return table[table["criterion"] == crit]


def _curve_key(table: pd.DataFrame) -> pd.Series:
    parts = [table["model"].astype(str)]
    if "seq_s" in table.columns and "hop_s" in table.columns:
        parts.append(" len" + (table["seq_s"] * 1000).round().astype(int).astype(str)
                     + " hop" + (table["hop_s"] * 1000).round().astype(int).astype(str))
    key = parts[0]
    for p in parts[1:]:
        key = key + p
    return key


def plot_leaderboard(metrics: pd.DataFrame, *, metric: str = "f1", criterion: str | None = None,
                     top: int = 20, path: PathLike | None = None) -> Figure:
    """Horizontal bars of the best ``top`` (model, tag) rows by ``metric``.

    Examples
    --------
    >>> import pandas as pd
    >>> m = pd.DataFrame({"model": ["a", "b"], "tag": ["t", "t"], "f1": [0.5, 0.7]})
    >>> plot_leaderboard(m).axes[0].get_title()
    'f1 leaderboard'
    """
    _need(metrics, ["model", "tag", metric], "leaderboard")
    t = _pick_criterion(metrics, criterion).sort_values(
        [metric, "model", "tag"], ascending=[False, True, True], kind="stable").head(top)
    fig = _figure(8, 1.2 + 0.35 * max(len(t), 1))
    ax = fig.add_subplot()
    names = (t["model"].astype(str) + " / " + t["tag"].astype(str)).tolist()[::-1]
    values = t[metric].to_numpy(dtype=float)[::-1]
    ax.barh(range(len(values)), values, color="tab:blue")
    ax.set_yticks(range(len(values)), names)
    for i, v in enumerate(values):
        ax.text(v, i, f" {v:.3f}", va="center", fontsize=8)
    ax.set_xlim(0, max(1.0, float(np.nanmax(values)) if len(values) else 1.0) * 1.1)
    ax.set_xlabel(metric)
    ax.set_title(f"{metric} leaderboard")
    return _save(fig, path)


def plot_threshold_curves(table: pd.DataFrame, *, criterion: str | None = None,
                          path: PathLike | None = None) -> Figure:
    """Precision, recall and F1 against the threshold, one line per model (and window/hop).

    Takes the metrics table (one point per tag) or a sweep table.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"model": "a", "threshold": [0.5, 0.9], "precision": [0.4, 0.8],
    ...                   "recall": [0.9, 0.5], "f1": [0.55, 0.62]})
    >>> len(plot_threshold_curves(t).axes)
    3
    """
    _need(table, ["model", "threshold", "precision", "recall", "f1"], "threshold curves")
    t = _pick_criterion(table, criterion).assign(_key=lambda d: _curve_key(d))
    fig = _figure(12, 4)
    axes = fig.subplots(1, 3, sharey=True)
    for ax, metric in zip(axes, ("precision", "recall", "f1"), strict=True):
        for key, grp in t.groupby("_key", sort=True):
            g = grp.sort_values("threshold")
            ax.plot(g["threshold"], g[metric], marker=".", label=key)
        ax.set_xlabel("threshold")
        ax.set_title(metric)
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    return _save(fig, path)


def plot_pr_curves(table: pd.DataFrame, *, criterion: str | None = None,
                   path: PathLike | None = None) -> Figure:
    """Precision-recall curves with average precision in the legend.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"model": "a", "threshold": [0.5, 0.9], "precision": [0.4, 0.8],
    ...                   "recall": [0.9, 0.5], "f1": [0.55, 0.62]})
    >>> plot_pr_curves(t).axes[0].get_xlabel()
    'recall'
    """
    _need(table, ["model", "threshold", "precision", "recall"], "PR curves")
    t = _pick_criterion(table, criterion).assign(_key=lambda d: _curve_key(d))
    fig = _figure(6, 5)
    ax = fig.add_subplot()
    for key, grp in t.groupby("_key", sort=True):
        g = grp.sort_values("threshold")
        ap = average_precision(g["precision"], g["recall"])
        ax.plot(g["recall"], g["precision"], marker=".", label=f"{key} (AP {ap:.3f})")
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    ax.set_title("precision-recall")
    return _save(fig, path)


def plot_tape_heatmap(per_tape: pd.DataFrame, *, metric: str = "recall",
                      criterion: str | None = None, path: PathLike | None = None) -> Figure:
    """Heat map of a per-tape metric: one row per (model, tag), one column per tape.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"model": "a", "tag": "t", "tape": ["x", "y"], "recall": [0.5, 1.0]})
    >>> plot_tape_heatmap(t).axes[0].get_title()
    'recall per tape'
    """
    _need(per_tape, ["model", "tag", "tape", metric], "tape heat map")
    t = _pick_criterion(per_tape, criterion)
    grid = t.assign(run=t["model"].astype(str) + " / " + t["tag"].astype(str)).pivot_table(
        index="run", columns="tape", values=metric, aggfunc="mean", sort=True)
    label = max((len(str(i)) for i in grid.index), default=0)  # 7 pt: about 0.06 in a char
    fig = _figure(1.5 + 0.6 * max(grid.shape[1], 1) + 0.06 * label,
                  1.5 + 0.35 * max(grid.shape[0], 1))
    ax = fig.add_subplot()
    im = ax.imshow(grid.to_numpy(dtype=float), vmin=0, vmax=1, cmap="viridis", aspect="auto")
    ax.set_xticks(range(grid.shape[1]), [str(c) for c in grid.columns], rotation=60,
                  ha="right", fontsize=7)
    ax.set_yticks(range(grid.shape[0]), [str(i) for i in grid.index], fontsize=7)
    for (i, j), v in np.ndenumerate(grid.to_numpy(dtype=float)):
        if np.isfinite(v):
            ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=6, color="w")
    fig.colorbar(im, ax=ax)
    ax.set_title(f"{metric} per tape")
    return _save(fig, path)


def plot_boundary_errors(pairs: pd.DataFrame, *, criterion: str | None = None,
                         path: PathLike | None = None) -> Figure:
    """Box plots of onset and offset errors (ms) of matched pairs, per (model, tag).

    Takes the ``metrics_pairs.parquet`` table (``model, tag, d_onset_s, d_offset_s``).

    Examples
    --------
    >>> import pandas as pd
    >>> p = pd.DataFrame({"model": "a", "tag": "t", "d_onset_s": [0.01, -0.02],
    ...                   "d_offset_s": [0.03, 0.0]})
    >>> len(plot_boundary_errors(p).axes)
    2
    """
    _need(pairs, ["model", "tag", "d_onset_s", "d_offset_s"], "boundary errors")
    t = _pick_criterion(pairs, criterion)
    runs = sorted((t["model"].astype(str) + " / " + t["tag"].astype(str)).unique())
    key = t["model"].astype(str) + " / " + t["tag"].astype(str)
    fig = _figure(max(6, 1 + 0.8 * len(runs)), 6)
    axes = fig.subplots(2, 1, sharex=True)
    for ax, col, title in zip(axes, ("d_onset_s", "d_offset_s"), ("onset", "offset"),
                              strict=True):
        data = [t.loc[key == r, col].to_numpy(dtype=float) * 1000.0 for r in runs]
        if runs:
            ax.boxplot(data, showfliers=False)
        ax.axhline(0, color="grey", lw=0.8)
        ax.set_ylabel(f"{title} error (ms, pred - gt)")
        ax.grid(alpha=0.3)
    if runs:
        axes[1].set_xticks(range(1, len(runs) + 1), runs, rotation=60, ha="right", fontsize=7)
    axes[0].set_title("boundary errors of matched pairs")
    return _save(fig, path)


def _image(samples: np.ndarray, sr: int, config: object | None
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(dB image freq x time, times of frame starts, frequencies)."""
    if config is not None:
        from alpacaspot.dsp import spectrogram

        spec = np.asarray(spectrogram(samples, config), dtype=float)  # frames x bins
        hop = config.hop_length / config.sr
        times = np.arange(spec.shape[0] + 1) * hop
        freqs = np.linspace(config.fmin, config.fmax, spec.shape[1] + 1)
        return spec.T, times, freqs
    from scipy.signal import spectrogram as scipy_spectrogram

    nperseg = int(min(1024, max(16, len(samples))))
    step = nperseg - nperseg * 3 // 4
    f, t, s = scipy_spectrogram(samples, fs=sr, nperseg=nperseg, noverlap=nperseg - step)
    db = 10 * np.log10(np.maximum(s, 1e-12))
    dt, df = step / sr, sr / nperseg
    times = np.r_[t - dt / 2, (t[-1] + dt / 2) if len(t) else dt / 2]
    freqs = np.r_[f - df / 2, f[-1] + df / 2].clip(0, sr / 2)
    return db, times, freqs


def plot_detections(
    audio: PathLike | tuple[np.ndarray, int],
    gt: pd.DataFrame | None,
    pred: pd.DataFrame | None,
    *,
    start_s: float = 0.0,
    end_s: float | None = None,
    recording: str | None = None,
    config: object | None = None,
    path: PathLike | None = None,
) -> Figure:
    """Spectrogram of a stretch of a recording with reference and detected events as boxes.

    Parameters
    ----------
    audio : path or (samples, sample_rate)
        The recording (read with :func:`alpacaspot.io.read_audio`), or samples of the whole
        recording.
    gt, pred : pandas.DataFrame, optional
        Events (``begin_s, end_s``; ``low_hz``/``high_hz`` used when present). Filtered to
        ``recording`` when given and to the shown stretch.
    start_s, end_s : float
        The stretch to show (seconds from the recording's start).
    config : SpectrogramConfig, optional
        Draw with :func:`alpacaspot.dsp.spectrogram`; a scipy spectrogram otherwise.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> x = np.random.default_rng(0).normal(size=8000).astype("float32")
    >>> gt = pd.DataFrame({"begin_s": [0.2], "end_s": [0.5]})
    >>> fig = plot_detections((x, 8000), gt, gt, start_s=0.0, end_s=1.0)
    >>> len(fig.axes[0].patches)
    2
    """
    if isinstance(audio, tuple):
        samples, sr = np.asarray(audio[0], dtype=np.float32), int(audio[1])
        a = int(round(start_s * sr))
        b = len(samples) if end_s is None else int(round(end_s * sr))
        samples = samples[a:b]
    else:
        from alpacaspot.io import read_audio

        samples, sr = read_audio(audio, start_s=start_s, end_s=end_s)
    stop_s = start_s + len(samples) / sr
    img, times, freqs = _image(samples, sr, config)
    fig = _figure(10, 4)
    ax = fig.add_subplot()
    if img.size:
        ax.pcolormesh(times[: img.shape[1] + 1] + start_s, freqs[: img.shape[0] + 1], img,
                      shading="flat", cmap="magma")
    f_lo, f_hi = float(freqs[0]), float(freqs[-1])
    styles = ((gt, "lime", "-", "ground truth"), (pred, "cyan", "--", "detection"))
    for table, color, ls, label in styles:
        if table is None or len(table) == 0:
            continue
        t = table
        if recording is not None and "recording" in t.columns:
            t = t[t["recording"].astype(str) == recording]
        t = t[(t["end_s"] > start_s) & (t["begin_s"] < stop_s)]
        for i, ev in enumerate(t.itertuples(index=False)):
            lo = getattr(ev, "low_hz", None)
            hi = getattr(ev, "high_hz", None)
            lo = f_lo if lo is None or pd.isna(lo) else float(lo)
            hi = f_hi if hi is None or pd.isna(hi) else float(hi)
            ax.add_patch(Rectangle((ev.begin_s, lo), ev.end_s - ev.begin_s, hi - lo, fill=False,
                                   edgecolor=color, linestyle=ls, linewidth=1.5,
                                   label=label if i == 0 else None))
    ax.set_xlim(start_s, stop_s)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("frequency (Hz)")
    ax.set_title(recording or "detections")
    if ax.patches:
        ax.legend(loc="upper right", fontsize=8)
    return _save(fig, path)
