"""`flask backup` and `flask restore`: a copy taken mid-write restores to a consistent DB."""

import os
import re
import shutil
import sqlite3
import threading
import time
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from parenting.backup import (
    alembic_revisions_in_dump,
    format_size,
    head_revisions,
    libpq_url,
    tables_in_listing,
)
from parenting.extensions import db
from parenting.models import CheckIn, Child, Household, Moment, Routine, RoutineKind, User

OLDER_REVISION = "a79966f9c6ed"
WRITER_NOTE = "written while the backup ran"


@pytest.fixture
def app(sqlite_app):
    """These tests copy and check SQLite files, so they use SQLite in the PostgreSQL run too."""
    return sqlite_app


def stamp(app, revision=None):
    """Record a migration revision (the head by default), as `flask db upgrade` would."""
    with app.app_context():
        revision = revision or next(iter(head_revisions()))
        db.session.execute(text("CREATE TABLE IF NOT EXISTS alembic_version "
                                "(version_num VARCHAR(32) NOT NULL PRIMARY KEY)"))
        db.session.execute(text("DELETE FROM alembic_version"))
        db.session.execute(text("INSERT INTO alembic_version VALUES (:r)"), {"r": revision})
        db.session.commit()


def seed(app, households=2):
    """Fill a household or two with children, routines and moments; return one child's ids."""
    with app.app_context():
        now = datetime.now(UTC)
        for number in range(households):
            household = Household(name=f"Household {number}", timezone="Europe/London")
            user = User(email=f"carer{number}@example.org", display_name=f"Carer {number}",
                        password_hash="not a real hash", household=household)
            kind = RoutineKind(household=household, key="bedtime", label="Bedtime")
            db.session.add_all([household, user, kind])
            for nickname in ("Mo", "Zé"):
                child = Child(household=household, nickname=nickname, birth_month=3,
                              birth_year=2022, colour="#4f7cac")
                db.session.add(child)
                db.session.flush()
                db.session.add(Routine(child_id=child.id, kind_id=kind.id, caregiver_id=user.id,
                                       started_at=now, skills=["describe", "praise"]))
                for minutes in range(10):
                    db.session.add(Moment(
                        child_id=child.id, caregiver_id=user.id, need="comfort_me",
                        occurred_at=now - timedelta(minutes=minutes), responses=["held"],
                        feelings=["tired"], rupture=minutes % 3 == 0, note="naïve café ☕",
                    ))
        db.session.commit()
        child = db.session.scalars(select(Child).order_by(Child.id)).first()
        user = db.session.scalars(select(User).order_by(User.id)).first()
        return {"child_id": child.id, "user_id": user.id, "household_id": child.household_id}


class Writer(threading.Thread):
    """Insert a moment and a check-in per transaction, through its own session, until stopped."""

    def __init__(self, app, child_id, user_id, household_id):
        super().__init__(daemon=True)
        self.app = app
        self.ids = {"child_id": child_id, "user_id": user_id, "household_id": household_id}
        self.written = 0
        self.error = None
        self.stop = threading.Event()

    def run(self):
        try:
            with self.app.app_context():
                while not self.stop.is_set():
                    now = datetime.now(UTC)
                    db.session.add(Moment(child_id=self.ids["child_id"], need="delight_in_me",
                                          caregiver_id=self.ids["user_id"], occurred_at=now,
                                          note=WRITER_NOTE))
                    db.session.add(CheckIn(household_id=self.ids["household_id"],
                                           user_id=self.ids["user_id"], feel_text=WRITER_NOTE))
                    db.session.commit()
                    self.written += 1
                db.session.remove()
        except BaseException as error:  # handed to the test thread, which re-raises it
            self.error = error

    def wait_for(self, count, timeout=20.0):
        deadline = time.monotonic() + timeout
        while self.written < count and self.error is None:
            assert time.monotonic() < deadline, f"the writer only wrote {self.written} rows"
            time.sleep(0.005)
        assert self.error is None, self.error

    def finish(self):
        self.stop.set()
        self.join(timeout=20)
        assert not self.is_alive()
        if self.error is not None:
            raise self.error


def database_file(app) -> Path:
    with app.app_context():
        return Path(db.engine.url.database)


def table_rows(path) -> dict[str, list[tuple]]:
    """Read every app table of a SQLite file as raw tuples, sorted by primary key."""
    with closing(sqlite3.connect(path)) as connection:
        rows = {}
        for table in db.metadata.sorted_tables:
            columns = ", ".join(f'"{column.name}"' for column in table.columns)
            order = ", ".join(f'"{column.name}"' for column in table.primary_key.columns)
            rows[table.name] = connection.execute(
                f'SELECT {columns} FROM "{table.name}" ORDER BY {order}'
            ).fetchall()
        return rows


def sqlite_checks(path) -> tuple[list, list]:
    with closing(sqlite3.connect(path)) as connection:
        integrity = connection.execute("PRAGMA integrity_check").fetchall()
        orphans = connection.execute("PRAGMA foreign_key_check").fetchall()
        return integrity, orphans


