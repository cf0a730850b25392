"""Exceptions raised by alpacaspot.

Every error a user can cause with bad input is an :class:`AlpacaspotError`. It carries the
file, the line or row where known, and what was expected, so that a message points at the
place to fix instead of at a traceback deep inside numpy or torch.
"""

from __future__ import annotations

import os

__all__ = [
    "AlpacaspotError",
    "AudioError",
    "AnnotationError",
    "ConfigError",
    "CorpusError",
    "ModelError",
    "SchemaError",
    "ClusterError",
]


class AlpacaspotError(Exception):
    """Base class of every error alpacaspot raises on bad input.

    Parameters
    ----------
    message : str
        What was wrong and what was expected.
    path : str or os.PathLike, optional
        The file the problem was found in.
    line : int, optional
        1-based line (text files) or 0-based row (tables) of the problem.

    Examples
    --------
    >>> err = AlpacaspotError("expected a number, got 'abc'", path="t.txt", line=3)
    >>> str(err)
    "t.txt, line 3: expected a number, got 'abc'"
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | os.PathLike[str] | None = None,
        line: int | None = None,
    ) -> None:
        self.message = message
        self.path = None if path is None else os.fspath(path)
        self.line = line
        super().__init__(self._format())

    def _format(self) -> str:
        where = []
        if self.path is not None:
            where.append(self.path)
        if self.line is not None:
            where.append(f"line {self.line}")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class AudioError(AlpacaspotError):
    """An audio file is missing, unreadable, truncated, empty or holds NaN."""


class AnnotationError(AlpacaspotError):
    """A selection table or annotation is malformed."""


class ConfigError(AlpacaspotError):
    """A configuration file or object has unknown keys, bad values or misses keys."""


class CorpusError(AlpacaspotError):
    """A corpus folder is inconsistent (missing audio, events outside audio, ...)."""


class ModelError(AlpacaspotError):
    """A model file is not a valid alpacaspot or ANIMAL-SPOT model."""


class SchemaError(AlpacaspotError):
    """A table lacks a column or holds a column of the wrong type."""


class ClusterError(AlpacaspotError):
    """Submitting or watching a job array failed."""
