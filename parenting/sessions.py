"""Sessions: which user a session or remember cookie belongs to, and when it stops counting.

A login is stored as "id:session_version:logged_in_at:r|s" (r: "remember me" was ticked). The
remember cookie carries the same text, signed, and the user loader checks the time in it: a copy of
the cookie dies with the login, however long someone keeps it.
"""

import time

from flask import Flask, current_app, flash, g, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, logout_user, user_logged_in
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from .extensions import db, login_manager
from .models import User

TIMED_OUT_MESSAGE = _l("You were logged out after a while away. Please log in again.")
LAST_SEEN = "_last_seen"
# Refresh the last-seen stamp at most this often: each refresh rewrites the session cookie.
SEEN_EVERY = 60
# Pages that need no login: a login that timed out is explained on the next page that does.
NO_LOGIN_NEEDED = {"static", "links.open_link", "links.shared_week", "summary.help_page"}


def parse_login(stored: str) -> tuple[int, int, int, bool] | None:
    """Return (user id, session version, login time, remembered) from a stored login, or None."""
    try:
        raw_id, raw_version, raw_since, kind = stored.split(":")
        return int(raw_id), int(raw_version), int(raw_since), {"r": True, "s": False}[kind]
    except (AttributeError, KeyError, ValueError):
        # Also a plain "id:version" from before logins carried their time: no limit can be
        # checked on it, so it counts as no login.
        return None


def login_ended(since: int, remembered: bool, now: int) -> bool:
    """Return whether a login from `since` has passed its idle or absolute limit."""
    config = current_app.config
    if remembered:
        return now - since >= config["REMEMBER_DAYS"] * 86400
    seen = session.get(LAST_SEEN, since)
    return (
        now - since >= config["SESSION_ABSOLUTE_HOURS"] * 3600
        or now - seen >= config["SESSION_IDLE_MINUTES"] * 60
    )


# Built once: building a select and its cache key per request cost more than SQLite took to
# answer it. The API's saves and reads never show the household: joining it cost a save 4% of
# its CPU.
USER_ALONE = select(User).where(User.id == bindparam("user_id"))
# Nearly every signed-in page reads the household (the page's zone, its children), so it comes
# in the same query.
USER_WITH_HOUSEHOLD = USER_ALONE.options(joinedload(User.household))


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Load a user from a stored login; a stale version or an ended login is no session at all."""
    login = parse_login(user_id)
    if login is None:
        return None
    uid, version, since, remembered = login
    query = USER_ALONE if request.blueprint == "api" else USER_WITH_HOUSEHOLD
    user = db.session.scalars(query, {"user_id": uid}).first()
    if user is None or user.session_version != version:
        return None
    now = int(time.time())
    if login_ended(since, remembered, now):
        g.login_timed_out = True
        return None
    if not remembered and now - session.get(LAST_SEEN, since) >= SEEN_EVERY:
        session[LAST_SEEN] = now
    return user


@user_logged_in.connect
def stamp_login(app: Flask, user: User, **extra) -> None:
    """Add the login time to the stored login, before Flask-Login copies it into the cookie."""
    # login_user() has just stored user.get_id() and, with "remember me", asked for the cookie.
    remembered = session.get("_remember") == "set"
    now = int(time.time())
    session["_user_id"] = f"{user.get_id()}:{now}:{'r' if remembered else 's'}"
    if remembered:
        session.pop(LAST_SEEN, None)
        # The cookie expires when the login does, whatever duration the view passed.
        session["_remember_seconds"] = app.config["REMEMBER_DAYS"] * 86400
    else:
        session[LAST_SEEN] = now
        # A remember cookie left from an earlier login would outlive this one on a shared computer.
        if app.config["REMEMBER_COOKIE_NAME"] in request.cookies:
            session["_remember"] = "clear"


def end_timed_out_login():
    """Send someone whose login timed out to the login page, kindly; API callers get a 401."""
    endpoint = request.endpoint
    if (
        endpoint is None
        or endpoint in NO_LOGIN_NEEDED
        or request.blueprint == "pages"
        # Sign-up, invites, password reset and logging out keep their own flow; the account
        # pages' login_required sends people to log in.
        or (request.blueprint == "auth" and endpoint != "auth.login")
        # login_required answers API calls with 401 JSON, never a redirect; the next page
        # still finds the timed-out login and explains it.
        or request.path.startswith("/api/")
    ):
        return None
    if current_user.is_authenticated or not g.get("login_timed_out"):
        return None
    logout_user()
    session.pop(LAST_SEEN, None)
    flash(str(TIMED_OUT_MESSAGE), "info")
    if endpoint == "auth.login":
        return None
    # Only a page can be gone back to after logging in; a form's POST can't be repeated.
    next_url = request.full_path.rstrip("?") if request.method in ("GET", "HEAD") else None
    return redirect(url_for("auth.login", next=next_url))


def init_app(app: Flask) -> None:
    """End timed-out logins before any view runs."""
    app.before_request(end_timed_out_login)
