"""The Examples sections of alpacaspot.dsp's docstrings run and are right."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "alpacaspot.dsp",
    "alpacaspot.dsp._animalspot",
    "alpacaspot.dsp.augment",
    "alpacaspot.dsp.field_augment",
    "alpacaspot.dsp.blocks",
    "alpacaspot.dsp.compression",
    "alpacaspot.dsp.config",
    "alpacaspot.dsp.grid",
    "alpacaspot.dsp.inputs",
    "alpacaspot.dsp.spectrogram",
    "alpacaspot.dsp.stft",
    "alpacaspot.dsp.windows",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, extraglobs={"np": __import__("numpy")},
                             optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} doctest(s) failed in {name}"
