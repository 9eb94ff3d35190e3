"""`flask backup` and `flask restore`: copy the whole database to one file and back."""

import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import click
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import URL

from .extensions import db

SQLITE_HEADER = b"SQLite format 3\x00"
PG_ARCHIVE_HEADER = b"PGDMP"
# Long enough to wait out a checkpoint or a burst of writes, short enough to notice a stuck lock.
SQLITE_LOCK_TIMEOUT = 30.0
ALEMBIC_TABLE = "alembic_version"


@dataclass(frozen=True)
class Contents:
    """What a database or a backup holds: its migration revisions, tables and rows per table."""

    revisions: frozenset[str]
    tables: frozenset[str]
    counts: dict[str, int]


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(path: Path) -> None:
    """Copy the whole database to PATH while the app keeps running."""
    url = db.engine.url
    if url.get_backend_name() == "sqlite":
        contents = sqlite_backup(sqlite_path(url), path)
    elif url.get_backend_name() == "postgresql":
        contents = postgres_backup(url, path)
    else:
        raise click.ClickException(f"Backups support SQLite and PostgreSQL, not {url.drivername}.")
    click.echo(f"Wrote {path} ({format_size(path.stat().st_size)}).")
    echo_contents(contents)


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Replace the database without asking.")
@with_appcontext
def restore_command(path: Path, yes: bool) -> None:
    """Replace the whole database with the backup at PATH."""
    url = db.engine.url
    backend = url.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise click.ClickException(f"Restores support SQLite and PostgreSQL, not {url.drivername}.")
    kind = backup_kind(path)
    if kind != backend:
        raise click.ClickException(mismatch_message(path, kind, backend))
    if backend == "sqlite":
        target = sqlite_path(url)
        contents = sqlite_check_backup(path, target)
    else:
        contents = postgres_check_backup(path)
    upgrade_needed = check_revisions(contents)
    click.echo(f"{path} holds:")
    echo_contents(contents)
    shown_url = url.render_as_string(hide_password=True)
    if not yes:
        click.confirm(
            f"Replace everything in {shown_url} with this backup? Anything written since it was "
            "taken will be lost",
            abort=True,
        )
    # Pooled connections must not outlive the old database; they reconnect to the restored one.
    db.session.remove()
    db.engine.dispose()
    if backend == "sqlite":
        restored = sqlite_restore(path, target)
    else:
        postgres_restore(url, path)
        restored = postgres_contents()
    counts = {name: n for name, n in restored.counts.items() if name != ALEMBIC_TABLE}
    click.echo(
        f"Restored {path} into {shown_url}: {len(counts)} tables, {sum(counts.values()):,} rows."
    )
    if upgrade_needed:
        click.echo("The backup comes from an older version of Tend: run `flask db upgrade` now.")


def sqlite_path(url: URL) -> Path:
    """Return the file behind a SQLite URL; an in-memory database has nothing to copy."""
    if url.database in (None, "", ":memory:") or url.query.get("mode") == "memory":
        raise click.ClickException("The database is in memory: there is no file to back up.")
    return Path(url.database).resolve()


def backup_kind(path: Path) -> str | None:
    """Tell a SQLite file from a pg_dump archive by its first bytes."""
    with path.open("rb") as file:
        header = file.read(len(SQLITE_HEADER))
    if header == SQLITE_HEADER:
        return "sqlite"
    if header.startswith(PG_ARCHIVE_HEADER):
        return "postgresql"
    return None


def mismatch_message(path: Path, kind: str | None, backend: str) -> str:
    """Explain why this file cannot be restored into this kind of database."""
    wanted = {"sqlite": "a SQLite database", "postgresql": "a pg_dump archive (-Fc)"}[backend]
    if kind is None:
        return f"{path} is not {wanted}; nothing was changed."
    found = {"sqlite": "a SQLite database", "postgresql": "a pg_dump archive"}[kind]
    return (
        f"{path} is {found}, but this app uses {backend_label(backend)}; "
        f"nothing was changed."
    )


def backend_label(backend: str) -> str:
    """Return the product name of a SQLAlchemy backend."""
    return {"sqlite": "SQLite", "postgresql": "PostgreSQL"}[backend]


