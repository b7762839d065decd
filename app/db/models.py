"""SQLModel tables. GitHub ids are kept as our primary keys where GitHub owns the identity.

Money is stored as integer micro-dollars (1 USD = 1_000_000) so sums are exact.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Text,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import AutoString, Field, SQLModel

MICROS_PER_USD = 1_000_000
# The largest serial id (an INTEGER column, 32 bits on PostgreSQL): a larger one in a request is refused
# (400), never looked up (PostgreSQL and SQLite fail on ids beyond their integer types: a 500).
MAX_ROW_ID = 2**31 - 1

E = TypeVar("E", bound=StrEnum)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """A moment, stored with its zone and read back zone-aware (so the API's times say they are UTC).

    PostgreSQL keeps the zone; SQLite keeps none and hands back naive values, which were written as UTC.
    """

    impl = DateTime
    cache_ok = True

    def __init__(self) -> None:
        super().__init__(timezone=True)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return value if value is None or value.tzinfo is not None else value.replace(tzinfo=UTC)


class StrEnumColumn(TypeDecorator[E], Generic[E]):
    """A closed set stored as its plain string (no database enum type, so no migration), read back as members.

    A stored value outside the set fails the read: adding a value takes a release that can read it first.
    """

    impl = AutoString
    cache_ok = True

    def __init__(self, enum: type[E]):
        super().__init__()
        self.enum = enum

    def process_bind_param(self, value: E | str | None, dialect: Dialect) -> str | None:
        return None if value is None else self.enum(value).value

    def process_result_value(self, value: str | None, dialect: Dialect) -> E | None:
        return None if value is None else self.enum(value)


class Account(SQLModel, table=True):
    """A GitHub user or organisation that installed the App; owns the budget."""

    __tablename__ = "accounts"

    id: int | None = Field(default=None, primary_key=True)
    github_id: int = Field(sa_column=Column(BigInteger, unique=True, nullable=False))
    login: str = Field(index=True)
    type: str = "User"
    balance_micros: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    # Worst-case cost of generations in flight; balance - reserved is what new generations may use.
    reserved_micros: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0, server_default="0"))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))


class GitHubAppRegistration(SQLModel, table=True):
    """The GitHub App this service registered for itself (App Manifest flow); secrets sealed (app.crypto).

    One row at most. Environment variables (GITHUB_APP_ID, ...), when set, win over it.
    """

    __tablename__ = "github_app_registration"

    id: int | None = Field(default=None, primary_key=True)
    app_id: str
    slug: str
    html_url: str
    client_id: str | None = None
    sealed_private_key: str = Field(sa_column=Column(Text, nullable=False))
    sealed_webhook_secret: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    sealed_client_secret: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))


class Installation(SQLModel, table=True):
    """One installation of the App (id is GitHub's installation id)."""

    __tablename__ = "installations"

    id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    account_id: int = Field(sa_column=Column(ForeignKey("accounts.id"), nullable=False, index=True))
    repository_selection: str = "selected"
    permissions: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    suspended_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    deleted_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))

    @property
    def active(self) -> bool:
        return self.deleted_at is None and self.suspended_at is None


class Repository(SQLModel, table=True):
    """A repository the App can see (id is GitHub's repository id)."""

    __tablename__ = "repositories"
    __table_args__ = (Index("ix_repositories_owner_name", "owner_lower", "name_lower"),)

    id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    installation_id: int | None = Field(
        default=None, sa_column=Column(BigInteger, ForeignKey("installations.id"), index=True)
    )
    account_id: int = Field(sa_column=Column(ForeignKey("accounts.id"), nullable=False, index=True))
    owner: str
    name: str
    owner_lower: str
    name_lower: str
    private: bool = False
    default_branch: str | None = None
    active: bool = True
    archived: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, default=False, server_default=false())
    )
    monthly_cap_micros: int | None = Field(default=None, sa_column=Column(BigInteger))
    # New generations per hour for this repository, whoever asks (None: the service default).
    hourly_generation_cap: int | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


class ContextSetting(SQLModel, table=True):
    """An owner's choices for one context id of a repository (today: paused, so it starts no new answers)."""

    __tablename__ = "context_settings"
    __table_args__ = (UniqueConstraint("repository_id", "context_id", name="uq_context_settings_repo_context"),)

    id: int | None = Field(default=None, primary_key=True)
    repository_id: int = Field(sa_column=Column(BigInteger, ForeignKey("repositories.id"), nullable=False))
    context_id: str
    paused: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, default=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))


