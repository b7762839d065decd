"""Only the process wiring sees the whole Clients object; services and handlers get the clients they use."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Who builds, closes or unpacks the clients of a process.
WIRING = {"app/app.py", "app/providers.py", "app/clients.py", "jobs/worker.py"}


def _imports_of_clients(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module == "app.clients":
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names if alias.name == "app.clients"}
    return names


def test_only_the_wiring_imports_the_clients_object() -> None:
    sources = [p for package in ("app", "jobs", "dashboard", "github_app") for p in (ROOT / package).rglob("*.py")]
    assert len(sources) > 50
    reaching = {
        str(path.relative_to(ROOT)): names
        for path in sources
        if str(path.relative_to(ROOT)) not in WIRING and (names := _imports_of_clients(path) - {"pick"})
    }
    assert reaching == {}


def test_the_check_sees_an_import_of_the_clients_object(tmp_path: Path) -> None:
    service = tmp_path / "service.py"
    service.write_text("from app.clients import Clients, pick\nimport app.clients\n")
    assert _imports_of_clients(service) - {"pick"} == {"Clients", "app.clients"}
