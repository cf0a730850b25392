"""ANIMAL-SPOT cfg files: one ``key=value`` per line, parsed strictly.

Format: ``#`` starts a comment line; ``key=true`` and a bare ``key`` are a flag set to true,
``key=false`` a flag set to false; ``key=None`` means unset (the alpaca fork writes
``noise_dir=None``). Other values are kept as raw strings, whole: a value may hold ``=`` and
spaces. Keys must belong to the cfg's kind (``train``, ``predict``, ``evaluate``) or to
``extra_keys``.

:func:`write_cfg` writes what ANIMAL-SPOT's launchers read too: flags as ``key=true`` /
``key=false`` (a bare key crashes them) and unset keys left out (``key=None`` would reach
ANIMAL-SPOT as the folder name ``None``). For a cfg that ANIMAL-SPOT itself runs, use
:func:`~alpacaspot.io.animalspot.write_animalspot_cfg`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from alpacaspot._atomic import atomic_write_text
from alpacaspot.errors import ConfigError
from alpacaspot.io.animalspot._text import read_text_file

__all__ = ["TRAIN_KEYS", "PREDICT_KEYS", "EVALUATE_KEYS", "CFG_KEYS", "read_cfg", "write_cfg"]

TRAIN_KEYS: tuple[str, ...] = (
    "src_dir", "debug", "data_dir", "cache_dir", "model_dir", "checkpoint_dir", "log_dir",
    "summary_dir", "noise_dir", "start_from_scratch", "max_train_epochs", "jit_save",
    "epochs_per_eval", "batch_size", "num_workers", "no_cuda", "lr", "beta1",
    "lr_patience_epochs", "lr_decay_factor", "early_stopping_patience_epochs",
    "filter_broken_audio", "sequence_len", "freq_compression", "n_freq_bins", "n_fft",
    "hop_length", "sr", "augmentation", "resnet", "conv_kernel_size", "num_classes",
    "max_pool", "min_max_norm", "fmin", "fmax",
)  # fmt: skip
"""Keys of an ANIMAL-SPOT training cfg (``sequence_len`` in milliseconds)."""

PREDICT_KEYS: tuple[str, ...] = (
    "src_dir", "debug", "model_path", "log_dir", "output_dir", "sequence_len", "hop",
    "threshold", "batch_size", "num_workers", "no_cuda", "visualize", "jit_load",
    "min_max_norm", "latent_extract", "input_file",
)  # fmt: skip
"""Keys of an ANIMAL-SPOT prediction cfg (``sequence_len`` and ``hop`` in seconds)."""

EVALUATE_KEYS: tuple[str, ...] = ("prediction_dir", "output_dir", "threshold", "noise_in_anno")
"""Keys of an ANIMAL-SPOT evaluation cfg."""

CFG_KEYS: dict[str, tuple[str, ...]] = {
    "train": TRAIN_KEYS,
    "predict": PREDICT_KEYS,
    "evaluate": EVALUATE_KEYS,
}

_KEY_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*\Z")

CfgValue = str | bool | None

_FIXED: dict[str, CfgValue] = {"None": None, "true": True, "false": False}


def _allowed(kind: str, extra_keys: Iterable[str], path: object) -> tuple[str, ...]:
    if kind not in CFG_KEYS:
        raise ConfigError(
            f"unknown cfg kind {kind!r}; expected one of {sorted(CFG_KEYS)}", path=path
        )
    extra = tuple(k for k in extra_keys if k not in CFG_KEYS[kind])
    return CFG_KEYS[kind] + extra


def read_cfg(
    path: str | os.PathLike[str],
    *,
    kind: str,
    extra_keys: Iterable[str] = (),
) -> dict[str, CfgValue]:
    """Read an ANIMAL-SPOT ``key=value`` cfg file.

    Parameters
    ----------
    path : path-like
        The cfg file (UTF-8, with or without BOM, LF or CRLF).
    kind : {"train", "predict", "evaluate"}
        Which key set is allowed (:data:`TRAIN_KEYS`, :data:`PREDICT_KEYS`,
        :data:`EVALUATE_KEYS`).
    extra_keys : iterable of str, optional
        Further keys to accept (alpacaspot's own options).

    Returns
    -------
    dict
        Keys in file order. A bare key and ``key=true`` map to ``True``, ``key=false`` to
        ``False``, ``key=None`` to ``None``, every other value to its raw string with
        surrounding whitespace stripped (``=`` and inner spaces kept).

    Raises
    ------
    ConfigError
        Missing or unreadable file, a key not allowed for ``kind`` (the message lists the
        allowed keys), a duplicate key, a malformed key or an empty value; the message names
        the file and line.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "predict.cfg"
    >>> _ = p.write_text("# comment\\nhop=0.05\\nno_cuda\\nlog_dir=None\\ninput_file=/a b=c.wav\\n")
    >>> read_cfg(p, kind="predict")
    {'hop': '0.05', 'no_cuda': True, 'log_dir': None, 'input_file': '/a b=c.wav'}
    """
    p = Path(path)
    allowed = _allowed(kind, extra_keys, p)
    text = read_text_file(p, "cfg file", ConfigError)
    values: dict[str, CfgValue] = {}
    first_line: dict[str, int] = {}
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        key = key.strip()
        if not _KEY_RE.match(key):
            raise ConfigError(
                f"expected 'key=value' or a bare key, got {raw.strip()!r}", path=p, line=lineno
            )
        if key not in allowed:
            raise ConfigError(
                f"unknown key {key!r} for a {kind} cfg; allowed keys: {', '.join(allowed)}",
                path=p,
                line=lineno,
            )
        if key in values:
            raise ConfigError(
                f"duplicate key {key!r} (first set on line {first_line[key]})",
                path=p,
                line=lineno,
            )
        if not sep:
            values[key] = True
        else:
            value = value.strip()
            if value == "":
                raise ConfigError(
                    f"key {key!r} has an empty value; write '{key}=None' for unset, "
                    "or leave the key out",
                    path=p,
                    line=lineno,
                )
            values[key] = _FIXED.get(value, value)
        first_line[key] = lineno
    return values


def _format_value(key: str, value: object, path: object) -> str | None:
    if isinstance(value, bool):
        return f"{key}={'true' if value else 'false'}"
    if value is None:
        return None
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    text = str(value)
    if text == "" or text != text.strip() or "\n" in text or "\r" in text:
        raise ConfigError(
            f"value of {key!r} must be non-empty, on one line and without surrounding "
            f"whitespace, got {text!r}",
            path=path,
        )
    return f"{key}={text}"


def write_cfg(
    path: str | os.PathLike[str],
    values: Mapping[str, object],
    *,
    kind: str,
    extra_keys: Iterable[str] = (),
) -> Path:
    """Write an ANIMAL-SPOT cfg file atomically, keeping the given key order.

    Parameters
    ----------
    path : path-like
        Destination; parent folders are created.
    values : mapping
        ``True`` writes ``key=true``, ``False`` ``key=false``, ``None`` leaves the key out;
        any other value is written as ``key=str(value)``.
    kind : {"train", "predict", "evaluate"}
        Which key set is allowed.
    extra_keys : iterable of str, optional
        Further keys to accept.

    Returns
    -------
    pathlib.Path
        The written path.

    Raises
    ------
    ConfigError
        A key not allowed for ``kind``, or a value that cannot be written on one line.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "eval.cfg"
    >>> _ = write_cfg(p, {"prediction_dir": "/runs/pred", "threshold": 0.9,
    ...                   "noise_in_anno": False}, kind="evaluate")
    >>> print(p.read_text(), end="")
    prediction_dir=/runs/pred
    threshold=0.9
    noise_in_anno=false
    >>> read_cfg(p, kind="evaluate")
    {'prediction_dir': '/runs/pred', 'threshold': '0.9', 'noise_in_anno': False}
    """
    p = Path(path)
    allowed = _allowed(kind, extra_keys, p)
    lines = []
    for key, value in values.items():
        if not isinstance(key, str) or key not in allowed:
            raise ConfigError(
                f"unknown key {key!r} for a {kind} cfg; allowed keys: {', '.join(allowed)}",
                path=p,
            )
        line = _format_value(key, value, p)
        if line is not None:
            lines.append(line)
    atomic_write_text(p, "".join(f"{line}\n" for line in lines))
    return p
