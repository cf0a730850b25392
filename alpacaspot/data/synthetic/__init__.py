"""A realistic synthetic alpaca-hum corpus: sound generators, tape composition, corpus writer,
and recording sites that differ as real sites do."""

from alpacaspot.data.synthetic.corpus import make_synthetic_corpus
from alpacaspot.data.synthetic.site_corpus import make_site_corpus, site_tape_name
from alpacaspot.data.synthetic.sites import Animal, SiteStyle, site_style
from alpacaspot.data.synthetic.tape import DIFFICULTIES, Difficulty, TapeStyle, compose_tape

__all__ = ["make_synthetic_corpus", "compose_tape", "TapeStyle", "Difficulty", "DIFFICULTIES",
           "make_site_corpus", "site_tape_name", "SiteStyle", "Animal", "site_style"]
