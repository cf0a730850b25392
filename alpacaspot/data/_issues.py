"""Problems found in a corpus: raised at once (strict) or collected as counted warnings."""

from __future__ import annotations

import logging
import os

from alpacaspot.errors import AlpacaspotError, CorpusError

_log = logging.getLogger("alpacaspot.data")


class _Issues:
    """Either raise each problem (``strict``) or log it and keep a list."""

    def __init__(self, strict: bool) -> None:
        self.strict = strict
        self.items: list[str] = []

    def report(
        self,
        message: str,
        *,
        path: str | os.PathLike[str] | None = None,
        line: int | None = None,
        error: type[AlpacaspotError] = CorpusError,
    ) -> None:
        err = error(message, path=path, line=line)
        if self.strict:
            raise err
        self.items.append(str(err))
        _log.warning("%s", err)
