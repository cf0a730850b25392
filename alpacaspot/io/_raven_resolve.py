"""Which audio file a Raven table row belongs to, and how long that audio is."""

from __future__ import annotations

import re
from pathlib import Path, PureWindowsPath

from alpacaspot.errors import AlpacaspotError, AnnotationError
from alpacaspot.io.audio import audio_info
from alpacaspot.io.layout import AUDIO_SUFFIXES

_TABLE_SUFFIXES = (
    re.compile(r"^(?P<stem>.+?)_predict_output\.log\.annotation\.result\.txt$", re.I),
    re.compile(r"^(?P<stem>.+?)(?:\.Table\.\d+)?\.selections\.txt$", re.I),
    re.compile(r"^(?P<stem>.+?)\.txt$", re.I),
)


def table_stem(path: Path) -> str:
    """The audio name a table without a file column belongs to.

    ``X.Table.1.selections.txt``, ``X.selections.txt``, ``X.txt`` and ANIMAL-SPOT's
    ``X_predict_output.log.annotation.result.txt`` all give ``X`` (which names the audio file
    itself when it ends in an audio suffix, as in ``a.wav.selections.txt``).
    """
    for pattern in _TABLE_SUFFIXES:
        m = pattern.match(path.name)
        if m:
            return m.group("stem")
    return path.stem


def _by_name(files: list[str], stem: str, named: bool) -> list[str]:
    """Files whose base name is ``stem`` (exactly when it names the audio), else ``stem.*``,
    else starting with ``stem``."""
    base = {f: f.rsplit("/", 1)[-1] for f in files}
    exact = [f for f in files if base[f] == stem] if named else []
    exact = exact or [f for f in files if base[f].rsplit(".", 1)[0] == stem]
    return exact or [f for f in files if base[f].startswith(stem)]


class AudioResolver:
    """Resolve audio names from tables to recordings relative to an audio root.

    Examples
    --------
    >>> AudioResolver(None).resolve_named("a.wav", "", Path("t.txt"), 2)
    'a.wav'
    """

    def __init__(self, root: Path | None, *, files: list[str] | None = None,
                 collect_missing: bool = False) -> None:
        self.root = root
        self._files: list[str] | None = None if files is None else sorted(files)
        #: with ``collect_missing``, rows naming absent audio resolve to "" and are listed
        #: here as (table, line, name) instead of raising
        self.collect_missing = collect_missing
        self.missing: list[tuple[Path, int, str]] = []
        self._durations: dict[str, float] = {}
        if root is not None and not root.is_dir():
            raise AnnotationError("audio_root is not a folder", path=root)

    def _audio_files(self) -> list[str]:
        if self._files is None:
            assert self.root is not None
            self._files = sorted(
                p.relative_to(self.root).as_posix()
                for p in self.root.rglob("*")
                if p.suffix.lower() in AUDIO_SUFFIXES and p.is_file()
            )
        return self._files

    def resolve_named(self, name: str, full: str, table: Path, line: int) -> str:
        """Recording for a row naming ``name`` (``Begin File``) and ``full`` (``Begin Path``)."""
        if self.root is None:
            return name
        if full and not Path(full).is_absolute() and not PureWindowsPath(full).drive:
            rel = full.replace("\\", "/")
            if (self.root / rel).is_file():
                return Path(rel).as_posix()
        if (self.root / name).is_file():
            return Path(name).as_posix()
        matches = [f for f in self._audio_files() if f.rsplit("/", 1)[-1] == name]
        if len(matches) == 1:
            return matches[0]
        if not matches and self.collect_missing:
            self.missing.append((table, line, name))
            return ""
        if not matches:
            raise AnnotationError(
                f"audio file {name!r} named by the table is not under audio_root {self.root}",
                path=table,
                line=line,
            )
        raise AnnotationError(
            f"audio file {name!r} is ambiguous under audio_root {self.root}: {matches[:5]}",
            path=table,
            line=line,
        )

    def resolve_stem(self, table: Path) -> str:
        """Recording of a table that has no file column, from the table's own name."""
        stem = table_stem(table)
        named = Path(stem).suffix.lower() in AUDIO_SUFFIXES  # "a.wav.selections.txt"
        if self.root is None:
            return stem if named else f"{stem}.wav"
        files = self._audio_files()
        try:
            folder = table.parent.absolute().relative_to(self.root.absolute()).as_posix()
        except ValueError:
            folder = None
        matches: list[str] = []
        if folder is not None:  # the table's own folder first, then the whole root
            prefix = "" if folder == "." else folder + "/"
            here = [f for f in files if f.startswith(prefix) and "/" not in f[len(prefix):]]
            matches = _by_name(here, stem, named)
        matches = matches or _by_name(files, stem, named)
        if len(matches) == 1:
            return matches[0]
        what = "no audio file" if not matches else f"several audio files {matches[:5]}"
        raise AnnotationError(
            f"table has no 'Begin File' column and {what} under audio_root {self.root} "
            f"match its name {stem!r}; expected exactly one",
            path=table,
        )

    def duration(self, recording: str) -> float:
        """Duration in seconds of a recording under the root."""
        if recording not in self._durations:
            assert self.root is not None
            try:
                self._durations[recording] = audio_info(self.root / recording).duration_s
            except AlpacaspotError as exc:
                raise AnnotationError(
                    f"cannot read the audio of recording {recording!r}: {exc}",
                    path=self.root / recording,
                ) from None
        return self._durations[recording]
