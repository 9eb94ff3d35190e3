"""Accounts: sign up, log in and out, throttling, safe redirects, and joining by invite."""

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, urlsplit

import pytest
import time_machine
from argon2 import Type, extract_parameters
from conftest import PASSWORD, flashed, login, signup
from sqlalchemy import select

from parenting import create_app, domain, security
from parenting.extensions import db
from parenting.models import Household, Invite, LoginFailure, RoutineKind, User

HOST = "tend.test"


def location_path(response) -> str:
    return urlsplit(response.headers["Location"]).path


def user_by_email(app, email):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        if user is not None:
            db.session.expunge(user)
        return user


def is_logged_in(client) -> bool:
    """A protected page answers 200 only to a signed-in caregiver."""
    return client.get("/account").status_code == 200


# Sign up


def test_signup_creates_a_household_with_default_routine_kinds_and_logs_in(app, client):
    response = signup(client, email="Ana@Example.org", tz="Europe/London")

    assert response.status_code == 302
    assert location_path(response) == "/children/new"
    assert "Welcome to Tend" in flashed(client.get("/children/new"))
    user = user_by_email(app, "ana@example.org")
    assert user.display_name == "Ana"
    with app.app_context():
        household = db.session.get(Household, user.household_id)
        assert household.timezone == "Europe/London"
        kinds = db.session.scalars(
            select(RoutineKind)
            .where(RoutineKind.household_id == household.id)
            .order_by(RoutineKind.position)
        ).all()
    assert [k.key for k in kinds] == [k.id for k in domain.DEFAULT_ROUTINE_KINDS]
    assert [k.label for k in kinds] == [k.label for k in domain.DEFAULT_ROUTINE_KINDS]
    assert is_logged_in(client)


def test_signup_hashes_the_password_with_argon2id(app, client):
    signup(client)

    stored = user_by_email(app, "ana@example.org").password_hash
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_default_config_hashes_with_at_least_owasp_argon2_parameters(tmp_path):
    # No ARGON2_PARAMS override: this is what production uses.
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'default.sqlite3'}",
            "WTF_CSRF_ENABLED": False,
            "SERVER_NAME": HOST,
            "MAIL_BACKEND": "memory",
        }
    )
    assert "ARGON2_PARAMS" not in app.config
    with app.app_context():
        db.create_all()
    try:
        assert signup(app.test_client()).status_code == 302
        stored = user_by_email(app, "ana@example.org").password_hash
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()

    params = extract_parameters(stored)
    assert params.type is Type.ID
    assert params.memory_cost >= 19456
    assert params.time_cost >= 2


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("", "This field is required."),
        ("short one", "Use at least 10 characters"),
        ("1234567890", "on a list of common passwords"),
        ("PassWord1234", "on a list of common passwords"),
        ("nia@example.org", "Choose something other than your email address"),
        ("x" * 257, "at most 256 characters"),
    ],
    ids=["empty", "short", "common", "common-any-case", "same-as-email", "too-long"],
)
def test_weak_passwords_are_refused_with_a_message_and_the_email_kept(
    app, client, password, message
):
    response = signup(client, email="nia@example.org", name="Nia", password=password)

    assert response.status_code == 200
    text = flashed(response)
    assert message in text
    assert 'value="nia@example.org"' in text
    assert 'value="Nia"' in text
    assert user_by_email(app, "nia@example.org") is None


def test_a_256_character_password_is_accepted(app, client):
    response = signup(client, password="w" * 256)

    assert response.status_code == 302
    assert user_by_email(app, "ana@example.org") is not None


def test_signup_refuses_an_unknown_timezone(app, client):
    response = signup(client, tz="Mars/Olympus_Mons")

    assert response.status_code == 200
    assert "Choose a time zone from the list" in flashed(response)
    assert 'value="Mars/Olympus_Mons"' in flashed(response)
    assert user_by_email(app, "ana@example.org") is None


# Log in and out


def test_login_with_a_wrong_password_says_so_and_stays_logged_out(app, client, other_client):
    signup(client)

    response = login(other_client, password="not the right words")

    assert response.status_code == 200
    assert "That email and password don't match" in flashed(response)
    assert 'value="ana@example.org"' in flashed(response)
    assert not is_logged_in(other_client)


def test_login_with_an_unknown_email_gives_the_same_message(client, other_client):
    signup(client)

    response = login(other_client, email="nobody@example.org")

    assert response.status_code == 200
    assert "That email and password don't match" in flashed(response)


