"""API keys as /api/keys and the dashboard show them (never the key itself, except once on creation)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from msgspec import Meta, Struct

from app.billing.money import usd_text
from app.db.models import ApiKey

_CAP = Meta(description="Spend allowed per calendar month (UTC), exact decimal dollars; null: no cap.")


class ApiKeyView(Struct):
    """One live API key of the account."""

    id: int
    name: str
    prefix: Annotated[str, Meta(description="The key's first characters, to recognise it (`cj_Ab12Cd34`).")]
    monthly_cap_usd: Annotated[str | None, _CAP]
    created_at: datetime
    last_used_at: Annotated[datetime | None, Meta(description="Within a minute; null: never used.")]


class CreatedApiKey(Struct):
    """A new key: `key` is shown this once and cannot be read again."""

    id: int
    name: str
    prefix: str
    monthly_cap_usd: Annotated[str | None, _CAP]
    created_at: datetime
    last_used_at: datetime | None
    key: Annotated[str, Meta(description="Send it as `Authorization: Bearer <key>`. Store it now.")]


def key_view(row: ApiKey) -> ApiKeyView:
    assert row.id is not None
    cap = None if row.monthly_cap_micros is None else usd_text(row.monthly_cap_micros)
    return ApiKeyView(row.id, row.name, row.prefix, cap, row.created_at, row.last_used_at)


def created_view(row: ApiKey, key: str) -> CreatedApiKey:
    view = key_view(row)
    return CreatedApiKey(view.id, view.name, view.prefix, view.monthly_cap_usd, view.created_at, view.last_used_at, key)
