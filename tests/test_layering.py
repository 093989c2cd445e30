"""The packages import one way: filings ← labels ← model ← scoring ← corpus ← serving.

``training`` uses ``model`` and ``labels``; the shell (``risklens.cli``, ``risklens.commands``,
``risklens.api``, ``risklens.__main__``) sits on top. Nothing imports the shell, and nothing
but the shell imports ``training``. Every import statement of every module counts, also the
ones inside functions and under ``TYPE_CHECKING``: a lazy import that runs back up is still
a cycle for whoever reads or moves the code.
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest

PACKAGE_ROOT = Path(__file__).resolve().parents[1] / "risklens"

# What each layer may import (besides itself), lowest first.
ALLOWED: dict[str, set[str]] = {
    "filings": set(),
    "labels": {"filings"},
    "model": {"filings", "labels"},
    "scoring": {"filings", "labels", "model"},
    "corpus": {"filings", "labels", "model", "scoring"},
    "serving": {"filings", "labels", "model", "scoring", "corpus"},
    "training": {"filings", "labels", "model"},
}
SHELL = "shell"
LAYERS = (*ALLOWED, SHELL)


def layer_of(module: str) -> str | None:
    """``risklens.model.fusion`` -> ``model``; any other ``risklens.*`` module -> the shell."""
    parts = module.split(".")
    if parts[0] != "risklens":
        return None
    if len(parts) > 1 and parts[1] in ALLOWED:
        return parts[1]
    return SHELL


def module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE_ROOT.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> list[tuple[str, Path]]:
    """Every module of the installed package, following the links in risklens/."""
    found: list[tuple[str, Path]] = []
    for directory, _dirs, files in os.walk(PACKAGE_ROOT, followlinks=True):
        for file in files:
            if file.endswith(".py"):
                path = Path(directory) / file
                found.append((module_name(path), path))
    return sorted(found)


def imports_of(module: str, path: Path) -> set[str]:
    """Absolute names of every module ``path`` imports (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base]) if base else ".".join(anchor)
            names.add(base)
            # ``from risklens import filings`` imports the subpackage risklens.filings.
            names.update(f"{base}.{alias.name}" for alias in node.names if base == "risklens")
    return names


MODULES = project_modules()


def test_the_package_is_found_through_its_links() -> None:
    layers = {layer_of(name) for name, _ in MODULES}
    assert {"filings", "labels", "model", "scoring", "serving", "training", SHELL} <= layers
    assert len(MODULES) > 80


def test_no_bare_top_level_imports_of_the_folders() -> None:
    bare = [
        f"{name} imports {target}"
        for name, path in MODULES
        for target in imports_of(name, path)
        if target.split(".")[0] in ALLOWED
    ]
    assert bare == [], "import the packages as risklens.<folder>:\n" + "\n".join(bare)


@pytest.mark.parametrize("layer", LAYERS)
def test_imports_flow_one_way(layer: str) -> None:
    wrong: list[str] = []
    for name, path in MODULES:
        if layer_of(name) != layer or layer == SHELL:
            continue
        for target in sorted(imports_of(name, path)):
            target_layer = layer_of(target)
            if target == "risklens" or target_layer in (None, layer):
                continue
            if target_layer not in ALLOWED[layer]:
                wrong.append(f"{name} imports {target} ({layer} may import {sorted(ALLOWED[layer])})")
    assert wrong == [], "\n".join(wrong)


def test_the_package_init_imports_nothing_of_the_shell_eagerly() -> None:
    """``import risklens.filings`` runs ``risklens/__init__.py``: it must stay light."""
    init = PACKAGE_ROOT / "__init__.py"
    tree = ast.parse(init.read_text(encoding="utf-8"))
    top_level = [node for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)]
    eager = {alias.name for node in top_level if isinstance(node, ast.Import) for alias in node.names}
    eager |= {node.module or "" for node in top_level if isinstance(node, ast.ImportFrom)}
    assert not {name for name in eager if name.startswith("risklens")}, eager


def test_the_checker_sees_a_violation(tmp_path: Path) -> None:
    """Relative, lazy and ``from risklens import x`` imports are all seen (guards the test)."""
    assert layer_of("risklens.model.fusion") == "model"
    assert layer_of("risklens.commands.score") == SHELL
    fake = tmp_path / "fake.py"
    fake.write_text("def f():\n    from ..training import loop\n    from risklens import cli\n")
    seen = imports_of("risklens.model.fake", fake)
    assert {"risklens.training", "risklens.cli"} <= seen
    assert {layer_of(name) for name in seen} - ALLOWED["model"] - {"model", None} == {"training", SHELL}