def sqlite_backup(source: Path, path: Path) -> Contents:
    """Copy the live SQLite file to PATH with the online backup API, then check the copy."""
    if not source.exists():
        raise click.ClickException(f"There is no database at {source} yet: run `flask db upgrade`.")
    if same_file(source, path):
        raise click.ClickException("PATH is the live database itself: choose another file.")
    # A read-only connection: a backup can never change the database it copies.
    live = sqlite3.connect(source.as_uri() + "?mode=ro", uri=True, timeout=SQLITE_LOCK_TIMEOUT)
    with (
        closing(live),
        partial_file(path) as partial,
        closing(sqlite3.connect(partial, timeout=SQLITE_LOCK_TIMEOUT)) as copy,
    ):
        # One step (pages=-1) copies a single read snapshot; WAL lets writers carry on meanwhile.
        live.backup(copy)
        # The copy inherits WAL mode; a rollback journal keeps the backup one self-contained file.
        copy.execute("PRAGMA journal_mode=DELETE")
        problems = sqlite_problems(copy)
        if problems:
            raise click.ClickException(
                "The copy failed its integrity check, so it was not kept: " + "; ".join(problems)
            )
        return sqlite_contents(copy)


def sqlite_check_backup(path: Path, target: Path) -> Contents:
    """Open a SQLite backup read-only and refuse it unless it is sound."""
    if same_file(path, target):
        raise click.ClickException(f"{path} is the live database itself; nothing to restore.")
    try:
        with closing(sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)) as backup:
            problems = sqlite_problems(backup)
            contents = sqlite_contents(backup)
    except sqlite3.DatabaseError as error:
        raise click.ClickException(f"{path} cannot be read as a database ({error}).") from error
    if problems:
        raise click.ClickException(
            f"{path} failed its integrity check; nothing was changed: " + "; ".join(problems)
        )
    return contents


def sqlite_restore(path: Path, target: Path) -> Contents:
    """Copy the backup over the live database in one transaction with the online backup API."""
    target.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
    live = sqlite3.connect(target, timeout=SQLITE_LOCK_TIMEOUT)
    with closing(source), closing(live):
        try:
            # One transaction: other connections see the old database or the restored one, never
            # a mix, and a failure part-way leaves the old one as it was.
            source.backup(live)
        except sqlite3.Error as error:
            raise click.ClickException(f"Could not write into {target} ({error}).") from error
        problems = sqlite_problems(live)
        if problems:
            raise click.ClickException("The restored database failed its integrity check: "
                                       + "; ".join(problems))
        return sqlite_contents(live)


def sqlite_problems(connection: sqlite3.Connection) -> list[str]:
    """Return what `integrity_check` and `foreign_key_check` found; empty means sound."""
    problems = [row[0] for row in connection.execute("PRAGMA integrity_check")]
    if problems == ["ok"]:
        problems = []
    for table, rowid, parent, _ in connection.execute("PRAGMA foreign_key_check"):
        problems.append(f"{table} row {rowid} points at a missing {parent}")
    return problems


def sqlite_contents(connection: sqlite3.Connection) -> Contents:
    """Count the rows of every table in a SQLite database and read its migration revisions."""
    names = [
        row[0]
        for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    counts = {
        name: connection.execute(f"SELECT count(*) FROM {quote_identifier(name)}").fetchone()[0]  # nosec B608  # quote_identifier() escapes it
        for name in names
    }
    revisions = frozenset()
    if ALEMBIC_TABLE in counts:
        revisions = frozenset(
            row[0] for row in connection.execute(f"SELECT version_num FROM {ALEMBIC_TABLE}")  # nosec B608  # ALEMBIC_TABLE is a constant
        )
    return Contents(revisions, frozenset(names), ordered_counts(counts))


def quote_identifier(name: str) -> str:
    """Quote a SQL identifier (table names come from the file, not from the user)."""
    return '"' + name.replace('"', '""') + '"'


def same_file(a: Path, b: Path) -> bool:
    """Tell whether two paths name one existing file."""
    with suppress(OSError):
        return a.exists() and b.exists() and a.samefile(b)
    return False


@contextmanager
def partial_file(path: Path) -> Iterator[Path]:
    """Yield a private temporary file beside PATH; move it onto PATH only if the block succeeds."""
    if not path.parent.is_dir():
        raise click.ClickException(f"The folder {path.parent} does not exist.")
    # mkstemp makes the file readable by its owner only: a backup holds every family's data.
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    os.close(handle)
    partial = Path(name)
    try:
        yield partial
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, path)


