"""Hardening: the checks of the security checklist (ASVS 5.0 level 2) that a test can make.

Each section names its checklist item. `prod_like` builds the app as production runs it: CSRF
on, the real argon2 parameters, errors rendered instead of raised, HTTPS.
"""

import logging
import re
import time
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from argon2 import PasswordHasher, Type, extract_parameters
from conftest import FAST_ARGON2, PASSWORD, emailed_link, flashed, login, rule_url, signup
from flask import abort
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select, text
from test_junk import query

from parenting import security
from parenting.extensions import db
from parenting.models import EmailToken, ShareLink, User

HOST = "tend.test"
NEW_PASSWORD = "an evening by the river"
# What only templates/error.html renders: its way back home.
ERROR_PAGE_MARK = '<a class="button" href="/">Go home</a>'


def location_path(response) -> str:
    return urlsplit(response.headers["Location"]).path


def is_logged_in(client) -> bool:
    """A protected page answers 200 only to a signed-in caregiver."""
    return client.get("/account").status_code == 200


def stored_user(app, email="ana@example.org") -> User | None:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        if user is not None:
            db.session.expunge(user)
        return user


def cookies_of(client) -> dict[str, str]:
    """Return the client's cookies for the app by name: what an attacker could copy."""
    return {name: client.get_cookie(name, domain=HOST).value
            for name in ("session", "remember_token")
            if client.get_cookie(name, domain=HOST) is not None}


def browser_with(app, cookies: dict[str, str]):
    """Return a new client holding only the given cookies."""
    browser = app.test_client()
    for name, value in cookies.items():
        browser.set_cookie(name, value, domain=HOST)
    return browser


def remembered_browser(app):
    """Log Ana in with "remember me", then drop the session cookie as closing a browser does.

    What is left is a remember-cookie-only session: logged in, but not fresh.
    """
    browser = app.test_client()
    assert login(browser, remember=True).status_code == 302
    browser.delete_cookie("session", domain=HOST)
    assert list(cookies_of(browser)) == ["remember_token"]
    assert is_logged_in(browser)
    return browser


def csrf_token(response) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      response.get_data(as_text=True))
    assert match, "the page carries a CSRF token"
    return match[1]


def submit(client, url, data, **kwargs):
    """Post a form as a browser does on HTTPS: with the page's CSRF token and a Referer."""
    token = csrf_token(client.get(url))
    return client.post(url, data={**data, "csrf_token": token},
                       headers={"Referer": f"https://{HOST}{url}"}, **kwargs)


def signup_data(email="ana@example.org", password=PASSWORD) -> dict:
    return {"email": email, "display_name": "Ana", "password": password,
            "timezone": "Europe/London"}


def set_cookie_attributes(response) -> dict[str, dict]:
    """Return the Set-Cookie headers as {name: {attribute (lower case): value or True}}."""
    cookies = {}
    for header in response.headers.getlist("Set-Cookie"):
        first, *attributes = (part.strip() for part in header.split(";"))
        parsed = {}
        for attribute in attributes:
            key, has_value, value = attribute.partition("=")
            parsed[key.lower()] = value if has_value else True
        cookies[first.split("=", 1)[0]] = parsed
    return cookies


# 10. CSRF is enforced


def test_production_settings_refuse_a_post_without_a_valid_csrf_token(prod_like, count):
    app = prod_like()
    browser, stranger = app.test_client(), app.test_client()
    referer = {"Referer": f"https://{HOST}/signup"}

    missing = browser.post("/signup", data=signup_data(), headers=referer)
    assert missing.status_code == 400
    assert ERROR_PAGE_MARK in missing.get_data(as_text=True)
    # Another visitor's token is no good either: it is tied to that visitor's session.
    foreign = {**signup_data(), "csrf_token": csrf_token(stranger.get("/signup"))}
    assert browser.post("/signup", data=foreign, headers=referer).status_code == 400
    # Over HTTPS, Flask-WTF also wants a same-site Referer (why Referrer-Policy is same-origin).
    own = {**signup_data(), "csrf_token": csrf_token(browser.get("/signup"))}
    assert browser.post("/signup", data=own).status_code == 400
    assert count(EmailToken) == 0

    response = browser.post("/signup", data=own, headers=referer)
    assert response.status_code == 302
    assert count(EmailToken) == 1
    # The emailed link's button is a form too: it needs the token as well.
    link = emailed_link(app, "ana@example.org", "/signup/confirm/")
    assert browser.post(link, headers=referer).status_code == 400
    assert count(User) == 0
    assert submit(browser, link, {}).status_code == 302
    assert count(User) == 1


