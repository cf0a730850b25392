"""Reading spectrogram settings out of ANIMAL-SPOT's cfg values and model ``dataOpts``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from alpacaspot.errors import ConfigError

__all__ = ["ANIMALSPOT_DEFAULTS", "animalspot_kwargs", "flag", "number"]

# ANIMAL-SPOT's command-line defaults for the keys a training cfg may leave out.
ANIMALSPOT_DEFAULTS: dict[str, Any] = {
    "sr": 44100,
    "n_fft": 4096,
    "hop_length": 441,
    "n_freq_bins": 256,
    "fmin": 500.0,
    "fmax": 10000.0,
    "freq_compression": "linear",
    "preemphases": 0.98,
    "min_level_db": -100.0,
    "ref_level_db": 20.0,
}

_COMPRESSIONS = ("linear", "linear_interp", "mel", "none")


def number(value: Any, key: str, path: Any, *, integer: bool = False) -> Any:
    """Parse a cfg value (string or number) as an int or float, naming the key on failure.

    Examples
    --------
    >>> number("48000", "sr", None, integer=True)
    48000
    """
    if isinstance(value, bool):
        raise ConfigError(f"{key} needs a value, got a bare flag", path=path)
    try:
        parsed = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{key} must be a number, got {value!r}", path=path) from None
    if integer:
        if not parsed.is_integer():
            raise ConfigError(f"{key} must be an integer, got {value!r}", path=path)
        return int(parsed)
    return parsed


def flag(value: Any, key: str, path: Any) -> bool:
    """Interpret a cfg flag: bare key / true / 1 -> True; absent, None, false, 0 -> False.

    Examples
    --------
    >>> flag(True, "min_max_norm", None), flag(None, "min_max_norm", None)
    (True, False)
    """
    if value is None or value is False:
        return False
    if value is True:
        return True
    text = str(value).strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no", "none"):
        return False
    raise ConfigError(f"{key} must be a flag (true/false), got {value!r}", path=path)


def animalspot_kwargs(
    values: Mapping[str, Any], *, path: str | os.PathLike[str] | None, kind: str
) -> dict[str, Any]:
    """SpectrogramConfig keyword arguments (all but ``normalization``) from ANIMAL-SPOT values.

    Missing or ``None`` values take ANIMAL-SPOT's defaults.

    Examples
    --------
    >>> animalspot_kwargs({"sr": "48000"}, path=None, kind="cfg")["sr"]
    48000
    """
    if not isinstance(values, Mapping):
        raise ConfigError(f"expected a dict of ANIMAL-SPOT {kind} values", path=path)

    def get(key: str) -> Any:
        value = values.get(key)
        return ANIMALSPOT_DEFAULTS[key] if value is None else value

    compression = str(get("freq_compression")).strip().lower()
    if compression not in _COMPRESSIONS:
        raise ConfigError(
            f"freq_compression={compression!r} is not supported; "
            f"use one of {', '.join(_COMPRESSIONS)}",
            path=path,
        )
    return {
        "sr": number(get("sr"), "sr", path, integer=True),
        "n_fft": number(get("n_fft"), "n_fft", path, integer=True),
        "hop_length": number(get("hop_length"), "hop_length", path, integer=True),
        "n_freq_bins": number(get("n_freq_bins"), "n_freq_bins", path, integer=True),
        "fmin": number(get("fmin"), "fmin", path),
        "fmax": number(get("fmax"), "fmax", path),
        "preemphasis": number(get("preemphases"), "preemphases", path),
        "min_level_db": number(get("min_level_db"), "min_level_db", path),
        "ref_level_db": number(get("ref_level_db"), "ref_level_db", path),
        "compression": compression,
    }
