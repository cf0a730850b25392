"""Shared synthetic corpora for the data tests (small: 16 kHz, half a minute per tape)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from alpacaspot.data import make_synthetic_corpus

SR = 16000


@pytest.fixture(scope="session")
def raven_corpus_master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("raven") / "corpus"
    return make_synthetic_corpus(root, n_tapes=4, minutes_per_tape=0.5, seed=3, sr=SR)


@pytest.fixture(scope="session")
def alpaca_corpus_master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("alpaca") / "corpus"
    return make_synthetic_corpus(root, n_tapes=3, minutes_per_tape=0.5, seed=5, sr=SR,
                                 layout="alpaca", alpaca_clip_s=10.0)


def _copier(master: Path, tmp_path: Path) -> Callable[[str], Path]:
    def copy(name: str = "corpus") -> Path:
        dest = tmp_path / name
        shutil.copytree(master, dest)
        return dest

    return copy


@pytest.fixture
def raven_corpus(raven_corpus_master: Path, tmp_path: Path) -> Path:
    """A private copy of the 4-tape raven-layout corpus (tests may modify it)."""
    return _copier(raven_corpus_master, tmp_path)("raven")


@pytest.fixture
def copy_raven(raven_corpus_master: Path, tmp_path: Path) -> Callable[[str], Path]:
    """Make named private copies of the raven-layout corpus."""
    return _copier(raven_corpus_master, tmp_path)


@pytest.fixture
def alpaca_corpus(alpaca_corpus_master: Path, tmp_path: Path) -> Path:
    """A private copy of the 3-tape alpaca-layout corpus."""
    return _copier(alpaca_corpus_master, tmp_path)("alpaca")
