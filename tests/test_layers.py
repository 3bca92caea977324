"""The packages import only what DESIGN.md allows them to, and no module imports itself back.

Read from the source with `ast`: an import inside a function or under `if TYPE_CHECKING:` counts
like any other. `from package import name` is an import of the module `package.name` when there
is one (`from bot.status import markdown as md`), else of `package`.

The rules (a rule covers a package or module and everything below it; "of ours" means `bot`,
`handlers`, `agents`, `storage` and `tests`):

- `storage` imports nothing of ours; `agents` only `agents` and `storage`; `handlers` only
  `handlers`, `bot` and `storage`. `bot` and `tests` may import anything, except as below.
- `bot.github` (the GitHub client and operations) imports nothing of ours but itself,
  `bot.settings`, `bot.logs` and `bot.logcontext`: no database, no agents, no workflow.
- `bot.status` and `bot.files` import neither `bot.workflow` nor `bot.commands`: the workflow
  and the commands use them, never the other way round.
- `bot.workflow` does not import `bot.commands`: the slash commands drive the state machine.
- `bot.plugins` imports neither `bot.workflow`, `bot.commands`, `bot.queue` nor `bot.web`: the
  workflow and the commands tell the plugins, and the job registry runs their job.
- `bot.queue` imports neither `bot.workflow` nor `bot.commands`, except `bot.queue.jobs`, the
  registry that wires every job kind to the module that runs it.
- `bot.web` imports neither `bot.workflow` nor `bot.commands`, and only `bot.web.app` (which
  starts the worker with the registry) imports `bot.queue.jobs`.
- The import graph of `bot`, `handlers`, `agents` and `storage` has no cycle.
"""

from __future__ import annotations

import ast
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("agents", "bot", "handlers", "storage")
OURS = frozenset({*PACKAGES, "tests"})
WORKFLOW_AND_COMMANDS = ("bot.workflow", "bot.commands")


@dataclass(frozen=True)
class Rule:
    """What the modules of `scope` (less those under `exempt`) may import of ours: only what
    is under `only` (when given), and nothing under `may_not`."""

    scope: str
    only: tuple[str, ...] | None = None
    may_not: tuple[str, ...] = ()
    exempt: tuple[str, ...] = ()

    def broken_by(self, imported: str) -> bool:
        if self.only is not None and not within(imported, self.only):
            return True
        return within(imported, self.may_not)

    def __str__(self) -> str:
        return self.scope + (f"-{'-'.join(self.may_not)}" if self.may_not else "")


RULES = (
    Rule("storage", only=("storage",)),
    Rule("agents", only=("agents", "storage")),
    Rule("handlers", only=("handlers", "bot", "storage")),
    Rule("bot.github", only=("bot.github", "bot.settings", "bot.logs", "bot.logcontext")),
    Rule("bot.status", may_not=WORKFLOW_AND_COMMANDS),
    Rule("bot.files", may_not=WORKFLOW_AND_COMMANDS),
    Rule("bot.workflow", may_not=("bot.commands",)),
    Rule("bot.plugins", may_not=(*WORKFLOW_AND_COMMANDS, "bot.queue", "bot.web")),
    Rule("bot.queue", may_not=WORKFLOW_AND_COMMANDS, exempt=("bot.queue.jobs",)),
    Rule("bot.web", may_not=WORKFLOW_AND_COMMANDS),
    Rule("bot.web", may_not=("bot.queue.jobs",), exempt=("bot.web.app",)),
)


def within(module: str, packages: Iterable[str]) -> bool:
    """`module` is one of `packages` or inside one."""
    return any(module == package or module.startswith(package + ".") for package in packages)


def module_files(root: Path, packages: Iterable[str]) -> dict[str, Path]:
    """Dotted module name → source file, for every module of `packages` under `root`."""
    found: dict[str, Path] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports_of(name: str, path: Path, known: Mapping[str, Path], ours: Iterable[str]) -> set[str]:
    """The modules of `ours` (top-level packages) that module `name` (at `path`) imports,
    anywhere in its source; `known` are the modules that exist, by name."""
    found: set[str] = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1]
            origin = node.module if node.level == 0 else ".".join([*base, node.module or ""])
            origin = (origin or "").strip(".")
            for alias in node.names:
                submodule = f"{origin}.{alias.name}"
                found.add(submodule if submodule in known else origin)
    return {module for module in found if within(module, ours)}


