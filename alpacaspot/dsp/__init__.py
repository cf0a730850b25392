"""Signal processing: window grid, framing, STFT, spectrograms, window inputs, augmentation.

Everything here is numpy, scipy and numba; nothing imports torch. The one owner of every
front-end setting is :class:`SpectrogramConfig`; a model file stores it.

Examples
--------
>>> import numpy as np
>>> from alpacaspot.dsp import SpectrogramConfig, spectrogram, normalize, window_spectrograms
>>> cfg = SpectrogramConfig(sr=48000, n_fft=2048, hop_length=1024, fmin=0, fmax=4000,
...                         n_freq_bins=128)
>>> x = np.random.default_rng(0).standard_normal(48000).astype("float32")
>>> spectrogram(x, cfg).shape
(45, 128)
>>> normalize(window_spectrograms(x, cfg, window_s=0.4, hop_s=0.05), cfg).shape
(13, 17, 128)
"""

from alpacaspot.dsp import augment, field_augment
from alpacaspot.dsp.blocks import spectrogram_blocks
from alpacaspot.dsp.compression import CompressionMatrix, compression_matrix, mel_filterbank
from alpacaspot.dsp.config import (
    COMPRESSIONS,
    NORMALIZATIONS,
    WINDOWS,
    SpectrogramConfig,
)
from alpacaspot.dsp.grid import (
    WindowGrid,
    frame_count,
    frame_starts,
    seconds_to_samples,
    window_count,
    window_grid,
)
from alpacaspot.dsp.inputs import fit_frames, window_input, window_inputs
from alpacaspot.dsp.spectrogram import normalize, spectrogram
from alpacaspot.dsp.stft import frame, get_window, stft
from alpacaspot.dsp.windows import frame_windows, window_spectrograms, window_view

__all__ = [
    "COMPRESSIONS",
    "NORMALIZATIONS",
    "WINDOWS",
    "CompressionMatrix",
    "WindowGrid",
    "augment",
    "field_augment",
    "SpectrogramConfig",
    "compression_matrix",
    "fit_frames",
    "frame",
    "frame_count",
    "frame_starts",
    "frame_windows",
    "get_window",
    "mel_filterbank",
    "normalize",
    "seconds_to_samples",
    "spectrogram",
    "spectrogram_blocks",
    "stft",
    "window_count",
    "window_grid",
    "window_input",
    "window_inputs",
    "window_spectrograms",
    "window_view",
]
