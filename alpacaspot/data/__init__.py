"""Corpora and training data: the corpus index, a synthetic alpaca corpus, noise mining,
splits and ANIMAL-SPOT-style clip datasets. Nothing here imports torch.

Examples
--------
>>> import tempfile
>>> from alpacaspot.data import make_synthetic_corpus, build_corpus_index
>>> root = make_synthetic_corpus(tempfile.mkdtemp(), n_tapes=1, minutes_per_tape=0.2, seed=0,
...                              sr=16000)
>>> len(build_corpus_index(root).recordings)
1
"""

from alpacaspot.data.corpus import Corpus, build_corpus_index
from alpacaspot.data.synthetic import make_synthetic_corpus

__all__ = ["Corpus", "build_corpus_index", "make_synthetic_corpus", "prepare_datasets"]


def __getattr__(name: str) -> object:
    if name == "prepare_datasets":
        from alpacaspot.data.prepare import prepare_datasets

        return prepare_datasets
    raise AttributeError(f"module 'alpacaspot.data' has no attribute {name!r}")