def postgres_backup(url: URL, path: Path) -> Contents:
    """Dump PostgreSQL with `pg_dump -Fc`, counting rows in the very snapshot it dumps."""
    pg_dump = require_tool("pg_dump")
    libpq, env = libpq_url(url)
    engine = db.engine.execution_options(isolation_level="REPEATABLE READ")
    with engine.connect() as connection, connection.begin(), partial_file(path) as partial:
        # pg_dump reads the snapshot exported here, so the counts printed match the file exactly.
        snapshot = connection.scalar(text("SELECT pg_export_snapshot()"))
        contents = postgres_contents_of(connection)
        run_tool([pg_dump, "-Fc", "--no-owner", f"--snapshot={snapshot}", "-f", str(partial),
                  libpq], env)
    return contents


def postgres_check_backup(path: Path) -> Contents:
    """Refuse a file pg_restore cannot read; return the migration revisions it holds."""
    pg_restore = require_tool("pg_restore")
    listing = run_tool([pg_restore, "--list", str(path)], os.environ.copy(),
                       failure=f"{path} is not a readable pg_dump archive; nothing was changed")
    # The data section of alembic_version, as the COPY text pg_restore would replay.
    script = run_tool([pg_restore, "--data-only", f"--table={ALEMBIC_TABLE}", "-f", "-",
                       str(path)], os.environ.copy())
    return Contents(alembic_revisions_in_dump(script), tables_in_listing(listing), {})


def tables_in_listing(listing: str) -> frozenset[str]:
    """Read table names from `pg_restore --list`: lines like `7; 1259 16390 TABLE public user o`."""
    tables = set()
    for line in listing.splitlines():
        if line.startswith(";") or "; " not in line:
            continue
        fields = line.split("; ", 1)[1].split()
        if len(fields) >= 5 and fields[2] == "TABLE" and fields[3] != "DATA":
            tables.add(fields[4])
    return frozenset(tables)


def alembic_revisions_in_dump(script: str) -> frozenset[str]:
    """Read the rows of the alembic_version COPY block in a pg_restore script."""
    revisions: set[str] = set()
    in_copy = False
    for line in script.splitlines():
        if in_copy:
            if line == "\\.":
                break
            revisions.add(line.strip())
        elif line.startswith("COPY ") and f"{ALEMBIC_TABLE} " in line:
            in_copy = True
    return frozenset(revisions)


def postgres_restore(url: URL, path: Path) -> None:
    """Replay a `pg_dump -Fc` archive over the database in one transaction."""
    pg_restore = require_tool("pg_restore")
    libpq, env = libpq_url(url)
    # --single-transaction: a restore that fails part-way leaves the old database as it was.
    run_tool([pg_restore, "--clean", "--if-exists", "--no-owner", "--single-transaction",
              "-d", libpq, str(path)], env)


def postgres_contents() -> Contents:
    """Count the rows of the app's tables in the live PostgreSQL database."""
    with db.engine.connect() as connection:
        return postgres_contents_of(connection)


def postgres_contents_of(connection) -> Contents:
    """Count the rows of the app's tables and read the migration revisions."""
    present = set(inspect(connection).get_table_names())
    counts = {
        table.name: connection.scalar(select(func.count()).select_from(table))
        for table in db.metadata.sorted_tables
        if table.name in present
    }
    revisions = frozenset()
    if ALEMBIC_TABLE in present:
        revisions = frozenset(connection.scalars(text(f"SELECT version_num FROM {ALEMBIC_TABLE}")))  # nosec B608  # ALEMBIC_TABLE is a constant
    return Contents(revisions, frozenset(present), ordered_counts(counts))


