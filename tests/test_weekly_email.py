"""The weekly email: opt-in, last week's headline and what went well, one-click unsubscribe."""

import re
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

import time_machine
from conftest import mail_text, sent_mail
from sqlalchemy import select

from parenting.extensions import db
from parenting.models import ReminderSent, ReminderSettings
from parenting.reminders import unsubscriber

MONDAY = date(2026, 11, 16)  # London is on GMT: UTC times are local times
LAST_WEEK = datetime(2026, 11, 11, 10, 0, tzinfo=UTC)


def send_due(app, when: datetime) -> str:
    with time_machine.travel(when, tick=False):
        result = app.test_cli_runner().invoke(args=["reminders", "send-due"])
    assert result.exit_code == 0, result.output
    return result.output


def weekly(app) -> list:
    """Return the weekly emails sent (the sign-up link is in the outbox too)."""
    return [m for m in sent_mail(app) if m["Subject"] == "Your week with Tend"]


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def setup_week(client, make_user, make_child, make_moment, make_routine, email=True):
    ana = make_user(tz="Europe/London")
    mo = make_child(ana, nickname="Zephyrine")
    make_moment(mo, ana, occurred_at=LAST_WEEK, need="comfort_me", responses=["held_comforted"],
                rupture=True, repaired_at=LAST_WEEK + timedelta(minutes=10),
                note="marmalade thunder")
    make_routine(mo, ana, key="special_time", started_at=LAST_WEEK,
                 ended_at=LAST_WEEK + timedelta(minutes=6))
    if email:
        assert client.post("/reminders", data={"weekly_email": "y"}).status_code == 302
    return ana


def test_the_weekly_email_tells_the_headline_and_what_went_well_once(
        app, client, make_user, make_child, make_moment, make_routine, count):
    ana = setup_week(client, make_user, make_child, make_moment, make_routine)
    send_due(app, at(MONDAY, 7, 55))
    assert weekly(app) == []
    assert "and 1 weekly email;" in send_due(app, at(MONDAY, 8, 5))
    send_due(app, at(MONDAY, 8, 20))
    send_due(app, at(MONDAY, 18, 0))
    (message,) = weekly(app)
    assert message["To"] == "ana@example.org"
    text = mail_text(message)
    assert message["Subject"] == "Your week with Tend"
    assert "week that began on 9 November" in text
    assert re.search(r"http://tend\.test/children/\d+/weeks/2026-W46\n", text)
    assert "You reconnected after 1 of 1 rupture." in text
    assert ("You offered comfort or support in 1 of 1 safe-haven moment where you noted a "
            "response.") in text
    assert "You had special time on 1 day." in text
    for private in ("Zephyrine", "marmalade thunder", "Comfort me"):
        assert private not in text
    assert count(ReminderSent, ReminderSent.user_id == ana, ReminderSent.channel == "email") == 1


def test_no_email_unless_asked_for(app, client, make_user, make_child, make_moment,
                                   make_routine):
    setup_week(client, make_user, make_child, make_moment, make_routine, email=False)
    client.post("/reminders", data={"week_ready": "y"})
    send_due(app, at(MONDAY, 9, 0))
    assert weekly(app) == []


def unsubscribe_url(message) -> str:
    header = message["List-Unsubscribe"]
    assert header.startswith("<http://tend.test/email/unsubscribe/") and header.endswith(">")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = header[1:-1]
    assert url in mail_text(message)
    return urlsplit(url).path


def test_one_click_unsubscribe(app, client, make_user, make_child, make_moment, make_routine):
    ana = setup_week(client, make_user, make_child, make_moment, make_routine)
    send_due(app, at(MONDAY, 8, 5))
    path = unsubscribe_url(weekly(app)[0])
    # A mail provider's one-click POST has no session and no CSRF token (RFC 8058).
    app.config["WTF_CSRF_ENABLED"] = True
    stranger = app.test_client()
    # A link checker opening the link changes nothing; the page asks first.
    page = stranger.get(path)
    assert page.status_code == 200
    assert "Stop the weekly email" in page.get_data(as_text=True)
    assert weekly_email_on(app, ana)
    response = stranger.post(path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert "The weekly email is off" in response.get_data(as_text=True)
    assert not weekly_email_on(app, ana)
    send_due(app, at(MONDAY + timedelta(days=7), 8, 5))
    assert len(weekly(app)) == 1


def weekly_email_on(app, user_id) -> bool:
    with app.app_context():
        return db.session.scalar(
            select(ReminderSettings.weekly_email).where(ReminderSettings.user_id == user_id))


def test_a_forged_or_altered_unsubscribe_link_is_a_404(app, client, make_user, make_child,
                                                      make_moment, make_routine):
    ana = setup_week(client, make_user, make_child, make_moment, make_routine)
    send_due(app, at(MONDAY, 8, 5))
    path = unsubscribe_url(weekly(app)[0])
    token = path.rsplit("/", 1)[1]
    # Change the signature's first character: its last may carry unused bits.
    payload, _, signature = token.rpartition(".")
    altered = f"{payload}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"
    with app.app_context():
        bare_id = unsubscriber().dumps(ana)  # a signed id alone, as an older format might be
        another_account = unsubscriber().dumps([ana, 12345])  # the id, but not this account
    for bad in (altered, "x" * 30, token.split(".")[0], bare_id, another_account):
        assert client.post(f"/email/unsubscribe/{bad}").status_code == 404
        assert client.get(f"/email/unsubscribe/{bad}").status_code == 404
    assert weekly_email_on(app, ana)


def test_without_a_public_address_weekly_emails_wait(app, client, make_user, make_child,
                                                     make_moment, make_routine):
    setup_week(client, make_user, make_child, make_moment, make_routine)
    app.config["SERVER_NAME"] = None
    output = send_due(app, at(MONDAY, 8, 5))
    assert "weekly emails wait for BASE_URL" in output
    assert weekly(app) == []


def test_the_weekly_email_speaks_the_language_its_reader_chose(
        app, client, make_user, make_child, make_moment, make_routine):
    setup_week(client, make_user, make_child, make_moment, make_routine)
    assert client.post("/account/language", data={"language": "es"}).status_code == 302

    send_due(app, at(MONDAY, 8, 5))

    (message,) = [m for m in sent_mail(app) if m["Subject"] == "Tu semana con Tend"]
    text = mail_text(message)
    assert text.startswith("Hola, Ana:")
    assert "tu semana, que empezó el 9 de noviembre." in text
    assert "Volviste a conectar después de 1 de 1 momento que se complicó." in text
    assert "Tuviste tiempo especial en 1 día." in text
    assert "Dejar de recibir estos correos: http://tend.test/" in text
    assert weekly(app) == []
