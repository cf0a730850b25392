"""Housekeeping: remove generated benchmark outputs and old training checkpoints safely.

The seed purges old benchmark data with
``rm -rf BENCHMARK/cfg/* BENCHMARK/jobs/* BENCHMARK/runs/*``. :func:`plan_clean` lists what
such a purge removes and how many bytes it frees; :func:`clean` removes it. Both stay inside
``TRAINING/`` and ``BENCHMARK/`` under the root and never follow a symbolic link: a link is
removed, never its target, and a ``TRAINING`` or ``BENCHMARK`` folder that is itself a link
is refused. Neither runs while a Slurm job of this pipeline is queued or running
(:func:`pipeline_jobs`).
"""

from __future__ import annotations

import getpass
import logging
import os
import re
import shutil
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

from alpacaspot.errors import ClusterError, ConfigError

__all__ = ["CleanItem", "CleanPlan", "plan_clean", "clean", "pipeline_jobs", "format_bytes"]

_log = logging.getLogger(__name__)

_BENCHMARK_PARTS = ("cfg", "jobs", "runs")
_SCORES_DIR = "scores"
_MODEL_FILES = ("model.pt", "ANIMAL-SPOT.pk")
_JOB_NAME_RE = re.compile(
    r"^#SBATCH[ \t]+(?:--job-name(?:=|[ \t]+)|-J[ \t]*)(\S+)", re.MULTILINE
)
_SQUEUE_TIMEOUT_S = 30


@dataclass(frozen=True)
class CleanItem:
    """One file, link or folder that :func:`clean` removes.

    Attributes
    ----------
    path : str
        The path (relative to the pipeline root, POSIX).
    kind : {"file", "dir", "link"}
        What it is; a link is removed, never what it points to.
    n_bytes : int
        Bytes freed (a folder's files, not following links).
    """

    path: str
    kind: str
    n_bytes: int


@dataclass(frozen=True)
class CleanPlan:
    """What :func:`clean` removes (or removed) under a pipeline root.

    Examples
    --------
    >>> plan = CleanPlan(root="/x", items=(CleanItem("BENCHMARK/cfg/m", "dir", 2048),))
    >>> plan.n_bytes
    2048
    >>> print(plan.format())
    would remove 1 item(s) under /x, freeing 2.0 KiB:
      BENCHMARK/cfg/m/  2.0 KiB
    """

    root: str
    items: tuple[CleanItem, ...]
    done: bool = False

    @property
    def n_bytes(self) -> int:
        """Total bytes freed."""
        return sum(i.n_bytes for i in self.items)

    def format(self) -> str:
        """A readable listing: one line per item and the total."""
        verb = "removed" if self.done else "would remove"
        lines = [f"{verb} {len(self.items)} item(s) under {self.root}, "
                 f"freeing {format_bytes(self.n_bytes)}:"]
        for item in self.items:
            mark = {"dir": "/", "link": " -> (link)"}.get(item.kind, "")
            lines.append(f"  {item.path}{mark}  {format_bytes(item.n_bytes)}")
        return "\n".join(lines)


def format_bytes(n: int) -> str:
    """Human-readable byte count (binary units).

    Examples
    --------
    >>> format_bytes(1536)
    '1.5 KiB'
    >>> format_bytes(12)
    '12 B'
    """
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def _size(path: Path) -> int:
    """Bytes under ``path`` without following links (a link counts its own size)."""
    st = path.lstat()
    if not stat.S_ISDIR(st.st_mode):
        return st.st_size
    total = 0
    for dirpath, dirnames, filenames in os.walk(path, followlinks=False):
        for name in filenames + [d for d in dirnames if Path(dirpath, d).is_symlink()]:
            try:
                total += Path(dirpath, name).lstat().st_size
            except FileNotFoundError:
                continue
    return total


def _kind(path: Path) -> str:
    mode = path.lstat().st_mode
    if stat.S_ISLNK(mode):
        return "link"
    return "dir" if stat.S_ISDIR(mode) else "file"


def _area(root: Path, name: str) -> Path | None:
    """``root/name`` when it is a real folder inside root; None when absent."""
    area = root / name
    if not os.path.lexists(area):
        return None
    if area.is_symlink():
        raise ConfigError(
            f"{name} is a symbolic link (to {os.readlink(area)!r}); clean refuses to work "
            "through it",
            path=area,
        )
    if not area.is_dir():
        raise ConfigError(f"{name} is not a folder", path=area)
    return area


