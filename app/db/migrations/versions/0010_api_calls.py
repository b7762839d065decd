"""api calls: results of the OpenAI-compatible API name the key that paid, and whether they were stored

Revision ID: 0010_api_calls
Revises: 0009_api_keys
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_api_calls"
down_revision: str | None = "0009_api_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("results", schema=None) as batch_op:
        batch_op.add_column(sa.Column("api_key_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("stored", sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.create_index(batch_op.f("ix_results_api_key_id"), ["api_key_id"], unique=False)
        batch_op.create_foreign_key("fk_results_api_key_id", "api_keys", ["api_key_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("results", schema=None) as batch_op:
        batch_op.drop_constraint("fk_results_api_key_id", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_results_api_key_id"))
        batch_op.drop_column("stored")
        batch_op.drop_column("api_key_id")
