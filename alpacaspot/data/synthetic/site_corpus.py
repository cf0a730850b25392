"""A synthetic corpus recorded at several sites (raven layout), one folder per tape.

Tapes are named ``S<site seed>T<k>`` (``S3T01``): the tape of a recording is its folder, so
splits by tape keep every tape whole, and a site's tapes are told apart by their prefix.
Tape ``k`` of a site is the same recording whatever else is written, so unseen tapes of the
training sites are tapes with other numbers (``first_tape``).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from alpacaspot._atomic import write_text_if_changed
from alpacaspot.data.synthetic.corpus import _tape_dates, _write_raven_recording
from alpacaspot.data.synthetic.sites import SiteStyle
from alpacaspot.data.synthetic.tape import DIFFICULTIES, TapeStyle, compose_tape
from alpacaspot.errors import ConfigError

__all__ = ["make_site_corpus", "site_tape_name"]

_log = logging.getLogger(__name__)
_MANIFEST = "site_corpus.json"


def site_tape_name(site: SiteStyle, k: int) -> str:
    """Name of tape ``k`` (0-based) of ``site``.

    Examples
    --------
    >>> from alpacaspot.data.synthetic.sites import site_style
    >>> site_tape_name(site_style(3), 0)
    'S3T01'
    """
    return f"S{site.seed}T{k + 1:02d}"


def make_site_corpus(
    root: str | os.PathLike[str],
    sites: Sequence[SiteStyle],
    *,
    tapes_per_site: int,
    minutes_per_tape: float,
    seed: int,
    first_tape: int = 0,
    sr: int = 48000,
    difficulty: str = "medium",
    progress: bool | None = None,
) -> Path:
    """Write tapes ``first_tape .. first_tape + tapes_per_site - 1`` of every site.

    Parameters
    ----------
    root : path-like
        Output folder (created); files of an identical earlier call are kept.
    sites : sequence of SiteStyle
        The sites (distinct seeds).
    tapes_per_site : int
        Tapes written per site, one recording each.
    minutes_per_tape : float
        Length of each recording.
    seed : int
        Corpus seed: with the site and the tape number it fixes each recording.
    first_tape : int, default 0
        Number (0-based) of the first tape of each site: the tapes of another call with
        other numbers are other recordings of the same sites.
    sr : int, default 48000
    difficulty : {"easy", "medium", "hard"}
        SNR ranges and call rates; each site scales the decoy rates.
    progress : bool, optional
        Progress bar (None: only on a terminal).

    Returns
    -------
    pathlib.Path
        ``root``.

    Examples
    --------
    >>> import tempfile
    >>> from alpacaspot.data.synthetic.sites import site_style
    >>> root = make_site_corpus(tempfile.mkdtemp(), [site_style(1), site_style(2)],
    ...                         tapes_per_site=1, minutes_per_tape=0.1, seed=0, sr=16000)
    >>> sorted(p.name for p in root.iterdir() if p.is_dir())
    ['S1T01', 'S2T01']
    """
    seeds = [s.seed for s in sites]
    if not sites or len(set(seeds)) != len(seeds):
        raise ConfigError(f"need one or more sites with distinct seeds, got seeds {seeds}")
    if difficulty not in DIFFICULTIES:
        raise ConfigError(f"difficulty must be one of {sorted(DIFFICULTIES)}, got {difficulty!r}")
    if tapes_per_site < 1 or first_tape < 0 or minutes_per_tape <= 0 or sr < 8000:
        raise ConfigError("need tapes_per_site >= 1, first_tape >= 0, minutes_per_tape > 0 and "
                          f"sr >= 8000; got {tapes_per_site}, {first_tape}, {minutes_per_tape}, "
                          f"{sr}")
    out = Path(root)
    out.mkdir(parents=True, exist_ok=True)
    params = dict(sites=[json.loads(json.dumps(dataclasses.asdict(s))) for s in sites],
                  tapes_per_site=tapes_per_site, minutes_per_tape=minutes_per_tape, seed=seed,
                  first_tape=first_tape, sr=sr, difficulty=difficulty, generator_version=1)
    manifest = out / _MANIFEST
    reuse = manifest.is_file() and json.loads(manifest.read_text()).get("params") == params
    jobs = [(s, k) for s in sites for k in range(first_tape, first_tape + tapes_per_site)]
    files = []
    for site, k in tqdm(jobs, desc="site tapes", unit="tape",
                        disable=None if progress is None else not progress):
        tape = site_tape_name(site, k)
        when = _tape_dates(seed + site.seed, k, 1)[0]
        rel = f"{tape}/{tape}_{when:%Y%m%d_%H%M}.wav"
        files.append(rel)
        if reuse and (out / rel).is_file():
            continue
        style = TapeStyle.draw(np.random.default_rng([seed, site.seed, k, 104729]))
        rng = np.random.default_rng([seed, site.seed, k])
        x, events = compose_tape(rng, sr=sr, duration_s=minutes_per_tape * 60.0, style=style,
                                 difficulty=DIFFICULTIES[difficulty], site=site)
        _write_raven_recording(out, rel, x, sr, events)
    write_text_if_changed(manifest, json.dumps({"params": params, "recordings": files},
                                           indent=2, sort_keys=True) + "\n")
    _log.info("site corpus with %d recordings in %s", len(files), out)
    return out