def test_one_tap_actions_need_the_csrf_token_too(prod_like, make_user):
    make_user()
    app = prod_like()
    browser = app.test_client()
    assert submit(browser, "/login", {"email": "ana@example.org",
                                      "password": PASSWORD}).status_code == 302
    referer = {"Referer": f"https://{HOST}/account"}

    for url in ("/logout", "/account/logout-everywhere"):
        assert browser.post(url, headers=referer).status_code == 400
    assert is_logged_in(browser)


# 12. Logging out is POST only


@pytest.mark.parametrize("url", ["/logout", "/account/logout-everywhere"])
def test_logging_out_cannot_be_triggered_by_a_link(client, make_user, url):
    make_user()

    response = client.get(url)

    assert response.status_code == 405
    assert response.headers["Allow"] == "OPTIONS, POST"
    assert ERROR_PAGE_MARK in response.get_data(as_text=True)
    assert is_logged_in(client)


# 13. Cookie attributes


def login_response(app, make_user):
    make_user()
    browser = app.test_client()
    return submit(browser, "/login", {"email": "ana@example.org", "password": PASSWORD,
                                      "remember": "y"})


def test_session_and_remember_cookies_are_httponly_lax_and_last_at_most_30_days(
    prod_like, make_user, monkeypatch
):
    monkeypatch.delenv("SECURE_COOKIES", raising=False)
    response = login_response(prod_like(), make_user)

    assert response.status_code == 302
    cookies = set_cookie_attributes(response)
    session, remember = cookies["session"], cookies["remember_token"]
    for cookie in (session, remember):
        assert cookie.get("httponly") is True
        assert cookie.get("samesite") == "Lax"
        assert cookie.get("path") == "/"
        assert "domain" not in cookie  # host-only: no other subdomain gets it
    # The session cookie lives as long as the browser; the remember cookie up to 30 days.
    assert "expires" not in session and "max-age" not in session
    expires = parsedate_to_datetime(remember["expires"])
    now = datetime.now(UTC)
    assert now + timedelta(days=29) < expires <= now + timedelta(days=30, minutes=1)
    assert int(remember.get("max-age", 30 * 86400)) <= 30 * 86400
    # Without SECURE_COOKIES (development over plain HTTP) they are not Secure.
    assert "secure" not in session


def test_secure_cookies_setting_marks_both_cookies_secure(prod_like, make_user, monkeypatch):
    monkeypatch.setenv("SECURE_COOKIES", "1")

    app = prod_like()
    cookies = set_cookie_attributes(login_response(app, make_user))

    assert cookies[app.config["SESSION_COOKIE_NAME"]].get("secure") is True
    assert cookies[app.config["REMEMBER_COOKIE_NAME"]].get("secure") is True


# 14. A new session at login


def test_login_issues_a_new_session_and_a_pre_login_cookie_stays_anonymous(prod_like, make_user):
    make_user()
    app = prod_like()
    browser = app.test_client()
    page = browser.get("/login")  # the CSRF token makes a session before login
    before = browser.get_cookie("session", domain=HOST).value

    response = browser.post("/login", data={"email": "ana@example.org", "password": PASSWORD,
                                            "csrf_token": csrf_token(page)},
                            headers={"Referer": f"https://{HOST}/login"})

    assert response.status_code == 302
    after = browser.get_cookie("session", domain=HOST).value
    assert after != before
    assert is_logged_in(browser)
    # Someone who planted or copied the pre-login cookie is not logged in by it.
    planted = browser_with(app, {"session": before})
    assert not is_logged_in(planted)
    assert location_path(planted.get("/account")) == "/login"


# 15. Server-side invalidation of sessions and remember cookies


def log_out(client):
    return client.post("/logout")


def change_password(client, current=PASSWORD, new=NEW_PASSWORD):
    return client.post("/account/password",
                       data={"current_password": current, "new_password": new})


def log_out_everywhere(client):
    return client.post("/account/logout-everywhere")


@pytest.mark.parametrize("action", [log_out, change_password, log_out_everywhere],
                         ids=["log out", "change password", "log out everywhere"])
