"""gunicorn's settings: the access log never records a share-link or invite token, and
workers forked from the preloaded app never share a database connection."""

import importlib.util
import os
from pathlib import Path
from types import SimpleNamespace

from sqlalchemy import text

from parenting.extensions import db

CONF = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"


def load_conf():
    spec = importlib.util.spec_from_file_location("gunicorn_conf", CONF)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_tokens_in_paths_are_redacted():
    conf = load_conf()
    token = "Q2hhbmdlIHRoaXMgdG9rZW4gdG8gc29tZXRoaW5nIHNlY3JldA"
    assert conf.redact_path(f"/s/{token}") == "/s/[redacted]"
    assert conf.redact_path(f"/invites/{token}") == "/invites/[redacted]"
    assert conf.redact_path("/join/ABCD2345") == "/join/[redacted]"
    assert conf.redact_path(f"/signup/confirm/{token}") == "/signup/confirm/[redacted]"
    assert conf.redact_path(f"/password/reset/{token}") == "/password/reset/[redacted]"
    assert conf.redact_path(f"/account/email/confirm/{token}") == (
        "/account/email/confirm/[redacted]")
    assert conf.redact_path(f"/calendar/{token}.ics") == "/calendar/[redacted]"
    assert conf.redact_path(f"/email/unsubscribe/{token}") == "/email/unsubscribe/[redacted]"
    assert conf.redact_path("/password/reset/sent") == "/password/reset/sent"
    assert conf.redact_path("/password/reset") == "/password/reset"
    assert conf.redact_path("/signup/check-email") == "/signup/check-email"
    assert conf.redact_path("/s/weeks/2026-W47") == "/s/weeks/2026-W47"
    assert conf.redact_path("/children/3/weeks/2026-W47") == "/children/3/weeks/2026-W47"


def test_the_access_log_format_has_no_query_string_and_uses_the_redacting_logger():
    conf = load_conf()
    assert "%(U)s" in conf.access_log_format
    assert "%(q)s" not in conf.access_log_format
    assert "%(r)s" not in conf.access_log_format
    assert conf.logger_class is conf.RedactingLogger


def test_workers_are_forked_from_a_loaded_app():
    # A worker replaced after max_requests is a fork, not a second import of Tend.
    assert load_conf().preload_app is True


def test_a_forked_worker_opens_its_own_database_connections(app):
    """post_fork leaves the parent's pooled connection alone and gives the child a new one."""
    conf = load_conf()
    with app.app_context():
        db.session.execute(text("SELECT 1"))
        inherited = db.session.connection().connection.dbapi_connection
        db.session.remove()  # back into the pool, where a forked child would find it
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the worker
        code = 1
        try:
            os.close(read)
            conf.post_fork(SimpleNamespace(app=SimpleNamespace(wsgi=lambda: app)), None)
            with app.app_context():
                db.session.execute(text("SELECT 1"))
                mine = db.session.connection().connection.dbapi_connection
                os.write(write, b"own" if mine is not inherited else b"shared")
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    answer = os.read(read, 16)
    os.close(read)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert answer == b"own"
    # The parent's connection was not closed under it.
    with app.app_context():
        assert db.session.execute(text("SELECT 1")).scalar() == 1
        assert db.session.connection().connection.dbapi_connection is inherited
