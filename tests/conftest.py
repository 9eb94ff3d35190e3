"""Fixtures: an app on a fresh database per test, clients, and factories that return ids."""

import html
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from parenting import create_app
from parenting.extensions import db
from parenting.models import Child, Household, Moment, Routine, RoutineKind, User

PASSWORD = "a quiet morning walk"
# Cheap argon2id for speed in tests; a separate test checks the production parameters.
FAST_ARGON2 = (1, 8, 1)


def pytest_configure(config):
    # WTForms 3.3 deprecates (value, label) tuple choices ahead of 3.4; the forms and the chip
    # templates still use them, so ignore exactly this warning until they move to SelectChoice.
    config.addinivalue_line(
        "filterwarnings",
        "ignore:Passing SelectField choices as tuples is deprecated:DeprecationWarning",
    )


@pytest.fixture
def app(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'test.sqlite3'}",
            "WTF_CSRF_ENABLED": False,
            "ARGON2_PARAMS": FAST_ARGON2,
            "SERVER_NAME": "tend.test",
        }
    )
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def other_client(app):
    return app.test_client()


def signup(client, email="ana@example.org", name="Ana", password=PASSWORD, tz="Europe/London"):
    """Sign up through the real form and return the response."""
    return client.post(
        "/signup",
        data={"email": email, "display_name": name, "password": password, "timezone": tz},
    )


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
