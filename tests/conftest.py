"""Fixtures: an app on a fresh database per test, clients, and factories that return ids."""

import html
import logging
import os
import re
import shutil
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import flask_migrate
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jinja2 import BytecodeCache
from sqlalchemy import create_engine, func, inspect, select, text
from sqlalchemy.engine import make_url

from parenting import create_app, security
from parenting.config import with_driver
from parenting.extensions import db
from parenting.models import (
    CheckIn,
    Child,
    Group,
    Household,
    Membership,
    Moment,
    MomentComment,
    PlannedTime,
    PushSubscription,
    Routine,
    RoutineKind,
    ShareLink,
    User,
)
from parenting.prompts import load_prompts

PASSWORD = "a quiet morning walk"
# One VAPID key for the whole run, so no test writes one into the instance folder.
TEST_VAPID_KEY = ec.generate_private_key(ec.SECP256R1()).private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
).decode("ascii")
# Cheap argon2id for speed in tests; a separate test checks the production parameters.
FAST_ARGON2 = (1, 8, 1)


def postgres_test_url() -> str | None:
    """Return TEST_DATABASE_URL with psycopg named in it, or None to test on SQLite."""
    url = os.environ.get("TEST_DATABASE_URL", "").strip()
    return with_driver(url) if url else None


# With TEST_DATABASE_URL naming a scratch PostgreSQL database, the `app` fixture runs there instead
# of on SQLite: every table in it is dropped and migrated afresh once, then emptied after each test.
POSTGRES_URL = postgres_test_url()


def pytest_configure(config):
    if POSTGRES_URL is not None:
        url = make_url(POSTGRES_URL)
        if url.get_backend_name() != "postgresql":
            raise pytest.UsageError("TEST_DATABASE_URL must be a postgresql:// URL")
        if "test" not in (url.database or ""):
            raise pytest.UsageError(
                "TEST_DATABASE_URL must name a database with 'test' in its name: "
                "the tests drop every table in it"
            )
    # WTForms 3.3 deprecates (value, label) tuple choices ahead of 3.4; the forms and the chip
    # templates still use them, so ignore exactly this warning until they move to SelectChoice.
    config.addinivalue_line(
        "filterwarnings",
        "ignore:Passing SelectField choices as tuples is deprecated:DeprecationWarning",
    )


class MemoryBytecodeCache(BytecodeCache):
    """Keep compiled templates across the per-test apps; keys include the source's checksum."""

    def __init__(self):
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket):
        self.compiled[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CACHE = MemoryBytecodeCache()


def pytest_report_header(config):
    if POSTGRES_URL is None:
        return "database: SQLite (set TEST_DATABASE_URL to run on PostgreSQL)"
    return "database: " + make_url(POSTGRES_URL).render_as_string(hide_password=True)


def test_config(database: Path) -> dict:
    return database_config(f"sqlite:///{database}")


def database_config(uri: str) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test",
        "SQLALCHEMY_DATABASE_URI": uri,
        "WTF_CSRF_ENABLED": False,
        "ARGON2_PARAMS": FAST_ARGON2,
        "SERVER_NAME": "tend.test",
        "MAIL_BACKEND": "memory",
        "VAPID_PRIVATE_KEY": TEST_VAPID_KEY,
    }


@pytest.fixture(scope="session")
def empty_database(tmp_path_factory) -> Path:
    """Create the schema once; every test starts from a copy (CREATE TABLE syncs to disk)."""
    path = tmp_path_factory.mktemp("schema") / "empty.sqlite3"
    schema_app = create_app(test_config(path))
    with schema_app.app_context():
        db.create_all()
        db.session.remove()
        db.engine.dispose()  # closing the last connection folds the WAL into the file
    return path


@pytest.fixture
def app(request):
    """The app on an empty database: PostgreSQL if TEST_DATABASE_URL is set, else SQLite."""
    return request.getfixturevalue("postgres_app" if POSTGRES_URL else "sqlite_app")


@pytest.fixture
def sqlite_app(tmp_path, empty_database):
    """The app on a copy of the empty SQLite schema, in the PostgreSQL run too."""
    database = tmp_path / "test.sqlite3"
    shutil.copyfile(empty_database, database)
    app = create_app(test_config(database))
    # Each test gets a new app; compiling every template again for each one is most of a
    # page test's time.
    app.jinja_env.bytecode_cache = TEMPLATE_CACHE
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@contextmanager
def logging_kept():
    """Put back the root logger that the migrations' env.py configures from alembic.ini."""
    root = logging.getLogger()
    level, handlers = root.level, root.handlers[:]
    try:
        yield
    finally:
        root.setLevel(level)
        root.handlers[:] = handlers


