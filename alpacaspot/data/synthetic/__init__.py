"""A realistic synthetic alpaca-hum corpus: sound generators, tape composition, corpus writer."""

from alpacaspot.data.synthetic.corpus import make_synthetic_corpus
from alpacaspot.data.synthetic.tape import DIFFICULTIES, Difficulty, TapeStyle, compose_tape

__all__ = ["make_synthetic_corpus", "compose_tape", "TapeStyle", "Difficulty", "DIFFICULTIES"]
