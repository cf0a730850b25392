"""Read a torch file safely: weights and primitives only, with errors that name the file."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import torch

from alpacaspot.errors import ModelError

__all__ = ["load_weights_only"]

_UNSUPPORTED = re.compile(r"Unsupported global: GLOBAL ([A-Za-z0-9_.]+)")


def load_weights_only(path: Path, device: str) -> Any:
    """The content of the torch file ``path``, loaded with ``torch.load(weights_only=True)``.

    Raises
    ------
    ModelError
        Missing or unreadable file, a file that is no torch file, or one holding Python
        objects other than tensors and primitives (refused: loading them could run code).

    Examples
    --------
    >>> load_weights_only(Path("missing.pt"), "cpu")
    Traceback (most recent call last):
    alpacaspot.errors.ModelError: missing.pt: model file not found
    """
    if not path.is_file():
        raise ModelError("model file not found", path=path)
    not_model = ("not a model file: expected a torch file written by save_model or an "
                 "ANIMAL-SPOT .pk")
    try:
        with open(path, "rb") as fh:
            head = fh.read(4)
    except OSError as exc:
        raise ModelError(f"cannot read the model file ({exc.strerror})", path=path) from None
    if not head.startswith((b"PK\x03\x04", b"\x80")):  # torch zip, legacy torch pickle
        raise ModelError(f"{not_model} (the file starts with {head!r})", path=path)
    try:
        return torch.load(path, map_location=device, weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any unpickling failure is a bad file
        text = str(exc)
        if "weights only load failed" in text.lower() or "weights_only" in text.lower():
            found = _UNSUPPORTED.search(text)
            what = f" ({found.group(1)})" if found else ""
            # torch's own message ends with a hint to switch the protection off: never shown
            raise ModelError(
                "refused to load: the file holds Python objects other than tensors and "
                f"primitives{what}, which could run code when loaded; alpacaspot loads only "
                "weights (save the model again with save_model)",
                path=path,
            ) from None
        raise ModelError(f"{not_model} ({type(exc).__name__} while reading it)",
                         path=path) from None
