"""ANIMAL-SPOT's file formats: clip names, cfg files and prediction logs.

Read and written so that users of ANIMAL-SPOT and its alpaca fork can migrate; parsed
strictly, with errors that name the file and line.
"""

from alpacaspot.io.animalspot._cfg import (
    CFG_KEYS,
    EVALUATE_KEYS,
    PREDICT_KEYS,
    TRAIN_KEYS,
    read_cfg,
    write_cfg,
)
from alpacaspot.io.animalspot._cfg_animalspot import write_animalspot_cfg
from alpacaspot.io.animalspot._clipname import ClipName, format_clip_name, parse_clip_name
from alpacaspot.io.animalspot._predict_log import (
    PREDICT_LOG_CLOCK,
    PredictLogHeader,
    predict_log_name,
    read_predict_log,
    read_predict_log_header,
    write_predict_log,
)
from alpacaspot.io.animalspot.train_keys import BALANCE_MODES, TRAIN_EXTRA_KEYS, VAL_METRICS

__all__ = [
    "TRAIN_EXTRA_KEYS",
    "VAL_METRICS",
    "BALANCE_MODES",
    "CFG_KEYS",
    "EVALUATE_KEYS",
    "PREDICT_KEYS",
    "TRAIN_KEYS",
    "read_cfg",
    "write_cfg",
    "write_animalspot_cfg",
    "ClipName",
    "format_clip_name",
    "parse_clip_name",
    "PREDICT_LOG_CLOCK",
    "PredictLogHeader",
    "predict_log_name",
    "read_predict_log",
    "read_predict_log_header",
    "write_predict_log",
]
