"""`flask reminders send-due` against a fake push service that decrypts what it gets, as a phone.

The fake service runs on 127.0.0.1 (allowed only under TESTING). Each subscription's keys are
made here as a browser makes them: a P-256 key pair and a 16-byte auth secret.
"""

import base64
import json
import threading
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
import pytest
import time_machine
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from sqlalchemy import select

from parenting import push
from parenting.extensions import db
from parenting.models import (
    Child,
    Group,
    Household,
    Membership,
    PushSubscription,
    ReminderSent,
    ReminderSettings,
    User,
)

# November: London is on GMT, so these UTC times are the household's local times too.
TUESDAY = date(2026, 11, 17)
MONDAY = date(2026, 11, 16)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class FakePushService:
    """A push service on 127.0.0.1: decrypts each message with the device's keys and keeps it.

    A path starting /gone answers 410, /missing 404, /down 500; any other 201.
    """

    def __init__(self):
        self.devices: dict[str, tuple[ec.EllipticCurvePrivateKey, bytes]] = {}
        self.received: list[dict] = []
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                key, secret = service.devices[self.path]
                payload = http_ece.decrypt(body, private_key=key, auth_secret=secret,
                                           version="aes128gcm")
                service.received.append({
                    "path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                    "message": json.loads(payload),
                })
                status = {"/gone": 410, "/missing": 404, "/down": 500}.get(
                    "/" + self.path.split("/")[1], 201)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def new_device(self, path: str) -> dict:
        """Make a browser's subscription for a path: its keys stay here, to decrypt with."""
        key = ec.generate_private_key(ec.SECP256R1())
        secret = bytes(range(16))
        self.devices[path] = (key, secret)
        point = key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        return {"endpoint": self.origin + path, "p256dh": b64url(point), "auth": b64url(secret)}

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def push_service():
    service = FakePushService()
    yield service
    service.close()


@pytest.fixture
def parent(app, client, make_user, make_child, push_service):
    """Ana in London with a child and one phone subscribed; return (user id, device path)."""
    ana = make_user(tz="Europe/London")
    make_child(ana, nickname="Zephyrine")
    response = client.post("/reminders/devices", data=push_service.new_device("/phone/ana"))
    assert response.status_code == 302
    return ana


def choose(client, **choices):
    data = {key: "y" for key, on in choices.items() if on is True}
    if "special_time_at" in choices:
        data.update(special_time="y", special_time_at=choices["special_time_at"])
    response = client.post("/reminders", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)


def send_due(app, when: datetime):
    with time_machine.travel(when, tick=False):
        result = app.test_cli_runner().invoke(args=["reminders", "send-due"])
    assert result.exit_code == 0, result.output
    return result.output


def messages(service) -> list[dict]:
    return [r["message"] for r in service.received]


def test_the_special_time_nudge_comes_once_at_the_chosen_time(app, client, parent,
                                                               push_service):
    choose(client, special_time_at="17:30")
    send_due(app, at(TUESDAY, 17, 25))
    assert push_service.received == []

    output = send_due(app, at(TUESDAY, 17, 35))
    assert "Sent 1 push notification and 0 weekly emails" in output
    (message,) = messages(push_service)
    assert message["title"] == "Special time"
    assert message["url"] == "/special-time"
    assert "Zephyrine" not in json.dumps(message)
    # Running again, later the same day, sends nothing twice.
    send_due(app, at(TUESDAY, 17, 35))
    send_due(app, at(TUESDAY, 19, 0))
    assert len(push_service.received) == 1
    # The next day it comes again.
    send_due(app, at(date(2026, 11, 18), 17, 31))
    assert len(push_service.received) == 2



def test_the_push_speaks_the_language_its_reader_chose(app, client, parent, push_service):
    client.post("/account/language", data={"language": "es"})
    choose(client, special_time_at="17:30")

    output = send_due(app, at(TUESDAY, 17, 35))

    (message,) = messages(push_service)
    assert message["title"] == "Tiempo especial"
    assert message["body"].startswith("Cinco minutos de juego")
    # The command's own report stays English: it is read by whoever runs the server.
    assert "Sent 1 push notification" in output

