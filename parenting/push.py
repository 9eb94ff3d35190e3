"""Web Push without a vendor account: the server's VAPID key, checking subscriptions, sending.

The key is VAPID_PRIVATE_KEY (PEM, or the raw 32 bytes in base64url) when set; otherwise it
is made on first use and kept in instance/vapid_private_key.pem, like the secret key.
"""

import base64
import binascii
import ipaddress
import json
import logging
import os
from dataclasses import dataclass
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import Flask, current_app
from flask_babel import gettext as _
from py_vapid import Vapid
from pywebpush import WebPushException, webpush

log = logging.getLogger("tend.push")

KEY_FILE = "vapid_private_key.pem"
MAX_ENDPOINT = 1000
# How long a push service keeps trying a phone that is off; a reminder later than that is stale.
TTL_SECONDS = 4 * 60 * 60
# The tests' fake push service; allowed only when the app runs with TESTING.
LOCAL_TEST_HOSTS = {"127.0.0.1"}
# Push services have public DNS names: an address or a local name would have the server post to
# machines on its own network.
LOCAL_SUFFIXES = (".local", ".localhost", ".internal", ".lan", ".home.arpa", ".localdomain")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def private_key(app: Flask) -> ec.EllipticCurvePrivateKey:
    """Return the app's VAPID private key, making and keeping one on first use."""
    cached = app.extensions.get("vapid_key")
    if cached is not None:
        return cached
    configured = (app.config.get("VAPID_PRIVATE_KEY") or "").strip()
    key = parse_private_key(configured) if configured else instance_key(app.instance_path)
    app.extensions["vapid_key"] = key
    return key


def parse_private_key(text: str) -> ec.EllipticCurvePrivateKey:
    """Read a P-256 private key given as PEM or as its raw 32 bytes in base64url."""
    if "-----BEGIN" in text:
        key = serialization.load_pem_private_key(text.encode("ascii"), password=None)
    else:
        try:
            raw = b64url_decode(text)
        except (binascii.Error, ValueError) as error:
            raise ValueError("VAPID_PRIVATE_KEY is neither PEM nor base64url") from error
        if len(raw) != 32:
            raise ValueError("VAPID_PRIVATE_KEY in base64url must hold 32 bytes")
        key = ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise ValueError("VAPID_PRIVATE_KEY must be a P-256 (prime256v1) key")
    return key


def instance_key(instance_path: str) -> ec.EllipticCurvePrivateKey:
    """Return the key kept in the instance folder, writing a new one if there is none."""
    path = os.path.join(instance_path, KEY_FILE)
    if not os.path.exists(path):
        pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        temporary = f"{path}.{os.getpid()}.tmp"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(pem)
        try:
            # Two workers starting together: the first link wins, both then read the same key.
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(temporary)
    with open(path, "rb") as handle:
        return parse_private_key(handle.read().decode("ascii"))


def public_key(app: Flask) -> str:
    """Return the application server key a browser subscribes with (base64url, uncompressed)."""
    point = private_key(app).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64url(point)


@dataclass(frozen=True)
class Subscription:
    endpoint: str
    p256dh: str
    auth: str


def endpoint_allowed(endpoint: str, testing: bool) -> bool:
    """Return whether Tend may post to a push endpoint: HTTPS to a public name, or the local
    fake push service in tests."""
    try:
        parts = urlsplit(endpoint)
        parts.port  # noqa: B018 — a malformed port raises here
    except ValueError:
        return False
    if not parts.hostname or parts.username or parts.password:
        return False
    host = parts.hostname.rstrip(".").lower()
    if testing and parts.scheme == "http" and host in LOCAL_TEST_HOSTS:
        return True
    return parts.scheme == "https" and public_name(host)


def public_name(host: str) -> bool:
    """Return whether a host is a DNS name that could be public (not an address, not local)."""
    try:
        ipaddress.ip_address(host)
        return False
    except ValueError:
        pass
    return "." in host and not host.endswith(LOCAL_SUFFIXES)


def subscription_problem(endpoint: str, p256dh: str, auth: str, testing: bool) -> str | None:
    """Return why a browser's subscription can't be used, or None when it can."""
    if not endpoint or len(endpoint) > MAX_ENDPOINT or not endpoint_allowed(endpoint, testing):
        return _("This browser's push address isn't one Tend can use (it must be https).")
    try:
        point = b64url_decode(p256dh)
        secret = b64url_decode(auth)
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except (binascii.Error, ValueError):
        return _("This browser's push keys aren't readable. Try turning reminders on again.")
    if len(point) != 65 or len(secret) != 16:
        return _("This browser's push keys aren't readable. Try turning reminders on again.")
    return None


def subject(app: Flask) -> str:
    """Return the contact the push services may use (VAPID_SUBJECT, MAIL_FROM or BASE_URL)."""
    configured = app.config.get("VAPID_SUBJECT")
    if configured:
        return configured
    sender = app.config.get("MAIL_FROM") or ""
    address = sender[sender.find("<") + 1:sender.rfind(">")] if "<" in sender else sender
    if "@" in address:
        return "mailto:" + address.strip()
    base = app.config.get("BASE_URL") or ""
    return base if base.startswith("https://") else "mailto:tend@localhost"


GONE = "gone"
SENT = "sent"
FAILED = "failed"


def send(subscription: Subscription, message: dict) -> str:
    """Send one encrypted message to one device; return SENT, GONE (404/410) or FAILED."""
    app = current_app._get_current_object()
    info = {"endpoint": subscription.endpoint,
            "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth}}
    try:
        webpush(
            info,
            data=json.dumps(message, separators=(",", ":")),
            vapid_private_key=Vapid(private_key(app)),
            vapid_claims={"sub": subject(app)},
            ttl=TTL_SECONDS,
            timeout=10,
            headers={"Urgency": "normal"},
        )
    except WebPushException as error:
        status = error.response.status_code if error.response is not None else None
        if status in (404, 410):
            return GONE
        log.warning("push not delivered: status=%s", status)
        return FAILED
    except OSError as error:
        log.warning("push not delivered: %s", type(error).__name__)
        return FAILED
    return SENT