def import_graph(root: Path, packages: Iterable[str]) -> dict[str, set[str]]:
    """Module of `packages` → the modules of ours (and of `packages`) it imports."""
    known = module_files(root, packages)
    ours = OURS | set(packages)
    return {name: imports_of(name, path, known, ours) for name, path in known.items()}


def cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """One cycle per strongly connected group of modules, each as the path from its first
    module (in sorted order) back to it: [a, b, a]."""
    edges = {module: sorted(set(targets) & set(graph)) for module, targets in graph.items()}
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[set[str]] = []

    def visit(module: str) -> None:  # Tarjan's algorithm
        order[module] = low[module] = len(order)
        stack.append(module)
        for target in edges[module]:
            if target not in order:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], order[target])
        if low[module] == order[module]:
            group = {stack.pop()}
            while module not in group:
                group.add(stack.pop())
            if len(group) > 1 or module in edges[module]:
                groups.append(group)

    for module in sorted(edges):
        if module not in order:
            visit(module)
    return sorted(_loop(edges, group) for group in groups)


def _loop(edges: Mapping[str, list[str]], group: set[str]) -> list[str]:
    """The shortest path inside `group` from its first module back to itself."""
    start = min(group)
    came_from: dict[str, str] = {}
    queue = deque([start])
    while start not in came_from:
        module = queue.popleft()
        for target in edges[module]:
            if target in group and target not in came_from:
                came_from[target] = module
                queue.append(target)
    path = [start]
    while (module := came_from[path[-1]]) != start:
        path.append(module)
    return [start, *reversed(path)]


GRAPH = import_graph(ROOT, PACKAGES)


@pytest.mark.parametrize("rule", RULES, ids=str)
def test_packages_import_only_what_they_may(rule: Rule) -> None:
    covered = {
        module: imported
        for module, imported in GRAPH.items()
        if within(module, [rule.scope]) and not within(module, rule.exempt)
    }
    assert covered, f"no modules found under {rule.scope}"
    wrong = {
        module: sorted(target for target in imported if rule.broken_by(target))
        for module, imported in covered.items()
    }
    assert {module: targets for module, targets in wrong.items() if targets} == {}


def test_the_rules_name_real_modules() -> None:
    named = {name for rule in RULES for name in (rule.scope, *rule.may_not, *rule.exempt)}
    named |= {name for rule in RULES for name in rule.only or ()}
    assert {name for name in named if not any(within(m, [name]) for m in GRAPH)} == set()


def test_no_import_cycles() -> None:
    found = [" → ".join(loop) for loop in cycles(GRAPH)]
    assert not found, "import cycles:\n" + "\n".join(found)


def test_the_check_sees_a_forbidden_import(tmp_path: Path) -> None:
    (tmp_path / "storage").mkdir()
    module = tmp_path / "storage" / "m.py"
    module.write_text("def f():\n    from bot.settings import load_settings\n", encoding="utf-8")
    graph = import_graph(tmp_path, ["storage"])
    assert graph == {"storage.m": {"bot.settings"}}
    assert RULES[0].broken_by("bot.settings")


def test_the_check_sees_a_cycle(tmp_path: Path) -> None:
    files = {
        "__init__.py": "",
        "a.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.b import B\n",
        "b.py": "def f():\n    from pkg import c as alias\n",
        "c.py": "import pkg.a\n",
        "d.py": "from pkg.a import A\nfrom . import c\nfrom .sub import e\n",
        "sub/__init__.py": "",
        "sub/e.py": "from .. import d\n",
    }
    for name, text in files.items():
        (tmp_path / "pkg" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "pkg" / name).write_text(text, encoding="utf-8")
    graph = import_graph(tmp_path, ["pkg"])
    assert graph["pkg.b"] == {"pkg.c"}  # the submodule, not the package
    assert graph["pkg.d"] == {"pkg.a", "pkg.c", "pkg.sub.e"}
    assert cycles(graph) == [["pkg.a", "pkg.b", "pkg.c", "pkg.a"], ["pkg.d", "pkg.sub.e", "pkg.d"]]
