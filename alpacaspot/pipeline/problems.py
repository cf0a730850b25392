"""What a pre-run check reports: :class:`Problem`, :class:`CheckReport` and the
:class:`Collector` that every check of :mod:`alpacaspot.pipeline.check` writes to."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass

from alpacaspot.errors import AlpacaspotError

__all__ = ["Problem", "CheckReport", "Collector"]

_SEVERITIES = ("error", "warning")


@dataclass(frozen=True)
class Problem:
    """One problem found by :func:`check`.

    Parameters
    ----------
    stage : str
        The stage whose inputs hold the problem (``"train"``, ``"benchmark"``,
        ``"evaluate"``).
    path : str or None
        The file or folder to look at.
    message : str
        What is wrong.
    hint : str
        What to do about it.
    severity : {"error", "warning"}
        Errors make the check fail; warnings are reported only.

    Examples
    --------
    >>> p = Problem("train", "TRAINING/x.json", "file missing", "create it")
    >>> p.severity
    'error'
    """

    stage: str
    path: str | None
    message: str
    hint: str = ""
    severity: str = "error"

    def __post_init__(self) -> None:
        if self.severity not in _SEVERITIES:
            raise ValueError(f"severity must be one of {_SEVERITIES}, got {self.severity!r}")

    def to_dict(self) -> dict[str, str | None]:
        """The problem as a JSON-ready dict."""
        return {
            "stage": self.stage,
            "severity": self.severity,
            "path": self.path,
            "message": self.message,
            "hint": self.hint,
        }

    def format(self) -> str:
        """One readable entry: severity, stage, file, message and hint."""
        where = f" {self.path}:" if self.path else ""
        text = f"[{self.severity}] {self.stage}:{where} {self.message}"
        if self.hint:
            text += f"\n    -> {self.hint}"
        return text


@dataclass(frozen=True)
class CheckReport:
    """All problems found by :func:`check`.

    Attributes
    ----------
    root : str
        The pipeline root checked.
    stages : tuple of str
        The stages checked.
    problems : tuple of Problem
        Every problem, errors and warnings, in the order found.
    checks : tuple of str
        Names of the checks run (for the record).

    Examples
    --------
    >>> r = CheckReport(root=".", stages=("train",), problems=())
    >>> r.ok
    True
    >>> r.format().splitlines()[0]
    'alpacaspot check of .: stages train: OK (0 errors, 0 warnings)'
    """

    root: str
    stages: tuple[str, ...]
    problems: tuple[Problem, ...]
    checks: tuple[str, ...] = ()

    @property
    def errors(self) -> tuple[Problem, ...]:
        """The problems of severity ``"error"``."""
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> tuple[Problem, ...]:
        """The problems of severity ``"warning"``."""
        return tuple(p for p in self.problems if p.severity == "warning")

    @property
    def ok(self) -> bool:
        """True when no problem is an error."""
        return not self.errors

    def to_dict(self) -> dict[str, object]:
        """The report as a JSON-ready dict (``ok``, ``root``, ``stages``, ``problems``)."""
        return {
            "ok": self.ok,
            "root": self.root,
            "stages": list(self.stages),
            "n_errors": len(self.errors),
            "n_warnings": len(self.warnings),
            "checks": list(self.checks),
            "problems": [p.to_dict() for p in self.problems],
        }

    def to_json(self) -> str:
        """The report as indented JSON text."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=False)

    def format(self) -> str:
        """A readable multi-line report, errors first."""
        status = "OK" if self.ok else "FAILED"
        head = (
            f"alpacaspot check of {self.root}: stages {', '.join(self.stages) or '-'}: "
            f"{status} ({len(self.errors)} errors, {len(self.warnings)} warnings)"
        )
        lines = [head]
        lines.extend(p.format() for p in self.errors)
        lines.extend(p.format() for p in self.warnings)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format()


class Collector:
    """Gathers problems; :meth:`guard` turns a raised error into one problem.

    The sink every check of :mod:`alpacaspot.pipeline.check` reports to.

    Examples
    --------
    >>> sink = Collector()
    >>> with sink.guard("train", "read", "x.json"):
    ...     raise FileNotFoundError(2, "No such file or directory", "x.json")
    >>> sink.problems[0].format()
    '[error] train: x.json: read: No such file or directory'
    >>> sink.checks
    ['train:read']
    """

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.checks: list[str] = []

    def add(
        self,
        stage: str,
        path: str | os.PathLike[str] | None,
        message: str,
        hint: str = "",
        *,
        severity: str = "error",
    ) -> None:
        self.problems.append(
            Problem(stage, None if path is None else os.fspath(path), message, hint, severity)
        )

    @contextlib.contextmanager
    def guard(
        self,
        stage: str,
        name: str,
        path: str | os.PathLike[str] | None = None,
        hint: str = "",
    ) -> Iterator[None]:
        self.checks.append(f"{stage}:{name}")
        try:
            yield
        except AlpacaspotError as exc:
            where = exc.path if exc.path is not None else path
            message = exc.message if exc.line is None else f"line {exc.line}: {exc.message}"
            self.add(stage, where, message, hint)
        except OSError as exc:
            where = exc.filename if exc.filename else path
            self.add(stage, where, f"{name}: {exc.strerror or exc}", hint)
