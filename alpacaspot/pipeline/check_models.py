"""Pre-run checks of the models a benchmark names and of the cfgs the benchmark factory wrote.

Used by :mod:`alpacaspot.pipeline.check_runs`. torch is imported only inside
:func:`check_model`, to load a model file that exists.

A shared-mode run (``<model>.shared``) predicts with ``model_shared.pt``, which the pipeline's
own ``fit_shared`` step makes from the model beside it: :func:`check_shared_model` checks that
source model (is there, or will be trained) instead of asking for a fit that has not run yet.
"""

from __future__ import annotations

import math
from pathlib import Path

from alpacaspot.errors import AlpacaspotError
from alpacaspot.evaluate.runs import SHARED_SUFFIX
from alpacaspot.pipeline.check_variants import train_extra_keys, variant_settings
from alpacaspot.pipeline.fit_shared_models import SHARED_MODEL_FILE
from alpacaspot.pipeline.problems import Collector
from alpacaspot.pipeline.variants import BenchmarkVariants, TrainVariants

__all__ = ["tag_cfgs", "read_tag_cfg", "recorded_corpus", "benchmark_models", "check_model",
           "shared_source", "check_shared_model"]

_MODEL_FILES = ("model.pt", "ANIMAL-SPOT.pk")
_SPEC_FIELDS = ("sr", "n_fft", "hop_length", "n_freq_bins", "fmin", "fmax", "normalization")


def tag_cfgs(root: Path, name: str) -> list[Path]:
    """Every ``BENCHMARK/cfg/<model>/<tag>/<name>`` under ``root``, sorted.

    Examples
    --------
    >>> tag_cfgs(Path("/nonexistent"), "eval.cfg")
    []
    """
    cfg = root / "BENCHMARK" / "cfg"
    return sorted(cfg.glob(f"*/*/{name}")) if cfg.is_dir() else []


def read_tag_cfg(path: Path) -> dict[str, object]:
    """A generated ``predict.cfg`` or ``eval.cfg``, with the keys the factory adds.

    Examples
    --------
    >>> read_tag_cfg(Path("/nonexistent/eval.cfg"))  # doctest: +SKIP
    Traceback (most recent call last):
    alpacaspot.errors.ConfigError: /nonexistent/eval.cfg: ...
    """
    from alpacaspot.io.animalspot import read_cfg
    from alpacaspot.pipeline._cfg_keys import eval_extra_keys, predict_extra_keys

    if path.name == "predict.cfg":
        return dict(read_cfg(path, kind="predict", extra_keys=predict_extra_keys()))
    return dict(read_cfg(path, kind="evaluate", extra_keys=eval_extra_keys()))


def recorded_corpus(root: Path) -> Path | None:
    """The benchmark corpus the benchmark factory wrote into the first tag's cfgs, if any.

    Examples
    --------
    >>> recorded_corpus(Path("/nonexistent")) is None
    True
    """
    for path in tag_cfgs(root, "predict.cfg")[:1] + tag_cfgs(root, "eval.cfg")[:1]:
        try:
            values = read_tag_cfg(path)
        except AlpacaspotError:
            continue
        value = values.get("input_file" if path.name == "predict.cfg" else "corpus_root")
        if isinstance(value, str) and value:
            corpus = Path(value)
            return corpus.parent if corpus.suffix == ".parquet" else corpus
    return None


