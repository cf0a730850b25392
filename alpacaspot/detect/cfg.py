"""predict.cfg and eval.cfg: ANIMAL-SPOT's keys plus alpacaspot's, parsed strictly.

ANIMAL-SPOT keys keep their meaning (``sequence_len`` and ``hop`` in seconds); keys that only
tuned ANIMAL-SPOT's own runtime (``num_workers``, ``jit_load``, ``debug``, ``log_dir``,
``src_dir``) are accepted and ignored. alpacaspot's extra keys are listed in
:data:`PREDICT_EXTRA_KEYS` and :data:`EVALUATE_EXTRA_KEYS`; pass them as ``extra_keys`` to
:func:`alpacaspot.io.animalspot.write_cfg` when generating cfg files. Torch-free.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from alpacaspot.errors import ConfigError
from alpacaspot.events import PostprocessConfig
from alpacaspot.io.animalspot import read_cfg

__all__ = [
    "PREDICT_EXTRA_KEYS",
    "FRONTEND_CHOICES",
    "EVALUATE_EXTRA_KEYS",
    "EVALUATE_DEFAULT_METHOD",
    "PredictSettings",
    "EvaluateSettings",
    "read_predict_cfg",
    "read_evaluate_cfg",
]

_log = logging.getLogger(__name__)

PREDICT_EXTRA_KEYS: tuple[str, ...] = (
    "scores_dir", "input_root", "mode", "precision", "device", "num_threads", "overwrite",
    "write_log", "shared_passes", "channel", "frontend",
)  # fmt: skip
"""predict.cfg keys beyond ANIMAL-SPOT's: ``scores_dir`` (where window scores are stored; default
``<output_dir>/scores``), ``input_root`` (folder recording names are relative to), ``mode``
(``exact``/``shared``), ``precision`` (``fp32``/``bf16``/``auto``), ``device`` (``auto``, ``cpu``,
``cuda``), ``num_threads``, ``overwrite`` (flag: recompute stored scores), ``write_log`` (flag:
also write ANIMAL-SPOT prediction logs to ``output_dir``), ``shared_passes``, ``channel``
(1-based channel to score, as a Raven table's ``Channel``; default: average the channels),
``frontend`` (``mode=exact``: what turns audio into the network's inputs, one of
:data:`FRONTEND_CHOICES`; ``auto``, the default, is ``torch`` for a model on CUDA and ``cpu``
otherwise)."""

FRONTEND_CHOICES: tuple[str, ...] = ("auto", "cpu", "torch")
"""Values of predict.cfg's ``frontend`` key: ``auto`` and the names of the front ends registered
in :data:`alpacaspot.detect.frontends.FRONTENDS` (listed here so that reading a cfg does not
import torch; a test keeps the two in step)."""

EVALUATE_EXTRA_KEYS: tuple[str, ...] = (
    ("scores_dir", "corpus_root", "sequence_len", "hop")
    + tuple(k for k in PostprocessConfig.cfg_keys() if k != "threshold")
    + ("overwrite",)
)
"""eval.cfg keys beyond ANIMAL-SPOT's: ``scores_dir`` (stored window scores; without it the
prediction logs in ``prediction_dir`` are read), ``corpus_root`` (its
``corpus_recordings.parquet`` names each recording's tape), ``sequence_len``/``hop``
(seconds; informational), the post-processing keys of
:meth:`~alpacaspot.events.PostprocessConfig.cfg_keys` (``method``, ``curve``,
``low_threshold``, ``min_duration_s``, ``merge_gap_s``, ``max_duration_s``, ``target_class``,
``low_hz``, ``high_hz``; ``threshold`` is ANIMAL-SPOT's own) and ``overwrite`` (flag: redo an
existing evaluation).

An eval.cfg without ``method`` is taken as ANIMAL-SPOT's (``method=animalspot``, its merging of
whole windows), so that an ANIMAL-SPOT evaluation cfg keeps its meaning; alpacaspot writes
``method=`` explicitly."""

EVALUATE_DEFAULT_METHOD = "animalspot"
"""The post-processing method of an eval.cfg without a ``method`` key (ANIMAL-SPOT's)."""

_IGNORED = ("src_dir", "debug", "log_dir", "num_workers", "jit_load", "noise_in_anno")


def _note_ignored(path: Path, values: dict[str, str | bool | None]) -> None:
    used = [k for k in _IGNORED if k in values]
    if used:
        _log.debug("%s: ANIMAL-SPOT runtime keys accepted and ignored: %s", path, used)


def _line_of(path: Path, key: str) -> int | None:
    try:
        for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if raw.strip().partition("=")[0].strip() == key:
                return n
    except OSError:
        return None
    return None


class _Reader:
    def __init__(self, path: Path, values: dict[str, str | bool | None]) -> None:
        self.path, self.values = path, values

    def _fail(self, key: str, expected: str) -> ConfigError:
        return ConfigError(
            f"{key}: expected {expected}, got {self.values.get(key)!r}",
            path=self.path, line=_line_of(self.path, key),
        )

    def text(self, key: str, *, required: bool = False) -> str | None:
        v = self.values.get(key)
        if v is None or v is True:
            if required:
                raise ConfigError(f"missing required key {key}=<value>", path=self.path)
            if v is True:
                raise self._fail(key, "a value (key=value), not a bare flag")
            return None
        return str(v)

    def number(self, key: str, *, default: float | None = None, required: bool = False,
               lo: float | None = None, hi: float | None = None) -> float | None:
        v = self.text(key, required=required)
        if v is None:
            return default
        try:
            x = float(v)
        except ValueError:
            raise self._fail(key, "a number") from None
        if (lo is not None and x < lo) or (hi is not None and x > hi):
            raise self._fail(key, f"a number in [{lo}, {hi}]")
        return x

    def integer(self, key: str, *, default: int | None = None) -> int | None:
        v = self.text(key)
        if v is None:
            return default
        try:
            x = int(v)
        except ValueError:
            raise self._fail(key, "a whole number") from None
        if x < 1:
            raise self._fail(key, "a positive whole number")
        return x

    def choice(self, key: str, options: tuple[str, ...], default: str) -> str:
        v = self.text(key)
        if v is None:
            return default
        if v not in options:
            raise self._fail(key, f"one of {list(options)}")
        return v

    def flag(self, key: str) -> bool:
        v = self.values.get(key)
        if v is None or v is True:
            return v is True
        if str(v).lower() in ("true", "1", "yes"):
            return True
        if str(v).lower() in ("false", "0", "no"):
            return False
        raise self._fail(key, "a bare flag or true/false")


def _resolve(base: Path, value: str | None) -> Path | None:
    if value is None:
        return None
    p = Path(os.path.expanduser(value))
    return p if p.is_absolute() else base / p


@dataclass(frozen=True)
class PredictSettings:
    """What a predict.cfg asks for (paths resolved against the cfg's folder)."""

    model_path: Path
    input_file: Path
    hop_s: float
    scores_dir: Path
    output_dir: Path | None = None
    sequence_len_s: float | None = None
    threshold: float = 0.5
    batch_size: int = 64
    device: str = "auto"
    num_threads: int | None = None
    min_max_norm: bool = True
    input_root: Path | None = None
    mode: str = "exact"
    precision: str = "fp32"
    overwrite: bool = False
    write_log: bool = False
    shared_passes: int | None = None
    channel: int | None = None
    frontend: str = "auto"

    @property
    def frontend_arg(self) -> str | None:
        """``frontend`` as :func:`~alpacaspot.detect.predict_scores` takes it (None: auto)."""
        return None if self.frontend == "auto" else self.frontend


def _post_setting(name: str, doc: str) -> property:
    return property(lambda self: getattr(self.postprocess, name), doc=doc)


@dataclass(frozen=True)
class EvaluateSettings:
    """What an eval.cfg asks for (paths resolved against the cfg's folder).

    The post-processing settings are ``postprocess`` (a
    :class:`~alpacaspot.events.PostprocessConfig`); ``threshold``, ``method``, ``curve``,
    ``low_threshold``, ``min_duration_s``, ``merge_gap_s``, ``max_duration_s``,
    ``target_class``, ``low_hz`` and ``high_hz`` read from it. ``method_from_cfg`` tells
    whether the cfg named the method (else it is ANIMAL-SPOT's, see
    :data:`EVALUATE_DEFAULT_METHOD`).
    """

    output_dir: Path
    postprocess: PostprocessConfig
    scores_dir: Path | None = None
    prediction_dir: Path | None = None
    corpus_root: Path | None = None
    sequence_len_s: float | None = None
    hop_s: float | None = None
    overwrite: bool = False
    method_from_cfg: bool = True

    threshold = _post_setting("threshold", "Detection threshold.")
    method = _post_setting("method", "Post-processing method.")
    curve = _post_setting("curve", "Score curve (refined).")
    low_threshold = _post_setting("low_threshold", "Hysteresis threshold (refined).")
    min_duration_s = _post_setting("min_duration_s", "Shortest event kept (refined).")
    merge_gap_s = _post_setting("merge_gap_s", "Largest gap merged (refined).")
    max_duration_s = _post_setting("max_duration_s", "Longest event before a split (refined).")
    target_class = _post_setting("target", "Target class.")
    low_hz = _post_setting("low_hz", "Lower band edge written to the events.")
    high_hz = _post_setting("high_hz", "Upper band edge written to the events.")


def read_predict_cfg(path: str | os.PathLike[str]) -> PredictSettings:
    """Parse a predict.cfg strictly.

    Raises
    ------
    ConfigError
        Unknown keys, missing ``model_path``/``input_file``/``hop``, bad values (the message
        names the file, the line and what was expected).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "predict.cfg"
    >>> _ = p.write_text("model_path=/m/model.pt\\ninput_file=/audio\\nhop=0.05\\n"
    ...                  "output_dir=/out\\nno_cuda\\n")
    >>> s = read_predict_cfg(p)
    >>> s.hop_s, s.device, s.scores_dir.as_posix()
    (0.05, 'cpu', '/out/scores')
    >>> s.frontend, s.frontend_arg
    ('auto', None)
    """
    p = Path(path)
    values = read_cfg(p, kind="predict", extra_keys=PREDICT_EXTRA_KEYS)
    r, base = _Reader(p, values), p.parent
    _note_ignored(p, values)
    for key in ("visualize", "latent_extract"):
        if r.flag(key):
            _log.warning("%s: %s is not supported and is ignored", p, key)
    output_dir = _resolve(base, r.text("output_dir"))
    scores = _resolve(base, r.text("scores_dir"))
    if scores is None:
        if output_dir is None:
            raise ConfigError("predict.cfg needs scores_dir=<folder> or output_dir=<folder>",
                              path=p)
        scores = output_dir / "scores"
    device = r.text("device") or "auto"
    if r.flag("no_cuda"):
        device = "cpu"
    mode = r.choice("mode", ("exact", "shared"), "exact")
    frontend = r.choice("frontend", FRONTEND_CHOICES, "auto")
    if mode == "shared" and frontend != "auto":
        raise r._fail("frontend", "auto (or no frontend key) with mode=shared, which computes "
                      "its own block spectrograms")
    return PredictSettings(
        model_path=_resolve(base, r.text("model_path", required=True)),  # type: ignore[arg-type]
        input_file=_resolve(base, r.text("input_file", required=True)),  # type: ignore[arg-type]
        hop_s=float(r.number("hop", required=True, lo=1e-6)),  # type: ignore[arg-type]
        scores_dir=scores,
        output_dir=output_dir,
        sequence_len_s=r.number("sequence_len", lo=1e-6),
        threshold=float(r.number("threshold", default=0.5, lo=0.0, hi=1.0)),  # type: ignore[arg-type]
        batch_size=int(r.integer("batch_size", default=64)),  # type: ignore[arg-type]
        channel=r.integer("channel"),
        device=device,
        num_threads=r.integer("num_threads"),
        min_max_norm=r.flag("min_max_norm") if "min_max_norm" in values else True,
        input_root=_resolve(base, r.text("input_root")),
        mode=mode,
        frontend=frontend,
        precision=r.choice("precision", ("fp32", "bf16", "auto"), "fp32"),
        overwrite=r.flag("overwrite"),
        write_log=r.flag("write_log"),
        shared_passes=r.integer("shared_passes"),
    )


def read_evaluate_cfg(path: str | os.PathLike[str]) -> EvaluateSettings:
    """Parse an eval.cfg strictly.

    Without a ``method`` key the cfg is ANIMAL-SPOT's and its merging is used
    (``method=animalspot``); the post-processing keys are parsed by
    :meth:`~alpacaspot.events.PostprocessConfig.from_mapping`.

    Raises
    ------
    ConfigError
        Unknown keys, missing ``output_dir``/``threshold``, neither ``scores_dir`` nor
        ``prediction_dir``, bad values (naming the file, line and expectation).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "eval.cfg"
    >>> _ = p.write_text("output_dir=ev\\nthreshold=0.9\\nscores_dir=/s\\nmethod=refined\\n")
    >>> s = read_evaluate_cfg(p)
    >>> s.threshold, s.method, s.output_dir == p.parent / "ev"
    (0.9, 'refined', True)
    >>> _ = p.write_text("output_dir=ev\\nthreshold=0.9\\nscores_dir=/s\\n")
    >>> read_evaluate_cfg(p).method
    'animalspot'
    """
    p = Path(path)
    values = read_cfg(p, kind="evaluate", extra_keys=EVALUATE_EXTRA_KEYS)
    r, base = _Reader(p, values), p.parent
    _note_ignored(p, values)
    scores = _resolve(base, r.text("scores_dir"))
    logs = _resolve(base, r.text("prediction_dir"))
    if scores is None and logs is None:
        raise ConfigError("eval.cfg needs scores_dir=<folder> (stored window scores) or "
                          "prediction_dir=<folder> (prediction logs)", path=p)
    r.text("threshold", required=True)
    keys = PostprocessConfig.cfg_keys()
    named = "method" in values
    post = PostprocessConfig.from_mapping(
        {k: v for k, v in values.items() if k in keys},
        base=None if named else PostprocessConfig(method=EVALUATE_DEFAULT_METHOD),
        path=p, line_of=lambda key: _line_of(p, key),
    )
    if not named:
        _log.info("%s: no method= key; using ANIMAL-SPOT's merging (method=%s)", p,
                  EVALUATE_DEFAULT_METHOD)
    unused = post.unused_cfg_keys(values)
    if unused:
        _log.warning("%s: %s do not apply to method=%s and are ignored%s", p, unused,
                     post.method, "" if named else " (add method=refined to use them)")
    return EvaluateSettings(
        output_dir=_resolve(base, r.text("output_dir", required=True)),  # type: ignore[arg-type]
        postprocess=post,
        scores_dir=scores,
        prediction_dir=logs,
        corpus_root=_resolve(base, r.text("corpus_root")),
        sequence_len_s=r.number("sequence_len", lo=1e-6),
        hop_s=r.number("hop", lo=1e-6),
        overwrite=r.flag("overwrite"),
        method_from_cfg=named,
    )
