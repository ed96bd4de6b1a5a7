"""report indexes: a cohort's figures from one covering index; a team's open leads for /stalled

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 00:00:00
"""

from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

REPORT_COLUMNS = ['team_id', 'submitted_at', 'first_contact_at', 'second_contact_at', 'claimed_at', 'status',
                  'last_activity_at', 'attempts', 'after_hours', 'owner_id', 'source']


def upgrade() -> None:
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.create_index('ix_lead_report', REPORT_COLUMNS, unique=False)
        batch_op.create_index('ix_lead_team_status_submitted', ['team_id', 'status', 'submitted_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.drop_index('ix_lead_team_status_submitted')
        batch_op.drop_index('ix_lead_report')
