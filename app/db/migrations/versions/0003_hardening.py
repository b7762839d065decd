"""hardening: replayed-body digests, old repository names, archived repos, per-repo hourly cap,
answers rendered once, generation attempts, check-run claims, job outbox

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 17:25:52.968953
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "job_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.Column("job_id", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("job_outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_job_outbox_created_at"), ["created_at"], unique=False)
    op.create_table(
        "check_claims",
        sa.Column("repository_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("branch", sa.String(), nullable=False),
        sa.Column("commit_sha", sa.String(), nullable=False),
        sa.Column("check_run_id", sa.BigInteger(), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["repository_id"], ["repositories.id"]),
        sa.PrimaryKeyConstraint("repository_id", "branch", "commit_sha"),
    )
    op.create_table(
        "repository_names",
        sa.Column("owner_lower", sa.String(), nullable=False),
        sa.Column("name_lower", sa.String(), nullable=False),
        sa.Column("repository_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["repository_id"], ["repositories.id"]),
        sa.PrimaryKeyConstraint("owner_lower", "name_lower"),
    )
    with op.batch_alter_table("repository_names", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_repository_names_repository_id"), ["repository_id"], unique=False)

    with op.batch_alter_table("repositories", schema=None) as batch_op:
        batch_op.add_column(sa.Column("archived", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("hourly_generation_cap", sa.Integer(), nullable=True))

    with op.batch_alter_table("results", schema=None) as batch_op:
        batch_op.add_column(sa.Column("html", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))

    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("body_sha256", sa.Text(), nullable=True))
        batch_op.create_index("uq_webhook_deliveries_body_sha256", ["body_sha256"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.drop_index("uq_webhook_deliveries_body_sha256")
        batch_op.drop_column("body_sha256")

    with op.batch_alter_table("results", schema=None) as batch_op:
        batch_op.drop_column("attempts")
        batch_op.drop_column("html")

    with op.batch_alter_table("repositories", schema=None) as batch_op:
        batch_op.drop_column("hourly_generation_cap")
        batch_op.drop_column("archived")

    with op.batch_alter_table("repository_names", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_repository_names_repository_id"))

    op.drop_table("repository_names")
    op.drop_table("check_claims")
    with op.batch_alter_table("job_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_job_outbox_created_at"))
    op.drop_table("job_outbox")