def test_login_works_and_goes_home(client, other_client):
    signup(client)

    response = login(other_client, email="ANA@example.org")

    assert response.status_code == 302
    assert location_path(response) == "/"
    assert is_logged_in(other_client)
    assert other_client.get_cookie("remember_token", domain=HOST) is None


def test_remember_me_sets_a_remember_cookie_of_at_most_30_days(client, other_client):
    signup(client)

    response = login(other_client, remember=True)

    assert response.status_code == 302
    cookie = other_client.get_cookie("remember_token", domain=HOST)
    assert cookie is not None
    assert cookie.http_only
    now = datetime.now(UTC)
    assert now + timedelta(days=29) < cookie.expires <= now + timedelta(days=30, minutes=1)
    # With the session cookie gone (browser closed), the remember cookie signs back in.
    other_client.delete_cookie("session", domain=HOST)
    assert is_logged_in(other_client)


def test_logout_is_post_only(client):
    signup(client)

    assert client.get("/logout").status_code == 405
    assert is_logged_in(client)


def test_logout_ends_the_session_and_flashes(client):
    signup(client)

    response = client.post("/logout")

    assert response.status_code == 302
    assert location_path(response) == "/login"
    assert "You're logged out" in flashed(client.get("/login"))
    assert not is_logged_in(client)


def test_a_cookie_saved_before_logout_is_dead_afterwards(app, client, other_client):
    signup(client)
    login(other_client, remember=True)
    saved = {
        name: other_client.get_cookie(name, domain=HOST).value
        for name in ("session", "remember_token")
    }
    version_before = user_by_email(app, "ana@example.org").session_version

    assert other_client.post("/logout").status_code == 302

    assert user_by_email(app, "ana@example.org").session_version == version_before + 1
    for name, value in saved.items():
        other_client.set_cookie(name, value, domain=HOST)
    home = other_client.get("/")
    assert home.status_code == 200
    assert "Create an account" in flashed(home)
    protected = other_client.get("/children")
    assert protected.status_code == 302
    assert location_path(protected) == "/login"
    # Every other device of the same account is logged out too.
    assert not is_logged_in(client)


# Throttling


