"""The evaluation package never imports torch or the detector."""

from __future__ import annotations

import subprocess
import sys


def test_no_torch_no_detect():
    code = ("import sys, alpacaspot.evaluate, alpacaspot.evaluate.plots; "
            "bad = [m for m in sys.modules if m.split('.')[0] == 'torch' "
            "or m.startswith('alpacaspot.detect')]; print(bad); sys.exit(1 if bad else 0)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stdout + r.stderr
