"""The folders import only what DESIGN.md allows them to: `storage` nothing of ours, `agents`
only `storage`, `handlers` only `bot` and `storage` (`bot` and `tests` may import anything).
Read from the source with `ast`, so an import inside a function counts too."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OURS = {"bot", "handlers", "agents", "storage", "tests"}
ALLOWED = {
    "storage": {"storage"},
    "agents": {"agents", "storage"},
    "handlers": {"handlers", "bot", "storage"},
}


def first_party_imports(path: Path) -> set[str]:
    """The top-level packages of ours that a module imports."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found & OURS


@pytest.mark.parametrize("folder", sorted(ALLOWED))
def test_folders_import_only_what_they_may(folder: str) -> None:
    modules = sorted((ROOT / folder).rglob("*.py"))
    assert modules, f"no modules found under {folder}/"
    wrong = {
        str(path.relative_to(ROOT)): sorted(imported - ALLOWED[folder])
        for path in modules
        if (imported := first_party_imports(path)) - ALLOWED[folder]
    }
    assert wrong == {}


def test_the_check_sees_a_forbidden_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from bot.settings import load_settings\n", encoding="utf-8")
    assert first_party_imports(module) == {"bot"}
