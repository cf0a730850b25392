"""Spectrogram pictures of training clips (PNG, low frequencies at the bottom, axes in s and Hz).

The pictures are for eyeballing a dataset; they use a finer STFT than the model's front end
(``n_fft`` 1024, hop 128 at 48 kHz, scaled with the sample rate) and show 0..``fmax_hz``.
Files carry no timestamp, so the same clip gives the same bytes.
"""

from __future__ import annotations

import os

import numpy as np

from alpacaspot._atomic import atomic_path

__all__ = ["save_spectrogram_png"]


def save_spectrogram_png(
    samples: np.ndarray,
    sr: int,
    path: str | os.PathLike[str],
    *,
    fmax_hz: float = 8000.0,
    title: str | None = None,
) -> None:
    """Write a dB spectrogram picture of ``samples`` to ``path`` (atomically).

    Parameters
    ----------
    samples : numpy.ndarray
        Mono samples.
    sr : int
        Sample rate in Hz.
    path : path-like
        Destination ``.png``.
    fmax_hz : float, default 8000
        Highest frequency shown (capped at Nyquist).
    title : str, optional
        Picture title (default: the file name).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "c.png"
    >>> save_spectrogram_png(np.random.default_rng(0).standard_normal(8000), 16000, p)
    >>> p.read_bytes()[:4]
    b'\\x89PNG'
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    from alpacaspot.dsp import SpectrogramConfig, spectrogram

    n_fft = max(64, int(2 ** round(np.log2(1024 * sr / 48000))))
    hop = max(1, n_fft // 8)
    fmax = min(float(fmax_hz), sr / 2)
    n_bins = max(2, int(np.ceil(n_fft * fmax / sr)))
    cfg = SpectrogramConfig(sr=int(sr), n_fft=n_fft, hop_length=hop, fmin=0.0, fmax=fmax,
                            n_freq_bins=n_bins, compression="linear")
    x = np.asarray(samples, dtype=np.float32)
    spec = spectrogram(x, cfg, pad=True, workers=1)
    fig = Figure(figsize=(4, 3), dpi=80)
    ax = fig.add_axes((0.17, 0.15, 0.78, 0.75))
    dur = max(x.size, n_fft) / sr
    ax.imshow(spec.T, origin="lower", aspect="auto", cmap="magma", interpolation="nearest",
              extent=(0.0, dur, 0.0, fmax))
    ax.set_xlabel("time (s)")
    ax.set_ylabel("frequency (Hz)")
    ax.set_title(title if title is not None else os.path.basename(os.fspath(path)), fontsize=6)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", metadata={"Software": None})
