"""Emailed links: sign-up, password reset and a new email, none of which says whether an address
has an account (security checklist 21), and the mail backends."""

import logging
import os
import re
import stat
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from conftest import PASSWORD, emailed_link, flashed, login, mail_text, sent_mail, signup
from sqlalchemy import func, select

from parenting import mail, security, tokens
from parenting.extensions import db
from parenting.models import EmailToken, Household, Invite, User

NEW_PASSWORD = "an evening by the river"


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def stored_user(app, email="ana@example.org") -> User | None:
    with app.app_context():
        return db.session.scalar(select(User).where(User.email == email))


def ask_to_sign_up(client, email, name="Ana", password=PASSWORD, role=None):
    data = {"email": email, "display_name": name, "password": password,
            "timezone": "Europe/London"}
    if role:
        data["role"] = role
    return client.post("/signup", data=data)


def from_address(app, address):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def same_page(first, second, first_email, second_email) -> bool:
    """Whether two answers are the same but for the address each visitor typed."""
    return (first.status_code == second.status_code
            and first.headers.get("Location") == second.headers.get("Location")
            and first.get_data(as_text=True).replace(first_email, "EMAIL")
            == second.get_data(as_text=True).replace(second_email, "EMAIL"))


# Sign-up


def test_sign_up_waits_for_the_emailed_link_and_a_tap_on_its_page(app, client):
    response = ask_to_sign_up(client, "Ana@Example.org")

    assert response.status_code == 302
    assert urlsplit(response.location).path == "/signup/check-email"
    page = client.get("/signup/check-email")
    assert "Check your email" in flashed(page)
    assert "ana@example.org" in flashed(page)
    assert stored_user(app) is None
    [message] = sent_mail(app, "ana@example.org")
    assert message["Subject"] == "Finish creating your Tend account"
    assert "Hello Ana" in mail_text(message)
    link = emailed_link(app, "ana@example.org", "/signup/confirm/")

    # Mail scanners open links: opening it shows a button and creates nothing.
    opened = app.test_client().get(link)
    assert opened.status_code == 200
    assert "ana@example.org" in flashed(opened)
    assert stored_user(app) is None

    # The link works in any browser, not only the one that asked.
    phone = app.test_client()
    done = phone.post(link)
    assert done.status_code == 302
    assert urlsplit(done.location).path == "/children/new"
    user = stored_user(app)
    assert user.display_name == "Ana"
    assert user.timezone == "Europe/London"
    assert user.household_id is not None
    assert phone.get("/account").status_code == 200
    assert login(app.test_client()).status_code == 302


def test_a_sign_up_link_works_once_and_for_a_day(app, client):
    ask_to_sign_up(client, "ana@example.org")
    link = emailed_link(app, "ana@example.org", "/signup/confirm/")
    assert client.post(link).status_code == 302

    again = app.test_client().post(link)
    assert again.status_code == 404
    assert "This link can't be used" in flashed(again)
    assert count(app, User) == 1

    ask_to_sign_up(app.test_client(), "bo@example.org", name="Bo")
    late = emailed_link(app, "bo@example.org", "/signup/confirm/")
    with time_machine.travel(datetime.now(UTC) + timedelta(hours=25), tick=False):
        assert app.test_client().post(late).status_code == 404
    assert stored_user(app, "bo@example.org") is None


def test_the_password_hash_is_forgotten_by_the_link_once_used(app, client):
    ask_to_sign_up(client, "ana@example.org")
    with app.app_context():
        row = db.session.scalars(select(EmailToken)).one()
        assert row.payload["password_hash"].startswith("$argon2id$")
        assert PASSWORD not in str(row.payload)
    client.post(emailed_link(app, "ana@example.org", "/signup/confirm/"))
    with app.app_context():
        row = db.session.scalars(select(EmailToken)).one()
        assert row.payload is None
        assert row.used_at is not None


