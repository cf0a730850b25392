"""cfg files that ANIMAL-SPOT's own launchers run: its keys only, in a form they parse.

ANIMAL-SPOT's launchers read a cfg line by line, skip lines starting with ``#``, a space or a
newline, split each line on ``=`` and take the second field as the value (so a value holding
``=`` is cut), turn ``key=true`` into a bare ``--key`` flag, drop ``key=false``, and pass any
other value as ``--key value``. :func:`write_animalspot_cfg` writes only what survives that:
the keys ANIMAL-SPOT's ``main.py`` accepts for the cfg's kind, flags as ``true``/``false``,
unset values left out, and it refuses values the launcher would cut or split.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from alpacaspot._atomic import atomic_write_text
from alpacaspot.errors import ConfigError
from alpacaspot.io.animalspot._cfg import CFG_KEYS

__all__ = ["write_animalspot_cfg"]

_log = logging.getLogger(__name__)

# alpacaspot's setting names whose ANIMAL-SPOT key differs (seconds in predict cfgs, as there)
_RENAMES = {"hop_s": "hop", "sequence_len_s": "sequence_len"}
# what ANIMAL-SPOT's training can build: its ResNet at width 64, its frequency compressions
_TRAIN_LIMITS = {"width": ("64",), "freq_compression": ("linear", "mel", "mfcc")}


def _as_values(settings: Any) -> dict[str, Any]:
    """A plain ``{key: value}`` of a mapping, a TrainConfig or a predict/eval settings object."""
    if isinstance(settings, Mapping):
        return dict(settings)
    to_values = getattr(settings, "to_cfg_values", None)
    if callable(to_values):
        return dict(to_values())
    if dataclasses.is_dataclass(settings) and not isinstance(settings, type):
        values = {_RENAMES.get(f.name, f.name): getattr(settings, f.name)
                  for f in dataclasses.fields(settings)}
        if "threshold" not in values and hasattr(settings, "threshold"):
            values["threshold"] = settings.threshold
        device = values.pop("device", None)
        if device is not None and "no_cuda" not in values:
            values["no_cuda"] = str(device) == "cpu"
        return values
    raise ConfigError(
        "settings must be a mapping of cfg keys, a TrainConfig or a predict/evaluate settings "
        f"object, got {type(settings).__name__}"
    )


def _text(key: str, value: Any, path: Path) -> str | None:
    if value is None or (isinstance(value, str) and value == "None"):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, os.PathLike):
        text = Path(value).as_posix()
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ConfigError(f"{key}: ANIMAL-SPOT needs a finite number, got {value!r}",
                              path=path)
        text = repr(value)
    else:
        text = str(value)
    problem = None
    if "=" in text:
        problem = "holds '=' (ANIMAL-SPOT's launcher cuts the value there)"
    elif "\n" in text or "\r" in text:
        problem = "spans several lines"
    elif text == "" or text != text.strip():
        problem = "is empty or has surrounding whitespace"
    if problem:
        raise ConfigError(f"value of {key!r} {problem}: {text!r}", path=path)
    return text


def write_animalspot_cfg(kind: str, settings: Any, path: str | os.PathLike[str]) -> Path:
    """Write a cfg that ANIMAL-SPOT's training, prediction or evaluation launcher runs.

    Parameters
    ----------
    kind : {"train", "predict", "evaluate"}
        Which of ANIMAL-SPOT's programs the cfg is for.
    settings : mapping or settings object
        ``{key: value}`` (ANIMAL-SPOT's key names), a :class:`~alpacaspot.models.TrainConfig`
        (its ``to_cfg_values()``), or a :class:`~alpacaspot.detect.PredictSettings` /
        :class:`~alpacaspot.detect.EvaluateSettings` (``hop_s`` and ``sequence_len_s`` become
        ``hop`` and ``sequence_len``, in seconds as ANIMAL-SPOT's prediction takes them;
        ``device="cpu"`` becomes ``no_cuda=true``).
    path : path-like
        Destination, written atomically; parent folders are created.

    Returns
    -------
    pathlib.Path
        The written path.

    Raises
    ------
    ConfigError
        An unknown ``kind``; a value holding ``=``, a newline or surrounding whitespace; a
        training setting ANIMAL-SPOT cannot build (a ResNet width other than 64, a frequency
        compression it lacks). The message names the key and the file.

    Notes
    -----
    Keys ANIMAL-SPOT's ``main.py`` does not accept (alpacaspot's own, such as ``mode`` or
    ``scores_dir``) are left out and listed in a debug log line; ``True`` is written as
    ``key=true``, ``False`` as ``key=false``, and ``None`` (unset) is left out. Keys follow
    ANIMAL-SPOT's order.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "predict.cfg"
    >>> _ = write_animalspot_cfg("predict", {"model_path": "/m/ANIMAL-SPOT.pk",
    ...     "input_file": "/audio", "sequence_len": 0.4, "hop": 0.05, "threshold": 0.9,
    ...     "no_cuda": True, "visualize": False, "log_dir": None, "mode": "exact"}, p)
    >>> print(p.read_text(), end="")
    model_path=/m/ANIMAL-SPOT.pk
    sequence_len=0.4
    hop=0.05
    threshold=0.9
    no_cuda=true
    visualize=false
    input_file=/audio
    """
    p = Path(path)
    if kind not in CFG_KEYS:
        raise ConfigError(f"unknown cfg kind {kind!r}; expected one of {sorted(CFG_KEYS)}",
                          path=p)
    values = _as_values(settings)
    if kind == "train":
        for key, allowed in _TRAIN_LIMITS.items():
            if key in values and values[key] is not None and str(values[key]) not in allowed:
                raise ConfigError(f"ANIMAL-SPOT cannot train {key}={values[key]!r}; it builds "
                                  f"{key} in {list(allowed)}", path=p)
        if "normalization" in values and "min_max_norm" not in values:
            values["min_max_norm"] = values["normalization"] == "minmax"
    keys = CFG_KEYS[kind]
    dropped = sorted(k for k in values if k not in keys)
    if dropped:
        _log.debug("%s: keys ANIMAL-SPOT's %s does not take, left out: %s", p, kind, dropped)
    lines = []
    for key in keys:
        if key in values:
            text = _text(key, values[key], p)
            if text is not None:
                lines.append(f"{key}={text}\n")
    atomic_write_text(p, "".join(lines))
    return p
