"""context_settings: an owner's per-context choices (pause)

Revision ID: 0005_context_settings
Revises: 0004_app_registration
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_context_settings"
down_revision: str | None = "0004_app_registration"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "context_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("repository_id", sa.BigInteger(), sa.ForeignKey("repositories.id"), nullable=False),
        sa.Column("context_id", sa.String(), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("repository_id", "context_id", name="uq_context_settings_repo_context"),
    )


def downgrade() -> None:
    op.drop_table("context_settings")
