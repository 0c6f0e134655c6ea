"""The rooms' import rules, read from the source (DESIGN: imports run one way).

The subscribers app never imports the referrals app (nor the partners app above it); the
referrals app never imports the partners app; no module imports another app's private
(`_`) names; the read layer (selectors) never imports the write layer (services).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def modules(app: str) -> list[Path]:
    return [
        path
        for path in sorted((ROOT / app).rglob("*.py"))
        if "migrations" not in path.parts
        and not (app == "referrals" and "partners" in path.relative_to(ROOT / app).parts)
    ]


def imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, imported names) of every import statement, at any depth."""
    found: list[tuple[str, list[str]]] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.module, [alias.name for alias in node.names]))
    return found


def app_of(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[:2] == ["referrals", "partners"] else parts[0]


@pytest.mark.parametrize(
    ("app", "above"),
    [("subscribers", ("referrals", "referrals.partners")), ("referrals", ("referrals.partners",))],
)
def test_a_room_never_imports_a_room_above_it(app: str, above: tuple[str, ...]) -> None:
    wrong = [
        f"{path.relative_to(ROOT)}: {module}"
        for path in modules(app)
        for module, _ in imports(path)
        if app_of(module) in above
    ]
    assert wrong == []


@pytest.mark.parametrize("app", ["subscribers", "referrals"])
def test_no_module_imports_another_apps_private_names(app: str) -> None:
    wrong = [
        f"{path.relative_to(ROOT)}: {module}.{name}"
        for path in modules(app)
        for module, names in imports(path)
        if app_of(module) != app
        for name in names
        if name.startswith("_") and name != "__future__"
    ]
    assert wrong == []


@pytest.mark.parametrize("app", ["subscribers", "referrals"])
def test_the_read_layer_never_imports_the_write_layer(app: str) -> None:
    selectors = ROOT / app / "selectors.py"
    wrong = [module for module, _ in imports(selectors) if module.split(".")[-1] == "services"]
    wrong += [
        f"{module}.{name}"
        for module, names in imports(selectors)
        for name in names
        if name == "services"
    ]
    assert wrong == []


def test_the_rules_are_read_from_real_modules() -> None:
    assert len(modules("subscribers")) >= 8
    assert "referrals/receivers.py" in {str(p.relative_to(ROOT)) for p in modules("referrals")}
    assert any(m == "subscribers.signals" for m, _ in imports(ROOT / "referrals" / "receivers.py"))
