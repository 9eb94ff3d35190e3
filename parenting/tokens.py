"""Emailed links: issue a token, find it again, and limit how many emails anyone can cause.

A link's token is 256 random bits; only its SHA-256 is stored. Every email Tend sends leaves an
EmailToken row (a notice with no link gets an unusable one), which is what the limits count.
"""

from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, select

from . import security
from .extensions import db
from .models import EmailToken, utcnow

SIGNUP = "signup"
RESET = "reset"
NEW_EMAIL = "email"
NOTICE = "notice"

LIFETIMES = {SIGNUP: timedelta(hours=24), RESET: timedelta(hours=1), NEW_EMAIL: timedelta(hours=24)}
SEND_WINDOW = timedelta(hours=1)
# A parenting group may sign up together on one Wi-Fi: generous per network address (and
# EMAILS_PER_IP_PER_HOUR raises it), strict per email address (nobody can flood an inbox).
SENDS_PER_IP = 20
SENDS_PER_ADDRESS = 3


def issue(purpose: str, email: str, *, user_id: int | None = None,
          payload: dict | None = None) -> str:
    """Store a new token for an emailed link and return it (it is never stored itself)."""
    now = utcnow()
    token = security.new_token()
    db.session.add(EmailToken(
        purpose=purpose, token_hash=security.token_hash(token), email=email, user_id=user_id,
        payload=payload, ip=security.client_ip(), created_at=now,
        expires_at=now + LIFETIMES.get(purpose, timedelta(0)),
    ))
    return token


def record_notice(email: str, user_id: int | None = None) -> None:
    """Record an email without a link, so it counts against the limits like one with a link."""
    db.session.add(EmailToken(
        purpose=NOTICE, token_hash=security.token_hash(security.new_token()), email=email,
        user_id=user_id, ip=security.client_ip(), expires_at=utcnow(),
    ))


def find(token: str, purpose: str) -> EmailToken | None:
    """Return the unused, unexpired token row for a link, or None."""
    if not token or len(token) > 100:
        return None
    row = db.session.scalar(
        select(EmailToken).where(EmailToken.token_hash == security.token_hash(token))
    )
    if row is None or not row.is_usable(purpose, utcnow()):
        return None
    return row


def ip_wait() -> int:
    """Return seconds until this network address may cause another email, or 0."""
    since = utcnow() - SEND_WINDOW
    ip = security.client_ip()
    count, oldest = db.session.execute(
        select(func.count(), func.min(EmailToken.created_at))
        .where(EmailToken.ip == ip, EmailToken.created_at > since)
    ).one()
    if count < current_app.config.get("EMAILS_PER_IP_PER_HOUR", SENDS_PER_IP):
        return 0
    return int((oldest + SEND_WINDOW - utcnow()).total_seconds()) + 1


def address_allows(email: str) -> bool:
    """Return whether another email may go to this address now."""
    since = utcnow() - SEND_WINDOW
    count = db.session.scalar(
        select(func.count()).select_from(EmailToken)
        .where(EmailToken.email == email, EmailToken.created_at > since)
    )
    return count < SENDS_PER_ADDRESS


def use(row: EmailToken) -> None:
    """Mark a token used; the caller commits."""
    row.used_at = utcnow()


def forget_old() -> None:
    """Delete rows that no longer matter for a link or a limit."""
    cutoff = utcnow() - SEND_WINDOW
    db.session.execute(
        delete(EmailToken).where(EmailToken.expires_at < cutoff, EmailToken.created_at < cutoff)
    )