class DeliveryStatus(StrEnum):
    """Where a stored webhook delivery stands."""

    PENDING = "pending"
    PROCESSED = "processed"
    FAILED = "failed"  # its payload could not be read; never retried


class WebhookDelivery(SQLModel, table=True):
    """A received GitHub webhook, stored before it is processed; unique on GitHub's delivery id."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("uq_webhook_deliveries_body_sha256", "body_sha256", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: str = Field(sa_column=Column(Text, unique=True, nullable=False))
    event: str
    action: str | None = None
    installation_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    payload: str = Field(sa_column=Column(Text, nullable=False))
    # SHA-256 of the signed body: X-GitHub-Delivery is not signed, so a replayed body is refused by this.
    body_sha256: str | None = Field(default=None, sa_column=Column(Text))
    status: DeliveryStatus = Field(default=DeliveryStatus.PENDING, index=True, sa_type=StrEnumColumn(DeliveryStatus))
    attempts: int = 0
    error: str | None = Field(default=None, sa_column=Column(Text))
    received_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))
    processed_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))


class ContextFileStatus(StrEnum):
    """What context.json was at one commit."""

    VALID = "valid"
    INVALID = "invalid"  # stored with its errors (entries that did validate are still served)
    MISSING = "missing"  # no context.json at that commit


class ContextFile(SQLModel, table=True):
    """context.json as read at one commit of one branch: parsed entries or the errors found."""

    __tablename__ = "context_files"
    __table_args__ = (UniqueConstraint("repository_id", "branch", "commit_sha", name="uq_context_files_ref"),)

    id: int | None = Field(default=None, primary_key=True)
    repository_id: int = Field(sa_column=Column(BigInteger, ForeignKey("repositories.id"), nullable=False, index=True))
    branch: str
    commit_sha: str
    status: ContextFileStatus = Field(sa_type=StrEnumColumn(ContextFileStatus))
    document: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    entries: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    errors: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    check_run_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))


class CheckClaim(SQLModel, table=True):
    """Who publishes the check run of one repo/branch/commit: one creator, however many jobs check it at once."""

    __tablename__ = "check_claims"

    repository_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("repositories.id"), primary_key=True, autoincrement=False)
    )
    branch: str = Field(primary_key=True)
    commit_sha: str = Field(primary_key=True)
    check_run_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    claimed_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))


class OutboxJob(SQLModel, table=True):
    """A follow-up job written in the transaction that asked for it, deleted once it is on the queue.

    If the queue is unreachable right after the commit (Redis restarting), the row stays and the periodic
    requeue enqueues it, so no follow-up (a check after a push, a sync after an install) is lost.
    """

    __tablename__ = "job_outbox"

    id: int | None = Field(default=None, primary_key=True)
    name: str
    args: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    job_id: str | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False, index=True))


class LedgerKind(StrEnum):
    """Why an account's money moved.

    An operator's manual adjustment (app.billing.adjustments) is a CREDIT, positive or negative, with the
    operator's login in `adjusted_by` and the reason in `note`: money neither paid for (TOPUP) nor spent on
    answers (DEBIT), and readers of the public ledger (DESIGN.md's four kinds) and older replicas keep working.
    """

    CREDIT = "credit"  # free credit on install, or an operator's adjustment (then `adjusted_by` is set)
    TOPUP = "topup"
    DEBIT = "debit"  # a generation's charge
    REFUND = "refund"


class LedgerEntry(SQLModel, table=True):
    """One movement of an account's money. `idempotency_key` makes grants and charges happen once."""

    __tablename__ = "ledger_entries"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(sa_column=Column(ForeignKey("accounts.id"), nullable=False, index=True))
    kind: LedgerKind = Field(sa_type=StrEnumColumn(LedgerKind))
    amount_micros: int = Field(sa_column=Column(BigInteger, nullable=False))
    idempotency_key: str | None = Field(default=None, sa_column=Column(Text, unique=True))
    repository_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    result_id: str | None = None
    note: str | None = None
    # The GitHub login of the operator who made this adjustment (kind CREDIT; `note` holds the reason).
    adjusted_by: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))


class RepositoryName(SQLModel, table=True):
    """A name a repository was known by before a rename or transfer, so old links can redirect."""

    __tablename__ = "repository_names"

    owner_lower: str = Field(primary_key=True)
    name_lower: str = Field(primary_key=True)
    repository_id: int = Field(sa_column=Column(BigInteger, ForeignKey("repositories.id"), nullable=False, index=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))


