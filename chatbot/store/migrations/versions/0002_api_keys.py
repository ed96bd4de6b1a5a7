"""API keys for lead intake: who may post leads and touches, and whether they must sign;
members' e-mail, so a CRM can name the rep who logged a touch; lead indexes by phone and e-mail,
so a returning shopper is found without a scan

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 00:46:08.908145
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import chatbot.store.db

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('apikey',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('prefix', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('secret_sha256', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('hmac_secret', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('created_at', chatbot.store.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', chatbot.store.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('prefix', name='uq_apikey_prefix'),
    )
    with op.batch_alter_table('apikey', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_apikey_team_id'), ['team_id'], unique=False)
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.create_index('ix_lead_team_phone', ['team_id', 'phone'], unique=False)
        batch_op.create_index('ix_lead_team_email', ['team_id', 'email'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.drop_index('ix_lead_team_email')
        batch_op.drop_index('ix_lead_team_phone')
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.drop_column('email')
    with op.batch_alter_table('apikey', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_apikey_team_id'))
    op.drop_table('apikey')