def test_the_push_is_encrypted_for_the_device_and_signed_with_the_servers_key(
        app, client, parent, push_service):
    choose(client, special_time_at="17:30")
    send_due(app, at(TUESDAY, 17, 30))
    (received,) = push_service.received
    headers = received["headers"]
    assert headers["content-encoding"] == "aes128gcm"
    assert int(headers["ttl"]) > 0
    scheme, _, params = headers["authorization"].partition(" ")
    assert scheme == "vapid"
    fields = dict(part.strip().split("=", 1) for part in params.split(","))
    assert fields["k"] == push.public_key(app)
    header, claims, signature = fields["t"].split(".")
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(),
                                                          b64url_decode(fields["k"]))
    raw = b64url_decode(signature)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    public.verify(der, f"{header}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
    claims = json.loads(b64url_decode(claims))
    assert claims["aud"] == push_service.origin
    assert claims["sub"].startswith("mailto:")


def test_nothing_is_sent_by_default(app, client, parent, push_service):
    for hour in (8, 12, 17, 20):
        send_due(app, at(MONDAY, hour))
    assert push_service.received == []


def test_quiet_hours_hold_everything_back(app, client, parent, push_service):
    choose(client, special_time_at="20:50", week_ready=True)
    send_due(app, at(MONDAY, 6, 55))
    send_due(app, at(TUESDAY, 21, 0))
    send_due(app, at(TUESDAY, 23, 30))
    assert push_service.received == []


def test_the_households_time_zone_decides(app, client, parent, push_service):
    with app.app_context():
        user = db.session.get(User, parent)
        db.session.get(Household, user.household_id).timezone = "America/New_York"
        db.session.commit()
    choose(client, special_time_at="17:30")
    send_due(app, at(TUESDAY, 17, 35))  # 12:35 in New York
    assert push_service.received == []
    send_due(app, at(TUESDAY, 22, 35))  # 17:35 in New York
    assert [m["title"] for m in messages(push_service)] == ["Special time"]


def test_on_the_weeks_first_morning_your_week_is_ready_takes_the_nudges_place(
        app, client, parent, push_service):
    choose(client, special_time_at="07:30", week_ready=True)
    send_due(app, at(MONDAY, 7, 45))
    assert push_service.received == []  # the day's one reminder is the week's, at 08:00
    send_due(app, at(MONDAY, 8, 5))
    send_due(app, at(MONDAY, 12, 0))
    (message,) = messages(push_service)
    assert message["title"] == "Your week is ready"
    with app.app_context():
        child_id = db.session.scalar(select(User.last_child_id).where(User.id == parent))
    assert message["url"].endswith("/weeks/2026-W46")
    assert child_id is None or f"/children/{child_id}/" in message["url"]


def test_group_tomorrow_the_day_before_a_session(app, client, parent, push_service):
    with app.app_context():
        fay = User(email="fay@example.org", display_name="Fay", password_hash="x",
                   is_facilitator=True)
        db.session.add(fay)
        db.session.flush()
        # Sessions on Wednesdays from 4 November, for three weeks: the 4th, 11th and 18th.
        group = Group(facilitator_id=fay.id, name="Wednesday circle",
                      start_date=date(2026, 11, 4), weeks=3, invite_code="WEDNESD1")
        db.session.add(group)
        db.session.flush()
        household_id = db.session.get(User, parent).household_id
        db.session.add(Membership(group_id=group.id, user_id=parent, household_id=household_id))
        db.session.commit()
    choose(client, group_tomorrow=True)
    send_due(app, at(date(2026, 11, 16), 17, 30))  # Monday: no session on Tuesday
    send_due(app, at(TUESDAY, 16, 55))
    assert push_service.received == []
    send_due(app, at(TUESDAY, 17, 5))
    send_due(app, at(date(2026, 11, 24), 17, 5))  # the group has ended
    (message,) = messages(push_service)
    assert message["title"] == "Group tomorrow"
    assert message["url"] == "/groups"


def test_expired_devices_are_forgotten_and_the_others_kept(app, client, parent, push_service,
                                                           count):
    for path in ("/gone/1", "/missing/2", "/down/3"):
        assert client.post("/reminders/devices",
                           data=push_service.new_device(path)).status_code == 302
    choose(client, special_time_at="17:30")
    output = send_due(app, at(TUESDAY, 17, 30))
    assert "removed 2 expired devices" in output
    assert sorted(r["path"] for r in push_service.received) == [
        "/down/3", "/gone/1", "/missing/2", "/phone/ana"]
    with app.app_context():
        left = db.session.scalars(select(PushSubscription.endpoint)).all()
    assert sorted(e.removeprefix(push_service.origin) for e in left) == ["/down/3",
                                                                          "/phone/ana"]
    assert count(ReminderSent) == 1


def test_a_claimed_day_is_never_sent_again(app, client, parent, push_service):
    """Two runs at once: the second finds the first's claim and sends nothing."""
    choose(client, special_time_at="17:30")
    with app.app_context():
        db.session.add(ReminderSent(user_id=parent, channel="push", local_day=TUESDAY,
                                    kind="special_time"))
        db.session.commit()
    send_due(app, at(TUESDAY, 17, 30))
    assert push_service.received == []


def test_without_a_device_nothing_is_claimed(app, client, make_user, count):
    make_user()
    choose(client, special_time_at="17:30")
    send_due(app, at(TUESDAY, 17, 30))
    assert count(ReminderSent) == 0
    with app.app_context():
        assert db.session.scalar(select(ReminderSettings.special_time_minute)) == 17 * 60 + 30



def test_no_special_time_nudge_once_special_time_happened_today(app, client, parent,
                                                                 push_service, make_routine):
    choose(client, special_time_at="17:30")
    with app.app_context():
        child = db.session.scalar(select(Child.id))
    make_routine(child, parent, key="special_time", started_at=at(TUESDAY, 9, 0))
    send_due(app, at(TUESDAY, 17, 35))
    assert push_service.received == []
    send_due(app, at(date(2026, 11, 18), 17, 35))  # yesterday's doesn't count
    assert [m["title"] for m in messages(push_service)] == ["Special time"]


def test_links_are_built_for_the_trusted_host_without_base_url(app, client, parent,
                                                              push_service):
    choose(client, special_time_at="17:30")
    app.config.update(SERVER_NAME=None, BASE_URL="", TRUSTED_HOSTS=["tend.example.org"])
    send_due(app, at(TUESDAY, 17, 35))
    assert [m["url"] for m in messages(push_service)] == ["/special-time"]
