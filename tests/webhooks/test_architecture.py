"""The webhooks room's shape: imports run one way, no module grows past ~300 lines."""

from __future__ import annotations

import ast
from pathlib import Path

ROOM = Path(__file__).resolve().parents[2] / "webhooks"
HIGHER_ROOMS = ("subscribers", "referrals", "sparkloop.oauth")


def _modules() -> dict[str, Path]:
    found = {}
    for path in ROOM.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        parts = path.relative_to(ROOM.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _imports(path: Path) -> set[str]:
    """Every module imported anywhere in the file (function-level imports too)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_no_import_loop_inside_the_room() -> None:
    modules = _modules()
    graph = {
        name: {dep for dep in _imports(path) if dep in modules and dep != name}
        for name, path in modules.items()
    }
    # A package's own __init__ re-exporting its modules is not a loop: drop parent packages.
    graph = {
        name: {dep for dep in deps if not name.startswith(dep + ".")}
        for name, deps in graph.items()
    }
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        assert name not in path, " -> ".join([*path, name])
        if name in done:
            return
        for dep in graph[name]:
            visit(dep, [*path, name])
        done.add(name)

    for name in graph:
        visit(name, [])


def test_the_room_imports_no_higher_room() -> None:
    for name, path in _modules().items():
        higher = {dep for dep in _imports(path) if dep.startswith(HIGHER_ROOMS)}
        assert not higher, f"{name} imports {higher}"


def test_no_module_is_over_300_lines() -> None:
    sizes = {name: len(path.read_text().splitlines()) for name, path in _modules().items()}
    assert {name: size for name, size in sizes.items() if size > 300} == {}
