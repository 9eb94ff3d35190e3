"""Password hashing and policy, login throttling, and the headers every response carries."""

import functools
import hashlib
import logging
import secrets
import time
from datetime import timedelta
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, abort, current_app, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, or_, select

from .extensions import db
from .models import LoginFailure, utcnow

MIN_PASSWORD = 10
MAX_PASSWORD = 256
THROTTLE_LIMIT = 5
THROTTLE_WINDOW = timedelta(minutes=15)
TOO_MANY_TRIES = _l("Too many tries in a short time. Please wait a few minutes and try again.")

audit_log = logging.getLogger("tend.auth")


@functools.cache
def _hasher(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


def hasher() -> PasswordHasher:
    """Return the argon2id hasher; its defaults (t=3, m=64 MiB, p=4) meet OWASP's minimum."""
    params = current_app.config.get("ARGON2_PARAMS") or (3, 65536, 4)
    return _hasher(*params)


def hash_password(password: str) -> str:
    """Hash a password with argon2id."""
    return hasher().hash(password)


def check_password(stored: str, password: str) -> bool:
    """Return whether the password matches the stored hash."""
    try:
        return hasher().verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def _decoy_hash(hasher_: PasswordHasher) -> str:
    return hasher_.hash(secrets.token_urlsafe(16))


def check_login(stored: str | None, password: str) -> bool:
    """Check a password for a login; with no account, take as long and return False."""
    if stored is None:
        # Verifying against a decoy costs the same as a real account: the time taken does
        # not tell whether an email has one.
        check_password(_decoy_hash(hasher()), password)
        return False
    return check_password(stored, password)


def needs_rehash(stored: str) -> bool:
    """Return whether a stored hash uses weaker parameters than the current ones."""
    try:
        return hasher().check_needs_rehash(stored)
    except InvalidHashError:
        return True


@functools.cache
def common_passwords() -> frozenset[str]:
    """Return the shipped list of common passwords, lower-cased."""
    text = resources.files("parenting").joinpath("common-passwords.txt").read_text("utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())


def password_problem(password: str, *, email: str = "") -> str | None:
    """Return why a new password is refused, or None when it is fine."""
    if len(password) < MIN_PASSWORD:
        return _("Use at least %(count)d characters — a short sentence works well.",
                 count=MIN_PASSWORD)
    if len(password) > MAX_PASSWORD:
        return _("Use at most %(count)d characters.", count=MAX_PASSWORD)
    lowered = password.lower()
    if lowered in common_passwords():
        return _("That password is on a list of common passwords. Try a few unrelated words.")
    if email and lowered == email.lower():
        return _("Choose something other than your email address.")
    return None


def token_hash(token: str) -> str:
    """Return the SHA-256 hex digest stored in place of a secret token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    """Return a 256-bit URL-safe random token."""
    return secrets.token_urlsafe(32)


def client_ip() -> str:
    """Return the client address (ProxyFix, when enabled, has already set it)."""
    return (request.remote_addr or "unknown")[:64]


def throttle_wait(email: str | None, ip: str) -> int:
    """Return seconds to wait before another login try, or 0 when one is allowed.

    With no email, only the address's failures count (sign-up has no account to count by).
    """
    now = utcnow()
    since = now - THROTTLE_WINDOW
    whose = LoginFailure.ip == ip if email is None else or_(
        LoginFailure.email == email, LoginFailure.ip == ip
    )
    rows = db.session.execute(
        select(LoginFailure.email, LoginFailure.ip, func.min(LoginFailure.at), func.count())
        .where(LoginFailure.at > since, whose)
        .group_by(LoginFailure.email, LoginFailure.ip)
    ).all()
    by_email = [(at, n) for e, _ip, at, n in rows if email is not None and e == email]
    by_ip = [(at, n) for _e, i, at, n in rows if i == ip]
    wait = 0
    for group in (by_email, by_ip):
        if sum(n for _at, n in group) >= THROTTLE_LIMIT:
            oldest = min(at for at, _n in group)
            wait = max(wait, int((oldest + THROTTLE_WINDOW - now).total_seconds()) + 1)
    return wait


def record_login_failure(email: str, ip: str) -> None:
    """Record a failed login and forget failures older than the window."""
    db.session.execute(delete(LoginFailure).where(LoginFailure.at < utcnow() - THROTTLE_WINDOW))
    db.session.add(LoginFailure(email=email, ip=ip))
    db.session.commit()


def clear_login_failures(email: str) -> None:
    """Forget an account's failures after a successful login."""
    db.session.execute(delete(LoginFailure).where(LoginFailure.email == email))


def recheck_password(user, password: str, *, refused_event: str = "reauth_failed"
                     ) -> tuple[bool, int]:
    """Check a signed-in user's password again, throttled like a login.

    Return (whether it matched, seconds to wait); a throttled try is not checked at all.
    """
    ip = client_ip()
    wait = throttle_wait(user.email, ip)
    if wait:
        log_event("reauth_throttled", user.id)
        return False, wait
    if check_password(user.password_hash, password or ""):
        return True, 0
    record_login_failure(user.email, ip)
    log_event(refused_event, user.id)
    return False, 0


def loggable(value: object) -> str:
    """Return text safe for one log line: line breaks and other control characters escaped."""
    text = str(value)
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


def log_event(event: str, user_id: int | None = None, **details: object) -> None:
    """Log an auth event: who, when (UTC) and from where; never a password, email or token."""
    extra = "".join(f" {key}={loggable(value)}" for key, value in details.items())
    audit_log.info(
        "auth event=%s user_id=%s ip=%s at=%s%s",
        event,
        user_id if user_id is not None else "unknown",
        loggable(client_ip()),
        utcnow().isoformat(timespec="seconds"),
        extra,
    )


CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "manifest-src 'self'",
        "worker-src 'self'",
    ]
)