def migrate(app, revision="head", down=False):
    """Run the migrations on an app's database, as `flask db upgrade` (or downgrade) would."""
    with app.app_context(), logging_kept():
        if down:
            flask_migrate.downgrade(revision=revision)
        else:
            flask_migrate.upgrade(revision=revision)
        db.session.remove()


def drop_all_tables(engine) -> None:
    """Drop every table in a PostgreSQL database's current schema, whatever made it."""
    with engine.begin() as connection:
        names = inspect(connection).get_table_names()
        if names:
            quoted = ", ".join(connection.dialect.identifier_preparer.quote(n) for n in names)
            connection.execute(text(f"DROP TABLE IF EXISTS {quoted} CASCADE"))


@pytest.fixture(scope="session")
def postgres_schema():
    """Migrate the PostgreSQL test database from empty, once; yield what empties its tables."""
    if POSTGRES_URL is None:
        pytest.skip("TEST_DATABASE_URL does not name a PostgreSQL test database")
    schema_app = create_app(database_config(POSTGRES_URL))
    with schema_app.app_context():
        drop_all_tables(db.engine)
    # The migrations, not create_all: they are what a real deployment runs.
    migrate(schema_app)
    with schema_app.app_context():
        db.engine.dispose()
    engine = create_engine(POSTGRES_URL, pool_size=1)
    with engine.connect() as connection:
        present = set(inspect(connection).get_table_names()) - {"alembic_version"}
    # Rows pointing elsewhere go first. A table the models don't know (test_migrations fails
    # then) goes before all of them.
    known = [table.name for table in reversed(db.metadata.sorted_tables)]
    tables = sorted(present - set(known)) + [name for name in known if name in present]
    quoted = [engine.dialect.identifier_preparer.quote(name) for name in tables]
    # A test leaves a handful of rows: DELETE is several times faster than TRUNCATE (which makes
    # new files for every table and index), and far cheaper than building the schema again.
    # Ids restart at 1, as on the SQLite copies.
    empty = "; ".join(f"DELETE FROM {name}" for name in quoted) + "; SELECT " + ", ".join(
        f"setval(pg_get_serial_sequence('{name}', 'id'), 1, false)" for name in quoted
    )
    yield engine, empty
    engine.dispose()


@pytest.fixture
def postgres_app(postgres_schema):
    """The app on the migrated PostgreSQL test database, emptied again after the test."""
    engine, empty = postgres_schema
    app = create_app(database_config(POSTGRES_URL))
    app.jinja_env.bytecode_cache = TEMPLATE_CACHE
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    with engine.begin() as connection:
        # A connection the test left open in a transaction could block this: fail, not hang.
        connection.execute(text("SET LOCAL lock_timeout = '10s'"))
        connection.exec_driver_sql(empty)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def other_client(app):
    return app.test_client()


def signup(client, email="ana@example.org", name="Ana", password=PASSWORD, tz="Europe/London",
           role=None):
    """Sign up through the real pages (the form, then the emailed link and its button) and
    return the last response: the form's own when it refused, else the button's."""
    data = {"email": email, "display_name": name, "password": password, "timezone": tz}
    if role:
        data["role"] = role
    response = client.post("/signup", data=data)
    if response.status_code != 302 or not response.location.endswith("/signup/check-email"):
        return response
    link = emailed_link(client.application, email.strip().lower(), "/signup/confirm/")
    if link is None:
        return response
    # As a browser sends it, with "remember me" unticked (CSRF itself is off in tests).
    return client.post(link, data={"csrf_token": ""})


def sent_mail(app, to: str | None = None) -> list:
    """Return the emails the app has sent (MAIL_BACKEND "memory"), optionally to one address."""
    outbox = app.extensions.get("mail_outbox", [])
    return [m for m in outbox if to is None or m["To"] == to]


def mail_text(message) -> str:
    return message.get_content()


def emailed_link(app, to: str, path_start: str) -> str | None:
    """Return the path of the link starting with path_start in the newest email to an address."""
    messages = sent_mail(app, to)
    if not messages:
        return None
    match = re.search(r"https?://[^/\s]+(" + re.escape(path_start) + r"\S+)",
                      mail_text(messages[-1]))
    return match.group(1) if match else None


def login(client, email="ana@example.org", password=PASSWORD, remember=False):
    data = {"email": email, "password": password}
    if remember:
        data["remember"] = "y"
    return client.post("/login", data=data)


@pytest.fixture
def auth():
    class Auth:
        signup = staticmethod(signup)
        login = staticmethod(login)

    return Auth