class BranchHead(SQLModel, table=True):
    """The commit a branch points at, as last reported by a push (so links need no GitHub call)."""

    __tablename__ = "branch_heads"

    repository_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("repositories.id"), primary_key=True, autoincrement=False)
    )
    branch: str = Field(primary_key=True)
    commit_sha: str
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))


class ResultKind(StrEnum):
    """Who asked for a result."""

    LINK = "link"  # a visitor link
    API = "api"  # the OpenAI-compatible API


class ResultStatus(StrEnum):
    """A result's life: pending → streaming → done, or failed from either."""

    PENDING = "pending"
    STREAMING = "streaming"
    DONE = "done"
    FAILED = "failed"

    @property
    def finished(self) -> bool:
        """Done or failed: nothing more happens to this result."""
        return self in (ResultStatus.DONE, ResultStatus.FAILED)


_LIVE = text(f"status <> '{ResultStatus.FAILED}'")


class Result(SQLModel, table=True):
    """One answer a visitor (or API caller) sees at /r/{id}; failed ones never block a retry."""

    __tablename__ = "results"
    __table_args__ = (
        # Single flight: one live result per link key / cache key, across processes and replicas.
        Index("uq_results_link_key", "link_key", unique=True, sqlite_where=_LIVE, postgresql_where=_LIVE),
        Index("ix_results_cache_key", "cache_key"),
        Index("ix_results_context", "repository_id", "context_id", "status"),
    )

    id: str = Field(primary_key=True, max_length=32)
    kind: ResultKind = Field(default=ResultKind.LINK, sa_type=StrEnumColumn(ResultKind))
    status: ResultStatus = Field(default=ResultStatus.PENDING, sa_type=StrEnumColumn(ResultStatus))
    account_id: int | None = Field(default=None, sa_column=Column(ForeignKey("accounts.id"), index=True))
    repository_id: int | None = Field(default=None, sa_column=Column(BigInteger, ForeignKey("repositories.id")))
    branch: str | None = None
    commit_sha: str | None = None
    context_id: str | None = None
    model: str
    link_key: str | None = None
    cache_key: str | None = None
    request: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    text: str = Field(default="", sa_column=Column(Text, nullable=False, default="", server_default=""))
    # The answer rendered to safe HTML once, when it finished (rendering per request is too slow).
    html: str | None = Field(default=None, sa_column=Column(Text))
    # How many times a generation job started on this result; bounded so a poisonous input cannot loop.
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False, default=0, server_default="0"))
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cost_micros: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    reserved_micros: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    cached_from: str | None = None
    paid_by: str | None = None
    error_code: str | None = None
    error: str | None = Field(default=None, sa_column=Column(Text))
    client_hash: str | None = None
    # API calls (kind "api"): the key that paid, and whether the caller asked to keep the answer (`store`).
    # An unstored call keeps only its accounting (tokens, cost) and has no page.
    api_key_id: int | None = Field(default=None, sa_column=Column(Integer, ForeignKey("api_keys.id"), index=True))
    stored: bool = Field(default=True, sa_column=Column(Boolean, nullable=False, default=True, server_default=true()))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))
    started_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    finished_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))


class WebSession(SQLModel, table=True):
    """A Login with GitHub session. The cookie holds a random id; only its SHA-256 is stored here.

    The user's GitHub token (and refresh token) is kept encrypted (app.auth.crypto); `reach` holds the
    GitHub ids of the accounts the user may act for, as last read from GitHub at `reach_checked_at`.
    """

    __tablename__ = "web_sessions"

    id_hash: str = Field(primary_key=True, max_length=64)
    github_user_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    login: str
    token_encrypted: str = Field(sa_column=Column(Text, nullable=False))
    reach: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    reach_checked_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))
    last_seen_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False, index=True))


class TopupStatus(StrEnum):
    """Where a Stripe top-up stands (only the signed webhook moves it past OPEN)."""

    OPEN = "open"  # Checkout Session created, not paid
    PROCESSING = "processing"  # completed with a delayed payment method (bank debit): waiting for it to clear
    CREDITED = "credited"
    FAILED = "failed"  # the delayed payment failed
    EXPIRED = "expired"  # the Checkout Session expired unpaid


