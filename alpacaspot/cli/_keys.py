"""The cfg keys each command reads, one help line each, for ``train/predict/evaluate --help``.

The key names come from where they are defined (:mod:`alpacaspot.io.animalspot` for
ANIMAL-SPOT's and :data:`~alpacaspot.io.animalspot.TRAIN_EXTRA_KEYS`, :mod:`alpacaspot.detect.cfg`);
post-processing keys are described by :meth:`alpacaspot.events.PostprocessConfig.cfg_help`.
This module only holds the one-line descriptions of the other keys.
"""

from __future__ import annotations

__all__ = ["cfg_keys", "key_help", "keys_epilog", "CFG_COMMANDS"]

#: Console command -> cfg kind of :func:`alpacaspot.io.animalspot.read_cfg`.
CFG_COMMANDS: dict[str, str] = {"train": "train", "predict": "predict", "evaluate": "evaluate"}

_IGNORED = "accepted for ANIMAL-SPOT compatibility and ignored"

_HELP: dict[str, str] = {
    # shared by several kinds
    "src_dir": _IGNORED,
    "debug": "more log output",
    "log_dir": "folder of the run's log files",
    "output_dir": "folder the results are written to",
    "batch_size": "windows or clips per network batch",
    "num_workers": "data-loading worker processes",
    "no_cuda": "flag: run on the CPU even where a GPU exists",
    "sequence_len": "window length (train: milliseconds; predict/evaluate: seconds)",
    "min_max_norm": "flag: min-max normalise each spectrogram instead of a reference level",
    "threshold": "detection threshold on the target probability, in [0, 1]",
    "hop": "window step in seconds",
    "overwrite": "flag: redo existing outputs instead of keeping them",
    "scores_dir": "folder of the stored window scores (Parquet, one file per recording)",
    # train
    "data_dir": "dataset variant folder (train.csv, val.csv, test.csv); required",
    "cache_dir": "folder of cached spectrograms (default: <data_dir>/cache)",
    "model_dir": "the best model is written to <model_dir>/model.pt; required",
    "checkpoint_dir": "checkpoints (default: <model_dir>/../checkpoints)",
    "summary_dir": "summary.json and TensorBoard files (default: <model_dir>/../summaries)",
    "noise_dir": "additive noise augmentation: not supported, leave it None",
    "start_from_scratch": "flag: ignore existing checkpoints",
    "max_train_epochs": "maximum number of epochs",
    "jit_save": _IGNORED,
    "epochs_per_eval": "validate (and checkpoint) every this many epochs",
    "lr": "Adam learning rate (multiplied by batch_size unless scale_lr=false)",
    "beta1": "Adam beta1",
    "lr_patience_epochs": "epochs without improvement before the learning rate decays",
    "lr_decay_factor": "factor applied to the learning rate when it decays",
    "early_stopping_patience_epochs": "epochs without improvement before training stops",
    "filter_broken_audio": _IGNORED,
    "freq_compression": "frequency axis: linear or mel",
    "n_freq_bins": "frequency bins of the network's spectrogram",
    "n_fft": "FFT length in samples",
    "hop_length": "STFT hop in samples",
    "sr": "sample rate in Hz (audio is resampled to it)",
    "augmentation": "flag: random pitch shift, time stretch, amplitude and crop position",
    "resnet": "ResNet depth: 18, 34 or 50",
    "conv_kernel_size": "kernel size of the first convolution",
    "num_classes": "number of classes",
    "max_pool": "max pooling after the first convolution: 0, 1 or 2",
    "fmin": "lowest frequency in Hz",
    "fmax": "highest frequency in Hz",
    "width": "channels of the first ResNet stage",
    "pooling": "global pooling before the classifier: avg or max",
    "seed": "seed of weights, sampling and augmentation",
    "val_metric": "validation metric that selects the model: f1_target, accuracy, "
                  "balanced_accuracy or loss",
    "balance": "class imbalance: weights (weighted loss), sampler or none",
    "amp": "flag: mixed precision on CUDA",
    "keep_checkpoints": "newest checkpoints kept",
    "window_s": "window length in seconds (instead of sequence_len in milliseconds)",
    "normalization": "spectrogram normalisation: ref_level or minmax",
    "scale_lr": "multiply lr by batch_size as ANIMAL-SPOT does (default true)",
    "torch_threads": "torch CPU threads",
    "deterministic": "deterministic algorithms (default true)",
    "preemphases": "pre-emphasis coefficient",
    "min_level_db": "floor of the dB scale",
    "ref_level_db": "reference level of the dB scale",
    "augment_policy": "with augmentation: animalspot (pitch, time, amplitude) or field "
                      "(other tapes' background, recorder response, shifts, masks)",
    "label_smoothing": "label smoothing of the cross-entropy loss, in [0, 1)",
    "ema_decay": "moving average of the weights after every step (0: none), in [0, 1)",
    # predict
    "model_path": "model file (model.pt, or an ANIMAL-SPOT .pk); required",
    "input_file": "a recording, a folder of recordings or a list file; required",
    "visualize": _IGNORED,
    "jit_load": _IGNORED,
    "latent_extract": _IGNORED,
    "input_root": "folder that recording names are relative to",
    "mode": "exact (every window on its own) or shared (one spectrogram pass per recording)",
    "precision": "fp32, bf16 or auto",
    "device": "auto, cpu, cuda or cuda:N",
    "num_threads": "torch CPU threads",
    "write_log": "flag: also write ANIMAL-SPOT prediction logs to output_dir",
    "shared_passes": "shared mode: shifted encoder passes",
    "channel": "1-based channel to score (default: average the channels)",
    "frontend": "mode=exact: audio -> network inputs with cpu or torch (default auto: torch "
                "on CUDA, else cpu)",
    # evaluate
    "prediction_dir": "folder of ANIMAL-SPOT prediction logs (read when scores_dir is unset)",
    "noise_in_anno": _IGNORED,
    "corpus_root": "corpus whose corpus_recordings.parquet names each recording's tape",
}


