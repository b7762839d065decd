"""Rendering the dashboard's templates (dashboard/templates first, then app's base layout)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader

from app.pages import make_environment

_ENV = make_environment(FileSystemLoader(Path(__file__).parent / "templates"))


def render(template: str, **context: Any) -> str:
    return _ENV.get_template(template).render(**context)
