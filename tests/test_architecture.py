"""The rooms of the project and the one direction imports run in, read from the source.

docs/architecture.md draws them: the plumbing (`sparkloop`, `sparkloop.api`) <- `webhooks`
<- `sparkloop.oauth` and `subscribers` <- `referrals` <- `referrals.partners`. A room imports
only the rooms below it; `sparkloop.settings` and `sparkloop.urls` alone see every app. Every
import counts, at any depth of a module (a function's, one under `if TYPE_CHECKING:`).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APPS = ("sparkloop", "subscribers", "referrals", "webhooks")

# Each room and the rooms it may import (its own aside).
MAY_IMPORT: dict[str, set[str]] = {
    "plumbing": set(),
    "webhooks": {"plumbing"},
    "oauth": {"plumbing", "webhooks"},
    "subscribers": {"plumbing", "webhooks"},
    "referrals": {"plumbing", "webhooks", "subscribers"},
    "partners": {"plumbing", "webhooks", "subscribers", "referrals"},
}
# Where the project is assembled: these see every app (the demo of `make run` too).
ASSEMBLY = {
    "sparkloop.settings",
    "sparkloop.urls",
    "sparkloop.management.commands.demo_setup",
}
MAX_LINES = 500


def room_of(module: str) -> str | None:
    """The room a dotted module name belongs to; None for anything not the project's."""
    parts = module.split(".")
    if parts[0] == "sparkloop":
        return "oauth" if parts[1:2] == ["oauth"] else "plumbing"
    if parts[0] == "referrals":
        return "partners" if parts[1:2] == ["partners"] else "referrals"
    if parts[0] in ("subscribers", "webhooks"):
        return parts[0]
    return None


def app_of(module: str) -> str | None:
    """The Django app a module belongs to (`sparkloop.oauth` and `referrals.partners` are
    apps of their own)."""
    room = room_of(module)
    return {
        "plumbing": "sparkloop",
        "oauth": "sparkloop.oauth",
        "partners": "referrals.partners",
    }.get(room or "", room)


def project_modules() -> dict[str, Path]:
    """Every module of the apps, by dotted name; migrations are generated and left out."""
    found = {}
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imported_modules(source: str) -> Iterator[str]:
    """The modules an import statement anywhere in `source` names (absolute imports only:
    relative ones are banned by ruff's TID252)."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module


def upward_imports(module: str, source: str) -> list[str]:
    """`module -> imported` for each import of a room `module` may not use."""
    room = room_of(module)
    if room is None or module in ASSEMBLY:
        return []
    return [
        f"{module} -> {target}"
        for target in imported_modules(source)
        if (other := room_of(target)) is not None
        and other != room
        and other not in MAY_IMPORT[room]
    ]


def app_graph() -> dict[str, set[str]]:
    """Which app imports which (the assembly modules aside)."""
    graph: dict[str, set[str]] = {}
    for module, path in project_modules().items():
        app = app_of(module)
        if app is None or module in ASSEMBLY:
            continue
        targets = {app_of(target) for target in imported_modules(path.read_text())}
        graph.setdefault(app, set()).update(t for t in targets if t is not None and t != app)
    return graph


def a_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of `graph` (its nodes, the first repeated at the end), or None."""
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> list[str] | None:
        if node in path:
            return [*path[path.index(node) :], node]
        if node in done:
            return None
        for successor in sorted(graph.get(node, ())):
            if (cycle := visit(successor, [*path, node])) is not None:
                return cycle
        done.add(node)
        return None

    for node in sorted(graph):
        if (cycle := visit(node, [])) is not None:
            return cycle
    return None


def test_no_room_imports_a_room_above_it() -> None:
    wrong = [
        line
        for module, path in project_modules().items()
        for line in upward_imports(module, path.read_text())
    ]
    assert wrong == []


def test_no_import_loop_spans_two_apps() -> None:
    assert a_cycle(app_graph()) is None


@pytest.mark.parametrize("app", APPS)
def test_no_module_of_an_app_is_over_500_lines(app: str) -> None:
    sizes = {
        str(path.relative_to(ROOT)): len(path.read_text().splitlines())
        for module, path in project_modules().items()
        if module.split(".")[0] == app
    }
    assert sizes  # the app's modules were found
    assert {name: size for name, size in sizes.items() if size > MAX_LINES} == {}


# The checks themselves: they see the real import edges and would catch a wrong one.


def test_the_graph_is_read_from_the_real_modules() -> None:
    modules = project_modules()
    assert {"sparkloop.api.views", "subscribers.signals", "webhooks.services.events"} <= set(
        modules
    )
    graph = app_graph()
    assert "subscribers" in graph["referrals"]
    assert "webhooks" in graph["subscribers"] or "webhooks" in graph["referrals"]
    assert "sparkloop" in graph["webhooks"]


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("subscribers.services", "from referrals.services import attribution\n"),
        ("sparkloop.admin", "def f():\n    from subscribers import selectors\n"),
        ("webhooks.tasks", "import sparkloop.oauth.models\n"),
        ("sparkloop.oauth.views", "from subscribers.models import Subscriber\n"),
        ("referrals.views", "from referrals.partners import services\n"),
        (
            "webhooks.admin",
            "from typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n    from subscribers.models import Subscriber\n",
        ),
    ],
)
def test_an_import_of_a_room_above_is_caught(module: str, source: str) -> None:
    assert len(upward_imports(module, source)) == 1


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("referrals.receivers", "from subscribers.signals import subscriber_created\n"),
        ("sparkloop.oauth.services", "from webhooks.services import event_record\n"),
        ("referrals.partners.services", "from referrals.models import Campaign\n"),
        ("sparkloop.urls", "from referrals import views\n"),
        ("webhooks.views", "from django.db import models\nimport requests\n"),
    ],
)
def test_an_import_of_a_room_below_or_of_a_library_is_allowed(module: str, source: str) -> None:
    assert upward_imports(module, source) == []


def test_a_loop_between_two_apps_is_found() -> None:
    graph = {"sparkloop": {"subscribers"}, "subscribers": {"sparkloop"}, "webhooks": set()}
    assert a_cycle(graph) in (
        ["sparkloop", "subscribers", "sparkloop"],
        ["subscribers", "sparkloop", "subscribers"],
    )
    assert a_cycle({"referrals": {"subscribers"}, "subscribers": {"sparkloop"}}) is None
