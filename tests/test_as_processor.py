"""tests/as_processor.sh caps every library's kernel choice at the processor kind asked for."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parent / "as_processor.sh"
PROBE = """
import json, numba, numpy, torch
from numpy._core._multiarray_umath import __cpu_features__ as features
from threadpoolctl import threadpool_info
torch.nn.Conv2d(1, 16, 7)(torch.ones(8, 1, 128, 40))  # oneDNN reports its ISA here
@numba.njit
def total(x):
    return x.sum()
print(json.dumps({"torch": torch.backends.cpu.get_cpu_capability(),
                  "v3": features.get("X86_V3"), "v4": features.get("X86_V4"),
                  "numba": numba.config.CPU_NAME, "sum": float(total(numpy.ones(3))),
                  "blas": sorted(str(i.get("architecture")) for i in threadpool_info()
                                 if i.get("internal_api") == "openblas")}))
"""


def _flags() -> set[str]:
    text = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").is_file() else ""
    return {f for line in text.splitlines() if line.startswith("flags")
            for f in line.split(":", 1)[1].split()}


def _probe(kind: str) -> tuple[dict, str]:
    done = subprocess.run(["bash", str(SCRIPT), kind, sys.executable, "-c", PROBE],
                          capture_output=True, text=True, timeout=120, check=False,
                          env={"PATH": "/usr/bin:/bin", "ONEDNN_VERBOSE": "1"})
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.strip().splitlines()
    return json.loads(lines[-1]), "\n".join(lines[:-1])


@pytest.mark.parametrize("kind, needs, torch_isa, onednn_isa, numba_cpu, blas", [
    ("avx2", "avx2", "AVX2", "isa:Intel AVX2", "znver3", "Haswell"),
    ("v2", "sse4_2", "DEFAULT", "isa:Intel SSE4.1", "x86-64-v2", "Nehalem"),
])
def test_each_library_is_capped(kind, needs, torch_isa, onednn_isa, numba_cpu, blas):
    if needs not in _flags():
        pytest.skip(f"this processor lacks {needs}; the {kind} kind cannot run here")
    found, verbose = _probe(kind)
    assert found["torch"] == torch_isa
    assert found["v4"] is False
    assert found["v3"] is (kind == "avx2")
    assert found["numba"] == numba_cpu and found["sum"] == 3.0
    assert onednn_isa in verbose
    assert found["blas"] and all(b == blas for b in found["blas"])


def test_native_caps_nothing_and_unknown_kinds_are_refused():
    found, _ = _probe("native")
    assert found["numba"] is None
    done = subprocess.run(["bash", str(SCRIPT), "avx1024", "true"], capture_output=True,
                          text=True, check=False)
    assert done.returncode == 2 and "unknown processor kind 'avx1024'" in done.stderr
