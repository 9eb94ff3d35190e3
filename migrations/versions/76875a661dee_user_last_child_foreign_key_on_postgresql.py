"""user.last_child_id: the foreign key to child on PostgreSQL too

The first migration declared it inside create_table with use_alter=True. SQLite writes such a key
into CREATE TABLE, but elsewhere SQLAlchemy leaves it for a later ALTER TABLE that the migration
never ran, so PostgreSQL databases had no key: deleting a child left users pointing at it.

Revision ID: 76875a661dee
Revises: d398ab7a6314
Create Date: 2026-11-23 00:39:35

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '76875a661dee'
down_revision = 'd398ab7a6314'
branch_labels = None
depends_on = None

# PostgreSQL's own name for an unnamed key on this column.
NAME = 'user_last_child_id_fkey'


def upgrade():
    if op.get_bind().dialect.name == 'sqlite':
        return  # the key has been there since the table was created
    # Ids of children deleted while there was no key would make adding it fail.
    op.execute('UPDATE "user" SET last_child_id = NULL WHERE last_child_id IS NOT NULL '
               'AND last_child_id NOT IN (SELECT id FROM child)')
    op.create_foreign_key(NAME, 'user', 'child', ['last_child_id'], ['id'], ondelete='SET NULL')


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        return
    op.drop_constraint(NAME, 'user', type_='foreignkey')
