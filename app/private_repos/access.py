"""Whether a signed-in user may read a private repository, as GitHub says with the user's own token.

Asked with GET /repos/{owner}/{repo} and the token stored (encrypted) on the user's session: a GitHub App's
user token reaches only what both the user and the App's installation reach. The answer is remembered in
this process per (session, repository) for PRIVATE_ACCESS_TTL_SECONDS (a "no" for at most 30 seconds, so
a collaborator who has just accepted an invitation does not wait long); a revoked token or a lost
collaboration therefore stops access within that time. When GitHub cannot be asked, the answer is "no" and
nothing is remembered: a private repository is never shown on a guess.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.auth import crypto
from app.auth import repository as auth_sql
from app.auth.client import oauth_client
from app.auth.errors import LoginNotConfigured
from app.db.models import Repository, utcnow
from app.github_source import AppGitHub
from app.settings import Settings
from github_app.oauth import OAuthFailed, Token, TokenRejected

log = logging.getLogger("contextjson.private")

# What a private repository's answers (and anything that depends on who asks) are sent with: no shared
# cache keeps them, no search engine indexes them.
PRIVATE_HEADERS = {"Cache-Control": "private, no-store", "X-Robots-Tag": "noindex"}
NO_TTL_SECONDS = 30.0  # a "no" is asked again sooner than a "yes"
_MAX_ENTRIES = 20_000

AccessKey = tuple[str, int]  # session id hash, repository id


@dataclass(frozen=True, slots=True)
class PrivateRepo:
    """A private repository as the access check needs it: GitHub's id and its current name."""

    id: int
    owner: str
    name: str

    @classmethod
    def of(cls, repo: Repository) -> PrivateRepo:
        return cls(repo.id, repo.owner, repo.name)


class RepoAccess:
    """One web process's remembered answers, and the checks in flight (one GitHub call per key at a time)."""

    def __init__(
        self,
        settings: Settings,
        github: AppGitHub,
        sessions: async_sessionmaker[AsyncSession],
        *,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._settings = settings
        self._github = github
        self._sessions = sessions
        self._ttl = settings.private_access_ttl_seconds
        self._clock = clock
        self._answers: OrderedDict[AccessKey, tuple[bool, float]] = OrderedDict()  # answer, good until
        self._inflight: dict[AccessKey, asyncio.Task[bool]] = {}

    async def can_read(self, session_id_hash: str, repo: PrivateRepo) -> bool:
        """Whether the user of this session may read `repo` (from memory when asked recently)."""
        key = (session_id_hash, repo.id)
        remembered = self._answers.get(key)
        if remembered is not None:
            if self._clock() < remembered[1]:
                return remembered[0]
            del self._answers[key]
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.create_task(self._ask(key, repo))
            self._inflight[key] = task
            task.add_done_callback(lambda _: self._inflight.pop(key, None))
        return await asyncio.shield(task)

    async def _ask(self, key: AccessKey, repo: PrivateRepo) -> bool:
        session_id_hash = key[0]
        async with self._sessions() as db:
            row = await auth_sql.live_session(db, session_id_hash, utcnow())
        token = crypto.decrypt_json(self._settings.secret_key, row.token_encrypted) if row else None
        if row is None or token is None:
            return False  # logged out meanwhile, or stored under another SECRET_KEY
        allowed = await self._ask_github(session_id_hash, row.login, token, repo)
        if allowed is not None:
            self._remember(key, allowed)
        return bool(allowed)

    async def _ask_github(self, session_id_hash: str, login: str, token: Token, repo: PrivateRepo) -> bool | None:
        """GitHub's answer (None: it could not be asked); a token GitHub renewed meanwhile is stored."""
        renewed: list[Token] = []

        async def keep(new: Token) -> None:
            renewed.append(new)

        answer: bool | None
        try:
            async with oauth_client(self._settings, self._github).as_user(token, keep) as gh:
                answer = await gh.can_read_repository(repo.owner, repo.name, repo.id)
        except TokenRejected:
            answer = False  # revoked, or expired beyond renewal: the session ends at its next reach check
        except (OAuthFailed, LoginNotConfigured) as exc:
            log.warning("private.access_check_failed login=%s repo=%s error=%s", login, repo.id, exc)
            answer = None
        if renewed:  # no database connection was held while GitHub answered
            async with self._sessions() as db:
                stored = crypto.encrypt_json(self._settings.secret_key, renewed[-1])
                await auth_sql.store_token(db, session_id_hash, stored)
                await db.commit()
        log.info("private.access_checked login=%s repo=%s allowed=%s", login, repo.id, answer)
        return answer

    def _remember(self, key: AccessKey, allowed: bool) -> None:
        ttl = self._ttl if allowed else min(self._ttl, NO_TTL_SECONDS)
        if ttl <= 0:
            return
        self._answers[key] = (allowed, self._clock() + ttl)
        self._answers.move_to_end(key)
        while len(self._answers) > _MAX_ENTRIES:
            self._answers.popitem(last=False)

    async def close(self) -> None:
        """Stop checks still running before the database goes away."""
        tasks = list(self._inflight.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
