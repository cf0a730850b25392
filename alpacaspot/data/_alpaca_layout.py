"""The alpaca fork's corpus layout.

::

    raw_recordings/<animal>_<YYYYMMDD>[_<tag>]_cut.wav          long recordings
    *labelled_recordings*/<raw>.wav_<start>_<end>.wav            annotated clips of a raw file
    *segmented*/<clip>_<hum_start_s>_<hum_end_s>Q<quality>.wav   one file per hum

Clip suffix times (``<start>``, ``<end>``) were minutes in one of the fork's corpora and
seconds in another, so their unit is never guessed: pass ``clip_time_unit`` ("s" or "min") or
put ``{"clip_time_unit": "s"}`` in ``<root>/corpus_layout.json``. Hum times in the segmented
file names are seconds relative to the clip. Only the labelled clips were annotated, so they
are the corpus's annotated *regions*; tape is ``<animal>-<YYYYMMDD>`` and the year comes from
that date.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from alpacaspot.data._issues import Issues
from alpacaspot.data._naming import clean_field
from alpacaspot.errors import ConfigError, CorpusError
from alpacaspot.io.layout import ALPACA_RAW_NAME

_CLIP = re.compile(
    r"^(?P<raw>.+\.wav)_(?P<start>[0-9]+(\.[0-9]*)?)_(?P<end>[0-9]+(\.[0-9]*)?)\.wav$",
    re.IGNORECASE,
)
_HUM = re.compile(r"^(?P<clip>.+)_(?P<start>[0-9]+(\.[0-9]*)?)_(?P<end>[0-9]+(\.[0-9]*)?)"
                  r"Q(?P<q>[0-9]+)\.wav$", re.IGNORECASE)
_UNITS = {"s": 1.0, "min": 60.0}


def is_alpaca_layout(root: Path) -> bool:
    """True when ``root`` has ``raw_recordings/`` and a folder whose name holds ``segmented``."""
    return (root / "raw_recordings").is_dir() and any(
        p.is_dir() and "segmented" in p.name for p in root.iterdir()
    )


def alpaca_tape(raw_name: str) -> tuple[str, int | None]:
    """Tape and year of a raw recording name.

    >>> alpaca_tape("alp01_20190614_r1_cut.wav")
    ('alp01-20190614', 2019)
    """
    stem = raw_name[:-4] if raw_name.lower().endswith(".wav") else raw_name
    stem = stem[:-4] if stem.endswith("_cut") else stem
    m = ALPACA_RAW_NAME.match(stem)
    if not m:
        return clean_field(stem), None
    return f"{clean_field(m.group('animal'))}-{m.group('date')}", int(m.group("year"))


def _unit(root: Path, clip_time_unit: str | None) -> float:
    if clip_time_unit is None:
        marker = root / "corpus_layout.json"
        if not marker.is_file():
            raise ConfigError(
                "the unit of the clip-name times of an alpaca-layout corpus is ambiguous "
                "(minutes in some corpora, seconds in others): pass clip_time_unit='s' or 'min', "
                "or write {\"clip_time_unit\": \"s\"} to corpus_layout.json",
                path=root,
            )
        clip_time_unit = json.loads(marker.read_text()).get("clip_time_unit")
    if clip_time_unit not in _UNITS:
        raise ConfigError(f"clip_time_unit must be 's' or 'min', got {clip_time_unit!r}",
                          path=root)
    return _UNITS[clip_time_unit]


def read_alpaca_layout(
    root: Path, issues: Issues, clip_time_unit: str | None
) -> tuple[list[str], pd.DataFrame, pd.DataFrame]:
    """Recordings (raw files), hum events and annotated regions (the labelled clips)."""
    scale = _unit(root, clip_time_unit)
    raws = sorted(p for p in (root / "raw_recordings").iterdir()
                  if p.is_file() and p.suffix.lower() == ".wav")
    raw_rel = {p.name: p.relative_to(root).as_posix() for p in raws}
    clip_dirs = sorted(p for p in root.iterdir() if p.is_dir() and "labelled_recordings" in p.name)
    seg_dirs = sorted(p for p in root.iterdir() if p.is_dir() and "segmented" in p.name)
    regions: list[dict[str, object]] = []
    clips: dict[str, dict[str, object]] = {}
    for d in clip_dirs:
        for p in sorted(d.iterdir()):
            if not p.is_file() or p.suffix.lower() != ".wav":
                continue
            m = _CLIP.match(p.name)
            if not m:
                issues.report("clip name is not <raw>.wav_<start>_<end>.wav", path=p)
                continue
            if m.group("raw") not in raw_rel:
                issues.report(f"clip names raw recording {m.group('raw')!r}, which is not in "
                              "raw_recordings/", path=p)
                continue
            reg = dict(recording=raw_rel[m.group("raw")], begin_s=float(m.group("start")) * scale,
                       end_s=float(m.group("end")) * scale, clip=p.relative_to(root).as_posix())
            regions.append(reg)
            clips[p.name[:-4]] = reg
    events: list[dict[str, object]] = []
    for d in seg_dirs:
        for p in sorted(d.iterdir()):
            if not p.is_file() or p.suffix.lower() != ".wav":
                continue
            m = _HUM.match(p.name)
            if not m:
                issues.report("hum file name is not <clip>_<start_s>_<end_s>Q<quality>.wav",
                              path=p)
                continue
            stem = m.group("clip")
            reg = clips.get(stem[:-4] if stem.lower().endswith(".wav") else stem)
            if reg is None:
                issues.report(f"hum file names clip {stem!r}, which is not in any "
                              "labelled_recordings folder", path=p)
                continue
            q = int(m.group("q"))
            if not 1 <= q <= 4:
                issues.report(f"quality must be Q1..Q4, got Q{q}", path=p)
                continue
            b = float(reg["begin_s"]) + float(m.group("start"))  # type: ignore[arg-type]
            e = float(reg["begin_s"]) + float(m.group("end"))  # type: ignore[arg-type]
            if e > float(reg["end_s"]) + 1e-3:  # type: ignore[arg-type]
                issues.report(f"hum ends at {float(m.group('end')):.3f} s, after the end of its "
                              "clip", path=p)
                continue
            events.append(dict(recording=reg["recording"], begin_s=b, end_s=e, label="hum",
                               quality=q, clip=reg["clip"],
                               hum_path=p.relative_to(root).as_posix()))
    if not raws:
        raise CorpusError("raw_recordings/ holds no .wav file", path=root / "raw_recordings")
    return sorted(raw_rel.values()), pd.DataFrame(events), pd.DataFrame(regions)
