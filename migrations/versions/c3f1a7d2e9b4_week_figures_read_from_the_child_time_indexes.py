"""moment, routine: the child-and-time indexes carry the columns the week's figures read

A family's moments sit in the table among every other family's, so a week of them was one table
page a row once there are many households: the summary JSON took 1.17–1.20 times as long among
20,000 households as among 1,000 (in process, the same week). Carrying the columns the figures
read in the index the query already uses lets SQLite and PostgreSQL answer from the index alone:
SQLite as more key columns, PostgreSQL as INCLUDE columns (JSON can't be a key there).

Revision ID: c3f1a7d2e9b4
Revises: 8e4f2a6b9c1d
Create Date: 2026-12-06 11:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c3f1a7d2e9b4'
down_revision = '8e4f2a6b9c1d'
branch_labels = None
depends_on = None

# As models.MOMENT_WEEK_COLUMNS and ROUTINE_WEEK_COLUMNS are today: a migration keeps its own copy.
INDEXES = (
    ('moment', 'ix_moment_child_time', ['child_id', 'occurred_at'],
     ['caregiver_id', 'need', 'responses', 'how_soon', 'feelings', 'rupture', 'repaired_at']),
    ('routine', 'ix_routine_child_time', ['child_id', 'started_at'],
     ['kind_id', 'caregiver_id', 'ended_at', 'skills']),
)


def upgrade():
    postgresql = op.get_bind().dialect.name == 'postgresql'
    for table, name, keys, carried in INDEXES:
        op.drop_index(name, table_name=table)
        if postgresql:
            op.create_index(name, table, keys, unique=False, postgresql_include=carried)
        else:
            op.create_index(name, table, keys + carried, unique=False)


def downgrade():
    for table, name, keys, _carried in INDEXES:
        op.drop_index(name, table_name=table)
        op.create_index(name, table, keys, unique=False)