@pytest.fixture
def make_user(app, client):
    """Sign up a caregiver through the form, leaving `client` logged in; return the user id."""

    def make(email="ana@example.org", name="Ana", tz="Europe/London", using=None):
        response = signup(using or client, email=email, name=name, tz=tz)
        assert response.status_code == 302, response.get_data(as_text=True)
        with app.app_context():
            return db.session.scalar(select(User.id).where(User.email == email))

    return make


@pytest.fixture
def make_child(app):
    def make(user_id, nickname="Mo", birth_month=3, birth_year=2022, colour="#4f7cac"):
        with app.app_context():
            user = db.session.get(User, user_id)
            child = Child(household_id=user.household_id, nickname=nickname,
                          birth_month=birth_month, birth_year=birth_year, colour=colour)
            db.session.add(child)
            db.session.commit()
            return child.id

    return make


@pytest.fixture
def make_moment(app):
    def make(child_id, user_id, **fields):
        fields.setdefault("occurred_at", datetime.now(UTC))
        fields.setdefault("need", "comfort_me")
        with app.app_context():
            moment = Moment(child_id=child_id, caregiver_id=user_id, **fields)
            db.session.add(moment)
            db.session.commit()
            return moment.id

    return make


@pytest.fixture
def make_routine(app):
    def make(child_id, user_id, key="bedtime", **fields):
        fields.setdefault("started_at", datetime.now(UTC))
        with app.app_context():
            kind = kind_by_key(child_id, key)
            routine = Routine(child_id=child_id, kind_id=kind.id, caregiver_id=user_id, **fields)
            db.session.add(routine)
            db.session.commit()
            return routine.id

    return make


def kind_by_key(child_id, key):
    child = db.session.get(Child, child_id)
    return db.session.scalar(
        select(RoutineKind).where(
            RoutineKind.household_id == child.household_id, RoutineKind.key == key
        )
    )


@pytest.fixture
def household_of(app):
    def get(user_id):
        with app.app_context():
            return db.session.get(User, user_id).household_id

    return get


def flashed(response) -> str:
    """Return the page text, for asserting on flashed and error messages."""
    return re.sub(r"\s+", " ", html.unescape(response.get_data(as_text=True)))


__all__ = ["Household", "flashed", "kind_by_key"]


@pytest.fixture
def fetch(app):
    """Return one stored row by id, detached, for asserting on what was saved (None if gone)."""

    def get(model, row_id):
        with app.app_context():
            row = db.session.get(model, row_id)
            if row is not None:
                db.session.expunge(row)
            return row

    return get


@pytest.fixture
def count(app):
    """Return how many rows of a model match the given criteria."""

    def number(model, *criteria):
        with app.app_context():
            return db.session.scalar(select(func.count()).select_from(model).where(*criteria))

    return number


@pytest.fixture
def join_household(app):
    """Move a caregiver into another household directly (the invite flow has its own tests)."""

    def join(user_id, household_id):
        with app.app_context():
            db.session.get(User, user_id).household_id = household_id
            db.session.commit()

    return join


@pytest.fixture
def set_household(app):
    """Change a caregiver's household settings directly, e.g. its timezone."""

    def update(user_id, **fields):
        with app.app_context():
            household = db.session.get(User, user_id).household
            for name, value in fields.items():
                setattr(household, name, value)
            db.session.commit()

    return update


@pytest.fixture
def make_app(tmp_path):
    """Create another app with the `app` settings on its own database; return it."""
    made = []

    def make(database_uri=None, create_tables=True):
        uri = database_uri or f"sqlite:///{tmp_path / f'other-{len(made)}.sqlite3'}"
        other = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "test",
                "SQLALCHEMY_DATABASE_URI": uri,
                "WTF_CSRF_ENABLED": False,
                "ARGON2_PARAMS": FAST_ARGON2,
                "SERVER_NAME": "tend.test",
                "MAIL_BACKEND": "memory",
            }
        )
        made.append(other)
        if create_tables:
            with other.app_context():
                db.create_all()
        return other

    yield make
    for other in made:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


URL_ARGUMENT = re.compile(r"<(?:(?P<converter>\w+)(?:\([^)]*\))?:)?(?P<name>\w+)>")


def url_arguments(rule) -> list[tuple[str, str]]:
    """Return (converter, name) for each argument of a URL rule."""
    return [(m["converter"] or "default", m["name"]) for m in URL_ARGUMENT.finditer(rule.rule)]


def rule_url(app, rule, known: dict) -> str:
    """Build a rule's URL from values by argument name; fail loudly on a name not in `known`."""
    values = {}
    for _converter, name in url_arguments(rule):
        if name not in known:
            pytest.fail(f"{rule.rule}: no test value for <{name}>; add one for it")
        values[name] = known[name](rule) if callable(known[name]) else known[name]
    return app.url_map.bind("tend.test").build(rule.endpoint, values)


