"""alpacaspot: find animal calls (alpaca hums first) in long field recordings.

Subpackages: :mod:`alpacaspot.io` (audio, Raven, Parquet, ANIMAL-SPOT formats),
:mod:`alpacaspot.dsp` (spectrograms), :mod:`alpacaspot.data` (corpora, datasets),
:mod:`alpacaspot.models` (networks, training), :mod:`alpacaspot.detect` (sliding-window
prediction, events), :mod:`alpacaspot.evaluate` (matching, metrics, plots),
:mod:`alpacaspot.cluster` (job arrays) and :mod:`alpacaspot.pipeline` (the whole pipeline).
"""

from alpacaspot.errors import (
    AlpacaspotError,
    AnnotationError,
    AudioError,
    ClusterError,
    ConfigError,
    CorpusError,
    ModelError,
    SchemaError,
)

__version__ = "0.1.0"

__all__ = [
    "AlpacaspotError",
    "AnnotationError",
    "AudioError",
    "ClusterError",
    "ConfigError",
    "CorpusError",
    "ModelError",
    "SchemaError",
    "__version__",
]