def _children(folder: Path) -> list[Path]:
    """Entries of a real folder, sorted; nothing when it is a link or absent."""
    if not os.path.lexists(folder) or folder.is_symlink() or not folder.is_dir():
        return []
    return sorted(folder.iterdir(), key=lambda p: p.name)


def _benchmark_targets(bench: Path, keep_scores: bool) -> list[Path]:
    targets: list[Path] = []
    for part in _BENCHMARK_PARTS:
        folder = bench / part
        if folder.is_symlink():  # remove the link itself, never what it points to
            targets.append(folder)
            continue
        for child in _children(folder):
            if part == "runs" and keep_scores and child.is_dir() and not child.is_symlink():
                targets.extend(c for c in _children(child) if c.name != _SCORES_DIR)
            else:
                targets.append(child)
    return targets


def _checkpoint_targets(training: Path) -> list[Path]:
    targets: list[Path] = []
    for variant in _children(training / "runs" / "models"):
        if variant.is_symlink() or not variant.is_dir():
            continue
        models = variant / "models"
        finished = any((models / m).is_file() for m in _MODEL_FILES)
        if not finished:
            _log.info("keeping checkpoints of %s: its training has not finished", variant.name)
            continue
        ckpt = variant / "checkpoints"
        targets.extend([ckpt] if ckpt.is_symlink() else _children(ckpt))
    return targets


def plan_clean(
    root: str | os.PathLike[str] = ".",
    *,
    benchmark: bool = True,
    training_checkpoints: bool = False,
    keep_scores: bool = False,
) -> CleanPlan:
    """List what :func:`clean` would remove, with the bytes each item frees.

    Parameters
    ----------
    root : path-like
        The pipeline root, holding ``TRAINING/`` and ``BENCHMARK/``.
    benchmark : bool
        Remove everything under ``BENCHMARK/cfg``, ``BENCHMARK/jobs`` and ``BENCHMARK/runs``.
    training_checkpoints : bool
        Remove the checkpoints of every training variant whose final model exists.
    keep_scores : bool
        Keep the stored window scores ``BENCHMARK/runs/<model>/scores/``.

    Returns
    -------
    CleanPlan

    Raises
    ------
    ConfigError
        When ``TRAINING`` or ``BENCHMARK`` is a symbolic link or not a folder.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> (root / "BENCHMARK" / "cfg" / "m").mkdir(parents=True)
    >>> [i.path for i in plan_clean(root).items]
    ['BENCHMARK/cfg/m']
    """
    base = Path(root)
    targets: list[Path] = []
    if benchmark:
        bench = _area(base, "BENCHMARK")
        if bench is not None:
            targets.extend(_benchmark_targets(bench, keep_scores))
    if training_checkpoints:
        training = _area(base, "TRAINING")
        if training is not None:
            targets.extend(_checkpoint_targets(training))
    items = tuple(
        CleanItem(t.relative_to(base).as_posix(), _kind(t), _size(t)) for t in targets
    )
    return CleanPlan(root=os.fspath(base), items=items)


def _inside(path: Path, allowed: list[Path]) -> bool:
    parent = path.parent.resolve()
    return any(parent == a or a in parent.parents for a in allowed)


def _remove(path: Path) -> None:
    st = path.lstat()
    if stat.S_ISDIR(st.st_mode):
        shutil.rmtree(path)  # unlinks links inside, never follows them
    else:
        path.unlink()


