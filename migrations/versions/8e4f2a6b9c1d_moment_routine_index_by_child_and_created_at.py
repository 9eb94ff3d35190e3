"""moment, routine: an index by child and the time an entry was logged; prompt_shown: by
caregiver and time

Home's "While you were away" lists what the other caregiver logged since this one's previous
visit. Without these indexes it read every moment and routine the household ever logged and
sorted them (about 28 ms a visit at one year of history, 64 ms at five); with them it reads only
what was logged since. Each saved moment reads the prompts its caregiver saw in the last week:
(user_id, shown_at) replaces the index on user_id alone, which it also serves.

Revision ID: 8e4f2a6b9c1d
Revises: 5b2d9e7f1c3a
Create Date: 2026-12-06 06:50:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '8e4f2a6b9c1d'
down_revision = '5b2d9e7f1c3a'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('prompt_shown', schema=None) as batch_op:
        batch_op.drop_index('ix_prompt_shown_user_id')
        batch_op.create_index('ix_prompt_shown_user_at', ['user_id', 'shown_at'], unique=False)

    with op.batch_alter_table('moment', schema=None) as batch_op:
        batch_op.create_index('ix_moment_child_created', ['child_id', 'created_at'], unique=False)

    with op.batch_alter_table('routine', schema=None) as batch_op:
        batch_op.create_index('ix_routine_child_created', ['child_id', 'created_at'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('routine', schema=None) as batch_op:
        batch_op.drop_index('ix_routine_child_created')

    with op.batch_alter_table('moment', schema=None) as batch_op:
        batch_op.drop_index('ix_moment_child_created')

    with op.batch_alter_table('prompt_shown', schema=None) as batch_op:
        batch_op.drop_index('ix_prompt_shown_user_at')
        batch_op.create_index('ix_prompt_shown_user_id', ['user_id'], unique=False)
