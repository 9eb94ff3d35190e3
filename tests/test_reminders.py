"""The Reminders page: choices off by default, times checked, devices added and removed."""

import base64
import re
from pathlib import Path

import pytest
from conftest import flashed, signup
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select
from test_i18n import ENGLISH, visible_text

from parenting import create_app, i18n, push
from parenting.extensions import db
from parenting.models import PushSubscription, ReminderSettings, User
from parenting.reminders import unsubscribe_token


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def browser_keys() -> tuple[ec.EllipticCurvePrivateKey, str, bytes, str]:
    """Make the keys a browser makes for a push subscription: a P-256 pair, a 16-byte secret."""
    key = ec.generate_private_key(ec.SECP256R1())
    point = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    secret = bytes(range(16))
    return key, b64url(point), secret, b64url(secret)


def subscribe(client, endpoint, p256dh=None, auth=None):
    if p256dh is None:
        _key, p256dh, _secret, auth = browser_keys()
    return client.post("/reminders/devices",
                       data={"endpoint": endpoint, "p256dh": p256dh, "auth": auth})


def settings_of(app, user_id):
    with app.app_context():
        row = db.session.scalar(
            select(ReminderSettings).where(ReminderSettings.user_id == user_id))
        if row is not None:
            db.session.expunge(row)
        return row


def test_everything_is_off_until_turned_on(client, make_user, app):
    ana = make_user()
    page = flashed(client.get("/reminders"))
    assert "Turn on reminders on this phone" in page
    assert "only arrive in the installed app" in page
    assert " checked" not in client.get("/reminders").get_data(as_text=True)
    assert settings_of(app, ana) is None


def test_more_page_links_to_reminders(client, make_user):
    make_user()
    assert "/reminders" in client.get("/household").get_data(as_text=True)


def test_saving_choices(client, make_user, app):
    ana = make_user()
    response = client.post("/reminders", data={
        "special_time": "y", "special_time_at": "17:30", "week_ready": "y", "weekly_email": "y",
    })
    assert response.status_code == 302
    assert "Reminders saved." in flashed(client.get("/reminders"))
    row = settings_of(app, ana)
    assert (row.special_time_minute, row.week_ready, row.group_tomorrow, row.weekly_email) == (
        17 * 60 + 30, True, False, True)
    client.post("/reminders", data={"special_time_at": "17:30"})
    row = settings_of(app, ana)
    assert (row.special_time_minute, row.week_ready, row.weekly_email) == (None, False, False)


@pytest.mark.parametrize(("typed", "message"), [
    ("25:00", "Enter a time between 00:00 and 23:59, like 17:30."),
    ("12:60", "Enter a time between 00:00 and 23:59, like 17:30."),
    ("soon", "Enter a time between 00:00 and 23:59, like 17:30."),
    ("21:30", "Reminders stay quiet from 21:00 to 07:00"),
    ("06:59", "Reminders stay quiet from 21:00 to 07:00"),
    ("", "Choose a time for the nudge"),
])
def test_a_time_that_cannot_be_used_is_refused_and_changes_nothing(client, make_user, app,
                                                                   typed, message):
    ana = make_user()
    client.post("/reminders", data={"special_time": "y", "special_time_at": "08:00"})
    response = client.post("/reminders", data={
        "special_time": "y", "special_time_at": typed, "week_ready": "y"})
    assert response.status_code == 200
    assert message in flashed(response)
    assert f'value="{typed}"' in response.get_data(as_text=True)  # kept as typed
    row = settings_of(app, ana)
    assert (row.special_time_minute, row.week_ready) == (8 * 60, False)


def test_a_facilitator_without_a_household_has_no_reminders_page(client, app):
    response = signup(client, email="fay@example.org", name="Fay", role="facilitator")
    assert response.status_code == 302
    assert client.get("/reminders").status_code == 404
    assert client.post("/reminders", data={"week_ready": "y"}).status_code == 404


def test_adding_and_removing_a_device(client, make_user, app, count):
    ana = make_user()
    response = subscribe(client, "https://push.example.net/send/abc")
    assert response.status_code == 302
    assert "Reminders are on for this device." in flashed(client.get("/reminders"))
    # The same browser subscribing again is the same device.
    subscribe(client, "https://push.example.net/send/abc")
    assert count(PushSubscription, PushSubscription.user_id == ana) == 1
    with app.app_context():
        device = db.session.scalar(select(PushSubscription))
        device_id = device.id
    client.post(f"/reminders/devices/{device_id}/remove")
    assert count(PushSubscription) == 0
    assert "won't get reminders any more" in flashed(client.get("/reminders"))


def test_another_caregivers_device_cannot_be_removed(client, other_client, make_user, count):
    make_user()
    subscribe(client, "https://push.example.net/send/ana")
    make_user(email="bo@example.org", name="Bo", using=other_client)
    with other_client.application.app_context():
        device_id = db.session.scalar(select(PushSubscription.id))
    assert other_client.post(f"/reminders/devices/{device_id}/remove").status_code == 404
    assert count(PushSubscription) == 1


