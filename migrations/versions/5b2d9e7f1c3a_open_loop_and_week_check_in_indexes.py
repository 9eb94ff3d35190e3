"""moment: a partial index of the open loops; check_in: an index by household and time

Home lists a household's open loops. Without this index it read every moment the household
ever logged and filtered each one; with it, it reads the few open ones. The weekly summary read
every check-in of the household to keep one week's; (household_id, at) replaces the index on
household_id alone, which it also serves.

Revision ID: 5b2d9e7f1c3a
Revises: b7c1d2e3f4a5
Create Date: 2026-12-06 03:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b2d9e7f1c3a'
down_revision = 'b7c1d2e3f4a5'
branch_labels = None
depends_on = None

# Written as the models' Moment.open_loop condition compiles on each database: the query
# planners use a partial index only for a query whose condition contains the index's.
SQLITE_OPEN_LOOP = "rupture IS 1 AND repaired_at IS NULL AND loop_closed_at IS NULL"
POSTGRESQL_OPEN_LOOP = "rupture IS true AND repaired_at IS NULL AND loop_closed_at IS NULL"


def upgrade():
    with op.batch_alter_table('check_in', schema=None) as batch_op:
        batch_op.drop_index('ix_check_in_household_id')
        batch_op.create_index('ix_check_in_household_at', ['household_id', 'at'], unique=False)

    with op.batch_alter_table('moment', schema=None) as batch_op:
        batch_op.create_index(
            'ix_moment_open_loop', ['child_id', 'rupture', 'occurred_at'], unique=False,
            sqlite_where=sa.text(SQLITE_OPEN_LOOP),
            postgresql_where=sa.text(POSTGRESQL_OPEN_LOOP),
        )


def downgrade():
    with op.batch_alter_table('moment', schema=None) as batch_op:
        batch_op.drop_index('ix_moment_open_loop')

    with op.batch_alter_table('check_in', schema=None) as batch_op:
        batch_op.drop_index('ix_check_in_household_at')
        batch_op.create_index('ix_check_in_household_id', ['household_id'], unique=False)
