"""``alpacaspot predict``'s command-line options."""

from __future__ import annotations

import pytest

from alpacaspot.cli import _parser
from alpacaspot.detect.cfg import FRONTEND_CHOICES


def test_frontend_option_is_parsed() -> None:
    argv = ["predict", "p.cfg", "--frontend", "torch"]
    args = _parser(argv).parse_args(argv)
    assert (args.cfg, args.frontend) == ("p.cfg", "torch")
    args = _parser(["predict", "p.cfg"]).parse_args(["predict", "p.cfg"])
    assert args.frontend is None  # the cfg's frontend key decides


def test_frontend_option_offers_the_cfg_choices(capsys: pytest.CaptureFixture) -> None:
    parser = _parser(["predict", "p.cfg"])
    sub = parser._subparsers._group_actions[0].choices["predict"]  # type: ignore[union-attr]
    option = next(a for a in sub._actions if "--frontend" in a.option_strings)
    assert tuple(option.choices) == FRONTEND_CHOICES
    with pytest.raises(SystemExit) as exc:
        _parser().parse_args(["predict", "p.cfg", "--frontend", "fpga"])
    assert exc.value.code == 2
    assert "invalid choice: 'fpga'" in capsys.readouterr().err