def client_from(app, address):
    """Return a test client whose requests come from one IP address."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_five_failed_logins_throttle_the_sixth_until_the_window_passes(app, client):
    signup(client, email="ana@example.org")
    signup(app.test_client(), email="bo@example.org", name="Bo")
    attacker = client_from(app, "203.0.113.9")

    for _ in range(security.THROTTLE_LIMIT):
        response = login(attacker, password="guessing again")
        assert response.status_code == 200
        assert "don't match" in flashed(response)

    # Throttled even with the right password: the count, not the guess, decides.
    response = login(attacker, password=PASSWORD)
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 15 * 60
    assert "Too many tries" in flashed(response)
    assert not is_logged_in(attacker)

    # The same address is held back for other accounts too.
    assert login(attacker, email="bo@example.org").status_code == 429

    # Another account from another address is not affected.
    bo = client_from(app, "198.51.100.7")
    assert login(bo, email="bo@example.org").status_code == 302

    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=16), tick=False):
        response = login(attacker, password=PASSWORD)
        assert response.status_code == 302
        assert is_logged_in(attacker)


def test_a_successful_login_clears_earlier_failures(app, client):
    signup(client)
    phone = client_from(app, "203.0.113.9")
    for _ in range(security.THROTTLE_LIMIT - 1):
        login(phone, password="guessing again")

    assert login(phone).status_code == 302

    with app.app_context():
        assert db.session.scalars(
            select(LoginFailure).where(LoginFailure.email == "ana@example.org")
        ).all() == []


# Where login sends you


def test_login_required_pages_send_you_to_login_and_back(client, other_client):
    signup(client)

    response = other_client.get("/children")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")

    response = other_client.post(
        "/login?next=" + quote("/children"), data={"email": "ana@example.org", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/children"


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "///evil.example",
        "https://evil.example/",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "/\r\n/evil.example",
        " //evil.example",
        "javascript:alert(1)",
    ],
)
def test_login_never_redirects_to_another_site(client, other_client, target):
    signup(client)

    response = other_client.post(
        "/login?next=" + quote(target), data={"email": "ana@example.org", "password": PASSWORD}
    )

    assert response.status_code == 302
    location = response.headers["Location"]
    assert "evil" not in location and "javascript" not in location
    assert urlsplit(location).netloc in ("", HOST)


# Invites


def make_invite(client) -> str:
    """Create an invite link as the signed-in caregiver and return its token."""
    response = client.post("/household/invites")
    assert response.status_code == 200
    match = re.search(rf"http://{HOST}/invites/([A-Za-z0-9_-]+)", response.get_data(as_text=True))
    assert match, "the invite page shows the link"
    return match.group(1)


def test_an_invite_link_is_shown_once_and_only_its_hash_is_stored(app, make_user, client):
    make_user()

    token = make_invite(client)

    with app.app_context():
        invite = db.session.scalars(select(Invite)).one()
        assert invite.token_hash == security.token_hash(token)
        stored = [str(getattr(invite, c.key)) for c in Invite.__table__.columns]
        assert not any(token in value for value in stored)
        lifetime = invite.expires_at - invite.created_at
        assert abs(lifetime - timedelta(days=7)) < timedelta(seconds=5)
    assert token not in client.get("/household").get_data(as_text=True)


def test_a_second_person_signs_up_through_the_link_and_shares_the_child(
    app, make_user, make_child, client, other_client, household_of
):
    ana = make_user()
    make_child(ana, nickname="Mo")
    token = make_invite(client)

    opened = other_client.get(f"/invites/{token}")
    assert opened.status_code == 200
    assert "Join Ana's household" in flashed(opened)

    response = signup(other_client, email="bo@example.org", name="Bo")
    assert response.status_code == 302
    assert location_path(response) == "/"

    bo = user_by_email(app, "bo@example.org")
    assert bo.household_id == household_of(ana)
    home = other_client.get("/")
    assert "You've joined Ana's household" in flashed(home)
    assert "What did Mo need?" in flashed(home)
    with app.app_context():
        assert len(db.session.scalars(select(Household)).all()) == 1
        invite = db.session.scalars(select(Invite)).one()
        assert invite.used_by_id == bo.id
        assert invite.used_at is not None


def test_an_invite_works_only_once(app, make_user, client, other_client):
    make_user()
    token = make_invite(client)
    other_client.get(f"/invites/{token}")
    signup(other_client, email="bo@example.org", name="Bo")

    third = app.test_client()
    response = third.get(f"/invites/{token}")

    assert response.status_code == 404
    assert "This invite link can't be used" in flashed(response)


def test_an_invite_expires_after_seven_days(app, make_user, client, other_client, household_of):
    ana = make_user()
    token = make_invite(client)

    with time_machine.travel(datetime.now(UTC) + timedelta(days=6), tick=False):
        assert other_client.get(f"/invites/{token}").status_code == 200
    with time_machine.travel(datetime.now(UTC) + timedelta(days=8), tick=False):
        response = app.test_client().get(f"/invites/{token}")
        assert response.status_code == 404
        assert "This invite link can't be used" in flashed(response)
        # The link opened on day 6 is still in Bo's session; it has expired there too.
        response = signup(other_client, email="bo@example.org", name="Bo")
        assert location_path(response) == "/children/new"
        assert "Welcome to Tend" in flashed(other_client.get("/children/new"))
    bo = user_by_email(app, "bo@example.org")
    assert bo.household_id is not None
    assert bo.household_id != household_of(ana)


def test_an_unknown_invite_token_is_a_404(client):
    response = client.get("/invites/not-a-real-token")

    assert response.status_code == 404
    assert "This invite link can't be used" in flashed(response)


def test_an_existing_user_with_children_cannot_join(
    app, make_user, make_child, client, other_client, household_of
):
    ana = make_user()
    token = make_invite(client)
    carl = make_user(email="carl@example.org", name="Carl", using=other_client)
    make_child(carl, nickname="Pip")
    own_household = household_of(carl)

    opened = other_client.get(f"/invites/{token}")
    assert opened.status_code == 302
    assert location_path(opened) == "/invites/accept"
    response = other_client.post("/invites/accept")

    assert response.status_code == 302
    assert "already keeps a log for a child" in flashed(other_client.get("/"))
    assert household_of(carl) == own_household != household_of(ana)
    with app.app_context():
        assert db.session.scalars(select(Invite)).one().used_at is None


def test_an_existing_user_without_children_joins_by_logging_in(
    app, make_user, client, other_client, household_of
):
    ana = make_user()
    token = make_invite(client)
    dee = make_user(email="dee@example.org", name="Dee", using=other_client)
    old_household = household_of(dee)
    other_client.post("/logout")

    other_client.get(f"/invites/{token}")
    response = login(other_client, email="dee@example.org")
    assert response.status_code == 302
    assert location_path(response) == "/invites/accept"
    assert "Join Ana's household?" in flashed(other_client.get("/invites/accept"))
    response = other_client.post("/invites/accept")

    assert response.status_code == 302
    assert household_of(dee) == household_of(ana)
    with app.app_context():
        # Dee's empty household is not left behind.
        assert db.session.get(Household, old_household) is None
