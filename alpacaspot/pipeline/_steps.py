"""The pipeline's step runner: one log file and one timing per named step."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["StepRunner"]

_log = logging.getLogger(__name__)


class StepRunner:
    """Runs named steps, logs each to ``<root>/logs/<step>.log`` and times it.

    Examples
    --------
    >>> import tempfile
    >>> steps = StepRunner(Path(tempfile.mkdtemp()))
    >>> steps.run("double", lambda: 2 * 21), sorted(steps.timings)
    (42, ['double'])
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.timings: dict[str, float] = {}
        (root / "logs").mkdir(parents=True, exist_ok=True)

    def run(self, name: str, func: Callable[[], Any]) -> Any:
        handler = logging.FileHandler(self.root / "logs" / f"{name}.log", mode="a")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        top = logging.getLogger("alpacaspot")
        top.addHandler(handler)
        if top.level == logging.NOTSET or top.level > logging.INFO:
            top.setLevel(logging.INFO)
        start = time.perf_counter()
        _log.info("step %s: start", name)
        try:
            return func()
        finally:
            self.timings[name] = time.perf_counter() - start
            _log.info("step %s: %.1f s", name, self.timings[name])
            top.removeHandler(handler)
            handler.close()
