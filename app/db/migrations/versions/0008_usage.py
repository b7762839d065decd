"""usage: visitor clicks and cache hits per day and context, referrer hosts, private-repo viewers,
distinct daily visitors (salted hashes)

Revision ID: 0008_usage
Revises: 0007_stripe
Create Date: 2026-12-01 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_usage"
down_revision: str | None = "0007_stripe"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _keys() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("account_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("repository_id", sa.BigInteger(), autoincrement=False, nullable=False),
    ]


def _foreign_keys() -> list[sa.ForeignKeyConstraint]:
    return [
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        sa.ForeignKeyConstraint(["repository_id"], ["repositories.id"]),
    ]


def _create(table: str, name: str, *counts: str) -> None:
    op.create_table(
        table,
        *_keys(),
        sa.Column(name, sa.String(), nullable=False),
        *(sa.Column(count, sa.BigInteger(), nullable=False) for count in counts),
        *_foreign_keys(),
        sa.PrimaryKeyConstraint("account_id", "day", "repository_id", name),
    )


def upgrade() -> None:
    _create("usage_days", "context_id", "clicks", "cache_hits")
    _create("usage_referrers", "host", "clicks")
    _create("usage_viewers", "login", "clicks")
    _create("usage_visitors", "visitor")


def downgrade() -> None:
    for table in ("usage_visitors", "usage_viewers", "usage_referrers", "usage_days"):
        op.drop_table(table)
