"""The layers of DESIGN.md, enforced: imports only go downwards, and the torch-free layers
never load torch.

Every module of the package (and every driver in ``examples/``) is parsed; its imports at
module level, inside functions, under ``TYPE_CHECKING`` and through
``importlib.import_module("<literal>")`` are resolved to a layer and checked against the order

    cli, examples > pipeline > detect > models > data | evaluate > events > dsp | io
    > cluster > _atomic > errors

Layers on one line (``data | evaluate``, ``dsp | io``) do not import each other. The package
root (``alpacaspot/__init__.py``: the errors and ``__version__``) may be imported from
anywhere and itself imports only the ground floor.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "alpacaspot"

#: DESIGN.md's layers, top (high) to bottom; equal ranks are siblings.
RANKS: dict[str, int] = {
    "cli": 90, "examples": 90,
    "pipeline": 80,
    "detect": 70,
    "models": 60,
    "data": 50, "evaluate": 50,
    "events": 40,
    "dsp": 30, "io": 30,
    "cluster": 20,
    "_atomic": 10,
    "errors": 0,
}  # fmt: skip
ROOT_RANK = 5  # alpacaspot/__init__.py: may import errors only; importable from anywhere
TORCH_FREE = ("io", "dsp", "events", "data", "evaluate")
HEAVY = ("torch", "torchvision", "torchaudio")


@dataclass(frozen=True)
class Import:
    source: str  # file, relative to the repository
    line: int
    target: str  # dotted module name
    name: str | None = None  # the name taken from ``target`` (``from target import name``)
    type_only: bool = False  # under ``if TYPE_CHECKING:``: never executed


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def _resolve_relative(module: str, is_pkg: bool, level: int, name: str | None) -> str:
    parts = module.split(".")
    base = parts if is_pkg else parts[:-1]
    base = base[: len(base) - (level - 1)] if level > 1 else base
    return ".".join(base + ([name] if name else []))


def _submodule_exists(dotted: str) -> bool:
    rel = Path(*dotted.split("."))
    return (ROOT / rel).with_suffix(".py").is_file() or (ROOT / rel / "__init__.py").is_file()


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    """ids of the nodes inside ``if TYPE_CHECKING:`` blocks (the body, not the else)."""
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If):
            test = node.test
            name = (test.id if isinstance(test, ast.Name)
                    else test.attr if isinstance(test, ast.Attribute) else "")
            if name == "TYPE_CHECKING":
                for stmt in node.body:
                    inside.update(id(n) for n in ast.walk(stmt))
    return inside


def _imports(path: Path) -> list[Import]:
    """Every import of a file: statements anywhere, and import_module("...") literals."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    module, is_pkg = _module_name(path), _is_package(path)
    src = path.relative_to(ROOT).as_posix()
    typing_only = _type_checking_nodes(tree)
    out: list[Import] = []
    for node in ast.walk(tree):
        only = id(node) in typing_only
        if isinstance(node, ast.Import):
            out.extend(Import(src, node.lineno, a.name, type_only=only) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = (node.module or "") if node.level == 0 else _resolve_relative(
                module, is_pkg, node.level, node.module)
            for alias in node.names:
                # "from alpacaspot import io" imports the subpackage alpacaspot.io
                full = f"{base}.{alias.name}"
                sub = alias.name != "*" and _submodule_exists(full)
                out.append(Import(src, node.lineno, full if sub else base,
                                  name=None if sub else alias.name, type_only=only))
        elif isinstance(node, ast.Call):
            func = node.func
            name = (func.attr if isinstance(func, ast.Attribute)
                    else func.id if isinstance(func, ast.Name) else "")
            if name in ("import_module", "__import__") and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    out.append(Import(src, node.lineno, first.value, type_only=only))
    return out


def _layer(dotted: str) -> str | None:
    """The layer of an alpacaspot module (``"<root>"`` for the package itself), else None."""
    parts = dotted.split(".")
    if parts[0] == "examples":
        return "examples"
    if parts[0] != "alpacaspot":
        return None
    return "<root>" if len(parts) == 1 else parts[1]


def _rank(layer: str) -> int:
    return ROOT_RANK if layer == "<root>" else RANKS[layer]


def _files() -> list[Path]:
    files = sorted(PACKAGE.rglob("*.py")) + sorted((ROOT / "examples").glob("*.py"))
    return [f for f in files if "__pycache__" not in f.parts]


def test_every_subpackage_has_a_layer():
    found = {p.name if p.is_dir() else p.stem for p in PACKAGE.iterdir()
             if (p.is_dir() and (p / "__init__.py").is_file())
             or (p.suffix == ".py" and p.name != "__init__.py" and p.name != "__main__.py")}
    missing = sorted(found - set(RANKS))
    assert not missing, f"place {missing} in DESIGN.md's layers and in RANKS here"


def _violations() -> list[str]:
    bad: list[str] = []
    for path in _files():
        own = _layer(_module_name(path))
        assert own is not None
        if own == "__main__":
            own = "cli"
        for imp in _imports(path):
            target = _layer(imp.target)
            if target is None or target == own:
                continue
            if target == "<root>":  # importing the package root (errors, __version__)
                continue
            if target == "examples" and own != "examples":
                bad.append(f"{imp.source}:{imp.line}: library code imports {imp.target}")
                continue
            if target not in RANKS:
                bad.append(f"{imp.source}:{imp.line}: {imp.target} is in no layer")
            elif _rank(own) <= _rank(target):
                bad.append(f"{imp.source}:{imp.line}: {own} imports {imp.target} "
                           f"({target} is not below {own})")
    return bad


def test_imports_only_go_downwards():
    bad = _violations()
    assert not bad, "imports against DESIGN.md's layers:\n" + "\n".join(bad)


def test_torch_free_layers_never_name_torch():
    bad = []
    for layer in TORCH_FREE:
        for path in sorted((PACKAGE / layer).rglob("*.py")):
            for imp in _imports(path):
                if imp.target.split(".")[0] in HEAVY:
                    bad.append(f"{imp.source}:{imp.line}: imports {imp.target}")
    assert not bad, "torch in a torch-free layer:\n" + "\n".join(bad)


def test_library_code_runs_no_example_file():
    bad = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div)
                    and any(isinstance(side, ast.Constant) and side.value == "examples"
                            for side in (node.left, node.right))):
                bad.append(f"{path.relative_to(ROOT).as_posix()}:{node.lineno}")
    assert not bad, "library code builds a path into examples/: " + ", ".join(bad)


