from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from alpacaspot.data._alpaca_layout import alpaca_tape
from alpacaspot.data._naming import clean_field, default_raven_tape, year_from_name


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
    assert default_raven_tape("T01/sub/x.wav") == "T01"
    assert default_raven_tape("rec_01.wav") == "rec-01"
    assert alpaca_tape("alp03_20210905_morning_cut.wav") == ("alp03-20210905", 2021)
    assert alpaca_tape("odd name.wav") == ("odd-name", None)
