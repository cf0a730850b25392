"""Problems found in a corpus: raised at once (strict) or collected as counted warnings."""

from __future__ import annotations

import logging
import os

from alpacaspot.errors import AlpacaspotError, CorpusError

__all__ = ["Issues"]

_log = logging.getLogger("alpacaspot.data")


class Issues:
    """Collect the problems of a corpus; strict mode raises them all at once at the end.

    Collecting before raising lets one strict run name every bad file (a corrupt WAV and a
    malformed table together) instead of only the first.
    """

    def __init__(self, strict: bool) -> None:
        self.strict = strict
        self.items: list[str] = []
        self._errors: list[AlpacaspotError] = []

    def report(
        self,
        message: str,
        *,
        path: str | os.PathLike[str] | None = None,
        line: int | None = None,
        error: type[AlpacaspotError] = CorpusError,
    ) -> None:
        err = error(message, path=path, line=line)
        self._errors.append(err)
        self.items.append(str(err))
        if not self.strict:
            _log.warning("%s", err)

    def warn(self, message: str, *, path: str | os.PathLike[str] | None = None,
             line: int | None = None) -> None:
        """Record and log a warning that never stops a strict run."""
        text = str(CorpusError(message, path=path, line=line))
        self.items.append(text)
        _log.warning("%s", text)

    def raise_if_strict(self, root: str | os.PathLike[str]) -> None:
        """In strict mode, raise the problems found so far (the error itself when only one)."""
        if not self.strict or not self._errors:
            return
        if len(self._errors) == 1:
            raise self._errors[0]
        listing = "\n".join(f"  - {item}" for item in self.items)
        raise CorpusError(f"{len(self._errors)} problems in the corpus (pass strict=False to "
                          f"report and exclude them):\n{listing}", path=root)
