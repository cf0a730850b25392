"""Corpora and training data: the corpus index, a synthetic alpaca corpus, noise mining,
splits and ANIMAL-SPOT-style clip datasets. Nothing here imports torch.

Two corpus layouts are read by :func:`build_corpus_index` (``layout="auto"`` tells them
apart) and written by :func:`make_synthetic_corpus`:

``raven``: audio files with Raven selection tables beside them::

    corpus/T01/T01_20190614_0930.wav
    corpus/T01/T01_20190614_0930.Table.1.selections.txt     (or T01_20190614_0930.selections.txt)
    corpus/all_tapes.selections.txt                         (multi-file table: Begin Path/File)

  tape = first folder, else the file stem (:func:`alpacaspot.io.layout.default_tape`), year =
  the ``YYYYMMDD`` date in the file name, or both from ``tape_fn``; the label column is
  ``Annotation`` (or the reader's default), the quality column ``Quality``.

``alpaca``: the alpaca fork's folders::

    corpus/raw_recordings/alp01_20190614_cut.wav
    corpus/labelled_recordings/alp01_20190614_cut.wav_600_1500.wav     (clip of the raw file)
    corpus/segmented_hums/alp01_20190614_cut.wav_600_1500_3.512_3.801Q2.wav   (one hum)

  clip-name times in an explicit unit (``clip_time_unit="s"`` or ``"min"``, or
  ``corpus_layout.json``), hum times in seconds from the clip's start; only the labelled
  clips count as annotated; tape ``alp01-20190614``, year 2019.

Examples
--------
>>> import tempfile
>>> from alpacaspot.data import make_synthetic_corpus, build_corpus_index
>>> root = make_synthetic_corpus(tempfile.mkdtemp(), n_tapes=1, minutes_per_tape=0.2, seed=0,
...                              sr=16000)
>>> len(build_corpus_index(root).recordings)
1
"""

from alpacaspot.data.clips import extract_clips
from alpacaspot.data.corpus import Corpus, build_corpus_index
from alpacaspot.data.hard_negatives import read_window_scores
from alpacaspot.data.noise_mining import NoiseMiner, free_gaps
from alpacaspot.data.prepare import prepare_datasets, prepare_variant
from alpacaspot.data.spectrogram_png import save_spectrogram_png
from alpacaspot.data.splits import SPLIT_STRATEGIES, assign_splits
from alpacaspot.data.strategy import Strategy, load_strategies
from alpacaspot.data.synthetic import SiteStyle, make_site_corpus, make_synthetic_corpus, site_style

__all__ = [
    "Corpus",
    "NoiseMiner",
    "SiteStyle",
    "SPLIT_STRATEGIES",
    "Strategy",
    "assign_splits",
    "build_corpus_index",
    "extract_clips",
    "free_gaps",
    "load_strategies",
    "make_site_corpus",
    "make_synthetic_corpus",
    "prepare_datasets",
    "prepare_variant",
    "read_window_scores",
    "save_spectrogram_png",
    "site_style",
]
