"""``alpacaspot train <cfg>``: what a Slurm array task runs for one training variant.

One line per epoch (loss, validation metric, time) goes to the console and to
``<log_dir>/train.log`` beside the run's ``metrics.csv``.
"""

from __future__ import annotations

import argparse
import logging

__all__ = ["run_train"]

_log = logging.getLogger(__name__)

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def run_train(args: argparse.Namespace) -> int:
    """Train from an ANIMAL-SPOT-style training cfg; return the exit status.

    0 when the model is written (or already complete), :data:`REQUEUE_EXIT_STATUS` (75)
    when SIGTERM/SIGUSR1 stopped the run after writing a checkpoint. Bad input raises an
    ``AlpacaspotError``, which the console turns into status 2.

    Examples
    --------
    >>> run_train(argparse.Namespace(cfg="TRAINING/cfg/v1/alpaca_server.cfg"))  # doctest: +SKIP
    0
    """
    from alpacaspot.models.config import TrainConfig
    from alpacaspot.models.trainer import REQUEUE_EXIT_STATUS, train

    config = TrainConfig.from_cfg(args.cfg)
    log_dir = config.resolved_dir("log")
    log_dir.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(log_dir / "train.log", mode="a", encoding="utf-8")
    handler.setFormatter(logging.Formatter(_FORMAT))
    top = logging.getLogger("alpacaspot")
    top.addHandler(handler)
    if top.getEffectiveLevel() > logging.INFO:
        top.setLevel(logging.INFO)
    try:
        _log.info("training %s -> %s", args.cfg, config.model_path)
        result = train(config)
        if result.interrupted:
            _log.warning("training interrupted after %d epochs; requeue to resume",
                         result.epochs_run)
            return REQUEUE_EXIT_STATUS
        _log.info("model %s: best epoch %d, val %s, test %s", result.model_path,
                  result.best_epoch,
                  {k: round(v, 4) for k, v in result.val_metrics.items() if k.startswith("f1")},
                  {k: round(v, 4) for k, v in result.test_metrics.items() if k.startswith("f1")})
        return 0
    finally:
        top.removeHandler(handler)
        handler.close()
