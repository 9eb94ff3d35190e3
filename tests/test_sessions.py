"""How long a login lasts, and the cookies that carry it (checklist 13 and 16).

Without "remember me", a login ends after 30 minutes without a request and after 12 hours at most;
with it, 30 days after the password was typed, even for a saved copy of the remember cookie
(ASVS 5.0 3.3.1, 7.3.1, 7.3.2).
"""

import time
import uuid
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from conftest import PASSWORD, flashed, login
from test_security import NEW_PASSWORD, set_cookie_attributes, submit

from parenting import security
from parenting.extensions import db
from parenting.models import Child, ShareLink
from parenting.sessions import load_user

HOST = "tend.test"
TIMED_OUT = "You were logged out after a while away. Please log in again."
PLEASE_LOG_IN = "Please log in to carry on."


@pytest.fixture
def clock():
    """Stop time now; tests move it on with clock.shift(timedelta)."""
    with time_machine.travel(datetime.now(UTC), tick=False) as traveller:
        yield traveller


@pytest.fixture
def child(make_user, make_child):
    """Sign Ana up (on `client`) and give her a child; return the child's id."""
    return make_child(make_user())


def is_logged_in(client) -> bool:
    """A protected page answers 200 only to a signed-in caregiver."""
    return client.get("/account").status_code == 200


def api_answer(client):
    """Ask the API for an entry; a signed-in caregiver gets 404 for an unknown UUID."""
    return client.get(f"/api/v1/moments/{uuid.uuid4()}")


def assert_sent_to_log_in_kindly(client, path):
    """The page sends the visitor to log in, keeping where they were going, and says why."""
    response = client.get(path)
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login"
    assert parse_qs(location.query)["next"] == [path]
    page = flashed(client.get(response.headers["Location"]))
    assert TIMED_OUT in page
    assert PLEASE_LOG_IN not in page
    return response.headers["Location"]


def cookie(client, name):
    found = client.get_cookie(name, domain=HOST)
    return None if found is None else found.value


def browser_with_only(app, name, value):
    browser = app.test_client()
    browser.set_cookie(name, value, domain=HOST)
    return browser


# Without "remember me": idle and absolute limits


def test_a_login_without_remember_me_ends_after_30_minutes_without_a_request(
    app, child, clock
):
    phone = app.test_client()
    assert login(phone).status_code == 302

    clock.shift(timedelta(minutes=29))
    assert is_logged_in(phone)
    clock.shift(timedelta(minutes=29))
    assert is_logged_in(phone)  # 58 minutes since logging in: counted from the last request
    clock.shift(timedelta(minutes=30))

    # The offline queue syncs first: 401 in JSON, never a redirect to a login page.
    answer = api_answer(phone)
    assert answer.status_code == 401
    assert answer.json["error"] == "login_required"
    # The next page still explains what happened, and goes back there after logging in.
    path = f"/today?child={child}"
    login_url = assert_sent_to_log_in_kindly(phone, path)
    assert not is_logged_in(phone)
    again = phone.post(login_url, data={"email": "ana@example.org", "password": PASSWORD})
    assert again.headers["Location"] == path
    assert is_logged_in(phone)


def test_using_a_login_keeps_it_alive_but_not_past_12_hours(app, child, clock):
    phone = app.test_client()
    login(phone)

    for _ in range(28):  # a request every 25 minutes, for 11 h 40 min
        clock.shift(timedelta(minutes=25))
        assert api_answer(phone).status_code == 404
    clock.shift(timedelta(minutes=19))
    assert is_logged_in(phone)
    clock.shift(timedelta(minutes=1))  # 12 hours after the password was typed

    assert api_answer(phone).status_code == 401
    assert_sent_to_log_in_kindly(phone, f"/today?child={child}")


def test_a_saved_session_cookie_dies_with_the_12_hour_limit_however_it_is_used(
    app, child, clock
):
    phone = app.test_client()
    login(phone)
    name = app.config["SESSION_COOKIE_NAME"]
    copy = browser_with_only(app, name, cookie(phone, name))

    for _ in range(47):  # the copy is used every 15 minutes, its stamp renewed each time
        clock.shift(timedelta(minutes=15))
        assert is_logged_in(copy)
    clock.shift(timedelta(minutes=15))

    assert not is_logged_in(copy)


def test_the_last_seen_stamp_rewrites_the_session_cookie_at_most_once_a_minute(
    app, child, clock
):
    phone = app.test_client()
    login(phone)
    name = app.config["SESSION_COOKIE_NAME"]

    def writes_session_cookie() -> bool:
        response = phone.get("/account")
        assert response.status_code == 200
        return name in set_cookie_attributes(response)

    clock.shift(timedelta(seconds=30))
    assert not writes_session_cookie()
    clock.shift(timedelta(seconds=29))
    assert not writes_session_cookie()
    clock.shift(timedelta(seconds=1))
    assert writes_session_cookie()
    assert not writes_session_cookie()


# With "remember me": 30 days from the password, whatever happens in between


def test_a_remembered_login_lasts_30_days_from_the_password_even_for_a_saved_cookie(
    app, child, clock
):
    phone = app.test_client()
    assert login(phone, remember=True).status_code == 302
    remember = app.config["REMEMBER_COOKIE_NAME"]
    saved = cookie(phone, remember)

    for _ in range(29):  # daily use; the browser is closed in between
        clock.shift(timedelta(days=1))
        phone.delete_cookie(app.config["SESSION_COOKIE_NAME"], domain=HOST)
        assert is_logged_in(phone)
        assert api_answer(phone).status_code == 404
    assert is_logged_in(browser_with_only(app, remember, saved))

    clock.shift(timedelta(days=1))

    assert api_answer(phone).status_code == 401
    assert_sent_to_log_in_kindly(phone, "/children")
    assert cookie(phone, remember) is None  # the ended login's cookie is deleted
    # The copy still holds a valid signature; the time in it is what ends it.
    copy = browser_with_only(app, remember, saved)
    assert api_answer(copy).status_code == 401
    assert not is_logged_in(copy)