def _existing_module(dotted: str) -> str:
    """The module a dotted import name lands in (``a.b.name`` -> ``a.b``)."""
    while "." in dotted and not _submodule_exists(dotted):
        dotted = dotted.rsplit(".", 1)[0]
    return dotted


def _import_graph() -> dict[str, dict[str, Import]]:
    """module -> {imported alpacaspot module: one import of it}, every executed import.

    Module-level, function-level and ``import_module`` imports count; imports under
    ``TYPE_CHECKING`` do not (they never run: annotating with a caller's type is no cycle).
    """
    graph: dict[str, dict[str, Import]] = {}
    for path in _files():
        module = _module_name(path)
        if _layer(module) in (None, "examples"):
            continue
        edges = graph.setdefault(module, {})
        for imp in _imports(path):
            if imp.type_only or _layer(imp.target) in (None, "examples"):
                continue
            target = _existing_module(imp.target)
            if target != module:
                edges.setdefault(target, imp)
    return graph


def _cycles(graph: dict[str, dict[str, Import]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, {})):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


def _describe(cycle: list[str], graph: dict[str, dict[str, Import]]) -> str:
    members = set(cycle)
    edges = [f"    {imp.source}:{imp.line} imports {target}"
             for v in cycle for target, imp in sorted(graph.get(v, {}).items())
             if target in members]
    return " <-> ".join(cycle) + "\n" + "\n".join(edges)


#: Cycles known and owned elsewhere, to be broken there; the test fails when one of them is
#: gone (remove it here) or when any other cycle appears.
KNOWN_CYCLES: list[list[str]] = [
]


def test_the_package_has_no_import_cycle():
    graph = _import_graph()
    cycles = _cycles(graph)
    new = [c for c in cycles if c not in KNOWN_CYCLES]
    assert not new, "import cycles (break them by moving the shared piece into its own " \
        "module, not by deferring an import):\n" + "\n".join(_describe(c, graph) for c in new)
    gone = [c for c in KNOWN_CYCLES if c not in cycles]
    assert not gone, f"no longer cycles: remove them from KNOWN_CYCLES: {gone}"


def _package(dotted: str) -> str:
    """The top-level package of a module: ``alpacaspot.io`` for ``alpacaspot.io.x._y``."""
    parts = dotted.split(".")
    return ".".join(parts[:2]) if parts[0] == "alpacaspot" else parts[0]


def _private_parts(dotted: str) -> list[str]:
    return [p for p in dotted.split(".")[1:] if p.startswith("_") and not p.startswith("__")]


#: Private to the package as a whole: the ground floor every layer writes files through.
PACKAGE_PRIVATE = ("alpacaspot._atomic",)


def _private_cross_imports() -> list[str]:
    bad: list[str] = []
    for path in _files():
        own = _package(_module_name(path))
        for imp in _imports(path):
            if not imp.target.startswith("alpacaspot.") or _package(imp.target) == own:
                continue
            if imp.target in PACKAGE_PRIVATE:
                continue
            private = _private_parts(imp.target)
            if imp.name and imp.name.startswith("_") and not imp.name.startswith("__"):
                private.append(imp.name)
            if private:
                what = imp.target + (f".{imp.name}" if imp.name else "")
                bad.append(f"{imp.source}:{imp.line}: imports {what} "
                           f"(private {', '.join(private)} of {_package(imp.target)})")
    return bad