def clean(
    root: str | os.PathLike[str] = ".",
    *,
    benchmark: bool = True,
    training_checkpoints: bool = False,
    keep_scores: bool = False,
    dry_run: bool = False,
    check_jobs: bool = True,
) -> CleanPlan:
    """Remove generated benchmark outputs (and optionally finished runs' checkpoints).

    Confirmation is the caller's business (the ``alpacaspot clean`` command asks); this
    function removes what :func:`plan_clean` lists, after making sure every item lies inside
    ``TRAINING/`` or ``BENCHMARK/`` and that no job of this pipeline is queued or running.

    Parameters
    ----------
    root, benchmark, training_checkpoints, keep_scores
        See :func:`plan_clean`.
    dry_run : bool
        Only list; remove nothing.
    check_jobs : bool
        Refuse while :func:`pipeline_jobs` finds a queued or running job.

    Returns
    -------
    CleanPlan
        What was removed (``done`` is True unless ``dry_run``).

    Raises
    ------
    ClusterError
        When a job of this pipeline is queued or running.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> (root / "BENCHMARK" / "jobs").mkdir(parents=True)
    >>> _ = (root / "BENCHMARK" / "jobs" / "pred_models.batch").write_text("x")
    >>> clean(root).n_bytes
    1
    >>> list((root / "BENCHMARK" / "jobs").iterdir())
    []
    """
    base = Path(root)
    plan = plan_clean(base, benchmark=benchmark, training_checkpoints=training_checkpoints,
                      keep_scores=keep_scores)
    if dry_run or not plan.items:
        return plan
    if check_jobs:
        jobs = pipeline_jobs(base)
        if jobs:
            listing = ", ".join(f"{j} {n} ({s})" for j, n, s in jobs[:10])
            raise ClusterError(
                f"{len(jobs)} job(s) of this pipeline are queued or running: {listing}; "
                "wait for them or cancel them (scancel) before cleaning",
                path=base,
            )
    allowed = [p.resolve() for p in (base / "TRAINING", base / "BENCHMARK") if p.is_dir()]
    for item in plan.items:
        path = base / item.path
        if not _inside(path, allowed):
            raise ConfigError("refusing to remove a path outside TRAINING/ and BENCHMARK/",
                              path=path)
        if not os.path.lexists(path):
            continue
        _log.info("removing %s (%s)", item.path, format_bytes(item.n_bytes))
        _remove(path)
    return CleanPlan(root=plan.root, items=plan.items, done=True)


def _script_job_names(base: Path) -> set[str]:
    names: set[str] = set()
    for area in ("TRAINING", "BENCHMARK"):
        top = base / area
        if not top.is_dir() or top.is_symlink():
            continue
        for dirpath, dirnames, filenames in os.walk(top, followlinks=False):
            dirnames.sort()
            for name in filenames:
                if not name.endswith((".sbatch", ".batch", ".sh", ".slurm")):
                    continue
                try:
                    text = Path(dirpath, name).read_text(encoding="utf-8", errors="replace")
                except OSError:
                    continue
                names.update(_JOB_NAME_RE.findall(text))
    return names


def pipeline_jobs(root: str | os.PathLike[str] = ".") -> list[tuple[str, str, str]]:
    """Queued or running Slurm jobs of the pipeline under ``root``.

    A job belongs to the pipeline when its working directory lies under ``root`` or its name
    is one a job script under ``TRAINING/`` or ``BENCHMARK/`` declares (``#SBATCH
    --job-name``). Without ``squeue`` (or when it cannot reach a controller) the list is
    empty and a warning is logged.

    Returns
    -------
    list of (job id, name, state)

    Examples
    --------
    >>> pipeline_jobs("/nonexistent")  # doctest: +SKIP
    []
    """
    exe = shutil.which("squeue")
    if exe is None:
        return []
    base = Path(root).resolve()
    argv = [exe, "-h", "-u", getpass.getuser(), "-t", "PENDING,RUNNING,CONFIGURING,COMPLETING,"
            "SUSPENDED,REQUEUED,RESIZING", "-o", "%i|%j|%T|%Z"]
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=_SQUEUE_TIMEOUT_S,
                              check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        _log.warning("could not ask squeue for running jobs: %s", exc)
        return []
    if proc.returncode != 0:
        _log.warning("squeue failed (%s); assuming no Slurm jobs are running",
                     proc.stderr.strip().splitlines()[-1:] or proc.returncode)
        return []
    names = _script_job_names(Path(root))
    jobs: list[tuple[str, str, str]] = []
    for line in proc.stdout.splitlines():
        parts = line.strip().split("|", 3)
        if len(parts) != 4:
            continue
        job_id, name, state, workdir = parts
        wd = Path(workdir)
        under = wd == base or base in wd.parents
        if under or name in names:
            jobs.append((job_id, name, state))
    return jobs