@pytest.fixture
def one_of_everything(app, make_moment, make_routine):
    """Give a caregiver's household one row of every kind a URL can name.

    Return the URL values by argument name, for walks over the URL map (isolation, junk).
    A route with a new argument name fails those walks until a value is added here.
    """

    def make(user_id, child_id) -> dict:
        at = datetime(2024, 7, 4, 12, 0, tzinfo=UTC)
        rupture_prompt = next(p.id for p in load_prompts() if "rupture" in p.contexts)
        moment = make_moment(child_id, user_id, occurred_at=at, rupture=True, note="private",
                             prompt_id=rupture_prompt, prompt_answer="private")
        routine = make_routine(child_id, user_id, key="bedtime", started_at=at)
        special = make_routine(child_id, user_id, key="special_time", started_at=at,
                               timer_ends_at=at + timedelta(minutes=5))
        with app.app_context():
            household_id = db.session.get(User, user_id).household_id
            kind = RoutineKind(household_id=household_id, key="", label="Swimming", position=99)
            db.session.add(kind)
            db.session.flush()
            kind.key = f"custom_{kind.id}"
            db.session.add(PlannedTime(child_id=child_id, kind_id=kind.id, minute=17 * 60))
            check_in = CheckIn(household_id=household_id, user_id=user_id, feeling="tired")
            # The caregiver also runs a group and shares every week with it, notes included.
            group = Group(facilitator_id=user_id, name="Tuesday group",
                          start_date=date(2024, 7, 1), invite_code=f"C{kind.id:07d}")
            membership = Membership(group=group, user_id=user_id, household_id=household_id,
                                    share_every_week=True, every_week_notes=True)
            link = ShareLink(household_id=household_id, child_id=child_id,
                             created_by_id=user_id,
                             token_hash=security.token_hash(f"share-token-{kind.id}"),
                             first_day=date(2024, 7, 1), last_first_day=date(2024, 7, 1),
                             expires_at=datetime.now(UTC) + timedelta(days=14))
            device = PushSubscription(
                user_id=user_id, endpoint=f"https://push.example/{kind.id}",
                endpoint_hash=security.token_hash(f"push-{kind.id}"), p256dh="p", auth="a")
            db.session.add_all([check_in, group, membership, link, device])
            db.session.flush()
            comment = MomentComment(membership_id=membership.id, moment_id=moment,
                                    text="A kind word")
            db.session.add(comment)
            db.session.commit()
            ids = {"kind_id": kind.id, "device_id": device.id, "comment_id": comment.id,
                   "checkin_id": check_in.id, "check_in_id": check_in.id,
                   "group_id": group.id, "membership_id": membership.id, "link_id": link.id,
                   "code": group.invite_code,
                   "moment_uuid": db.session.get(Moment, moment).uuid,
                   "routine_uuid": db.session.get(Routine, routine).uuid}
        return {
            **ids,
            "child_id": child_id,
            "moment_id": moment,
            # The special-time pages take only a timed special-time entry.
            "routine_id": lambda rule: special if "special-time" in rule.rule else routine,
            "day": "2024-07-04",
            "week": "2024-W27",
            "token": "not-a-real-token",
            "filename": "css/tend.css",
        }

    return make


def load_hypothesis_profile() -> None:
    """Run the same examples every time unless HYPOTHESIS_PROFILE=explore: CI is reproducible.

    Neither profile keeps an example database in the working tree.
    """
    from hypothesis import settings

    settings.register_profile("ci", derandomize=True, database=None, deadline=None)
    settings.register_profile("explore", database=None, deadline=None)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


load_hypothesis_profile()

PROD_SECRET_KEY = "not-the-dev-key-but-long-enough-for-production-checks"


@pytest.fixture
def prod_like(app):
    """Return a factory for an app with production settings, on `app`'s database.

    CSRF on, the real argon2 parameters, TESTING off (errors render pages, as in production)
    and HTTPS. Set environment variables such as SECURE_COOKIES before calling it.
    """
    made = []

    def make(**overrides):
        other = create_app(
            {
                "SECRET_KEY": PROD_SECRET_KEY,
                "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                "SERVER_NAME": app.config["SERVER_NAME"],
                "PREFERRED_URL_SCHEME": "https",
                "MAIL_BACKEND": "memory",
                **overrides,
            }
        )
        other.jinja_env.bytecode_cache = TEMPLATE_CACHE
        made.append(other)
        return other

    yield make
    for other in made:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()
