from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alpacaspot.data.splits import SPLIT_STRATEGIES, SPLITS, assign_splits
from alpacaspot.errors import ConfigError, CorpusError


def _table(tapes: list[int], qualities: list[int], noise_per: int) -> pd.DataFrame:
    rows = []
    for unit, (tape, q) in enumerate(zip(tapes, qualities, strict=False)):
        rows.append(dict(cls="target", tape=f"t{tape}", quality=q, unit=unit,
                         region=f"t{tape}/r{unit % 2}"))
        for _ in range(noise_per):
            rows.append(dict(cls="noise", tape=f"t{tape}", quality=None, unit=unit,
                             region=f"t{tape}/r{unit % 2}"))
    df = pd.DataFrame(rows).rename(columns={"cls": "class"})
    df["quality"] = df["quality"].astype("Int64")
    return df


@settings(max_examples=80, deadline=None)
@given(data=st.data(), n=st.integers(1, 60), noise_per=st.integers(0, 2),
       seed=st.integers(0, 10_000))
def test_by_tape_never_shares_a_tape(data: st.DataObject, n: int, noise_per: int,
                                     seed: int) -> None:
    tapes = data.draw(st.lists(st.integers(0, 9), min_size=n, max_size=n))
    quals = data.draw(st.lists(st.integers(1, 4), min_size=n, max_size=n))
    df = _table(tapes, quals, noise_per)
    try:
        splits = assign_splits(df, strategy="by_tape", seed=seed)
    except CorpusError as exc:
        msg = str(exc)
        assert ("split '" in msg and "gets no '" in msg) or "at least 3 tapes" in msg
        return
    for tape in df["tape"].unique():
        assert len(set(splits[df["tape"] == tape])) == 1
    for split in SPLITS:
        for cls in df["class"].unique():
            assert ((splits == split) & (df["class"] == cls)).any()


def test_deterministic_and_roughly_proportional() -> None:
    rng = np.random.default_rng(0)
    df = _table(list(rng.integers(0, 20, 400)), list(rng.integers(1, 5, 400)), 1)
    a = assign_splits(df, strategy="by_tape", seed=7)
    b = assign_splits(df, strategy="by_tape", seed=7)
    assert (a == b).all()
    share = pd.Series(a).value_counts(normalize=True)
    assert 0.55 < share["train"] < 0.85 and share["val"] > 0.05 and share["test"] > 0.05


@pytest.mark.parametrize("strategy", SPLIT_STRATEGIES)
def test_every_strategy_keeps_units_together(strategy: str) -> None:
    rng = np.random.default_rng(1)
    df = _table(list(rng.integers(0, 6, 120)), list(rng.integers(1, 5, 120)), 2)
    splits = assign_splits(df, strategy=strategy, seed=3)
    for unit in df["unit"].unique():
        assert len(set(splits[df["unit"] == unit])) == 1
    if "clipwise" in strategy:
        for region in df["region"].unique():
            assert len(set(splits[df["region"] == region])) == 1


def test_errors() -> None:
    df = _table([0, 1], [1, 2], 1)
    with pytest.raises(CorpusError, match="at least 3 tapes"):
        assign_splits(df)
    with pytest.raises(ConfigError, match="split_strategy"):
        assign_splits(df, strategy="nope")
    with pytest.raises(ConfigError, match="fractions"):
        assign_splits(df, fractions=(0.5, 0.5, 0.5))