def test_copied_cookies_die_when_the_session_version_changes(
    app, client, make_user, action
):
    make_user()
    phone = app.test_client()
    assert login(phone, remember=True).status_code == 302
    copied = cookies_of(phone)
    assert set(copied) == {"session", "remember_token"}
    assert is_logged_in(browser_with(app, copied))  # the copy works before the action

    assert action(phone).status_code == 302

    assert not is_logged_in(browser_with(app, copied))
    assert not is_logged_in(browser_with(app, {"remember_token": copied["remember_token"]}))
    assert not is_logged_in(browser_with(app, {"session": copied["session"]}))
    # The sign-up browser's session had the old version too.
    assert not is_logged_in(client)


def test_changing_the_password_keeps_this_browser_logged_in_with_new_cookies(app, make_user):
    make_user()
    phone = app.test_client()
    login(phone, remember=True)
    old = cookies_of(phone)

    response = change_password(phone)

    assert response.status_code == 302
    assert location_path(response) == "/account"
    assert "Your password is changed" in flashed(phone.get("/account"))
    new = cookies_of(phone)
    assert new["session"] != old["session"]
    assert new["remember_token"] != old["remember_token"]
    # The renewed remember cookie alone still signs this phone back in.
    assert is_logged_in(browser_with(app, {"remember_token": new["remember_token"]}))
    assert login(app.test_client(), password=NEW_PASSWORD).status_code == 302
    assert login(app.test_client(), password=PASSWORD).status_code == 200


def test_logging_out_everywhere_logs_this_browser_out_too(app, client, make_user):
    user_id = make_user()
    version = stored_user(app).session_version

    response = log_out_everywhere(client)

    assert response.status_code == 302
    assert location_path(response) == "/login"
    assert response.headers["Clear-Site-Data"] == '"cache", "storage"'
    assert "logged out on every phone and computer" in flashed(client.get("/login"))
    assert not is_logged_in(client)
    assert stored_user(app).session_version == version + 1
    assert stored_user(app).id == user_id


# 17. Sensitive actions ask for the password when the login is not fresh


@pytest.fixture
def ana_remembered(app, make_user, make_child):
    """Ana with a child, and a browser that is logged in by her remember cookie alone."""
    user = make_user()
    child = make_child(user, nickname="Mo")
    return user, child, remembered_browser(app)


def test_a_remembered_session_cannot_change_the_password_without_it(app, ana_remembered):
    _user, _child, browser = ana_remembered
    before = stored_user(app).password_hash
    page = flashed(browser.get("/account/password"))
    assert 'name="current_password"' in page

    for current, message in (("", "Enter your current password."),
                             ("not my password", "That isn't your current password.")):
        response = change_password(browser, current=current)
        assert response.status_code == 200
        assert message in flashed(response)
    assert stored_user(app).password_hash == before

    assert change_password(browser).status_code == 302
    assert stored_user(app).password_hash != before
    assert is_logged_in(browser)


def test_a_remembered_session_cannot_change_the_email_without_the_password(
    app, ana_remembered
):
    _user, _child, browser = ana_remembered

    for password in ("", "not my password"):
        response = browser.post("/account/email",
                                data={"email": "ana@new.example", "password": password})
        assert response.status_code == 200
        assert stored_user(app, "ana@new.example") is None

    response = browser.post("/account/email",
                            data={"email": " Ana@New.Example ", "password": PASSWORD})
    assert response.status_code == 302
    assert "We've sent a link to ana@new.example" in flashed(browser.get("/account"))
    assert stored_user(app, "ana@new.example") is None
    confirmed = browser.post(emailed_link(app, "ana@new.example", "/account/email/confirm/"))
    assert confirmed.status_code == 302
    assert stored_user(app, "ana@new.example") is not None
    assert login(app.test_client(), email="ana@new.example").status_code == 302
    assert login(app.test_client(), email="ana@example.org").status_code == 200


def share_link_form(browser, child) -> dict:
    page = browser.get(f"/children/{child}/share-links/new").get_data(as_text=True)
    week = re.search(r'<option[^>]*value="(\d{4}-\d{2}-\d{2})"', page)[1]
    return {"first_week": week, "last_week": week, "days": "14"}