def test_only_the_token_hash_is_stored(app, client):
    ask_to_sign_up(client, "ana@example.org")
    token = emailed_link(app, "ana@example.org", "/signup/confirm/").rsplit("/", 1)[1]
    with app.app_context():
        row = db.session.scalars(select(EmailToken)).one()
    assert len(token) >= 43  # 256 bits
    assert row.token_hash == security.token_hash(token)
    assert token not in str(row.__dict__)


def test_signing_up_with_a_known_email_answers_exactly_as_with_a_new_one(
    app, make_user, monkeypatch
):
    make_user()
    hashed = []
    real_hash = security.hash_password
    monkeypatch.setattr(security, "hash_password", lambda p: hashed.append(p) or real_hash(p))
    known_client, new_client = app.test_client(), app.test_client()

    known = ask_to_sign_up(known_client, "ANA@example.org", name="Someone")
    new = ask_to_sign_up(new_client, "nia@example.org", name="Someone")

    assert same_page(known, new, "", "")
    assert same_page(known_client.get(known.location), new_client.get(new.location),
                     "ana@example.org", "nia@example.org")
    # Both cost one argon2 hash, one row and one email.
    assert len(hashed) == 2
    assert count(app, EmailToken, EmailToken.email == "ana@example.org") == 2  # + sign-up's
    assert count(app, EmailToken, EmailToken.email == "nia@example.org") == 1
    # Only the owner of the mailbox learns which: Ana is told she has an account.
    message = sent_mail(app, "ana@example.org")[-1]
    assert message["Subject"] == "You already have a Tend account"
    assert "/password/reset" in mail_text(message)
    assert "/signup/confirm/" not in mail_text(message)
    assert count(app, User) == 1
    assert stored_user(app).display_name == "Ana"
    # Nobody was logged in by asking.
    assert known_client.get("/account").status_code == 302


def test_two_sign_ups_for_one_new_email_make_one_account(app):
    ask_to_sign_up(app.test_client(), "nia@example.org", name="Nia")
    first = emailed_link(app, "nia@example.org", "/signup/confirm/")
    ask_to_sign_up(app.test_client(), "nia@example.org", name="Nia again")
    second = emailed_link(app, "nia@example.org", "/signup/confirm/")
    assert first != second

    assert app.test_client().post(second).status_code == 302
    late = app.test_client()
    response = late.post(first)

    assert urlsplit(response.location).path == "/login"
    assert "has a Tend account already" in flashed(late.get("/login"))
    assert count(app, User, User.email == "nia@example.org") == 1
    assert stored_user(app, "nia@example.org").display_name == "Nia again"


def test_a_facilitator_signs_up_through_the_link_too(app, client):
    ask_to_sign_up(client, "fay@example.org", name="Fay", role="facilitator")
    response = client.post(emailed_link(app, "fay@example.org", "/signup/confirm/"))

    assert urlsplit(response.location).path == "/groups"
    fay = stored_user(app, "fay@example.org")
    assert fay.is_facilitator
    assert fay.household_id is None


def test_an_invite_carries_through_the_emailed_link_to_another_browser(
    app, make_user, make_child, client, other_client
):
    ana = make_user()
    make_child(ana)
    with app.app_context():
        household = db.session.get(User, ana).household_id
    page = client.post("/household/invites", follow_redirects=True).get_data(as_text=True)
    token = re.search(r"/invites/([A-Za-z0-9_-]{20,})", page)[1]
    other_client.get(f"/invites/{token}")
    ask_to_sign_up(other_client, "bo@example.org", name="Bo")

    # Bo's mail app opens the link in another browser, with no invite in its session.
    mail_browser = app.test_client()
    response = mail_browser.post(emailed_link(app, "bo@example.org", "/signup/confirm/"))

    assert urlsplit(response.location).path == "/"
    assert "You've joined Ana's household" in flashed(mail_browser.get("/"))
    assert stored_user(app, "bo@example.org").household_id == household
    assert count(app, Household) == 1
    assert count(app, Invite, Invite.used_at.is_not(None)) == 1