def _postprocess_help() -> dict[str, str]:
    from alpacaspot.events import PostprocessConfig

    return PostprocessConfig.cfg_help()


def cfg_keys(kind: str) -> tuple[str, ...]:
    """Every key a cfg of ``kind`` (``train``, ``predict``, ``evaluate``) may hold.

    Examples
    --------
    >>> "model_path" in cfg_keys("predict") and "method" in cfg_keys("evaluate")
    True
    """
    from alpacaspot.io.animalspot import CFG_KEYS

    if kind == "train":
        from alpacaspot.io.animalspot import TRAIN_EXTRA_KEYS as extra
    elif kind == "predict":
        from alpacaspot.detect.cfg import PREDICT_EXTRA_KEYS as extra
    else:
        from alpacaspot.detect.cfg import EVALUATE_EXTRA_KEYS as extra
    base = CFG_KEYS[kind]
    return base + tuple(k for k in extra if k not in base)


def key_help(kind: str) -> dict[str, str]:
    """``{key: one help line}`` for every key of a ``kind`` cfg, in definition order.

    Examples
    --------
    >>> key_help("evaluate")["prediction_dir"][:30]
    'folder of ANIMAL-SPOT predicti'
    """
    post = _postprocess_help() if kind == "evaluate" else {}
    return {k: post.get(k) or _HELP.get(k, "(not described)") for k in cfg_keys(kind)}


def keys_epilog(kind: str) -> str:
    """The ``--help`` epilogue: one line per cfg key, aligned.

    Examples
    --------
    >>> keys_epilog("evaluate").splitlines()[0]
    'keys of the evaluate cfg (key=value, one per line; a bare key is a flag):'
    """
    helps = key_help(kind)
    pad = max(map(len, helps)) + 2
    lines = [f"keys of the {kind} cfg (key=value, one per line; a bare key is a flag):"]
    lines += [f"  {key.ljust(pad)}{text}" for key, text in helps.items()]
    return "\n".join(lines)
