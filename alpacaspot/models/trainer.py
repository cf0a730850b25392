"""The training loop: seeded, resumable, interruptible, selecting the model on validation F1.

:func:`train` trains a ResNet on a dataset variant and writes the best state to
``<model_dir>/model.pt`` (a self-describing :class:`ModelBundle`), per-evaluation metrics to
``<log_dir>/metrics.csv``, the test-split metrics to ``<model_dir>/test_metrics.json`` and a
checkpoint every ``epochs_per_eval`` epochs. Started again with the same config it resumes
from the newest checkpoint and, on CPU, ends with the same weights as an uninterrupted run.
SIGTERM or SIGUSR1 (what Slurm sends before a time limit or preemption) makes it write a
checkpoint and return with ``interrupted=True``; the console exits with
:data:`REQUEUE_EXIT_STATUS` then.
"""

from __future__ import annotations

import copy
import json
import logging
import signal
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel
from tqdm.auto import tqdm

from alpacaspot._atomic import atomic_write_text, remove_partial_files
from alpacaspot.models._loop import class_names, evaluate_split, loader, make_datasets, warm_cache
from alpacaspot.models.bundle import ModelBundle, load_model, save_model
from alpacaspot.models.checkpoints import load_latest_checkpoint, save_checkpoint
from alpacaspot.models.config import TrainConfig
from alpacaspot.models.dataset import ClipDataset
from alpacaspot.models.network import build_model

__all__ = ["train", "TrainResult", "REQUEUE_EXIT_STATUS", "class_names"]

_log = logging.getLogger(__name__)

#: Exit status of ``alpacaspot train`` after SIGTERM/SIGUSR1: checkpoint written, requeue me.
REQUEUE_EXIT_STATUS = 75


@dataclass(frozen=True)
class TrainResult:
    """What :func:`train` did.

    Attributes
    ----------
    model_path : Path or None
        ``<model_dir>/model.pt`` (None when interrupted before the end).
    best_epoch : int
        Epoch (1-based count of epochs trained) of the selected state; 0 if none.
    val_metrics, test_metrics : dict
        Validation metrics of the selected state; test-split metrics with it.
    epochs_run : int
        Epochs trained in total (including those before a resume).
    stopped_early, interrupted, skipped : bool
        Early stopping hit; a signal stopped the run; the model was already complete.
    """

    model_path: Any
    best_epoch: int
    val_metrics: dict[str, float] = field(default_factory=dict)
    test_metrics: dict[str, float] = field(default_factory=dict)
    epochs_run: int = 0
    stopped_early: bool = False
    interrupted: bool = False
    skipped: bool = False


