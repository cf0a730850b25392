"""Torch networks, self-describing model files and the resumable trainer.

This package imports torch; the torch-free layers (``io``, ``dsp``, ``data``, ``evaluate``)
never import it.

Examples
--------
>>> from alpacaspot.models import build_model
>>> build_model(width=16).architecture["width"]
16
"""

from alpacaspot.models.animalspot_export import export_animalspot_model
from alpacaspot.models.animalspot_import import import_animalspot_model
from alpacaspot.models.bundle import ModelBundle, load_model, save_model
from alpacaspot.models.checkpoints import list_checkpoints, load_latest_checkpoint
from alpacaspot.models.config import BALANCE_MODES, TRAIN_EXTRA_KEYS, VAL_METRICS, TrainConfig
from alpacaspot.models.dataset import ClipDataset, read_variant
from alpacaspot.models.ensemble import combine_models
from alpacaspot.models.network import ARCHITECTURE_KEYS, build_model
from alpacaspot.models.seed_ensemble import SeedEnsemble
from alpacaspot.models.trainer import REQUEUE_EXIT_STATUS, TrainResult, train

__all__ = [
    "ARCHITECTURE_KEYS",
    "BALANCE_MODES",
    "ClipDataset",
    "ModelBundle",
    "REQUEUE_EXIT_STATUS",
    "SeedEnsemble",
    "TRAIN_EXTRA_KEYS",
    "TrainConfig",
    "TrainResult",
    "VAL_METRICS",
    "build_model",
    "combine_models",
    "export_animalspot_model",
    "import_animalspot_model",
    "list_checkpoints",
    "load_latest_checkpoint",
    "load_model",
    "read_variant",
    "save_model",
    "train",
]