def test_bad_sign_up_input_keeps_what_was_typed_and_sends_nothing(app, client):
    response = ask_to_sign_up(client, "nia@example.org", name="Nia", password="short one")

    assert response.status_code == 200
    page = flashed(response)
    assert "Use at least 10 characters" in page
    assert 'value="nia@example.org"' in page
    assert 'value="Nia"' in page
    assert sent_mail(app) == []
    assert count(app, EmailToken) == 0


# Limits on sending


def test_an_address_gets_at_most_three_emails_an_hour_and_the_page_reads_the_same(app):
    for n in range(tokens.SENDS_PER_ADDRESS + 2):
        client = from_address(app, f"198.51.100.{n}")
        response = ask_to_sign_up(client, "nia@example.org", name="Nia")
        assert urlsplit(response.location).path == "/signup/check-email"

    assert len(sent_mail(app, "nia@example.org")) == tokens.SENDS_PER_ADDRESS
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=61), tick=False):
        ask_to_sign_up(from_address(app, "198.51.100.50"), "nia@example.org", name="Nia")
    assert len(sent_mail(app, "nia@example.org")) == tokens.SENDS_PER_ADDRESS + 1


def test_one_network_address_can_cause_twenty_emails_an_hour_then_waits(app, make_user):
    make_user()
    hall = "203.0.113.9"
    # A parenting group signing up together on the centre's Wi-Fi fits.
    for n in range(tokens.SENDS_PER_IP):
        response = ask_to_sign_up(from_address(app, hall), f"parent{n}@example.org")
        assert response.status_code == 302

    response = ask_to_sign_up(from_address(app, hall), "one-more@example.org")
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 3600
    assert "Too many tries" in flashed(response)
    assert sent_mail(app, "one-more@example.org") == []
    # The same limit covers password resets from there, whether the email is known or not.
    for email in ("ana@example.org", "nobody@example.org"):
        reset = from_address(app, hall).post("/password/reset", data={"email": email})
        assert reset.status_code == 429
    # Another network is not affected, and Ana can still log in.
    assert ask_to_sign_up(from_address(app, "198.51.100.7"), "x@example.org").status_code == 302
    assert login(app.test_client()).status_code == 302


def test_old_rows_are_forgotten(app, client):
    ask_to_sign_up(client, "nia@example.org")
    with time_machine.travel(datetime.now(UTC) + timedelta(days=2), tick=False):
        ask_to_sign_up(app.test_client(), "bo@example.org")
    assert count(app, EmailToken, EmailToken.email == "nia@example.org") == 0
    assert count(app, EmailToken, EmailToken.email == "bo@example.org") == 1


# Password reset


def test_the_login_page_offers_a_password_reset(client):
    page = flashed(client.get("/login"))
    assert 'href="/password/reset"' in page
    assert "Forgotten your password?" in page


def test_asking_for_a_reset_answers_the_same_for_a_known_and_an_unknown_email(app, make_user):
    make_user()
    known_client, unknown_client = app.test_client(), app.test_client()

    known = known_client.post("/password/reset", data={"email": " Ana@example.org "})
    unknown = unknown_client.post("/password/reset", data={"email": "nobody@example.org"})

    assert same_page(known, unknown, "", "")
    assert same_page(known_client.get(known.location), unknown_client.get(unknown.location),
                     "ana@example.org", "nobody@example.org")
    # Both leave one row (the limits count them alike); only the real account gets an email.
    assert count(app, EmailToken, EmailToken.email == "nobody@example.org") == 1
    assert sent_mail(app, "nobody@example.org") == []
    message = sent_mail(app, "ana@example.org")[-1]
    assert message["Subject"] == "Choose a new Tend password"


