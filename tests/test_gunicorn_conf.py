"""gunicorn's access log never records a share-link or invite token."""

import importlib.util
from pathlib import Path

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
