"""Creating, listing and revoking an account's API keys (the dashboard, /api/keys and the CLI share these)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.api_keys import repository as repo
from app.api_keys.tokens import key_hash, lookup_prefix, new_key
from app.billing.money import parse_usd
from app.db.models import ApiKey, utcnow
from app.errors import AppError, NotFound

MAX_NAME_LENGTH = 100
MAX_LIVE_KEYS = 100  # per account: enough for every machine an owner runs, not enough to lose track


class InvalidApiKeyRequest(AppError):
    status_code = 400
    code = "api_key.invalid"
    title = "This API key cannot be created"


class ApiKeyNotFound(NotFound):
    code = "api_key.not_found"
    title = "No such API key"


@dataclass(frozen=True)
class CreatedKey:
    row: ApiKey
    key: str  # the only time the key's text exists outside the caller's hands


def key_name(text: str) -> str:
    name = " ".join(text.split())
    if not name:
        raise InvalidApiKeyRequest("Give the key a name (say where it is used, e.g. “CI” or “laptop”).")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidApiKeyRequest(f"A key's name has at most {MAX_NAME_LENGTH} characters.")
    return name


def monthly_cap_micros(text: str | None) -> int | None:
    """An optional monthly spend cap in USD (empty: none); must be positive."""
    if text is None or not str(text).strip():
        return None
    try:
        micros = parse_usd(text)
    except ValueError as exc:
        raise InvalidApiKeyRequest(f"The monthly cap is not valid: {exc}.") from exc
    if micros <= 0:
        raise InvalidApiKeyRequest("A monthly cap must be more than $0 (leave it empty for no cap).")
    return micros


async def create_key(
    session: AsyncSession, secret_key: str, *, account_id: int, name: str, monthly_cap_usd: str | None, created_by: str
) -> CreatedKey:
    """A new key for the account (flushed, not committed); its text is returned once and never stored."""
    clean_name, cap = key_name(name), monthly_cap_micros(monthly_cap_usd)
    if len(await repo.live_keys_of_account(session, account_id)) >= MAX_LIVE_KEYS:
        raise InvalidApiKeyRequest(f"An account has at most {MAX_LIVE_KEYS} keys: revoke one you no longer use.")
    for _ in range(3):  # a prefix collision (47 random bits) is rare; try a fresh key
        key = new_key()
        prefix = lookup_prefix(key)
        assert prefix is not None
        row = ApiKey(
            account_id=account_id,
            name=clean_name,
            prefix=prefix,
            key_hash=key_hash(secret_key, key),
            monthly_cap_micros=cap,
            created_by=created_by,
        )
        try:
            async with session.begin_nested():
                session.add(row)
        except IntegrityError:
            continue
        return CreatedKey(row, key)
    raise RuntimeError("could not find a free API key prefix")


async def revoke_key(session: AsyncSession, *, account_id: int, key_id: int, at: datetime | None = None) -> None:
    """Revoke a live key of the account (flushed); 404 for any other id, whether or not it exists."""
    if not await repo.revoke(session, account_id, key_id, at or utcnow()):
        raise ApiKeyNotFound(f"The account has no live API key {key_id}.")