@pytest.mark.parametrize("endpoint", [
    "http://push.example.net/send/abc",
    "ftp://push.example.net/send/abc",
    "javascript:alert(1)",
    "https://user:pw@push.example.net/x",
    "https:///no-host",
    "https://10.0.0.5/push",
    "https://[::1]/push",
    "https://169.254.169.254/latest",
    "https://intranet/push",
    "https://printer.local/push",
    "https://push.example.net:99999/x",
    "https://push.example.net/" + "x" * 1000,
    "",
])
def test_a_foreign_push_address_is_refused(client, make_user, count, endpoint):
    make_user()
    response = subscribe(client, endpoint)
    assert response.status_code == 302
    assert "isn't one Tend can use" in flashed(client.get("/reminders"))
    assert count(PushSubscription) == 0


@pytest.mark.parametrize(("p256dh", "auth"), [
    ("not base64 !", "AAAAAAAAAAAAAAAAAAAAAA"),
    (b64url(b"\x04" + b"\x00" * 64), "AAAAAAAAAAAAAAAAAAAAAA"),  # not a point on the curve
    (None, "c2hvcnQ"),  # a secret of 5 bytes
])
def test_unreadable_push_keys_are_refused(client, make_user, count, p256dh, auth):
    make_user()
    if p256dh is None:
        p256dh = browser_keys()[1]
    subscribe(client, "https://push.example.net/send/abc", p256dh, auth)
    assert "push keys aren't readable" in flashed(client.get("/reminders"))
    assert count(PushSubscription) == 0


def test_the_local_push_address_is_for_tests_only():
    assert push.endpoint_allowed("http://127.0.0.1:8123/push/1", testing=True)
    assert not push.endpoint_allowed("http://127.0.0.1:8123/push/1", testing=False)
    assert not push.endpoint_allowed("http://localhost:8123/push/1", testing=True)
    assert push.endpoint_allowed("https://fcm.googleapis.com/fcm/send/x", testing=False)


def test_the_vapid_key_is_made_once_in_the_instance_folder(tmp_path):
    app = create_app({"TESTING": True, "SECRET_KEY": "x",
                      "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    app.instance_path = str(tmp_path)
    first = push.public_key(app)
    key_file = tmp_path / push.KEY_FILE
    assert key_file.stat().st_mode & 0o777 == 0o600
    again = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    again.instance_path = str(tmp_path)
    assert push.public_key(again) == first
    assert len(base64.urlsafe_b64decode(first + "=")) == 65


def test_the_vapid_key_can_come_from_the_environment_as_raw_base64url():
    key = ec.generate_private_key(ec.SECP256R1())
    raw = b64url(key.private_numbers().private_value.to_bytes(32, "big"))
    assert push.parse_private_key(raw).private_numbers() == key.private_numbers()
    with pytest.raises(ValueError, match="32 bytes"):
        push.parse_private_key("c2hvcnQ")


# In Spanish

SPANISH = {"HTTP_ACCEPT_LANGUAGE": "es-ES,es;q=0.9"}


def english_on(page: str) -> list[str]:
    return sorted(set(ENGLISH.findall(visible_text(page))))


def test_the_calendar_address_and_unsubscribe_pages_read_in_spanish(client, make_user, app):
    client.environ_base.update(SPANISH)
    ana = make_user()

    created = client.post("/reminders/calendar").get_data(as_text=True)
    with app.app_context():
        token = unsubscribe_token(db.session.get(User, ana))
    asking = client.get(f"/email/unsubscribe/{token}").get_data(as_text=True)
    done = client.post(f"/email/unsubscribe/{token}").get_data(as_text=True)

    assert "Tu dirección de calendario" in created and english_on(created) == []
    assert "¿Dejar de recibir el correo semanal?" in asking and english_on(asking) == []
    assert "El correo semanal está desactivado" in done and english_on(done) == []


def test_a_time_that_cannot_be_used_is_explained_in_spanish(client, make_user):
    client.environ_base.update(SPANISH)
    make_user()

    late = flashed(client.post("/reminders", data={"special_time": "y",
                                                   "special_time_at": "22:15"}))
    garbled = flashed(client.post("/reminders", data={"special_time": "y",
                                                      "special_time_at": "tea time"}))

    assert "Los recordatorios descansan de 21:00 a 07:00" in late
    assert "Escribe una hora entre 00:00 y 23:59, como 17:30." in garbled


def test_every_string_the_reminders_script_shows_is_in_the_catalogue():
    script = Path(__file__).resolve().parent.parent / "static/js/reminders.js"
    keys = set(re.findall(r"\"(reminders\.\w+)\"", script.read_text("utf-8")))
    assert keys and keys <= set(i18n.JS_STRINGS)


def test_the_unsubscribe_link_speaks_the_language_of_its_email(app, client, other_client,
                                                               make_user):
    ana = make_user()
    with app.app_context():
        user = db.session.get(User, ana)
        user.locale = "es"
        db.session.commit()
        token = unsubscribe_token(user)

    # Opened on a phone whose browser asks for English, by someone not logged in.
    page = other_client.get(f"/email/unsubscribe/{token}",
                            environ_base={"HTTP_ACCEPT_LANGUAGE": "en"}).get_data(as_text=True)

    assert '<html lang="es">' in page and "¿Dejar de recibir el correo semanal?" in page
