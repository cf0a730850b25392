"""Frequency compression: from the one-sided STFT bins to the ``n_freq_bins`` the CNN sees.

Every compression is a sparse non-negative matrix applied to the power spectrum; it is stored
as CSR arrays (``offsets``, ``indices``, ``weights``) that the fused numba kernel walks. The
``"linear"`` compression reproduces ANIMAL-SPOT's nearest-neighbour resize (PyTorch's legacy
``nearest`` index rule, in float32, so imported ANIMAL-SPOT models see the bins they were
trained on); ``"linear_interp"`` interpolates linearly and averages with triangles when
shrinking, so no bin is dropped; ``"mel"`` is librosa's Slaney mel filterbank.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from alpacaspot.dsp.config import SpectrogramConfig

__all__ = ["CompressionMatrix", "compression_matrix", "mel_filterbank", "hz_to_mel", "mel_to_hz"]


@dataclass(frozen=True)
class CompressionMatrix:
    """A sparse (n_freq_bins x n_stft_bins) matrix in CSR form.

    Attributes
    ----------
    offsets : numpy.ndarray
        int64, length ``n_out + 1``: row ``k`` holds entries ``offsets[k]:offsets[k+1]``.
    indices : numpy.ndarray
        int64 STFT bin of each entry.
    weights : numpy.ndarray
        float32 weight of each entry.
    n_in : int
        Number of STFT bins (columns).
    """

    offsets: np.ndarray
    indices: np.ndarray
    weights: np.ndarray
    n_in: int

    @property
    def n_out(self) -> int:
        """Number of output bins (rows)."""
        return int(self.offsets.shape[0] - 1)

    def to_dense(self) -> np.ndarray:
        """The matrix as a dense float32 (n_out x n_in) array.

        Examples
        --------
        >>> cfg = SpectrogramConfig(sr=8000, n_fft=16, hop_length=8, fmin=0, fmax=4000,
        ...                         n_freq_bins=4)
        >>> compression_matrix(cfg).to_dense().shape
        (4, 9)
        """
        dense = np.zeros((self.n_out, self.n_in), dtype=np.float32)
        for k in range(self.n_out):
            lo, hi = self.offsets[k], self.offsets[k + 1]
            dense[k, self.indices[lo:hi]] += self.weights[lo:hi]
        return dense


def _from_dense(dense: np.ndarray) -> CompressionMatrix:
    rows, cols = np.nonzero(dense)
    offsets = np.zeros(dense.shape[0] + 1, dtype=np.int64)
    np.add.at(offsets, rows + 1, 1)
    return CompressionMatrix(
        offsets=np.cumsum(offsets).astype(np.int64),
        indices=cols.astype(np.int64),
        weights=dense[rows, cols].astype(np.float32),
        n_in=int(dense.shape[1]),
    )


def _nearest_indices(n_in: int, n_out: int) -> np.ndarray:
    """Source index of each output of a nearest resize, PyTorch's legacy rule in float32."""
    k = np.arange(n_out, dtype=np.int64)
    if n_out == n_in:
        return k
    if n_out == 2 * n_in:
        return k >> 1
    scale = np.float32(n_in) / np.float32(n_out)
    src = np.floor(k.astype(np.float32) * scale).astype(np.int64)
    return np.minimum(src, n_in - 1)


def hz_to_mel(hz: np.ndarray | float) -> np.ndarray:
    """Slaney mel scale (librosa's default, ``htk=False``).

    Examples
    --------
    >>> round(float(hz_to_mel(1000.0)), 6)
    15.0
    """
    hz = np.asarray(hz, dtype=np.float64)
    f_sp = 200.0 / 3
    mels = hz / f_sp
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    log_part = min_log_mel + np.log(np.maximum(hz, min_log_hz) / min_log_hz) / logstep
    return np.where(hz >= min_log_hz, log_part, mels)