def set_security_headers(response):
    """Add the security headers every response carries."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if not request.path.startswith("/static/"):
        # Pages hold family data; nothing of them may sit in a shared cache or the back button.
        headers["Cache-Control"] = "no-store"
    return response


# The bodies Werkzeug parses into request.form and request.files; it leaves any other alone.
FORM_BODIES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


def refuse_unusable_input() -> None:
    """Answer 400 to input no page can use, before it reaches a form or the database."""
    # Only a form body is parsed: setting up the parser for a JSON save cost more than the check.
    form_body = request.mimetype in FORM_BODIES
    if request.method in ("POST", "PUT", "PATCH", "DELETE") and (
        # No page takes uploads, and forms read form fields: Flask-WTF would hand files and
        # JSON numbers or lists to fields that expect text.
        (form_body and request.files) or (request.is_json and not request.path.startswith("/api/"))
    ):
        abort(400)
    fields = request.form.items(multi=True) if form_body else ()
    # PostgreSQL text cannot hold NUL, and no one types it.
    for key, value in (*request.args.items(multi=True), *fields):
        if "\x00" in key or "\x00" in value:
            abort(400)


def configure_logging() -> None:
    """Send the app's INFO records (auth events) to stderr with UTC times, unless configured.

    Without this, Python drops INFO records: nothing would record a login under gunicorn.
    """
    logger = logging.getLogger("tend")
    if logger.handlers or logging.getLogger().handlers:
        return
    formatter = logging.Formatter(
        "%(asctime)s %(levelname)s %(name)s: %(message)s", datefmt="%Y-%m-%dT%H:%M:%SZ"
    )
    formatter.converter = time.gmtime
    handler = logging.StreamHandler()
    handler.setFormatter(formatter)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)


def init_app(app: Flask) -> None:
    """Register the input check and the response headers, and make auth events logged."""
    app.before_request(refuse_unusable_input)
    app.after_request(set_security_headers)
    if not app.testing:
        configure_logging()