def printed_count(output, table) -> int:
    return int(re.search(rf"^\s+{table}\s+([\d,]+)$", output, re.M).group(1).replace(",", ""))


def test_backup_taken_while_writing_restores_to_a_consistent_copy(app, make_app, tmp_path):
    ids = seed(app)
    stamp(app)
    backup = tmp_path / "tend-backup.sqlite3"
    writer = Writer(app, **ids)
    writer.start()
    started = time.monotonic()
    try:
        writer.wait_for(5)
        result = app.test_cli_runner().invoke(args=["backup", str(backup)])
        # Keep writing after the copy too, so the source moves on past the backup's snapshot.
        writer.wait_for(writer.written + 5)
        time.sleep(max(0.0, 1.0 - (time.monotonic() - started)))
    finally:
        writer.finish()
    assert result.exit_code == 0, result.output
    assert f"Wrote {backup} (" in result.output
    assert sqlite_checks(backup) == ([("ok",)], [])
    assert oct(backup.stat().st_mode & 0o777) == "0o600"
    assert list(tmp_path.glob("*.partial")) == []

    target = make_app()
    with target.app_context():
        db.session.add(Household(name="Replaced by the restore"))
        db.session.commit()
    restored = target.test_cli_runner().invoke(args=["restore", str(backup), "--yes"])
    assert restored.exit_code == 0, restored.output
    assert "flask db upgrade" not in restored.output

    source_rows = table_rows(database_file(app))
    target_rows = table_rows(database_file(target))
    assert sqlite_checks(database_file(target)) == ([("ok",)], [])
    for table in db.metadata.sorted_tables:
        missing = set(target_rows[table.name]) - set(source_rows[table.name])
        assert not missing, f"{table.name}: rows the source never had: {sorted(missing)[:3]}"
        if table.name not in ("moment", "check_in"):
            assert target_rows[table.name] == source_rows[table.name], table.name
    # The writer kept going, so the backup holds a prefix of its rows, the same number from both
    # tables it wrote in one transaction: the source as it was at one instant.
    seeded = 2 * 2 * 10
    copied = len(target_rows["moment"]) - seeded
    assert 5 <= copied < writer.written
    assert target_rows["moment"] == source_rows["moment"][: seeded + copied]
    assert target_rows["check_in"] == source_rows["check_in"][:copied]
    assert printed_count(result.output, "moment") == seeded + copied
    assert printed_count(result.output, "check_in") == copied
    with target.app_context():
        assert db.session.scalar(select(func.count(Moment.id))) == seeded + copied
        assert db.session.scalar(select(Household.id).where(
            Household.name == "Replaced by the restore")) is None


def test_restore_refuses_without_yes_and_leaves_the_database_alone(app, make_app, tmp_path):
    seed(app)
    stamp(app)
    backup = tmp_path / "backup.sqlite3"
    assert app.test_cli_runner().invoke(args=["backup", str(backup)]).exit_code == 0
    target = make_app()
    seed(target, households=1)
    before = table_rows(database_file(target))

    result = target.test_cli_runner().invoke(args=["restore", str(backup)], input="n\n")

    assert result.exit_code == 1
    assert "Replace everything in sqlite:///" in result.output
    assert "Aborted" in result.output
    assert table_rows(database_file(target)) == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"household,child\n1,Mo\n", "is not a SQLite database; nothing was changed"),
        (b"", "is not a SQLite database; nothing was changed"),
        (b"PGDMP\x01\x0e\x00", "is a pg_dump archive, but this app uses SQLite"),
    ],
)
def test_restoring_something_else_is_refused_clearly(app, tmp_path, content, message):
    seed(app)
    before = table_rows(database_file(app))
    not_a_backup = tmp_path / "households.csv"
    not_a_backup.write_bytes(content)

    result = app.test_cli_runner().invoke(args=["restore", str(not_a_backup), "--yes"])

    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
    assert table_rows(database_file(app)) == before


@pytest.mark.parametrize(
    ("revision", "message"),
    [
        (None, "no alembic_version row, so it is not a Tend database"),
        ("0123456789ab", "at migration 0123456789ab, which this version of Tend does not know"),
    ],
)
def test_restore_refuses_a_database_from_elsewhere(app, make_app, tmp_path, revision, message):
    source = make_app()
    seed(source)
    if revision:
        stamp(source, revision)
    before = table_rows(database_file(app))

    result = app.test_cli_runner().invoke(
        args=["restore", str(database_file(source)), "--yes"]
    )

    assert result.exit_code == 1
    assert message in result.output
    assert table_rows(database_file(app)) == before


def test_restoring_an_older_backup_says_to_upgrade(app, make_app):
    source = make_app()
    seed(source)
    stamp(source, OLDER_REVISION)

    result = app.test_cli_runner().invoke(args=["restore", str(database_file(source)), "--yes"])

    assert result.exit_code == 0, result.output
    assert "run `flask db upgrade` now" in result.output
    assert table_rows(database_file(app)) == table_rows(database_file(source))


