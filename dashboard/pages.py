"""Rendering the dashboard's templates (dashboard/templates first, then app's base layout)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader

from app.pages import make_environment

_ENV = make_environment(FileSystemLoader(Path(__file__).parent / "templates"))


def dollars(amount: str) -> str:
    """An exact amount (`"4.250000"`) as people read it (`$4.25`), keeping every non-zero digit (`$0.00312`)."""
    whole, _, cents = amount.partition(".")
    cents = cents.rstrip("0").ljust(2, "0")
    sign = "-" if whole.startswith("-") else ""
    return f"{sign}${whole.lstrip('-')}.{cents}"


_ENV.filters["dollars"] = dollars


def render(template: str, **context: Any) -> str:
    return _ENV.get_template(template).render(**context)
