import pytest

from alpacaspot import (
    AlpacaspotError,
    AnnotationError,
    AudioError,
    ConfigError,
    CorpusError,
)


@pytest.mark.parametrize("cls", [AudioError, AnnotationError, ConfigError, CorpusError])
def test_subclasses_carry_file_and_line(cls):
    err = cls("expected a number, got 'x'", path="dir/table.txt", line=7)
    assert isinstance(err, AlpacaspotError)
    assert err.path == "dir/table.txt"
    assert err.line == 7
    assert str(err) == "dir/table.txt, line 7: expected a number, got 'x'"


def test_message_without_location():
    assert str(AlpacaspotError("bad")) == "bad"
