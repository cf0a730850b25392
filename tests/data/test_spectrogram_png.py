from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib import image

from alpacaspot.data.spectrogram_png import save_spectrogram_png


def test_low_frequencies_at_the_bottom_and_deterministic(tmp_path: Path) -> None:
    sr = 16000
    t = np.arange(sr // 2) / sr
    tone = 0.5 * np.sin(2 * np.pi * 500.0 * t)  # 500 Hz of 0..8000 Hz: near the bottom
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    save_spectrogram_png(tone, sr, a, title="tone")
    save_spectrogram_png(tone, sr, b, title="tone")
    assert a.read_bytes() == b.read_bytes()
    pixels = image.imread(a)[..., :3].mean(axis=2)
    h = pixels.shape[0]
    # inside the axes (figure fractions 0.15..0.90 from the bottom), the brightest row
    rows = pixels[int(h * 0.10) : int(h * 0.85), pixels.shape[1] // 2]
    brightest = int(np.argmax(rows)) / len(rows)
    assert brightest > 0.8  # lower part of the picture (row 0 is the top)
