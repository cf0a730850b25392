"""Parallel clip extraction: cut many short clips out of long recordings.

Each recording is opened once and only the frames of its clips are read (seek + read), so
memory does not grow with the recording's length. Recordings are processed in parallel
worker processes; a clip (and its PNG) that already exists is kept, so an interrupted run
resumes where it stopped. Multi-channel audio is averaged to mono, as ANIMAL-SPOT does.
"""

from __future__ import annotations

import io
import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import (
    Executor,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    as_completed,
)
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile as sf
from tqdm.auto import tqdm

from alpacaspot._atomic import atomic_path
from alpacaspot.errors import AudioError, ConfigError

__all__ = ["extract_clips", "default_workers"]

_CHUNK = 256
_Task = tuple[str, list[tuple[str, float, float]], "str | None"]


def default_workers() -> int:
    """Worker processes used when none are given: the cores this process may use, up to 8."""
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        n = os.cpu_count() or 1
    return max(1, min(8, n))


def _write_wav(dst: str, samples: np.ndarray, sr: int) -> None:
    """16-bit WAV, atomically but without the fsync of ``soundfile``'s close (7 ms a file).

    Clips can always be cut again, so durability is not worth a disk sync per clip; the
    rename still guarantees that a file is either complete or absent.
    """
    buf = io.BytesIO()
    sf.write(buf, np.clip(samples, -1.0, 1.0), sr, format="WAV", subtype="PCM_16")
    with atomic_path(dst) as tmp:
        tmp.write_bytes(buf.getvalue())


def _extract_one(task: _Task) -> int:
    src, items, png_dir = task
    written = 0
    try:
        fh = sf.SoundFile(src)
    except (sf.LibsndfileError, RuntimeError, OSError) as exc:
        raise AudioError(f"cannot open audio ({exc})", path=src) from None
    with fh:
        sr, n = fh.samplerate, fh.frames
        for dst, begin_s, end_s in items:
            png = None if png_dir is None else Path(png_dir) / (Path(dst).name[:-4] + ".png")
            start = int(round(begin_s * sr))
            stop = int(round(end_s * sr))
            if n < stop <= n + sr // 1000 + 1:  # millisecond rounding at the end of the file
                stop = n
            if stop <= start or start < 0 or stop > n:
                raise AudioError(f"clip {begin_s:.3f}-{end_s:.3f} s lies outside the audio "
                                 f"({n / sr:.3f} s)", path=src)
            fh.seek(start)
            data = fh.read(stop - start, dtype="float32", always_2d=True)
            if data.shape[0] != stop - start:
                raise AudioError(f"truncated audio: read {data.shape[0]} of {stop - start} "
                                 f"frames at {begin_s:.3f} s", path=src)
            mono = data[:, 0] if data.shape[1] == 1 else data.mean(axis=1, dtype=np.float32)
            _write_wav(dst, mono, sr)
            if png is not None:
                from alpacaspot.data.spectrogram_png import save_spectrogram_png

                save_spectrogram_png(mono, sr, png)
            written += 1
    return written


def _run_parallel(
    tasks: list[_Task], n_workers: int, *, processes: bool
) -> Iterator[tuple[int, int]]:
    """Yield (clips written, clips done) per finished task.

    Cutting WAVs is mostly file-system calls and libsndfile, which release the GIL, so
    threads (which start at once) serve it best; pictures (matplotlib holds the GIL) get
    worker processes, from a fork server: forking a process that already runs OpenMP
    threads (numba, FFT) is unsafe, and the server imports this module once for all workers.
    """
    workers = min(n_workers, len(tasks))
    if processes:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["alpacaspot.data.clips"])
        pool: Executor = ProcessPoolExecutor(max_workers=workers, mp_context=ctx)
    else:
        pool = ThreadPoolExecutor(max_workers=workers)
    with pool:
        futures = {pool.submit(_extract_one, t): len(t[1]) for t in tasks}
        for fut in as_completed(futures):
            yield fut.result(), futures[fut]


def extract_clips(
    corpus_root: str | os.PathLike[str],
    clips: pd.DataFrame,
    out_dir: str | os.PathLike[str],
    *,
    workers: int | None = None,
    png_dir: str | os.PathLike[str] | None = None,
    executor: str = "auto",
    progress: bool | None = None,
) -> int:
    """Write each clip of ``clips`` as a WAV file under ``out_dir``.

    Parameters
    ----------
    corpus_root : path-like
        Folder the ``recording`` paths are relative to.
    clips : pandas.DataFrame
        Columns ``clip`` (path relative to ``out_dir``), ``recording``, ``begin_s``,
        ``end_s``.
    out_dir : path-like
        Dataset folder.
    workers : int, optional
        Parallel workers (default :func:`default_workers`; 1 runs in this thread): threads
        for WAVs, processes when drawing PNGs.
    png_dir : path-like, optional
        Also write a spectrogram PNG of every clip into this folder.
    executor : {"auto", "threads", "processes"}
        How workers run; ``auto``: processes when drawing PNGs, else threads.
    progress : bool, optional
        Progress bar (None: only on a terminal).

    Returns
    -------
    int
        Number of clips written (existing ones are skipped).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from alpacaspot.io import write_audio
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> write_audio(d / "rec.wav", np.zeros(8000), 8000)
    >>> df = pd.DataFrame({"clip": ["c.wav"], "recording": ["rec.wav"], "begin_s": [0.1],
    ...                    "end_s": [0.3]})
    >>> extract_clips(d, df, d / "out", workers=1)
    1
    """
    if executor not in ("auto", "threads", "processes"):
        raise ConfigError(f"executor must be 'auto', 'threads' or 'processes', got {executor!r}")
    root, out = Path(corpus_root), Path(out_dir)
    tasks: list[_Task] = []
    # one listing instead of a stat per clip: finished clips (and pictures) are skipped
    done = {e.name for e in os.scandir(out)} if out.is_dir() else set()
    if png_dir is not None:
        pics = {e.name for e in os.scandir(png_dir)} if Path(png_dir).is_dir() else set()
        done = {n for n in done if n[:-4] + ".png" in pics}
    todo = clips[np.array([str(c) not in done for c in clips["clip"]], dtype=bool)]
    for rec, grp in todo.groupby("recording", sort=True):
        grp = grp.sort_values("begin_s", kind="stable")
        items = [(str(out / c), float(b), float(e))
                 for c, b, e in zip(grp["clip"], grp["begin_s"], grp["end_s"], strict=False)]
        for i in range(0, len(items), _CHUNK):  # chunks balance long recordings over workers
            tasks.append((str(root / rec), items[i : i + _CHUNK],
                          None if png_dir is None else str(png_dir)))
    n_workers = default_workers() if workers is None else max(1, int(workers))
    bar = tqdm(total=len(todo), desc="clips", unit="clip",
               disable=None if progress is None else not progress)
    written = 0
    try:
        if n_workers == 1 or len(tasks) <= 1:
            for t in tasks:
                written += _extract_one(t)
                bar.update(len(t[1]))
        else:
            procs = png_dir is not None if executor == "auto" else executor == "processes"
            for written_now, count in _run_parallel(tasks, n_workers, processes=procs):
                written += written_now
                bar.update(count)
    finally:
        bar.close()
    return written