def mel_to_hz(mels: np.ndarray | float) -> np.ndarray:
    """Inverse of :func:`hz_to_mel`.

    Examples
    --------
    >>> round(float(mel_to_hz(15.0)), 6)
    1000.0
    """
    mels = np.asarray(mels, dtype=np.float64)
    f_sp = 200.0 / 3
    freqs = f_sp * mels
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    log_part = min_log_hz * np.exp(logstep * (np.maximum(mels, min_log_mel) - min_log_mel))
    return np.where(mels >= min_log_mel, log_part, freqs)


def mel_filterbank(*, sr: int, n_fft: int, n_mels: int, fmin: float, fmax: float) -> np.ndarray:
    """Slaney-normalised triangular mel filterbank, as ``librosa.filters.mel`` builds it.

    Returns
    -------
    numpy.ndarray
        float32 (n_mels x (n_fft // 2 + 1)).

    Examples
    --------
    >>> mel_filterbank(sr=16000, n_fft=512, n_mels=40, fmin=0, fmax=8000).shape
    (40, 257)
    """
    fftfreqs = np.fft.rfftfreq(n=n_fft, d=1.0 / sr)
    mel_f = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))
    fdiff = np.diff(mel_f)
    ramps = mel_f[:, None] - fftfreqs[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    enorm = 2.0 / (mel_f[2 : n_mels + 2] - mel_f[:n_mels])
    return (weights * enorm[:, None]).astype(np.float32)


def _linear_interp_dense(config: SpectrogramConfig) -> np.ndarray:
    n_in = config.n_stft_bins
    f_in = np.arange(n_in, dtype=np.float64) * config.sr / config.n_fft
    n_out = config.n_freq_bins
    if n_out == 1:
        f_out = np.array([(config.fmin + config.fmax) / 2.0])
        d_out = config.fmax - config.fmin
    else:
        f_out = np.linspace(config.fmin, config.fmax, n_out)
        d_out = (config.fmax - config.fmin) / (n_out - 1)
    width = max(d_out, config.sr / config.n_fft)
    w = np.maximum(0.0, 1.0 - np.abs(f_in[None, :] - f_out[:, None]) / width)
    w[w < 1e-12] = 0.0
    return (w / w.sum(axis=1, keepdims=True)).astype(np.float32)


@lru_cache(maxsize=64)
def compression_matrix(config: SpectrogramConfig) -> CompressionMatrix:
    """The sparse matrix that maps the one-sided power spectrum to ``config.n_freq_bins``.

    Parameters
    ----------
    config : SpectrogramConfig
        Uses ``sr, n_fft, fmin, fmax, n_freq_bins, compression``.

    Returns
    -------
    CompressionMatrix
        Cached per config; treat its arrays as read-only.

    Examples
    --------
    >>> cfg = SpectrogramConfig(sr=48000, n_fft=2048, hop_length=1024, fmin=0, fmax=4000,
    ...                         n_freq_bins=128)
    >>> m = compression_matrix(cfg)
    >>> m.n_out, int(m.indices.max())
    (128, 169)
    """
    n_in = config.n_stft_bins
    if config.compression in ("linear", "none"):
        lo, hi = config.bin_range
        idx = lo + _nearest_indices(hi - lo, config.n_freq_bins)
        m = CompressionMatrix(
            offsets=np.arange(config.n_freq_bins + 1, dtype=np.int64),
            indices=idx.astype(np.int64),
            weights=np.ones(config.n_freq_bins, dtype=np.float32),
            n_in=n_in,
        )
    elif config.compression == "linear_interp":
        m = _from_dense(_linear_interp_dense(config))
    else:  # mel
        m = _from_dense(
            mel_filterbank(
                sr=config.sr,
                n_fft=config.n_fft,
                n_mels=config.n_freq_bins,
                fmin=config.fmin,
                fmax=config.fmax,
            )
        )
    for arr in (m.offsets, m.indices, m.weights):
        arr.setflags(write=False)
    return m