def test_a_remembered_session_cannot_create_a_share_link_without_the_password(
    app, ana_remembered, count
):
    _user, child, browser = ana_remembered
    url = f"/children/{child}/share-links/new"
    assert 'name="password"' in browser.get(url).get_data(as_text=True)
    form = share_link_form(browser, child)

    for password in ("", "not my password"):
        response = browser.post(url, data={**form, "password": password})
        assert response.status_code == 200
        assert "Enter your password to create a link." in flashed(response)
    assert count(ShareLink) == 0

    response = browser.post(url, data={**form, "password": PASSWORD})
    assert response.status_code == 200
    assert "/s/" in response.get_data(as_text=True)
    assert count(ShareLink) == 1


def test_guessing_the_password_on_the_share_link_form_is_throttled(app, ana_remembered, count):
    _user, child, browser = ana_remembered
    url = f"/children/{child}/share-links/new"
    form = share_link_form(browser, child)
    for _ in range(security.THROTTLE_LIMIT):
        assert browser.post(url, data={**form, "password": "guessing"}).status_code == 200

    response = browser.post(url, data={**form, "password": PASSWORD})

    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 15 * 60
    assert count(ShareLink) == 0


def test_a_remembered_session_cannot_delete_the_account_without_the_password(
    app, ana_remembered
):
    _user, _child, browser = ana_remembered

    for password in ("", "not my password"):
        response = browser.post("/account/delete",
                                data={"password": password, "understand": "y"})
        assert response.status_code == 200
        assert stored_user(app) is not None

    response = browser.post("/account/delete", data={"password": PASSWORD, "understand": "y"})
    assert response.status_code == 302
    assert stored_user(app) is None


def test_wrong_current_passwords_count_as_failed_logins(app, client, make_user):
    make_user()
    for _ in range(security.THROTTLE_LIMIT):
        assert change_password(client, current="guessing").status_code == 200

    response = change_password(client)

    assert response.status_code == 429
    assert "Too many tries" in flashed(response)
    assert login(app.test_client()).status_code == 429


# 18. Password policy


@given(st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"),
               min_size=security.MIN_PASSWORD, max_size=security.MAX_PASSWORD))
def test_any_10_to_256_characters_are_a_valid_password_unless_common(password):
    # No composition rules: lower case only, digits only, spaces, emoji, anything goes.
    expected = password.lower() in security.common_passwords()
    assert (security.password_problem(password) is not None) == expected


@pytest.mark.parametrize(
    ("password", "accepted"),
    [
        ("x" * 9, False),
        ("plainwords", True),  # 10 characters, lower case only
        ("correct horse battery staple " * 3, True),  # a 87-character passphrase
        ("y" * 256, True),
        ("y" * 257, False),
        ("1234567890", False),  # on the shipped list
        ("QwertyUIOP", False),  # on it in another case
    ],
    ids=["9", "10", "passphrase", "256", "257", "common", "common-any-case"],
)
def test_the_password_policy_at_sign_up(app, client, password, accepted):
    response = signup(client, password=password)

    assert (response.status_code == 302) == accepted
    assert (stored_user(app) is not None) == accepted
    if accepted:
        client.post("/logout")
        assert login(client, password=password).status_code == 302


def test_a_new_password_follows_the_same_policy(app, client, make_user):
    make_user()
    before = stored_user(app).password_hash

    for new, message in (("x" * 9, "Use at least 10 characters"),
                         ("qwertyuiop", "on a list of common passwords"),
                         ("ana@example.org", "something other than your email")):
        response = change_password(client, new=new)
        assert response.status_code == 200
        assert message in flashed(response)
    assert stored_user(app).password_hash == before


def test_changing_to_a_taken_email_is_refused_without_saying_whose_it_is(
    app, client, other_client, make_user
):
    make_user()
    make_user(email="bo@example.org", name="Bo Lindqvist", using=other_client)

    response = client.post("/account/email",
                           data={"email": "BO@example.org", "password": PASSWORD})
    free = client.post("/account/email",
                       data={"email": "cy@example.org", "password": PASSWORD})

    # The same answer as for a free address; only Bo's mailbox hears of it, without a link.
    assert response.status_code == free.status_code == 302
    page = flashed(client.get("/account"))
    assert "We've sent a link to bo@example.org" in page
    assert "Lindqvist" not in page
    assert emailed_link(app, "bo@example.org", "/account/email/confirm/") is None
    assert emailed_link(app, "cy@example.org", "/account/email/confirm/") is not None
    assert stored_user(app).email == "ana@example.org"
    assert stored_user(app, "bo@example.org").display_name == "Bo Lindqvist"