class Topup(SQLModel, table=True):
    """One Stripe Checkout Session for adding money; credited once, keyed by the session id."""

    __tablename__ = "topups"

    id: int | None = Field(default=None, primary_key=True)
    checkout_session_id: str = Field(sa_column=Column(Text, unique=True, nullable=False))
    account_id: int = Field(sa_column=Column(ForeignKey("accounts.id"), nullable=False, index=True))
    amount_micros: int = Field(sa_column=Column(BigInteger, nullable=False))  # asked for; the credit is what was paid
    status: TopupStatus = Field(default=TopupStatus.OPEN, sa_type=StrEnumColumn(TopupStatus))
    # Known once the session completes; refunds (charge.refunded) find their top-up by it.
    payment_intent_id: str | None = Field(default=None, sa_column=Column(Text, index=True))
    credited_micros: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    refunded_micros: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))


class StripeEventStatus(StrEnum):
    """What a stored Stripe event did."""

    APPLIED = "applied"  # changed a balance or a top-up
    IGNORED = "ignored"  # nothing to do: a type we do not use, not our session, already credited
    WAITING = "waiting"  # a refund of a payment not credited yet: applied when its credit lands
    FAILED = "failed"  # signed, but its object could not be read


class StripeEvent(SQLModel, table=True):
    """A verified Stripe webhook event, stored once (unique on Stripe's event id) with what it did."""

    __tablename__ = "stripe_events"

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(sa_column=Column(Text, unique=True, nullable=False))
    type: str
    livemode: bool = False
    object_id: str | None = Field(default=None, sa_column=Column(Text))
    payment_intent_id: str | None = Field(default=None, sa_column=Column(Text, index=True))
    payload: str = Field(sa_column=Column(Text, nullable=False))
    status: StripeEventStatus = Field(sa_type=StrEnumColumn(StripeEventStatus))
    note: str | None = Field(default=None, sa_column=Column(Text))
    stripe_created_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    received_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))
    processed_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))


# Usage counted on the visitor link's hot path (app.usage), one row per UTC day and key, written in batches
# whose deltas add up across web processes. Generations, tokens and money are read from results and the ledger.


def _account_key() -> Any:
    return Field(sa_column=Column(Integer, ForeignKey("accounts.id"), primary_key=True, autoincrement=False))


def _repository_key() -> Any:
    return Field(sa_column=Column(BigInteger, ForeignKey("repositories.id"), primary_key=True, autoincrement=False))


class UsageDay(SQLModel, table=True):
    """Visitor clicks on one context of one repository on one UTC day, and how many found an answer ready."""

    __tablename__ = "usage_days"

    account_id: int = _account_key()
    day: date = Field(sa_column=Column(Date, primary_key=True))
    repository_id: int = _repository_key()
    context_id: str = Field(primary_key=True)
    clicks: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    cache_hits: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))


class UsageReferrer(SQLModel, table=True):
    """Clicks on a repository's links per day from one referring host (the `Referer` header's host only)."""

    __tablename__ = "usage_referrers"

    account_id: int = _account_key()
    day: date = Field(sa_column=Column(Date, primary_key=True))
    repository_id: int = _repository_key()
    host: str = Field(primary_key=True)
    clicks: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))


class UsageViewer(SQLModel, table=True):
    """Clicks on a private repository's links per day by one logged-in GitHub user."""

    __tablename__ = "usage_viewers"

    account_id: int = _account_key()
    day: date = Field(sa_column=Column(Date, primary_key=True))
    repository_id: int = _repository_key()
    login: str = Field(primary_key=True)
    clicks: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))


class UsageVisitor(SQLModel, table=True):
    """One distinct visitor of a repository on one day: a hash salted per day, never the client's address."""

    __tablename__ = "usage_visitors"

    account_id: int = _account_key()
    day: date = Field(sa_column=Column(Date, primary_key=True))
    repository_id: int = _repository_key()
    visitor: str = Field(primary_key=True)


class ApiKey(SQLModel, table=True):
    """An API key of an account. Only a keyed hash of the key is stored; `prefix` (shown, unique) finds it.

    A revoked key keeps its row (the ledger and usage may name it); `revoked_at` ends it at once.
    """

    __tablename__ = "api_keys"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(sa_column=Column(Integer, ForeignKey("accounts.id"), nullable=False, index=True))
    name: str
    prefix: str = Field(sa_column=Column(AutoString(32), unique=True, nullable=False))
    key_hash: str = Field(sa_column=Column(AutoString(64), nullable=False))
    monthly_cap_micros: int | None = Field(default=None, sa_column=Column(BigInteger))
    created_by: str  # the GitHub login (or "cli") that created it
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))
    last_used_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
