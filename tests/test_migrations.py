"""Migrations: one head, exactly the models' schema, down and up again without losing rows.

They run on the suite's database: SQLite by default, PostgreSQL when TEST_DATABASE_URL is set.
"""

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from conftest import POSTGRES_URL, migrate
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import IntegrityError

from parenting import MIGRATIONS_DIR
from parenting.extensions import db
from parenting.models import (
    CheckIn,
    Child,
    Household,
    Moment,
    Routine,
    RoutineKind,
    User,
    built_here,
)

SCRIPTS = ScriptDirectory(MIGRATIONS_DIR)
AT = datetime(2024, 7, 4, 12, 0, tzinfo=UTC)


@pytest.fixture
def empty_app(request, make_app):
    """An app on a database with no tables; on PostgreSQL the suite's, migrated back to base."""
    if POSTGRES_URL is None:
        yield make_app(create_tables=False)
        return
    app = request.getfixturevalue("postgres_app")
    migrate(app, "base", down=True)
    yield app
    # Whatever the test left, the next tests need every table back.
    migrate(app)


def head() -> str:
    (only,) = SCRIPTS.get_heads()
    return only


def schema_diff(app) -> list:
    """Return what autogenerate would write: the models against the database's schema."""
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "compare_type": True, "include_object": built_here(connection.dialect.name)})
        return compare_metadata(context, db.metadata)


def current_revision(app) -> str | None:
    with app.app_context(), db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def table_names(app) -> set[str]:
    with app.app_context(), db.engine.connect() as connection:
        return set(inspect(connection).get_table_names())


def test_there_is_a_single_head_and_one_line_of_revisions():
    assert len(SCRIPTS.get_heads()) == 1, SCRIPTS.get_heads()
    revisions = list(SCRIPTS.walk_revisions())
    assert [r for r in revisions if r.down_revision is None] == [revisions[-1]]
    assert all(not r.is_merge_point for r in revisions)


def test_the_migrations_build_exactly_the_models(empty_app):
    assert table_names(empty_app) <= {"alembic_version"}

    migrate(empty_app)

    assert current_revision(empty_app) == head()
    assert table_names(empty_app) == {t.name for t in db.metadata.sorted_tables} | {
        "alembic_version"
    }
    # Empty: `flask db migrate` would have nothing to write.
    assert schema_diff(empty_app) == []


def test_the_migrations_go_down_to_nothing_and_up_again(empty_app):
    migrate(empty_app)

    migrate(empty_app, "base", down=True)

    assert table_names(empty_app) <= {"alembic_version"}
    assert current_revision(empty_app) is None

    migrate(empty_app)

    assert current_revision(empty_app) == head()
    assert schema_diff(empty_app) == []


def seed(app) -> dict[str, int]:
    """Write a household with a bit of everything the first migration made; return row counts."""
    with app.app_context():
        household = Household(name="Seeded", timezone="Europe/London")
        user = User(email="seed@example.org", display_name="Seed", password_hash="x",
                    household=household)
        kind = RoutineKind(household=household, key="bedtime", label="Bedtime")
        child = Child(household=household, nickname="Mo", birth_month=3, birth_year=2022,
                      colour="#4f7cac")
        db.session.add_all([household, user, kind, child])
        db.session.flush()
        db.session.add_all([
            Moment(child_id=child.id, caregiver_id=user.id, need="comfort_me", occurred_at=AT),
            Routine(child_id=child.id, kind_id=kind.id, caregiver_id=user.id, started_at=AT),
            CheckIn(household_id=household.id, user_id=user.id, feeling="tired"),
        ])
        db.session.commit()
        return row_counts()


def row_counts() -> dict[str, int]:
    counts = {}
    for model in (Household, User, RoutineKind, Child, Moment, Routine, CheckIn):
        table = model.__table__
        counts[table.name] = db.session.scalar(select(func.count()).select_from(table))
    db.session.remove()
    return counts


def test_downgrades_to_the_first_revision_and_back_keep_every_row(empty_app):
    # On SQLite a batch migration rebuilds `user`; with foreign keys on, dropping the old table
    # would delete the check-ins (CASCADE) and orphan the moments (SET NULL).
    migrate(empty_app)
    before = seed(empty_app)
    first = list(SCRIPTS.walk_revisions())[-1].revision

    migrate(empty_app, first, down=True)
    with empty_app.app_context():
        down = {name: db.session.scalar(text(f'SELECT count(*) FROM "{name}"')) for name in before}
        caregivers = db.session.scalar(text("SELECT count(caregiver_id) FROM moment"))
        db.session.remove()
    migrate(empty_app)

    assert down == before
    assert caregivers == 1
    with empty_app.app_context():
        assert row_counts() == before
        assert db.session.scalar(select(Moment.caregiver_id)) is not None
        assert db.session.scalar(select(User.is_facilitator)) is False
        db.session.remove()


def test_every_pooled_sqlite_connection_is_safe(sqlite_app):
    # SQLite-only pragmas; on PostgreSQL the suite's other tests run this against SQLite too.
    with sqlite_app.app_context():
        engine = db.engine
        assert engine.dialect.name == "sqlite"
        # Several connections at once, so each is a separate one from the pool.
        connections = [engine.connect() for _ in range(3)]
        try:
            raw = {id(c.connection.dbapi_connection) for c in connections}
            assert len(raw) == 3
            for connection in connections:
                pragma = {
                    name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
                    for name in ("foreign_keys", "journal_mode", "busy_timeout", "synchronous")
                }
                assert pragma["foreign_keys"] == 1
                assert pragma["journal_mode"] == "wal"
                assert pragma["busy_timeout"] >= 5000
                assert pragma["synchronous"] == 2  # FULL: a commit survives a power cut
        finally:
            for connection in connections:
                connection.close()

        db.session.add(Child(household_id=999_999, nickname="Nobody's", birth_month=1,
                             birth_year=2020, colour="#000000"))
        with pytest.raises(IntegrityError, match="FOREIGN KEY"):
            db.session.commit()
        db.session.rollback()
        db.session.remove()
