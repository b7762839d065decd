"""All configuration, read once from the environment (names are the public contract in DESIGN.md)."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from github_app.web import web_url

DEFAULT_MODELS_FILE = Path(__file__).resolve().parent.parent / "deploy" / "models.toml"
# Fine on a developer's machine only: `contextjson serve`/`worker` refuse it unless PUBLIC_URL is loopback.
DEV_SECRET_KEY = "dev-insecure-secret-key-change-me"


class Settings(BaseSettings):
    """Service settings; every field maps to the upper-case environment variable of the same name."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False)

    database_url: str = "sqlite:///contextjson.db"
    redis_url: str | None = None
    public_url: str = "http://127.0.0.1:8000"
    secret_key: str = DEV_SECRET_KEY

    github_api_url: str = "https://api.github.com"
    github_app_id: str | None = None
    github_app_private_key: str | None = None
    github_webhook_secret: str | None = None
    github_client_id: str | None = None
    github_client_secret: str | None = None
    # Optional: the App's URL name (github.com/apps/<slug>), for "Install the GitHub App" links.
    github_app_slug: str | None = None

    llm_base_url: str = "https://api.openai.com/v1"
    llm_api_key: str | None = None
    models_file: Path = DEFAULT_MODELS_FILE

    cloudflare_api_url: str = "https://api.cloudflare.com/client/v4"
    stripe_secret_key: str | None = None
    stripe_webhook_secret: str | None = None
    stripe_api_base: str = "https://api.stripe.com"
    # The amounts an owner may choose for one top-up (USD; Stripe's own minimum for USD is 0.50).
    topup_min_usd: Decimal = Field(default=Decimal(5), ge=Decimal("0.5"))
    topup_max_usd: Decimal = Field(default=Decimal(500), le=Decimal(999_999))

    free_credit_usd: float = Field(default=5.0, ge=0)
    operator_logins: str = ""

    # Not part of the public contract: tuning knobs with safe defaults.
    webhook_max_body_bytes: int = 26 * 1024 * 1024  # GitHub caps payloads at 25 MB
    context_file_max_bytes: int = 1024 * 1024
    in_process_job_concurrency: int = 4
    link_cache_ttl_seconds: float = 10.0  # how long a replica may serve a link from memory after a push
    visitor_generations_per_hour: int = 20  # uncached generations one client network may start per hour
    repo_generations_per_hour: int = 60  # uncached generations per repository per hour, whoever clicks
    branch_lookups_per_hour: int = 30  # GitHub lookups of not-yet-known branches per repository per hour
    branch_miss_ttl_seconds: float = 60.0  # how long "no such branch" is remembered (a push clears it)
    # How long a web process believes GitHub's "this user may read this private repository" (app.private_repos).
    private_access_ttl_seconds: float = Field(default=300.0, ge=0, le=3600)
    # Proxies whose X-Forwarded-For is believed (addresses or CIDRs, comma-separated); the client is the
    # right-most address not in this list. Set it to your ingress/load balancer networks.
    trusted_proxies: str = "127.0.0.1,::1"
    llm_max_attempts: int = 3
    llm_backoff_seconds: float = 0.5
    llm_first_token_timeout: float = 120.0
    llm_idle_timeout: float = 60.0
    snapshot_cache_dir: Path = Path("data/snapshots")
    snapshot_cache_max_bytes: int = 2 * 1024**3
    # Workers re-queue work stored but not finished (a lost enqueue, a Redis outage, a crash) this often, once it is
    # this old: work stored during a Redis outage runs within about age + interval of Redis returning.
    requeue_interval_seconds: int = Field(default=15, ge=1, le=60)
    requeue_after_seconds: float = Field(default=20.0, ge=0)
    # Visitor clicks are counted in memory and added to the database this often (and on shutdown).
    usage_flush_seconds: float = Field(default=5.0, gt=0, le=300)
    # The dashboard warns when an account's available balance is below LOW_BALANCE_USD, or would last fewer than
    # LOW_BALANCE_DAYS at the rate of the last 7 days' spend.
    low_balance_usd: Decimal = Field(default=Decimal(1), ge=0)
    low_balance_days: int = Field(default=7, ge=0, le=366)
    # OpenAI-compatible API: requests per API key per minute, in each web process (429 with Retry-After beyond).
    api_requests_per_minute: int = Field(default=600, ge=1)
    # Context base URLs (app.context_api): built system messages kept in each web process, in total characters
    # (least recently used dropped first), so repeated calls to one context do not rebuild it.
    context_message_cache_chars: int = Field(default=50_000_000, ge=0)
    # uvicorn's access log: one line per request. Off by default, since on a cached visitor link the line costs
    # more than the answer; `contextjson serve --access-log` (or ACCESS_LOG=1) turns it on.
    access_log: bool = False
    metrics_token: str | None = None  # set: /metrics needs `Authorization: Bearer …`; unset: loopback only

    @model_validator(mode="after")
    def _topup_range(self) -> Settings:
        if self.topup_max_usd < self.topup_min_usd:
            raise ValueError("TOPUP_MAX_USD must not be below TOPUP_MIN_USD")
        return self

    @property
    def public_base(self) -> str:
        """PUBLIC_URL without a trailing slash, for building absolute links."""
        return self.public_url.rstrip("/")

    @property
    def github_web_base(self) -> str:
        """GitHub's web host for GITHUB_API_URL: github.com, a GitHub Enterprise host, or the same local fake."""
        return web_url(self.github_api_url)

    def github_private_key_pem(self) -> str | None:
        """GITHUB_APP_PRIVATE_KEY may hold the PEM text itself or a path to a PEM file."""
        value = self.github_app_private_key
        if not value:
            return None
        if "-----BEGIN" in value:
            return value.replace("\\n", "\n")
        return Path(value).expanduser().read_text()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (tests build their own Settings and pass them to create_app)."""
    return Settings()