# 19. Password hash strength


def test_the_production_hasher_is_argon2id_at_owasp_strength(prod_like):
    app = prod_like()

    browser = app.test_client()
    assert submit(browser, "/signup", signup_data()).status_code == 302
    link = emailed_link(app, "ana@example.org", "/signup/confirm/")
    assert submit(browser, link, {}).status_code == 302

    params = extract_parameters(stored_user(app).password_hash)
    assert params.type is Type.ID
    assert params.memory_cost >= 19456
    assert params.time_cost >= 2


def test_a_weaker_hash_is_upgraded_at_the_next_login(app, prod_like, make_user):
    make_user()  # hashed with the tests' cheap parameters: it stands in for an old hash
    old = stored_user(app).password_hash
    assert extract_parameters(old).memory_cost == FAST_ARGON2[1]

    response = submit(prod_like().test_client(), "/login",
                      {"email": "ana@example.org", "password": PASSWORD})

    assert response.status_code == 302
    new = stored_user(app).password_hash
    params = extract_parameters(new)
    assert params.type is Type.ID
    assert params.memory_cost >= 19456
    assert params.time_cost >= 2
    assert PasswordHasher().verify(new, PASSWORD)


# 21. No account enumeration


def test_login_answers_the_same_for_an_unknown_email_as_for_a_wrong_password(
    app, make_user, monkeypatch
):
    make_user()
    hashes_checked = []
    verify = PasswordHasher.verify

    def counting_verify(self, stored, password):
        hashes_checked.append(stored)
        return verify(self, stored, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting_verify)

    known = login(app.test_client(), email="ana@example.org", password="not the right words")
    unknown = login(app.test_client(), email="nobody@example.org",
                    password="not the right words")

    assert known.status_code == unknown.status_code == 200
    assert (known.get_data(as_text=True).replace("ana@example.org", "EMAIL")
            == unknown.get_data(as_text=True).replace("nobody@example.org", "EMAIL"))
    # Both took a full hash check, so the time taken does not tell them apart either.
    assert len(hashes_checked) == 2


def client_from(app, address):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


# 23-25. Every page: CSP, no inline code, security headers, no caching of private data


