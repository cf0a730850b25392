"""Fixtures for the cluster tests: a real Slurm cluster when one is up, else a clear skip."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PYTHON = sys.executable


def _slurm_reason() -> str | None:
    if os.environ.get("ALPACASPOT_SLURM_SKIP"):
        return os.environ["ALPACASPOT_SLURM_SKIP"]
    if not os.environ.get("ALPACASPOT_SLURM"):
        return ("no Slurm cluster: run the tests through "
                "`bash tests/cluster/with_slurm.sh <pytest command>` (make test)")
    if shutil.which("sbatch") is None:
        return "ALPACASPOT_SLURM is set but sbatch is not on PATH"
    try:
        proc = subprocess.run(["sinfo", "-h"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"sinfo failed: {exc}"
    if proc.returncode != 0:
        return f"sinfo failed: {proc.stderr.strip()}"
    return None


@pytest.fixture(scope="session")
def slurm() -> None:
    """Skip unless a Slurm cluster answers (``with_slurm.sh`` starts one)."""
    reason = _slurm_reason()
    if reason is not None:
        pytest.skip(reason)


@pytest.fixture
def shared_tmp(tmp_path: Path) -> Path:
    """A folder Slurm tasks can write to (the test's tmp folder on this one-node cluster)."""
    tmp_path.chmod(0o777)
    return tmp_path