def libpq_url(url: URL) -> tuple[str, dict[str, str]]:
    """Turn a SQLAlchemy URL into a libpq URL for the command line, plus PGPASSWORD in the env."""
    env = os.environ.copy()
    if url.password is not None:
        env["PGPASSWORD"] = url.password
    # Built afresh: URL.set(password=None) would keep the password.
    plain = URL.create("postgresql", username=url.username, host=url.host, port=url.port,
                       database=url.database, query=url.query)
    return plain.render_as_string(hide_password=False), env


def require_tool(name: str) -> str:
    """Return the path of a PostgreSQL client program, or stop with how to install it."""
    path = shutil.which(name)
    if path is None:
        raise click.ClickException(
            f"{name} was not found on PATH. Install the PostgreSQL client tools of the same major "
            "version as the server (on Debian: apt-get install postgresql-client)."
        )
    return path


def run_tool(args: list[str], env: dict[str, str], failure: str | None = None) -> str:
    """Run a PostgreSQL tool and return its output, or stop with what it printed on stderr."""
    result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        detail = result.stderr.strip() or f"exit status {result.returncode}"
        name = os.path.basename(args[0])
        raise click.ClickException(f"{failure or name + ' failed'}: {detail}")
    return result.stdout


def check_revisions(contents: Contents) -> bool:
    """Refuse a backup that is not Tend's or comes from a newer Tend; True if it needs upgrading."""
    revisions = contents.revisions
    if not revisions:
        raise click.ClickException(
            "The backup has no alembic_version row, so it is not a Tend database; "
            "nothing was changed."
        )
    script = migration_scripts()
    heads = set(script.get_heads())
    for revision in revisions:
        try:
            known = script.get_revision(revision)
        except CommandError:
            known = None
        if known is None:
            raise click.ClickException(
                f"The backup is at migration {revision}, which this version of Tend does not know "
                "(is it from a newer version?); nothing was changed."
            )
    if revisions == heads:
        missing = [t.name for t in db.metadata.sorted_tables if t.name not in contents.tables]
        if missing:
            raise click.ClickException(
                "The backup lacks tables this version of Tend needs, so nothing was changed: "
                + ", ".join(missing)
            )
    return revisions != heads


def migration_scripts() -> ScriptDirectory:
    """Read the app's Alembic scripts without running env.py."""
    config = Config()
    config.set_main_option("script_location", current_app.extensions["migrate"].directory)
    return ScriptDirectory.from_config(config)


def head_revisions() -> frozenset[str]:
    """Return the migration heads this version of the app expects."""
    return frozenset(migration_scripts().get_heads())


def ordered_counts(counts: dict[str, int]) -> dict[str, int]:
    """Put the app's tables first in dependency order, then anything else by name."""
    order = [t.name for t in db.metadata.sorted_tables if t.name in counts]
    order += sorted(set(counts) - set(order))
    return {name: counts[name] for name in order}


def echo_contents(contents: Contents) -> None:
    """Print the migration revision and the row count of every table."""
    if contents.revisions:
        click.echo(f"  migration: {', '.join(sorted(contents.revisions))}")
    rows = [(name, n) for name, n in contents.counts.items() if name != ALEMBIC_TABLE]
    if rows:
        click.echo("  rows per table:")
    elif contents.tables:
        click.echo(f"  {len(contents.tables - {ALEMBIC_TABLE})} tables")
    for line in count_lines(rows):
        click.echo(line)


def count_lines(counts: Iterable[tuple[str, int]]) -> list[str]:
    """Lay out table row counts as an aligned two-column list."""
    counts = list(counts)
    if not counts:
        return []
    width = max(len(name) for name, _ in counts)
    return [f"    {name:<{width}}  {number:>9,}" for name, number in counts]


def format_size(size: int) -> str:
    """Return a byte count as people read it: 512 B, 48.0 KiB, 3.2 MiB."""
    if size < 1024:
        return f"{size} B"
    value = size / 1024
    for unit in ("KiB", "MiB"):
        if value < 1024:
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"
