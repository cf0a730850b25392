"""Fixtures for the io tests: real third-party files and small generated WAVs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from alpacaspot.io import write_audio

REAL = Path(__file__).resolve().parents[1] / "data" / "real"


@pytest.fixture(scope="session")
def real_dir() -> Path:
    """Folder of the real Raven tables and recording (see its README)."""
    return REAL


@pytest.fixture()
def stereo_wav(tmp_path: Path) -> tuple[Path, np.ndarray]:
    """A 3 s, 8 kHz, 2-channel PCM_16 file and the samples as read back at full precision."""
    rng = np.random.default_rng(7)
    n = 3 * 8000
    t = np.arange(n) / 8000
    left = 0.5 * np.sin(2 * np.pi * 440 * t)
    right = 0.25 * rng.standard_normal(n).clip(-3, 3) / 3
    data = np.stack([left, right], axis=1)
    path = tmp_path / "stereo.wav"
    write_audio(path, data, 8000, subtype="FLOAT")
    return path, data.astype(np.float32)