class InlineCode(HTMLParser):
    """Collect what a strict CSP would block: inline scripts, styles and event handlers."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        if tag == "script" and not names.get("src") and names.get("type") != "application/json":
            self.found.append("an inline <script>")
        if tag == "style":
            self.found.append("a <style> element")
        if "style" in names:
            self.found.append(f"a style attribute on <{tag}>")
        self.found += [f"{name}= on <{tag}>" for name in names if name.startswith("on")]
        for name in ("href", "src", "action", "formaction"):
            if (names.get(name) or "").strip().lower().startswith("javascript:"):
                self.found.append(f"a javascript: URL in <{tag} {name}>")


def inline_code(page: str) -> list[str]:
    parser = InlineCode()
    parser.feed(page)
    parser.close()
    return parser.found


def csp_directives(response) -> dict[str, list[str]]:
    policy = response.headers.get("Content-Security-Policy", "")
    return {name: values for name, *values in (d.split() for d in policy.split(";") if d.strip())}


def csp_problems(response) -> list[str]:
    csp = csp_directives(response)
    problems = [
        f"{name} is {csp.get(name)}"
        for name, wanted in (("object-src", ["'none'"]), ("base-uri", ["'none'"]),
                             ("frame-ancestors", ["'none'"]), ("form-action", ["'self'"]))
        if csp.get(name) != wanted
    ]
    for name in ("script-src", "style-src"):
        sources = csp.get(name, csp.get("default-src"))
        if not sources or {"'unsafe-inline'", "'unsafe-eval'", "*", "data:"} & set(sources):
            problems.append(f"{name} is {sources}")
    return problems


def header_problems(response) -> list[str]:
    headers = response.headers
    problems = [
        f"{name}: {headers.get(name)}"
        for name, wanted in (("X-Content-Type-Options", "nosniff"),
                             ("Referrer-Policy", "same-origin"),
                             ("Cross-Origin-Opener-Policy", "same-origin"))
        if headers.get(name) != wanted
    ]
    hsts = headers.get("Strict-Transport-Security", "")
    max_age = re.search(r"max-age=(\d+)", hsts)
    if not max_age or int(max_age[1]) < 31536000 or "includeSubDomains" not in hsts:
        problems.append(f"Strict-Transport-Security: {hsts!r}")
    if response.mimetype.startswith("text/") and "charset" not in response.mimetype_params:
        problems.append(f"Content-Type: {headers.get('Content-Type')}")
    return problems


def is_private(response) -> bool:
    """Pages, JSON and downloads can hold family data; scripts and the manifest cannot."""
    return (response.mimetype in ("text/html", "application/json")
            or "attachment" in response.headers.get("Content-Disposition", ""))


@pytest.fixture
def everything(app, client, make_user, make_child, one_of_everything):
    """Ana logged in on `client`, one row of everything; return the URL values."""
    user = make_user()
    return one_of_everything(user, make_child(user, nickname="Mo"))


def share_link_path(client, child) -> str:
    """Create a share link as a freshly logged-in parent; return its /s/<token> path."""
    response = client.post(f"/children/{child}/share-links/new",
                           data=share_link_form(client, child))
    return re.search(r"https?://[^/\"<]+(/s/[A-Za-z0-9_-]+)", response.get_data(as_text=True))[1]


def crawl(client, ids, extra=()) -> list[tuple[str, object]]:
    """GET every route of the app over HTTPS (and the extra paths); return (path, response)."""
    app = client.application
    paths = [rule_url(app, rule, ids) for rule in app.url_map.iter_rules()
             if "GET" in rule.methods and rule.endpoint != "static"]
    paths += ["/no-such-page", *extra]
    answers = []
    for path in sorted(set(paths)):
        response = client.get(path, query_string=query(ids), base_url=f"https://{HOST}",
                              follow_redirects=path.startswith("/s/"))
        answers.append((path, response))
    # A form answered with errors is a page too.
    answers.append(("/login (errors)", client.post("/login", data={"email": "x"},
                                                   base_url=f"https://{HOST}")))
    return answers


@pytest.fixture(params=["logged in", "logged out"])
def crawled(request, app, client, everything):
    share_path = share_link_path(client, everything["child_id"])
    browser = client if request.param == "logged in" else app.test_client()
    return request.param, crawl(browser, everything, extra=[share_path])


def test_every_page_has_a_strict_csp_and_no_inline_code(crawled):
    state, answers = crawled
    problems = []
    pages = {path: response.get_data(as_text=True) for path, response in answers
             if response.mimetype == "text/html"}
    for path, response in answers:
        problems += [f"{path}: {p}" for p in csp_problems(response)]
    for path, page in pages.items():
        problems += [f"{path}: {p}" for p in inline_code(page)]

    assert len(pages) > 20
    assert not problems, "\n".join(problems)
    if state == "logged in":
        # Charts take their data from a JSON block, which runs nothing: the one script allowed.
        week = next(page for path, page in pages.items() if "/weeks/2024-W27" in path)
        assert '<script type="application/json"' in week


def test_every_answer_carries_the_security_headers(crawled):
    _state, answers = crawled

    problems = [f"{path}: {p}" for path, response in answers for p in header_problems(response)]

    assert not problems, "\n".join(problems)


def test_private_answers_are_never_stored(crawled):
    # Logged in: every page, JSON answer and download. Logged out: the API and share pages.
    state, answers = crawled
    private = [(path, r) for path, r in answers if is_private(r)]
    if state == "logged in":
        assert any(path.startswith("/api/") for path, _ in private)
        assert any(path.endswith("export.zip") for path, _ in private)
    else:
        private = [(path, r) for path, r in private if path.startswith(("/api/", "/s/"))]

    stored = [f"{path}: {r.headers.get('Cache-Control')}" for path, r in private
              if "no-store" not in r.headers.get("Cache-Control", "")]

    assert private
    assert not stored, "\n".join(stored)


def test_api_errors_are_no_store_too(client, everything):
    answers = [
        client.post("/api/v1/moments", json={"note": 5}),
        client.post("/api/v1/routines", data="not json", content_type="application/json"),
        client.get("/api/v1/moments/00000000-0000-4000-8000-000000000000"),
        client.get("/api/v1/no-such-endpoint"),
        client.application.test_client().get("/api/v1/openapi.json"),
    ]
    for response in answers:
        assert response.status_code >= 400 or response.is_json
        assert "no-store" in response.headers["Cache-Control"]


def test_hsts_is_sent_only_over_https(client):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    hsts = client.get("/login", base_url=f"https://{HOST}").headers["Strict-Transport-Security"]
    assert hsts == "max-age=31536000; includeSubDomains"


# 26. Size limit


def test_a_body_over_the_size_limit_gets_the_apps_own_413(app, client, make_user):
    assert 0 < app.config["MAX_CONTENT_LENGTH"] < 2 * 1024 * 1024
    big = "x" * (2 * 1024 * 1024)

    anonymous = app.test_client().post("/login", data={"email": "a@b.example", "password": big})
    make_user()
    logged_in = client.post("/moments/new", data={"need": "comfort_me", "note": big})
    api = client.post("/api/v1/moments", data='{"note": "' + big + '"}',
                      content_type="application/json")

    for response in (anonymous, logged_in):
        assert response.status_code == 413
        assert "That was too much at once" in flashed(response)
        assert ERROR_PAGE_MARK in response.get_data(as_text=True)
    assert api.status_code == 413
    assert api.get_json() == {"error": "too_large"}


# 27. Errors and debug


def test_an_unexpected_error_shows_a_generic_page_without_traceback_or_sql(prod_like):
    app = prod_like()

    @app.get("/test-only/crash")
    def crash():
        raise RuntimeError("internal detail: the password_hash column")

    @app.get("/test-only/bad-sql")
    def bad_sql():
        db.session.execute(text("SELECT password_hash FROM no_such_table"))

    @app.get("/api/v1/test-only/crash")
    def api_crash():
        raise RuntimeError("internal detail")

    assert app.debug is False
    assert app.testing is False
    browser = app.test_client()
    for url in ("/test-only/crash", "/test-only/bad-sql"):
        response = browser.get(url)
        assert response.status_code == 500
        body = response.get_data(as_text=True)
        assert "Something went wrong on our side" in body
        assert ERROR_PAGE_MARK in body
        for leak in ("Traceback", "sqlalchemy", "no_such_table", "SELECT", "password_hash",
                     "RuntimeError", "internal detail", 'File "'):
            assert leak.lower() not in body.lower(), leak
    response = browser.get("/api/v1/test-only/crash")
    assert response.status_code == 500
    assert response.get_json() == {"error": "server_error"}
    # The database session was rolled back: the next request works.
    assert browser.get("/login").status_code == 200


@pytest.mark.parametrize("path", ["/.git/config", "/.env", "/instance/secret_key",
                                  "/instance/tend.sqlite3", "/static/../instance/secret_key",
                                  "/pyproject.toml", "/migrations/env.py", "/app.py"])
def test_files_outside_static_are_not_served(client, path):
    response = client.get(path)

    assert response.status_code == 404
    assert ERROR_PAGE_MARK in response.get_data(as_text=True)


@pytest.mark.parametrize("code", [400, 403, 404, 405, 413, 429, 500])
def test_every_error_code_has_the_apps_own_page(prod_like, code):
    app = prod_like()
    app.add_url_rule("/test-only/fail", "fail_for_test", lambda: abort(code))
    app.add_url_rule("/api/v1/test-only/fail", "api_fail_for_test", lambda: abort(code))
    browser = app.test_client()

    response = browser.get("/test-only/fail")
    api = browser.get("/api/v1/test-only/fail")

    assert response.status_code == api.status_code == code
    body = response.get_data(as_text=True)
    assert ERROR_PAGE_MARK in body
    assert re.search(r"<title>[^<]+ · Tend</title>", body)
    assert "Werkzeug" not in body and "<p>The " not in body
    assert set(api.get_json()) == {"error"}


# 28. Logging hygiene


AUTH_EVENT = re.compile(
    r"auth event=(?P<event>\w+) user_id=(?P<user>\S+) ip=(?P<ip>\S+)"
    r" at=(?P<at>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00)"
)


def auth_events(caplog) -> list[dict]:
    return [AUTH_EVENT.match(record.getMessage()).groupdict()
            for record in caplog.records if record.name == "tend.auth"]


def test_auth_events_record_who_when_and_where_and_never_a_secret(app, make_user, caplog):
    caplog.set_level(logging.INFO, logger="tend")
    user = str(make_user())
    phone = app.test_client()
    forged_email = "ana@example.org\r\nauth event=login user_id=1"

    login(phone, email=forged_email, password="hunter2-secret-pw")
    login(phone, password="hunter2-secret-pw")
    login(phone, remember=True)
    cookies = cookies_of(phone)
    change_password(phone)
    phone.post("/account/email", data={"email": "ana@new.example", "password": NEW_PASSWORD})
    link = emailed_link(app, "ana@new.example", "/account/email/confirm/")
    phone.post(link)
    log_out_everywhere(phone)
    login(phone, email="ana@new.example", password=NEW_PASSWORD)
    phone.post("/logout")
    for _ in range(security.THROTTLE_LIMIT):
        login(phone, password="still-guessing-pw")

    events = [(e["event"], e["user"], e["ip"]) for e in auth_events(caplog)]
    assert events[:10] == [
        ("signup_requested", "unknown", "127.0.0.1"),
        ("signup", user, "127.0.0.1"),
        ("login_failed", "unknown", "127.0.0.1"),
        ("login_failed", user, "127.0.0.1"),
        ("login", user, "127.0.0.1"),
        ("password_changed", user, "127.0.0.1"),
        ("email_change_requested", user, "127.0.0.1"),
        ("email_changed", user, "127.0.0.1"),
        ("logout_everywhere", user, "127.0.0.1"),
        ("login", user, "127.0.0.1"),
    ]
    assert ("logout", user, "127.0.0.1") in events
    assert events[-1] == ("login_throttled", "unknown", "127.0.0.1")
    for e in auth_events(caplog):
        at = datetime.fromisoformat(e["at"])
        assert abs(at - datetime.now(UTC)) < timedelta(minutes=5)

    logged = "\n".join(r.getMessage() for r in caplog.records)
    for secret in ("hunter2-secret-pw", "still-guessing-pw", PASSWORD, NEW_PASSWORD,
                   "ana@example.org", "ana@new.example", link.rsplit("/", 1)[1],
                   *cookies.values()):
        assert secret not in logged
    assert not [r for r in caplog.records if "\r" in r.getMessage() or "\n" in r.getMessage()]


def test_line_breaks_in_a_logged_value_are_escaped(app, make_user, caplog):
    caplog.set_level(logging.INFO, logger="tend")
    make_user()
    forged = client_from(app, "203.0.113.9\r\nauth event=login user_id=1")

    login(forged, password="not the right words")

    messages = [r.getMessage() for r in caplog.records if r.name == "tend.auth"]
    failed = [m for m in messages if "event=login_failed" in m]
    assert len(failed) == 1
    assert "ip=203.0.113.9\\r\\nauth event=login user_id=1" in failed[0]
    assert not [m for m in messages if "\r" in m or "\n" in m]


def test_loggable_escapes_every_control_character():
    assert security.loggable("203.0.113.9") == "203.0.113.9"
    assert security.loggable("a\r\nb\tc\x1b[31m\u2028d\x85") == "a\\r\\nb\\tc\\x1b[31m\\u2028d\\x85"
    assert security.loggable("Zoë 🧸") == "Zoë 🧸"


def test_with_no_logging_set_up_auth_events_go_to_stderr_with_utc_times(monkeypatch):
    root, tend = logging.getLogger(), logging.getLogger("tend")
    monkeypatch.setattr(root, "handlers", [])
    monkeypatch.setattr(tend, "handlers", [])
    monkeypatch.setattr(tend, "level", logging.NOTSET)

    security.configure_logging()

    assert tend.level == logging.INFO
    (handler,) = tend.handlers
    assert handler.formatter.converter is time.gmtime
    record = logging.LogRecord("tend.auth", logging.INFO, __file__, 1, "auth event=x", (), None)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ INFO tend.auth: auth event=x",
                        handler.format(record))


def test_the_inline_code_check_finds_what_a_strict_csp_blocks():
    page = """<p style="color:red">x</p><script>alert(1)</script><style>p{}</style>
              <a href=" JavaScript:go()">a</a><img src="x" onerror="go()">
              <script src="/static/js/tend.js"></script>
              <script type="application/json">{"a": 1}</script>"""

    assert inline_code(page) == [
        "a style attribute on <p>",
        "an inline <script>",
        "a <style> element",
        "a javascript: URL in <a href>",
        "onerror= on <img>",
    ]
