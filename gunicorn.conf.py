"""gunicorn settings for `make serve`; GUNICORN_* environment variables override them."""

import multiprocessing
import os
import re
import sys

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
# Load Tend once in the master and fork the workers from it. A worker that reaches max_requests
# is then replaced by a fork in a few milliseconds instead of importing Tend afresh (about 1.2 s
# of CPU, during which it serves nothing): under a steady stream of saves that was a quarter of
# the throughput. The price: a HUP re-reads these settings but keeps the code it loaded, so
# restart the service after an update (docs/deploying.md says so).
preload_app = True


def post_fork(server, worker):
    """Give each new worker database connections of its own: none may cross a fork."""
    if "parenting" in sys.modules:  # not for tools/bench_bare.py, which opens its own
        from parenting import forget_inherited_connections

        forget_inherited_connections(server.app.wsgi())

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
