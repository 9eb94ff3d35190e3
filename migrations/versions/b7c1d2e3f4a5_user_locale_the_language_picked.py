"""user.locale: the language a user picked under Account (null follows the browser)

Revision ID: b7c1d2e3f4a5
Revises: a9002f06c28c
Create Date: 2026-12-06 03:45:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'b7c1d2e3f4a5'
down_revision = 'a9002f06c28c'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locale', sa.String(length=16), nullable=True))


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('locale')
