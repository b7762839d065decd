"""The long-lived objects a process needs (settings, database, GitHub App, model list, job queue).

The web app and the arq worker each build one Runtime; request handlers (through the providers below)
and jobs receive it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.db.engine import create_engine, create_sessionmaker
from app.errors import AppError
from app.fetch import FetchPolicy
from app.links.invalidation import InvalidationBus, make_invalidation_bus
from app.llm import LLMClient
from app.models_catalog import ModelCatalog, load_catalog
from app.queue import JobQueue
from app.results.broker import TokenBroker, make_broker
from app.settings import Settings
from app.topups.stripe_api import StripeGateway
from github_app import GitHubApp, GitHubAppConfig


class GitHubAppNotConfigured(AppError):
    status_code = 503
    code = "github.not_configured"
    title = "The GitHub App is not configured"


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    catalog: ModelCatalog
    broker: TokenBroker
    llm: LLMClient
    stripe: StripeGateway
    fetch_policy: FetchPolicy = field(default_factory=FetchPolicy)
    # Tells every web process to drop cached links (push, privatized, uninstalled, failed result).
    invalidation: InvalidationBus = field(default_factory=InvalidationBus)
    queue: JobQueue | None = None
    _github: GitHubApp | None = field(default=None, repr=False)

    @property
    def github(self) -> GitHubApp:
        """The GitHub App client factory; a clear error when the App credentials are missing."""
        if self._github is None:
            pem = self.settings.github_private_key_pem()
            if not self.settings.github_app_id or not pem:
                raise GitHubAppNotConfigured("GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY must be set")
            self._github = GitHubApp(
                GitHubAppConfig(
                    app_id=self.settings.github_app_id, private_key_pem=pem, api_url=self.settings.github_api_url
                )
            )
        return self._github

    def require_queue(self) -> JobQueue:
        assert self.queue is not None, "the job queue is attached when the process starts"
        return self.queue

    async def close(self) -> None:
        if self.queue is not None:
            await self.queue.close()
        await self.invalidation.close()
        await self.broker.close()
        await self.llm.aclose()
        await self.stripe.aclose()
        await self.engine.dispose()


def build_runtime(settings: Settings) -> Runtime:
    """Create the engine, session factory and model list for this process (no I/O yet)."""
    engine = create_engine(settings.database_url)
    return Runtime(
        settings=settings,
        engine=engine,
        sessions=create_sessionmaker(engine),
        catalog=load_catalog(settings.models_file),
        broker=make_broker(settings.redis_url),
        invalidation=make_invalidation_bus(settings.redis_url),
        llm=LLMClient(
            settings.llm_base_url,
            settings.llm_api_key,
            max_attempts=settings.llm_max_attempts,
            backoff_base=settings.llm_backoff_seconds,
            first_token_timeout=settings.llm_first_token_timeout,
            idle_timeout=settings.llm_idle_timeout,
        ),
        stripe=StripeGateway(settings),
    )
