"""ledger_entries.adjusted_by: the operator who made a manual credit adjustment (its reason is the note)

Revision ID: 0011_ledger_adjustments
Revises: 0010_api_calls
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_ledger_adjustments"
down_revision: str | None = "0010_api_calls"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ledger_entries") as batch:
        batch.add_column(sa.Column("adjusted_by", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ledger_entries") as batch:
        batch.drop_column("adjusted_by")