def test_a_reset_link_sets_a_new_password_and_logs_out_everywhere_else(app, make_user, client):
    make_user()
    old_phone = app.test_client()
    login(old_phone, remember=True)
    assert old_phone.get("/account").status_code == 200
    app.test_client().post("/password/reset", data={"email": "ana@example.org"})
    link = emailed_link(app, "ana@example.org", "/password/reset/")

    browser = app.test_client()
    form = browser.get(link)
    assert form.status_code == 200
    assert "Choose a new password" in flashed(form)
    weak = browser.post(link, data={"new_password": "1234567890"})
    assert weak.status_code == 200
    assert "on a list of common passwords" in flashed(weak)

    done = browser.post(link, data={"new_password": NEW_PASSWORD})

    assert urlsplit(done.location).path == "/"
    assert "Your new password is saved" in flashed(browser.get("/", follow_redirects=True))
    assert login(app.test_client(), password=NEW_PASSWORD).status_code == 302
    assert login(app.test_client(), password=PASSWORD).status_code == 200
    # The old phone's session and remember cookie died with the old password.
    assert old_phone.get("/account").status_code == 302
    # Ana hears that her password changed.
    assert sent_mail(app, "ana@example.org")[-1]["Subject"] == "Your Tend password has changed"
    # The link is used up.
    assert app.test_client().get(link).status_code == 404