class _Stop:
    """Signal flag set by SIGTERM/SIGUSR1 while training runs."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self._old: dict[int, Any] = {}

    def __enter__(self) -> _Stop:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, getattr(signal, "SIGUSR1", None)):
                if sig is not None:
                    self._old[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        self.signum = signum

    def __exit__(self, *exc: object) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)


def _setup_torch(config: TrainConfig) -> torch.device:
    if config.torch_threads:
        torch.set_num_threads(config.torch_threads)
    use_cuda = torch.cuda.is_available() and not config.no_cuda
    if use_cuda and config.deterministic:
        # CPU kernels are deterministic already; this switch is global, so only CUDA uses it
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
    return torch.device("cuda" if use_cuda else "cpu")


def _better(value: float, best: float | None, metric: str) -> bool:
    if best is None:
        return True
    return value < best if metric == "loss" else value > best


def _write_history(config: TrainConfig, history: list[dict[str, Any]]) -> None:
    import pandas as pd

    log_dir = config.resolved_dir("log")
    log_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(log_dir / "metrics.csv", pd.DataFrame(history).to_csv(index=False))


def _state(net: nn.Module, opt: torch.optim.Optimizer, scaler: Any, rest: dict[str, Any],
           ema: AveragedModel | None) -> dict[str, Any]:
    return {
        "model": copy.deepcopy(net.state_dict()),
        "optimizer": copy.deepcopy(opt.state_dict()),
        "scaler": scaler.state_dict() if scaler is not None else {},
        "ema": copy.deepcopy(ema.state_dict()) if ema is not None else {},
        **copy.deepcopy(rest),
    }


def _moving_average(net: nn.Module, decay: float) -> AveragedModel | None:
    """The weights' exponential moving average (batch-norm statistics too), or None at 0.

    The decay ramps up as ``min(decay, (1 + n) / (10 + n))`` after ``n`` updates, so that
    the random initial weights leave the average within the first epochs (a short run never
    reaches the horizon of a fixed decay such as 0.995).
    """
    if decay <= 0:
        return None

    def update(averaged: list[torch.Tensor], current: list[torch.Tensor],
               n_averaged: torch.Tensor) -> None:
        if not torch.is_floating_point(averaged[0]):  # batch counters
            for a, c in zip(averaged, current, strict=True):
                a.copy_(c)
            return
        n = float(n_averaged)
        keep = min(decay, (1.0 + n) / (10.0 + n))
        torch._foreach_lerp_(averaged, current, 1.0 - keep)

    return AveragedModel(net, multi_avg_fn=update, use_buffers=True)


def _completed(config: TrainConfig) -> TrainResult | None:
    path = config.model_path
    if config.start_from_scratch or not path.is_file():
        return None
    try:
        prov = load_model(path).provenance
    except Exception:  # noqa: BLE001 - an unreadable model is retrained
        return None
    if not prov.get("completed") or prov.get("fingerprint") != config.fingerprint():
        return None
    _log.info("model %s is complete for this config; skipping training", path)
    return TrainResult(path, int(prov.get("best_epoch", 0)), dict(prov.get("val_metrics", {})),
                       dict(prov.get("test_metrics", {})), int(prov.get("epochs_run", 0)),
                       bool(prov.get("stopped_early", False)), False, True)


def train(config: TrainConfig) -> TrainResult:
    """Train a model on a dataset variant (see the module docstring for outputs).

    Parameters
    ----------
    config : TrainConfig
        Everything the run needs; ``config.fingerprint()`` guards resuming.

    Returns
    -------
    TrainResult

    Raises
    ------
    CorpusError, ConfigError, ModelError
        Bad dataset, config, or a checkpoint written by another config.

    Examples
    --------
    >>> result = train(TrainConfig.from_cfg("TRAINING/cfg/v1/alpaca_server.cfg"))  # doctest: +SKIP
    >>> result.model_path  # doctest: +SKIP
    PosixPath('TRAINING/runs/models/v1/models/model.pt')
    """
    done = _completed(config)
    if done is not None:
        return done
    device = _setup_torch(config)
    datasets, classes = make_datasets(config)
    target = classes.index("target") if "target" in classes else len(classes) - 1
    warm_cache(datasets)
    ckpt_dir = config.resolved_dir("checkpoint")
    for folder in (ckpt_dir, config.model_dir):  # this run owns them: drop killed writes
        for partial in remove_partial_files(folder):
            _log.info("removed a partial file of an interrupted run: %s", partial)
    if config.start_from_scratch:
        for p in sorted(ckpt_dir.glob("checkpoint_e*.pt")):
            p.unlink()
    torch.manual_seed(config.seed)
    net = build_model(**config.architecture).to(device)
    lr = config.lr * config.batch_size if config.scale_lr else config.lr
    opt = torch.optim.Adam(net.parameters(), lr=lr, betas=(config.beta1, 0.999))
    ema = _moving_average(net, config.ema_decay)
    use_amp = config.amp and device.type == "cuda"
    scaler = torch.amp.GradScaler("cuda") if use_amp else None
    counts = np.bincount(datasets["train"].labels, minlength=len(classes)).astype(np.float64)
    weight = None
    if config.balance == "weights":
        weight = torch.tensor(counts.sum() / (len(classes) * np.maximum(counts, 1.0)),
                              dtype=torch.float32, device=device)
    loss_fn = nn.CrossEntropyLoss(weight=weight, label_smoothing=config.label_smoothing)
    rest: dict[str, Any] = {"next_epoch": 0, "best_value": None, "best_epoch": 0,
                            "best_model": None, "best_metrics": {}, "evals_since_best": 0,
                            "evals_since_lr": 0, "history": [], "stopped_early": False,
                            "fingerprint": config.fingerprint()}
    saved = load_latest_checkpoint(ckpt_dir, fingerprint=config.fingerprint())
    if saved is not None:
        net.load_state_dict(saved["model"])
        opt.load_state_dict(saved["optimizer"])
        if scaler is not None and saved.get("scaler"):
            scaler.load_state_dict(saved["scaler"])
        if ema is not None and saved.get("ema"):
            ema.load_state_dict(saved["ema"])
        rest.update({k: saved[k] for k in rest if k in saved})
        _log.info("resuming from checkpoint at epoch %d", rest["next_epoch"])
    per_eval = config.epochs_per_eval
    lr_patience = max(1, config.lr_patience_epochs // per_eval)
    stop_patience = max(1, config.early_stopping_patience_epochs // per_eval)
    interrupted = False
    with _Stop() as stop:
        bar = tqdm(range(rest["next_epoch"], config.max_train_epochs), desc="epochs",
                   disable=None, initial=rest["next_epoch"], total=config.max_train_epochs)
        for epoch in bar:
            if rest["stopped_early"]:
                break
            snapshot = _state(net, opt, scaler, {**rest, "next_epoch": epoch}, ema)
            net.train()
            ds = datasets["train"]
            ds.set_epoch(epoch)
            t_data = t_net = loss_sum = 0.0
            n_seen = n_correct = 0
            t0 = t_epoch = time.perf_counter()
            for x, y in loader(ds, config, epoch=epoch, train=True):
                t1 = time.perf_counter()
                t_data += t1 - t0
                if stop.signum is not None:
                    break
                x, y = x.to(device), y.to(device)
                opt.zero_grad(set_to_none=True)
                with torch.autocast(device.type, enabled=use_amp):
                    logits = net(x)
                    loss = loss_fn(logits.float(), y)
                if scaler is not None:
                    scaler.scale(loss).backward()
                    scaler.step(opt)
                    scaler.update()
                else:
                    loss.backward()
                    opt.step()
                if ema is not None:
                    ema.update_parameters(net)
                loss_sum += float(loss.detach()) * len(y)
                n_seen += len(y)
                n_correct += int((logits.argmax(1) == y).sum())
                t0 = time.perf_counter()
                t_net += t0 - t1
            if stop.signum is not None:
                save_checkpoint(ckpt_dir, snapshot, keep=config.keep_checkpoints)
                _log.warning("signal %d: checkpoint written at epoch %d; stopping",
                             stop.signum, epoch)
                interrupted = True
                break
            done_epochs = epoch + 1
            rest["next_epoch"] = done_epochs
            train_loss = loss_sum / max(1, n_seen)
            if done_epochs % per_eval and done_epochs != config.max_train_epochs:
                _log.info("epoch %d/%d: train loss %.4f, %.1f s", done_epochs,
                          config.max_train_epochs, train_loss, time.perf_counter() - t_epoch)
                continue
            judged = ema.module if ema is not None else net
            val = evaluate_split(judged, datasets["val"], config, device, classes, target)
            value = val[config.val_metric]
            row = {"epoch": done_epochs, "lr": opt.param_groups[0]["lr"],
                   "train_loss": train_loss,
                   "train_accuracy": n_correct / max(1, n_seen),
                   **{f"val_{k}": v for k, v in val.items()},
                   "data_s": round(t_data, 3), "net_s": round(t_net, 3)}
            rest["history"].append(row)
            if _better(value, rest["best_value"], config.val_metric):
                rest.update(best_value=value, best_epoch=done_epochs, best_metrics=val,
                            best_model=copy.deepcopy(judged.state_dict()), evals_since_best=0,
                            evals_since_lr=0)
            else:
                rest["evals_since_best"] += 1
                rest["evals_since_lr"] += 1
                if rest["evals_since_lr"] >= lr_patience:
                    for group in opt.param_groups:
                        group["lr"] *= config.lr_decay_factor
                    rest["evals_since_lr"] = 0
                if rest["evals_since_best"] >= stop_patience:
                    rest["stopped_early"] = True
            _write_history(config, rest["history"])
            _log.info("epoch %d/%d: train loss %.4f, val loss %.4f, val %s %.4f%s, %.1f s",
                      done_epochs, config.max_train_epochs, train_loss, val["loss"],
                      config.val_metric, value,
                      " (best)" if rest["best_epoch"] == done_epochs else "",
                      time.perf_counter() - t_epoch)
            bar.set_postfix({config.val_metric: f"{value:.3f}"})
            save_checkpoint(ckpt_dir, _state(net, opt, scaler, rest, ema),
                            keep=config.keep_checkpoints)
        bar.close()
    if interrupted:
        return TrainResult(None, rest["best_epoch"], dict(rest["best_metrics"]),
                           epochs_run=rest["next_epoch"], interrupted=True)
    return _finish(config, net, rest, datasets, classes, target, device)


def _finish(config: TrainConfig, net: nn.Module, rest: dict[str, Any],
            datasets: dict[str, ClipDataset], classes: tuple[str, ...], target: int,
            device: torch.device) -> TrainResult:
    from alpacaspot import __version__ as version

    if rest["best_model"] is not None:
        net.load_state_dict(rest["best_model"])
    test = evaluate_split(net, datasets["test"], config, device, classes, target)
    provenance = {
        "data_variant": config.data_dir.as_posix(),
        "config": config.to_dict(),
        "fingerprint": config.fingerprint(),
        "best_epoch": rest["best_epoch"],
        "epochs_run": rest["next_epoch"],
        "stopped_early": rest["stopped_early"],
        "val_metric": config.val_metric,
        "val_metrics": rest["best_metrics"],
        "test_metrics": test,
        "package_version": str(version),
        "torch_version": torch.__version__,
        "completed": True,
    }
    bundle = ModelBundle(net.cpu().eval(), config.spectrogram, config.window_s, classes,
                         provenance, dict(config.architecture))
    model_path = save_model(config.model_path, bundle)
    atomic_write_text(config.model_dir / "test_metrics.json",
                      json.dumps(test, indent=2, sort_keys=True) + "\n")
    summary_dir = config.resolved_dir("summary")
    summary_dir.mkdir(parents=True, exist_ok=True)
    summary = {k: v for k, v in provenance.items() if k != "config"}
    atomic_write_text(summary_dir / "summary.json",
                      json.dumps(summary, indent=2, sort_keys=True, default=str) + "\n")
    _tensorboard(summary_dir, rest["history"])
    return TrainResult(model_path, rest["best_epoch"], dict(rest["best_metrics"]), test,
                       rest["next_epoch"], rest["stopped_early"], False, False)


def _tensorboard(summary_dir: Any, history: list[dict[str, Any]]) -> None:
    try:
        from torch.utils.tensorboard import SummaryWriter
    except Exception:  # noqa: BLE001 - tensorboard is optional
        return
    with SummaryWriter(log_dir=str(summary_dir)) as writer:
        for row in history:
            for k, v in row.items():
                if k != "epoch" and isinstance(v, (int, float)):
                    writer.add_scalar(k, v, row["epoch"])
