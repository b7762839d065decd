"""Registering this service's GitHub App (manifest flow) and reading the registration back, secrets sealed."""

from __future__ import annotations

import logging

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.app_registration import repository
from app.crypto import InvalidToken, seal, unseal
from app.db.models import GitHubAppRegistration
from app.errors import AppError
from app.github_source import AppCredentials
from github_app import ManifestCodeRejected, RegisteredApp, convert_manifest_code

log = logging.getLogger("contextjson.app_registration")

SEAL_PURPOSE = "github-app-registration"
_ALREADY = "This service already has a GitHub App; it is not replaced from the web."
_REGISTRATION_ID = 1  # one row at most: a second concurrent registration fails on the primary key


class AlreadyRegistered(AppError):
    status_code = 409
    code = "app_registration.exists"
    title = "The GitHub App is already set up"


class RegistrationFailed(AppError):
    status_code = 400
    code = "app_registration.failed"
    title = "The GitHub App could not be registered"


async def load_registration(sessions: async_sessionmaker[AsyncSession], secret_key: str) -> AppCredentials | None:
    """The stored App registration, unsealed; None when there is none or SECRET_KEY changed since it was stored."""
    async with sessions() as session:
        row = await repository.get_registration(session)
    if row is None:
        return None
    try:
        return _unsealed(row, secret_key)
    except InvalidToken:
        log.error("app_registration.unreadable: stored with another SECRET_KEY; register again or set GITHUB_APP_*")
        return None


async def complete_registration(
    sessions: async_sessionmaker[AsyncSession], *, api_url: str, code: str, secret_key: str
) -> AppCredentials:
    """Trade GitHub's one-time code for the App's credentials and store them sealed.

    A flow with an outside call between database steps: each step is its own short transaction.
    """
    async with sessions() as session:
        existing = await repository.get_registration(session)
    if existing is not None and _readable(existing, secret_key):
        raise AlreadyRegistered(_ALREADY)
    try:
        app = await convert_manifest_code(api_url, code)
    except ManifestCodeRejected as exc:
        raise RegistrationFailed(
            f"GitHub did not accept the registration code ({exc}). Codes expire after an hour; start again."
        ) from exc
    try:
        async with sessions() as session:
            if existing is not None:  # sealed with an earlier SECRET_KEY: no process can use it any more
                await repository.delete_registration(session, existing.id)
            await repository.add_registration(session, _sealed(app, secret_key))
            await session.commit()
    except IntegrityError as exc:  # registered by a concurrent request meanwhile
        raise AlreadyRegistered(_ALREADY) from exc
    log.info("app_registration.created app_id=%s slug=%s", app.app_id, app.slug)
    return AppCredentials(
        app_id=app.app_id,
        private_key_pem=app.pem,
        webhook_secret=app.webhook_secret,
        client_id=app.client_id,
        client_secret=app.client_secret,
        slug=app.slug,
        html_url=app.html_url,
    )


def _readable(row: GitHubAppRegistration, secret_key: str) -> bool:
    try:
        _unsealed(row, secret_key)
    except InvalidToken:
        return False
    return True


def _sealed(app: RegisteredApp, secret_key: str) -> GitHubAppRegistration:
    def sealed(value: str | None) -> str | None:
        return seal(secret_key, SEAL_PURPOSE, value) if value is not None else None

    return GitHubAppRegistration(
        id=_REGISTRATION_ID,
        app_id=app.app_id,
        slug=app.slug,
        html_url=app.html_url,
        client_id=app.client_id,
        sealed_private_key=seal(secret_key, SEAL_PURPOSE, app.pem),
        sealed_webhook_secret=sealed(app.webhook_secret),
        sealed_client_secret=sealed(app.client_secret),
    )


def _unsealed(row: GitHubAppRegistration, secret_key: str) -> AppCredentials:
    def unsealed(value: str | None) -> str | None:
        return unseal(secret_key, SEAL_PURPOSE, value) if value is not None else None

    return AppCredentials(
        app_id=row.app_id,
        private_key_pem=unseal(secret_key, SEAL_PURPOSE, row.sealed_private_key),
        webhook_secret=unsealed(row.sealed_webhook_secret),
        client_id=row.client_id,
        client_secret=unsealed(row.sealed_client_secret),
        slug=row.slug,
        html_url=row.html_url,
    )
