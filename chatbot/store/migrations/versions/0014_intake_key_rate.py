"""intake key rate: apikey.rate_per_minute, each key's own request rate (None: the default)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 04:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("apikey") as batch:
        batch.add_column(sa.Column("rate_per_minute", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("apikey") as batch:
        batch.drop_column("rate_per_minute")