def test_a_reset_link_lasts_an_hour_and_dies_with_any_newer_password(app, make_user, client):
    make_user()
    app.test_client().post("/password/reset", data={"email": "ana@example.org"})
    first = emailed_link(app, "ana@example.org", "/password/reset/")
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=61), tick=False):
        assert app.test_client().get(first).status_code == 404

    app.test_client().post("/password/reset", data={"email": "ana@example.org"})
    second = emailed_link(app, "ana@example.org", "/password/reset/")
    # Changing the password from the account page uses up waiting reset links too.
    client.post("/account/password",
                data={"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert app.test_client().get(second).status_code == 404
    assert app.test_client().post(second, data={"new_password": "a third good password"}
                                  ).status_code == 404
    assert login(app.test_client(), password=NEW_PASSWORD).status_code == 302


def test_a_reset_throttled_login_is_unlocked_by_the_new_password(app, make_user):
    make_user()
    for _ in range(security.THROTTLE_LIMIT):
        login(from_address(app, f"198.51.100.{_}"), password="a wrong guess here")
    assert login(app.test_client()).status_code == 429
    app.test_client().post("/password/reset", data={"email": "ana@example.org"})
    link = emailed_link(app, "ana@example.org", "/password/reset/")

    app.test_client().post(link, data={"new_password": NEW_PASSWORD})

    assert login(app.test_client(), password=NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize("token", ["not-a-real-token", "x" * 500, "%00", "ñ"])
def test_unknown_links_are_a_calm_404(client, token):
    for path in ("/signup/confirm/", "/password/reset/", "/account/email/confirm/"):
        for method in ("GET", "POST"):
            response = client.open(path + token, method=method)
            assert response.status_code in (400, 404), (path, method)
            if response.status_code == 404:
                assert "This link can't be used" in flashed(response)


def test_a_link_of_one_kind_does_not_open_another(app, make_user):
    make_user()
    app.test_client().post("/password/reset", data={"email": "ana@example.org"})
    token = emailed_link(app, "ana@example.org", "/password/reset/").rsplit("/", 1)[1]
    for other in ("/signup/confirm/", "/account/email/confirm/"):
        assert app.test_client().post(other + token).status_code == 404


# A new email


def test_a_new_email_waits_for_its_link_and_the_old_address_is_told(app, make_user, client):
    make_user()
    response = client.post("/account/email",
                           data={"email": "ana@new.example", "password": PASSWORD})
    assert response.status_code == 302
    assert stored_user(app).email == "ana@example.org"
    link = emailed_link(app, "ana@new.example", "/account/email/confirm/")

    assert client.get(link).status_code == 200
    assert stored_user(app).email == "ana@example.org"
    done = client.post(link)

    assert urlsplit(done.location).path == "/account"
    assert "Your email is now ana@new.example" in flashed(client.get("/account"))
    assert stored_user(app, "ana@new.example") is not None
    told = sent_mail(app, "ana@example.org")[-1]
    assert told["Subject"] == "Your Tend email has changed"
    assert "ana@new.example" in mail_text(told)
    assert client.post(link).status_code == 404


def test_a_new_email_needs_the_password_and_says_nothing_of_a_taken_address(
    app, make_user, client, other_client
):
    make_user()
    make_user(email="bo@example.org", name="Bo", using=other_client)

    wrong = client.post("/account/email",
                        data={"email": "new@example.org", "password": "not my password"})
    assert wrong.status_code == 200
    assert "That password isn't right." in flashed(wrong)
    assert sent_mail(app, "new@example.org") == []

    taken = client.post("/account/email", data={"email": "bo@example.org", "password": PASSWORD})
    taken_page = flashed(client.get("/account"))
    free = client.post("/account/email", data={"email": "cy@example.org", "password": PASSWORD})
    free_page = flashed(client.get("/account"))

    assert taken.status_code == free.status_code == 302
    assert (taken_page.replace("bo@example.org", "EMAIL")
            == free_page.replace("cy@example.org", "EMAIL"))
    assert sent_mail(app, "bo@example.org")[-1]["Subject"] == "Your email address and Tend"
    assert emailed_link(app, "bo@example.org", "/account/email/confirm/") is None
    assert stored_user(app).email == "ana@example.org"


def test_a_new_email_taken_before_its_link_is_opened_changes_nothing(app, make_user, client):
    make_user()
    client.post("/account/email", data={"email": "cy@example.org", "password": PASSWORD})
    link = emailed_link(app, "cy@example.org", "/account/email/confirm/")
    signup(app.test_client(), email="cy@example.org", name="Cy")

    response = client.post(link)

    assert response.status_code == 302
    assert stored_user(app).email == "ana@example.org"
    assert stored_user(app, "cy@example.org").display_name == "Cy"


def test_another_household_cannot_use_a_link_to_move_an_account(
    app, make_user, client, other_client
):
    ana = make_user()
    make_user(email="bo@example.org", name="Bo", using=other_client)
    other_client.post("/account/email", data={"email": "bo@new.example", "password": PASSWORD})
    link = emailed_link(app, "bo@new.example", "/account/email/confirm/")

    # Ana (logged in) opening Bo's link moves Bo's account, never her own.
    client.post(link)

    assert stored_user(app).id == ana
    assert stored_user(app, "bo@new.example").display_name == "Bo"


# How email leaves


def test_emails_go_to_the_outbox_folder_without_a_mail_server(app, tmp_path, monkeypatch):
    outbox = tmp_path / "outbox"
    monkeypatch.setitem(app.config, "MAIL_BACKEND", None)
    monkeypatch.setitem(app.config, "MAIL_SERVER", "")
    monkeypatch.setitem(app.config, "MAIL_OUTBOX", str(outbox))

    response = ask_to_sign_up(app.test_client(), "nia@example.org", name="Nia")
    page = flashed(app.test_client().get(response.location))

    [path] = outbox.glob("*.eml")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    text = path.read_text("utf-8")
    assert "To: nia@example.org" in text
    assert re.search(r"http://tend\.test/signup/confirm/[A-Za-z0-9_-]{43}\b", text)
    assert "outbox" in page
    result = app.test_cli_runner().invoke(args=["outbox"])
    assert result.exit_code == 0
    assert "/signup/confirm/" in result.output


def test_links_use_base_url_when_set(app, monkeypatch):
    monkeypatch.setitem(app.config, "BASE_URL", "https://tend.example.org")
    ask_to_sign_up(app.test_client(), "nia@example.org")
    assert "https://tend.example.org/signup/confirm/" in mail_text(sent_mail(app)[-1])


def test_smtp_sends_in_the_background_and_logs_a_failure_without_the_message(
    app, monkeypatch, caplog
):
    caplog.set_level(logging.INFO, logger="tend")
    sent = []

    class FakeSMTP:
        def __init__(self, host, port, timeout):
            sent.append(("connect", host, port))

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def starttls(self, context):
            sent.append(("starttls",))

        def login(self, user, password):
            sent.append(("login", user))

        def send_message(self, message):
            sent.append(("send", message["To"]))
            raise OSError("connection reset")

    monkeypatch.setattr(mail.smtplib, "SMTP", FakeSMTP)
    settings = {"MAIL_SERVER": "smtp.example.org", "MAIL_PORT": 587,
                "MAIL_SECURITY": "starttls", "MAIL_USERNAME": "tend", "MAIL_PASSWORD": "pw"}
    with app.test_request_context():
        mail.send("nia@example.org", "signup_link", name="Nia", link="https://x/secret-link")
        message = sent_mail(app)[-1]
    mail.deliver(settings, message)

    assert sent == [("connect", "smtp.example.org", 587), ("starttls",), ("login", "tend"),
                    ("send", "nia@example.org")]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "email not sent: OSError" in logged
    assert "secret-link" not in logged
    assert "nia@example.org" not in logged


def test_a_name_cannot_add_mail_headers(app):
    ask_to_sign_up(app.test_client(), "nia@example.org", name="Nia\r\nBcc: evil@example.org")
    for message in sent_mail(app):
        assert message["Bcc"] is None


def test_finishing_sign_up_remembers_this_phone_unless_unticked(app):
    cookie = app.config["REMEMBER_COOKIE_NAME"]
    # A browser always sends the CSRF token; an unticked box sends nothing.
    for email, data, remembered in (("nia@example.org", {"csrf_token": "", "remember": "y"}, True),
                                    ("bo@example.org", {"csrf_token": ""}, False)):
        ask_to_sign_up(app.test_client(), email)
        link = emailed_link(app, email, "/signup/confirm/")
        phone = app.test_client()
        assert '<input checked id="remember" name="remember"' in flashed(phone.get(link))
        phone.post(link, data=data)
        assert (phone.get_cookie(cookie, domain="tend.test") is not None) is remembered, email


def test_a_production_start_without_a_mail_server_says_where_emails_go(prod_like, caplog):
    caplog.set_level(logging.WARNING, logger="tend.mail")
    prod_like(MAIL_BACKEND=None, MAIL_SERVER="", MAIL_OUTBOX="/srv/tend/outbox")
    prod_like(MAIL_BACKEND=None, MAIL_SERVER="smtp.example.org")

    warnings = [r.getMessage() for r in caplog.records if r.name == "tend.mail"]
    assert len(warnings) == 1
    assert "MAIL_SERVER is not set" in warnings[0]
    assert "/srv/tend/outbox" in warnings[0]


def test_a_new_email_taken_between_the_check_and_the_write_changes_nothing(
    app, make_user, client, monkeypatch
):
    from parenting import auth

    make_user()
    client.post("/account/email", data={"email": "cy@example.org", "password": PASSWORD})
    link = emailed_link(app, "cy@example.org", "/account/email/confirm/")
    signup(app.test_client(), email="cy@example.org", name="Cy")
    # The check sees the address free; the unique index refuses the write.
    monkeypatch.setattr(auth, "account_id", lambda email: None)

    response = client.post(link)

    assert response.status_code == 302
    assert "can't be used for this one" in flashed(client.get("/login", follow_redirects=True))
    assert stored_user(app).email == "ana@example.org"
    assert client.post(link).status_code == 404