def test_backup_never_writes_over_the_live_database(app):
    seed(app)
    before = table_rows(database_file(app))

    result = app.test_cli_runner().invoke(args=["backup", str(database_file(app))])

    assert result.exit_code == 1
    assert "the live database itself" in result.output
    assert table_rows(database_file(app)) == before


def test_backup_into_a_missing_folder_is_refused(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "nope" / "b.sqlite3")])

    assert result.exit_code == 1
    assert "does not exist" in result.output


def test_postgres_backup_without_pg_dump_says_how_to_get_it(make_app, tmp_path, monkeypatch):
    app = make_app("postgresql+psycopg://tend:secret@127.0.0.1:1/tend", create_tables=False)
    monkeypatch.setenv("PATH", str(tmp_path))

    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "tend.dump")])

    assert result.exit_code == 1
    assert "pg_dump was not found on PATH" in result.output
    assert "postgresql-client" in result.output


def test_libpq_url_drops_the_driver_and_moves_the_password_to_the_environment():
    url = make_url("postgresql+psycopg://tend:p%40ss%20word@db.example:5433/tend?sslmode=require")

    libpq, env = libpq_url(url)

    assert libpq == "postgresql://tend@db.example:5433/tend?sslmode=require"
    assert env["PGPASSWORD"] == "p@ss word"


def test_pg_restore_output_is_read_for_tables_and_revision():
    listing = (
        ";\n; Archive created at 2026-11-22 23:52:10 UTC\n;\n"
        "214; 1259 16386 TABLE public alembic_version tend\n"
        "225; 1259 16453 SEQUENCE public check_in_id_seq tend\n"
        "240; 1259 16602 TABLE public group tend\n"
        "3590; 0 16392 TABLE DATA public household tend\n"
    )
    script = (
        "SET client_min_messages = warning;\n\n"
        "COPY public.alembic_version (version_num) FROM stdin;\nd398ab7a6314\n\\.\n\n"
    )

    assert tables_in_listing(listing) == {"alembic_version", "group"}
    assert alembic_revisions_in_dump(script) == {"d398ab7a6314"}
    assert alembic_revisions_in_dump("SET x = 1;\n") == frozenset()


def test_sizes_read_like_people_write_them():
    assert format_size(512) == "512 B"
    assert format_size(48 * 1024) == "48.0 KiB"
    assert format_size(int(3.25 * 1024 * 1024)) == "3.2 MiB"


def postgres_skip_reason() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith(("postgresql", "postgres:")):
        return "TEST_DATABASE_URL does not name a PostgreSQL test database"
    missing = [tool for tool in ("pg_dump", "pg_restore") if shutil.which(tool) is None]
    if missing:
        return f"{' and '.join(missing)} not installed"
    return None


@pytest.fixture
def postgres_app(postgres_app):
    """The suite's PostgreSQL app (migrated, emptied after the test), if pg_dump is here too."""
    reason = postgres_skip_reason()
    if reason:
        pytest.skip(reason)
    return postgres_app


def postgres_rows(app) -> dict[str, list[tuple]]:
    with app.app_context(), db.engine.connect() as connection:
        return {
            table.name: [
                tuple(row)
                for row in connection.execute(
                    select(table).order_by(*table.primary_key.columns)
                )
            ]
            for table in db.metadata.sorted_tables
        }


def test_pg_dump_taken_while_writing_restores_to_its_snapshot(postgres_app, tmp_path):
    ids = seed(postgres_app)
    stamp(postgres_app)
    backup = tmp_path / "tend.dump"
    writer = Writer(postgres_app, **ids)
    writer.start()
    try:
        writer.wait_for(5)
        result = postgres_app.test_cli_runner().invoke(args=["backup", str(backup)])
        writer.wait_for(writer.written + 5)
    finally:
        writer.finish()
    assert result.exit_code == 0, result.output
    assert backup.read_bytes().startswith(b"PGDMP")
    before = postgres_rows(postgres_app)

    restored = postgres_app.test_cli_runner().invoke(args=["restore", str(backup), "--yes"])

    assert restored.exit_code == 0, restored.output
    after = postgres_rows(postgres_app)
    for name, rows in after.items():
        if name not in ("moment", "check_in"):
            assert rows == before[name], name
    # The counts printed come from the very snapshot pg_dump took.
    copied = printed_count(result.output, "check_in")
    assert 5 <= copied < writer.written
    assert after["check_in"] == before["check_in"][:copied]
    assert after["moment"] == before["moment"][: printed_count(result.output, "moment")]
    assert len(after["moment"]) == 40 + copied
    with postgres_app.app_context():
        assert db.session.scalar(text("SELECT version_num FROM alembic_version")) in (
            head_revisions()
        )