def benchmark_models(
    root: Path, tplan: TrainVariants | None, *, from_cfgs: bool = True
) -> list[tuple[str, Path]]:
    """(model name, model file) of every model the benchmark names.

    The generated ``predict.cfg`` files name them once the benchmark factory ran; before, the
    benchmark takes every trained model, and every active training variant should have one.

    Examples
    --------
    >>> benchmark_models(Path("/nonexistent"), None)
    []
    """
    named: dict[str, Path] = {}
    for cfg in tag_cfgs(root, "predict.cfg") if from_cfgs else []:
        try:
            value = read_tag_cfg(cfg).get("model_path")
        except AlpacaspotError:
            continue  # reported by the evaluate stage's cfg checks
        if isinstance(value, str) and value:
            path = Path(value)
            named.setdefault(cfg.parent.parent.name, path if path.is_absolute() else root / path)
    if named:
        return sorted(named.items())
    base = root / "TRAINING" / "runs" / "models"
    names = set(tplan.active) if tplan is not None else set()
    if base.is_dir():
        names.update(p.name for p in base.iterdir() if p.is_dir())
    out = []
    for name in sorted(names):
        folder = base / name / "models"
        files = [folder / f for f in _MODEL_FILES if (folder / f).is_file()]
        out.append((name, files[0] if files else folder / _MODEL_FILES[0]))
    return out


def check_model(found: Collector, root: Path, name: str, path: Path,
                bplan: BenchmarkVariants | None, tplan: TrainVariants | None, *,
                pending: bool = False) -> None:
    """Check that a model exists and was trained with its variant's spectrogram settings.

    The variant's settings come from its ``TRAINING/cfg/<name>/alpaca_server.cfg`` (else its
    training variants entry): sample rate, FFT, hop, bins, band, normalisation and window
    length. A benchmark window length other than the training one is a warning.

    Examples
    --------
    >>> from alpacaspot.pipeline.problems import Collector
    >>> sink = Collector()
    >>> check_model(sink, Path("/x"), "v1", Path("/x/model.pt"), None, None)
    >>> sink.problems[0].message
    "trained model 'v1' does not exist"
    """
    stage = "benchmark"
    if not path.is_file():
        found.add(stage, path, f"trained model '{name}' does not exist",
                  "train it first (alpacaspot train on its alpaca_server.cfg) or drop it from "
                  "the benchmark", severity="warning" if pending else "error")
        return
    from alpacaspot.models import load_model  # torch only here

    seq = bplan.variants[0].seq_len if bplan is not None and bplan.variants else 0.4
    bundle = load_model(path, sequence_len_s=seq)
    got = bundle.spectrogram_config
    # a shared-mode fit keeps the spectrogram settings of the model it was fitted from
    want = _trained_settings(root, _base_name(name) or name, tplan)
    diffs = []
    for key, value in want.items():
        have = bundle.window_s if key == "window_s" else getattr(got, key, None)
        if have is None or value is None:
            continue
        if isinstance(value, float) or isinstance(have, float):
            same = math.isclose(float(have), float(value), rel_tol=1e-6, abs_tol=1e-9)
        else:
            same = str(have) == str(value)
        if not same:
            diffs.append(f"{key}={have!r} (variant: {value!r})")
    if diffs:
        found.add(stage, path,
                  f"model '{name}' was trained with other spectrogram settings than its "
                  f"variant: {', '.join(diffs)}",
                  "retrain the model or fix the variant so both agree")
    if bplan is not None:
        other = sorted({v.seq_len for v in bplan.variants
                        if not math.isclose(v.seq_len, bundle.window_s, abs_tol=1e-6)})
        if other:
            found.add(stage, bplan.path,
                      f"benchmark window(s) {other} s differ from model '{name}''s training "
                      f"window {bundle.window_s} s", "scores then come from windows of another "
                      "length than trained on; make seq_len match if that is not intended",
                      severity="warning")


def _base_name(name: str) -> str | None:
    """The trained model of a shared-mode run name ``<model>.shared``, else None."""
    if name.endswith(SHARED_SUFFIX) and len(name) > len(SHARED_SUFFIX):
        return name[: -len(SHARED_SUFFIX)]
    return None


