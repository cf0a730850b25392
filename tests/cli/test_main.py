"""The ``alpacaspot`` command: help for users, version, cfg key tables, and its place on top."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from alpacaspot import __version__
from alpacaspot.cli import main
from alpacaspot.cli._keys import cfg_keys, key_help
from alpacaspot.detect.cfg import EVALUATE_EXTRA_KEYS, PREDICT_EXTRA_KEYS
from alpacaspot.events import PostprocessConfig
from alpacaspot.io.animalspot import EVALUATE_KEYS, PREDICT_KEYS

PACKAGE = Path(__file__).resolve().parents[2] / "alpacaspot"


def _help(capsys: pytest.CaptureFixture, *argv: str) -> str:
    with pytest.raises(SystemExit) as exc:
        main([*argv, "--help"])
    assert exc.value.code == 0
    return capsys.readouterr().out


def _key_lines(text: str, kind: str) -> list[str]:
    table = text.split(f"keys of the {kind} cfg", 1)[1].splitlines()[1:]
    return [line for line in table if line.strip()]


def test_version(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out == f"alpacaspot {__version__}\n"


def test_top_help_is_written_for_users(capsys: pytest.CaptureFixture) -> None:
    text = _help(capsys)
    assert "Find animal calls" in text and "thin dispatcher" not in text
    for command in ("train", "predict", "evaluate", "fit-shared", "combine", "info", "check",
                    "clean", "demo"):
        assert f"\n    {command} " in text, command
    assert "alpacaspot evaluate BENCHMARK/cfg/<model>/<tag>/eval.cfg" in text
    assert "keys of the" not in text


@pytest.mark.parametrize(("kind", "base", "extra"), [
    ("predict", PREDICT_KEYS, PREDICT_EXTRA_KEYS),
    ("evaluate", EVALUATE_KEYS, EVALUATE_EXTRA_KEYS),
])
def test_help_lists_every_cfg_key_once(capsys: pytest.CaptureFixture, kind: str,
                                       base: tuple[str, ...], extra: tuple[str, ...]) -> None:
    lines = _key_lines(_help(capsys, kind), kind)
    assert [line.split()[0] for line in lines] == list(base) + [k for k in extra
                                                               if k not in base]
    assert all("(not described)" not in line and len(line.split()) > 2 for line in lines)


def test_post_processing_keys_are_described_by_their_owner(
        capsys: pytest.CaptureFixture) -> None:
    lines = {line.split()[0]: line.split(None, 1)[1]
             for line in _key_lines(_help(capsys, "evaluate"), "evaluate")}
    for key, text in PostprocessConfig.cfg_help().items():
        assert lines[key] == text, key


def test_every_key_has_a_description() -> None:
    for kind in ("train", "predict", "evaluate"):
        missing = [k for k, text in key_help(kind).items() if text == "(not described)"]
        assert not missing, (kind, missing)
        assert len(cfg_keys(kind)) == len(set(cfg_keys(kind)))


def test_bad_input_is_status_2_with_the_file(tmp_path: Path,
                                             capsys: pytest.CaptureFixture) -> None:
    cfg = tmp_path / "eval.cfg"
    cfg.write_text("prediction_dir=/p\nmystery=1\n")
    assert main(["evaluate", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("alpacaspot evaluate: error: ") and str(cfg) in err


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module"
              and node.args and isinstance(node.args[0], ast.Constant)):
            names.add(str(node.args[0].value))
    return names


def test_no_layer_below_imports_the_console_and_io_never_imports_models() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel.startswith("cli/"):
            continue
        names = _imported_modules(path)
        if any(n == "alpacaspot.cli" or n.startswith("alpacaspot.cli.") for n in names):
            offenders.append(f"{rel} imports the console code")
        if rel.startswith("io/") and any(n.startswith("alpacaspot.models") for n in names):
            offenders.append(f"{rel} imports alpacaspot.models")
        if rel.endswith("_cli.py"):
            offenders.append(f"{rel}: console code outside alpacaspot/cli")
    assert not offenders, offenders


def test_console_script_and_module_entry_agree() -> None:
    script = Path(sys.executable).with_name("alpacaspot")
    runs = [[sys.executable, "-m", "alpacaspot.cli", "--version"]]
    if script.is_file():
        runs.append([str(script), "--version"])
    for argv in runs:
        r = subprocess.run(argv, capture_output=True, text=True, check=False)
        assert (r.returncode, r.stdout) == (0, f"alpacaspot {__version__}\n"), argv
