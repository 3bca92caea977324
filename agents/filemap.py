"""The public face of a source file in a few lines: what a later phase may import from it.

Python files are read with `ast`: public classes with their public method signatures, public
functions, module constants. JavaScript and TypeScript keep their `export` declarations. Test
modules and other files show only their path. Every summary is bounded, so the map grows with
the number of files, never with the amount of code in them.
"""

from __future__ import annotations

import ast
import copy
import posixpath
import re

MAX_LINES = 16
MAX_LINE_CHARS = 160

_JS_SUFFIXES = (".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs")
_JS_EXPORT = re.compile(
    r"^\s*export\s+(?:default\s+)?(?:async\s+)?"
    r"(?:function\*?|class|const|let|var|interface|type|enum|abstract\s+class)\b"
)


def _clip(line: str) -> str:
    return line if len(line) <= MAX_LINE_CHARS else line[: MAX_LINE_CHARS - 1] + "…"


def _bounded(lines: list[str]) -> list[str]:
    lines = [_clip(line) for line in lines]
    if len(lines) > MAX_LINES:
        return [*lines[: MAX_LINES - 1], f"… {len(lines) - MAX_LINES + 1} more"]
    return lines


def _function(node: ast.FunctionDef | ast.AsyncFunctionDef, indent: str = "") -> str:
    prefix = "async def" if isinstance(node, ast.AsyncFunctionDef) else "def"
    returns = f" -> {ast.unparse(node.returns)}" if node.returns else ""
    args = copy.copy(node.args)
    if indent and args.args and args.args[0].arg in {"self", "cls"}:
        args.args = args.args[1:]  # the map is for callers: the receiver goes without saying
    return f"{indent}{prefix} {node.name}({ast.unparse(args)}){returns}"


def _class(node: ast.ClassDef) -> list[str]:
    bases = ", ".join(ast.unparse(base) for base in node.bases)
    lines = [f"class {node.name}({bases})" if bases else f"class {node.name}"]
    for item in node.body:
        if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and (
            not item.name.startswith("_") or item.name == "__init__"
        ):
            lines.append(_function(item, "    "))
        elif (
            isinstance(item, ast.AnnAssign)
            and isinstance(item.target, ast.Name)
            and not item.target.id.startswith("_")
        ):
            lines.append(f"    {item.target.id}: {ast.unparse(item.annotation)}")
    return lines


def _constant(node: ast.stmt) -> str | None:
    target = None
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target = node.targets[0]
    elif isinstance(node, ast.AnnAssign):
        target = node.target
    if isinstance(target, ast.Name) and target.id.isupper() and not target.id.startswith("_"):
        return target.id
    return None


def python_signatures(source: str) -> list[str] | None:
    """Signature lines of a Python module, or None when it does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    lines: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            lines.extend(_class(node))
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if not node.name.startswith("_"):
                lines.append(_function(node))
        elif (name := _constant(node)) is not None:
            lines.append(name)
    return lines


def js_signatures(source: str) -> list[str]:
    return [
        line.strip().rstrip("{").rstrip() for line in source.splitlines() if _JS_EXPORT.match(line)
    ]


def is_test(path: str) -> bool:
    """Test modules export nothing another phase imports."""
    name = posixpath.basename(path)
    return (
        path.startswith(("tests/", "test/"))
        or "/tests/" in path
        or name.startswith("test_")
        or name.endswith(("_test.py", ".test.ts", ".test.js", ".spec.ts", ".spec.js"))
    )


def signatures(path: str, content: str) -> list[str]:
    """The bounded summary lines of one file (empty: the path alone says it all)."""
    if is_test(path):
        return []
    if path.endswith((".py", ".pyi")):
        lines = python_signatures(content)
        return _bounded(lines if lines is not None else [])
    if path.endswith(_JS_SUFFIXES):
        return _bounded(js_signatures(content))
    return []


def _module_paths(module: str) -> list[str]:
    base = module.replace(".", "/")
    return [f"{base}.py", f"{base}/__init__.py", f"src/{base}.py", f"src/{base}/__init__.py"]


def _relative_module(path: str, level: int, module: str | None) -> str:
    package = posixpath.dirname(path).split("/") if posixpath.dirname(path) else []
    package = package[: len(package) - (level - 1)] if level > 1 else package
    return ".".join([*package, *([module] if module else [])])


def python_imports(path: str, source: str, known: set[str]) -> list[str]:
    """The paths among `known` that a Python file imports (absolute and relative imports)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = _relative_module(path, node.level, node.module)
            modules.add(base)
            modules.update(f"{base}.{alias.name}" if base else alias.name for alias in node.names)
    found = {candidate for module in modules for candidate in _module_paths(module)}
    return sorted((found & known) - {path})