def test_no_private_name_is_imported_across_packages():
    bad = _private_cross_imports()
    assert not bad, ("private names reached from another package (make them public, "
                     "re-export them, or move the code):\n" + "\n".join(bad))


def _fresh(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, check=False, cwd=ROOT)


@pytest.mark.parametrize("layer", TORCH_FREE)
def test_importing_a_torch_free_layer_loads_no_torch(layer):
    r = _fresh(f"""
        import importlib, pkgutil, sys
        import alpacaspot.{layer} as pkg
        for info in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
            importlib.import_module(info.name)
        heavy = sorted(m for m in sys.modules if m.split(".")[0] in {HEAVY!r})
        print(heavy)
        sys.exit(1 if heavy else 0)
    """)
    assert r.returncode == 0, f"importing alpacaspot.{layer} loaded: {r.stdout}{r.stderr}"


def test_info_on_a_table_wav_or_cfg_loads_no_torch(tmp_path):
    import numpy as np
    import pandas as pd

    from alpacaspot.io import write_audio, write_table
    from alpacaspot.io.animalspot import TRAIN_EXTRA_KEYS, write_cfg

    wav = write_audio(tmp_path / "a.wav", np.zeros(1600, dtype=np.float32), 16000) or (
        tmp_path / "a.wav")
    table = tmp_path / "t.parquet"
    write_table(pd.DataFrame({"a": [1]}), table)
    cfg = write_cfg(tmp_path / "alpaca_server.cfg",
                    {"data_dir": "d", "model_dir": "m", "sequence_len": "400", "width": "16",
                     "val_metric": "loss", "augmentation": True},
                    kind="train", extra_keys=TRAIN_EXTRA_KEYS)
    predict = write_cfg(tmp_path / "predict.cfg", {"model_path": "m.pt", "input_file": "a.wav",
                                                   "sequence_len": "0.4", "hop": "0.05"},
                        kind="predict")
    evaluate = write_cfg(tmp_path / "eval.cfg", {"prediction_dir": "p", "threshold": "0.5"},
                         kind="evaluate")
    r = _fresh(f"""
        import sys
        from alpacaspot.cli import main
        codes = [main(["info", str(path)]) for path in
                 {[str(wav), str(table), str(cfg), str(predict), str(evaluate)]!r}]
        heavy = sorted(m for m in sys.modules if m.split(".")[0] in {HEAVY!r})
        print(codes, heavy)
        sys.exit(1 if heavy or any(codes) else 0)
    """)
    assert r.returncode == 0, f"alpacaspot info: {r.stdout}{r.stderr}"


def test_the_checker_sees_every_kind_of_import(tmp_path, monkeypatch):
    """The parser finds module-level, function-level, relative and import_module imports."""
    pkg = tmp_path / "alpacaspot" / "io"
    pkg.mkdir(parents=True)
    (tmp_path / "alpacaspot" / "__init__.py").write_text("")
    (tmp_path / "alpacaspot" / "models").mkdir()
    (tmp_path / "alpacaspot" / "models" / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    f = pkg / "bad.py"
    f.write_text(textwrap.dedent("""
        import importlib
        from alpacaspot.models import build_model
        from .. import models
        def later():
            import torch
            return importlib.import_module("alpacaspot.pipeline.run")
    """))
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    targets = {(i.line, i.target) for i in _imports(f)}
    assert {(3, "alpacaspot.models"), (4, "alpacaspot.models"), (6, "torch"),
            (7, "alpacaspot.pipeline.run")} <= targets


def test_the_cycle_and_private_import_finders_see_what_they_must(tmp_path, monkeypatch):
    """A function-level cycle is found, a TYPE_CHECKING one is not; private cross-package
    names and modules are found, same-package ones are not."""
    root = tmp_path / "alpacaspot"
    for pkg in ("io", "data"):
        (root / pkg).mkdir(parents=True)
        (root / pkg / "__init__.py").write_text("")
    (root / "__init__.py").write_text("")
    (root / "io" / "a.py").write_text("def f():\n    from alpacaspot.io import b\n")
    (root / "io" / "b.py").write_text("from alpacaspot.io.a import f\n")
    (root / "io" / "c.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from alpacaspot.io.d import g\n")
    (root / "io" / "d.py").write_text("from alpacaspot.io.c import TYPE_CHECKING\n")
    (root / "io" / "_p.py").write_text("x = 1\n")
    (root / "io" / "e.py").write_text("from alpacaspot.io._p import x\n_y = x\n")
    (root / "data" / "z.py").write_text(
        "from alpacaspot.io._p import x\nfrom alpacaspot.io.e import _y\n"
        "from alpacaspot._atomic import atomic_path\n")
    (root / "_atomic.py").write_text("atomic_path = None\n")
    (tmp_path / "examples").mkdir()
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", root)
    assert _cycles(_import_graph()) == [["alpacaspot.io.a", "alpacaspot.io.b"]]
    bad = _private_cross_imports()
    assert [b.split(": ")[0] for b in bad] == ["alpacaspot/data/z.py:1", "alpacaspot/data/z.py:2"]
