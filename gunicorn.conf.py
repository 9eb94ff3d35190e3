"""gunicorn settings for `make serve`; GUNICORN_* environment variables override them."""

import multiprocessing
import os
import re

from gunicorn.glogging import Logger

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# SQLite takes one writer at a time; a few workers with threads suit a 2-core box.
workers = int(os.environ.get("GUNICORN_WORKERS", min(multiprocessing.cpu_count() * 2 + 1, 8)))
threads = int(os.environ.get("GUNICORN_THREADS", 2))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 20
keepalive = 5
max_requests = 2000
max_requests_jitter = 200
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
# The path only (%(U)s), never the query string: it could carry a week label or worse.
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(L)ss'
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


# Share-link and invite tokens travel in the path (/s/<token>, /invites/<token>) once, on the way
# to a cookie, and emailed links carry theirs (/signup/confirm/<token>, /password/reset/<token>,
# /account/email/confirm/<token>): never write them to a log.
SECRET_PATHS = re.compile(
    r"^/(s|invites|join|signup/confirm|password/reset|account/email/confirm|calendar"
    r"|email/unsubscribe)"
    r"/(?!weeks/|sent$)[^/]+"
)


def redact_path(path: str) -> str:
    """Replace a secret token in a request path with a placeholder."""
    return SECRET_PATHS.sub(lambda m: f"/{m.group(1)}/[redacted]", path or "")


class RedactingLogger(Logger):
    """gunicorn's logger, with tokens taken out of the logged path."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["U"] = redact_path(atoms.get("U", ""))
        atoms["r"] = redact_path(atoms.get("r", ""))
        return atoms


logger_class = RedactingLogger