def test_a_remembered_login_is_not_ended_by_the_idle_or_12_hour_limits(app, child, clock):
    phone = app.test_client()
    login(phone, remember=True)

    clock.shift(timedelta(days=3))  # no request at all for three days, session cookie kept

    assert is_logged_in(phone)


def test_changing_the_password_starts_a_new_30_days_in_this_browser(app, child, clock):
    phone = app.test_client()
    login(phone, remember=True)
    remember = app.config["REMEMBER_COOKIE_NAME"]
    old = cookie(phone, remember)
    clock.shift(timedelta(days=20))

    response = phone.post("/account/password",
                          data={"current_password": PASSWORD, "new_password": NEW_PASSWORD})

    assert response.status_code == 302
    renewed = cookie(phone, remember)
    assert renewed != old
    clock.shift(timedelta(days=29))  # 49 days after the first login, 29 after the renewal
    assert is_logged_in(browser_with_only(app, remember, renewed))
    assert not is_logged_in(browser_with_only(app, remember, old))
    clock.shift(timedelta(days=1))
    assert not is_logged_in(browser_with_only(app, remember, renewed))


def test_the_limits_come_from_the_configuration(app, child, clock):
    app.config.update(SESSION_IDLE_MINUTES=5, REMEMBER_DAYS=2)
    phone, laptop = app.test_client(), app.test_client()
    login(phone)
    response = login(laptop, remember=True)
    expires = set_cookie_attributes(response)[app.config["REMEMBER_COOKIE_NAME"]]["expires"]
    assert parsedate_to_datetime(expires) <= datetime.now(UTC) + timedelta(days=2)

    clock.shift(timedelta(minutes=5))
    assert not is_logged_in(phone)
    clock.shift(timedelta(days=2))
    assert not is_logged_in(laptop)


def test_a_login_stored_without_its_time_is_no_login(app, child, clock):
    now = int(time.time())
    with app.test_request_context():
        assert load_user(f"1:1:{now}:s") is not None
        assert load_user(f"1:1:{now}:r") is not None
        # "id:version", as stored before logins carried their time: no limit to check it by.
        assert load_user("1:1") is None
        assert load_user(f"1:1:{now}:x") is None
        assert load_user(f"1:2:{now}:r") is None  # a stale session version, as before


# 13. Cookie names and attributes in production


@pytest.fixture
def production(prod_like, monkeypatch):
    monkeypatch.setenv("SECURE_COOKIES", "1")
    return prod_like()


def log_in_remembered(app):
    browser = app.test_client()
    response = submit(browser, "/login",
                      {"email": "ana@example.org", "password": PASSWORD, "remember": "y"})
    assert response.status_code == 302
    return browser, response


def test_production_cookies_are_host_only_secure_and_named_host(production, child):
    browser, response = log_in_remembered(production)

    cookies = set_cookie_attributes(response)
    assert set(cookies) == {"__Host-tend_session", "__Host-tend_remember"}
    for attributes in cookies.values():
        assert attributes.get("secure") is True
        assert attributes.get("httponly") is True
        assert attributes.get("samesite") == "Lax"
        assert attributes.get("path") == "/"
        assert "domain" not in attributes
    remember = cookies["__Host-tend_remember"]
    now = datetime.now(UTC)
    assert parsedate_to_datetime(remember["expires"]) <= now + timedelta(days=30, minutes=1)
    assert int(remember.get("max-age", 0)) <= 30 * 86400
    # The remember cookie alone, under its new name, signs back in.
    browser.delete_cookie("__Host-tend_session", domain=HOST)
    assert is_logged_in(browser)


def test_production_password_change_renews_the_host_remember_cookie(production, child):
    browser, _ = log_in_remembered(production)
    old = cookie(browser, "__Host-tend_remember")

    response = submit(browser, "/account/password",
                      {"current_password": PASSWORD, "new_password": NEW_PASSWORD})

    assert response.status_code == 302
    renewed = cookie(browser, "__Host-tend_remember")
    assert renewed not in (None, old)
    assert is_logged_in(browser_with_only(production, "__Host-tend_remember", renewed))


def test_production_share_cookie_is_named_secure(production, app, child):
    token = "a-share-token-long-enough-for-the-test-0123456789"
    with app.app_context():
        household_id = db.session.get(Child, child).household_id
        db.session.add(ShareLink(
            household_id=household_id, child_id=child, created_by_id=None,
            token_hash=security.token_hash(token), first_day=datetime.now(UTC).date(),
            last_first_day=datetime.now(UTC).date(),
            expires_at=datetime.now(UTC) + timedelta(days=14)))
        db.session.commit()
    grandma = production.test_client()

    response = grandma.get(f"/s/{token}")

    assert response.status_code == 303
    attributes = set_cookie_attributes(response)["__Secure-tend_share"]
    assert attributes.get("secure") is True
    assert attributes.get("path") == "/s/"
    assert grandma.get("/s/").status_code == 200


def test_development_keeps_plain_cookie_names(prod_like, child, monkeypatch):
    monkeypatch.delenv("SECURE_COOKIES", raising=False)
    _, response = log_in_remembered(prod_like())

    assert set(set_cookie_attributes(response)) == {"session", "remember_token"}
