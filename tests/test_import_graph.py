"""The arrows of DESIGN.md's "Shape of the code", read from the source (ast; nothing is imported or run).

`github_app` ← `app` ← `jobs`, and `app` ← `dashboard`: `app` reaches jobs by name only (the `contextjson
worker` command in app/cli.py is the one place that starts them), and `app/db` imports no feature.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("app", "github_app", "jobs", "dashboard")
# What app/db may import from `app`: itself and the settings. Everything else in `app` is a feature or wiring.
DB_MAY_IMPORT = ("app.db", "app.settings")

# (importing module, imported package) pairs allowed despite the rules, each with the reason.
KNOWN_EXCEPTIONS: dict[tuple[str, str], str] = {
    ("app.cli", "jobs"): "`contextjson worker` starts the arq worker (and `--check` reads its health key)",
}


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, root: Path) -> Iterator[str]:
    """Every module a file imports (`from a import b` yields `a` and `a.b`, since b may be a module)."""
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against this module's package
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names if alias.name != "*")


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def rule_broken(importer: str, imported: str) -> str | None:
    """Which arrow an import goes against, or None."""
    if within(importer, "app") and within(imported, "jobs"):
        return "app reaches jobs only by name"
    if within(importer, "github_app") and any(within(imported, p) for p in ("app", "jobs", "dashboard")):
        return "github_app is a library: it imports nothing of the service"
    if within(importer, "dashboard") and within(imported, "jobs"):
        return "dashboard goes through app, which reaches jobs by name"
    if within(importer, "app.db") and within(imported, "app") and not any(within(imported, p) for p in DB_MAY_IMPORT):
        return "app/db imports no feature"
    if within(imported, "dashboard") and not within(importer, "dashboard") and importer != "app.routes":
        return "only create_app() mounts the dashboard (through app.routes, where every router is registered)"
    return None


def excepted(importer: str, imported: str) -> bool:
    return any(importer == who and within(imported, what) for who, what in KNOWN_EXCEPTIONS)


def violations(root: Path) -> list[str]:
    found = []
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            importer = module_name(path, root)
            for imported in sorted(set(imports(path, root))):
                rule = rule_broken(importer, imported)
                if rule is not None and not excepted(importer, imported):
                    found.append(f"{path.relative_to(root)} imports {imported}: {rule}")
    return found


def test_imports_follow_the_arrows() -> None:
    assert violations(ROOT) == []


def test_the_known_exceptions_still_exist() -> None:
    """An exception nobody needs any more is removed, so it cannot hide a new import."""
    for who, what in KNOWN_EXCEPTIONS:
        path = ROOT / (who.replace(".", "/") + ".py")
        assert any(within(imported, what) for imported in imports(path, ROOT)), (who, what)


def test_the_check_sees_each_kind_of_wrong_import(tmp_path: Path) -> None:
    files = {
        "app/__init__.py": "",
        "app/links/__init__.py": "",
        "app/db/__init__.py": "",
        "app/db/session.py": "from app.clients import Clients\nfrom app.settings import S\nfrom . import models\n",
        "app/queue.py": "import jobs.registry\n",
        "app/links/resolver.py": "from ...jobs import tasks\n",
        "github_app/__init__.py": "",
        "github_app/api.py": "from app import errors\n",
        "jobs/__init__.py": "",
        "dashboard/__init__.py": "",
        "dashboard/views.py": "from jobs.tasks import generate\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    found = violations(tmp_path)
    assert [line.split(":")[0] for line in found] == [
        "app/db/session.py imports app.clients",
        "app/db/session.py imports app.clients.Clients",
        "app/links/resolver.py imports jobs",
        "app/links/resolver.py imports jobs.tasks",
        "app/queue.py imports jobs.registry",
        "github_app/api.py imports app",
        "github_app/api.py imports app.errors",
        "dashboard/views.py imports jobs.tasks",
        "dashboard/views.py imports jobs.tasks.generate",
    ]
