from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from alpacaspot.data import build_corpus_index
from alpacaspot.data._alpaca_layout import alpaca_tape
from alpacaspot.data._naming import clean_field, year_from_name
from alpacaspot.io.layout import default_tape


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=30))
def test_clean_field_is_a_clip_name_field(text: str) -> None:
    out = clean_field(text)
    assert out and "_" not in out and "/" not in out and "\\" not in out


def test_year_from_name() -> None:
    assert year_from_name("site/MSD-0003_20180427_2minstart00.wav") == 2018
    assert year_from_name("x_20181327.wav") is None  # month 13
    assert year_from_name("x_120180427.wav") is None  # glued to another digit
    assert year_from_name("a_19990101_b_20200202.wav") == 2020
    assert year_from_name("tape.wav") is None


def test_default_tapes() -> None:
    assert default_tape("T01/sub/x.wav") == "T01"
    assert default_tape("rec_01.wav") == "rec-01"
    assert alpaca_tape("alp03_20210905_morning_cut.wav") == ("alp03-20210905", 2021)
    assert alpaca_tape("odd name.wav") == ("odd-name", None)


def test_the_corpus_assigns_the_default_tape_rule(raven_corpus_master, alpaca_corpus_master):
    """build_corpus_index (either layout) and evaluation's fallback give one tape per
    recording: io.layout.default_tape."""
    for root in (raven_corpus_master, alpaca_corpus_master):
        rec = build_corpus_index(root).recordings
        assert len(rec) >= 3
        assert rec["tape"].tolist() == [default_tape(r) for r in rec["recording"]], root