def shared_source(name: str, path: Path, models: dict[str, Path]) -> tuple[str, Path] | None:
    """(trained model, its file) the ``fit_shared`` step makes ``path`` from, when ``name`` is
    a shared-mode run (``<model>.shared``) predicting with a ``model_shared.pt``; else None.

    The source is the file the benchmark names for ``<model>`` (its exact runs), else the
    model file beside ``path`` (``model.pt`` or ``ANIMAL-SPOT.pk``).

    Examples
    --------
    >>> m = Path("/r/TRAINING/runs/models/v1/models")
    >>> name, src = shared_source("v1.shared", m / "model_shared.pt", {})
    >>> name, src.name
    ('v1', 'model.pt')
    >>> shared_source("v1", m / "model.pt", {}) is None
    True
    """
    base = _base_name(name)
    if base is None or path.name != SHARED_MODEL_FILE:
        return None
    if base in models:
        return base, models[base]
    files = [path.parent / f for f in _MODEL_FILES if (path.parent / f).is_file()]
    return base, files[0] if files else path.parent / _MODEL_FILES[0]


def check_shared_model(found: Collector, root: Path, name: str, path: Path,
                       models: dict[str, Path], bplan: BenchmarkVariants | None,
                       tplan: TrainVariants | None, *, pending: bool = False) -> None:
    """Check a shared-mode run's model, which the pipeline's ``fit_shared`` step makes.

    A fitted ``model_shared.pt`` is checked like any model. Before the fit, its source model
    is what matters: nothing is reported when it exists, or when the benchmark checks it
    anyway (``<model>`` has exact runs too); a missing source is reported as a missing
    trained model (a warning while earlier stages may still run), and as an error naming
    the fit when no training variant or training cfg would make it.

    Examples
    --------
    >>> from alpacaspot.pipeline.problems import Collector
    >>> sink = Collector()
    >>> m = Path("/x/TRAINING/runs/models/v1/models")
    >>> check_shared_model(sink, Path("/x"), "v1.shared", m / "model_shared.pt", {}, None,
    ...                    None)
    >>> sink.problems[0].message[:52]
    "shared-mode model 'v1.shared' cannot be fitted: its "
    """
    source = shared_source(name, path, models)
    if path.is_file() or source is None:
        check_model(found, root, name, path, bplan, tplan, pending=pending)
        return
    base, src = source
    if src.is_file():
        if base not in models:  # the fit reads it: check its spectrogram settings
            check_model(found, root, base, src, bplan, tplan, pending=pending)
        return
    trained = (tplan is not None and base in tplan.active) or (
        root / "TRAINING" / "cfg" / base / "alpaca_server.cfg").is_file()
    if not trained:
        found.add("benchmark", src,
                  f"shared-mode model '{name}' cannot be fitted: its source model "
                  f"'{base}' ({src.name}) does not exist and no training variant makes it",
                  f"train '{base}' (add it to the active training variants) or drop the "
                  "benchmark variants with mode: shared")
    elif base not in models:
        check_model(found, root, base, src, bplan, tplan, pending=pending)


def _trained_settings(root: Path, name: str, tplan: TrainVariants | None) -> dict[str, object]:
    """The spectrogram settings a variant asks for (from its cfg, else its variants entry);
    an ensemble's are its first member's."""
    if tplan is not None and name in tplan.ensembles:
        name = tplan.ensembles[name][0]
    cfg_path = root / "TRAINING" / "cfg" / name / "alpaca_server.cfg"
    values: dict[str, object] = {}
    if cfg_path.is_file():
        from alpacaspot.dsp import SpectrogramConfig
        from alpacaspot.io.animalspot import read_cfg

        raw = read_cfg(cfg_path, kind="train", extra_keys=train_extra_keys())
        spec = SpectrogramConfig.from_animalspot_cfg(raw, path=cfg_path)
        values = {k: getattr(spec, k) for k in _SPEC_FIELDS}
        if raw.get("sequence_len") not in (None, True):
            values["window_s"] = float(str(raw["sequence_len"])) / 1000.0
    elif tplan is not None and name in tplan.variants:
        entry = variant_settings(tplan, name)
        values = {k: entry[k] for k in _SPEC_FIELDS if k in entry and k != "normalization"}
        if entry.get("sequence_len") is not None:
            values["window_s"] = float(entry["sequence_len"]) / 1000.0
    return values
