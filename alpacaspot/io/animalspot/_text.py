"""Read an ANIMAL-SPOT text file (cfg, prediction log) with errors that name it."""

from __future__ import annotations

from pathlib import Path

from alpacaspot.errors import AlpacaspotError

__all__ = ["read_text_file"]


def read_text_file(path: Path, what: str, error: type[AlpacaspotError]) -> str:
    """The UTF-8 text of ``path`` (a leading BOM dropped); failures raise ``error``.

    Examples
    --------
    >>> from alpacaspot.errors import ConfigError
    >>> read_text_file(Path("none.cfg"), "cfg file", ConfigError)
    Traceback (most recent call last):
    alpacaspot.errors.ConfigError: none.cfg: cfg file does not exist
    """
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise error(f"{what} does not exist", path=path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"cannot read {what} as UTF-8 text ({exc})", path=path) from None
