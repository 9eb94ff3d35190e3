"""Tend: a caregiver's journal of moments, routines and repairs."""

import os

from flask import Flask, render_template, request
from flask_babel import lazy_gettext
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.exceptions import MethodNotAllowed

from . import assets, config, i18n, mail, security
from .extensions import csrf, db, login_manager, migrate

MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations")
TEMPLATES_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "templates")
STATIC_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "static")


def create_app(test_config: dict | None = None) -> Flask:
    """Create and configure the app."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=TEMPLATES_DIR,
        static_folder=STATIC_DIR,
    )
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(config.load(app.instance_path))
    app.config.from_mapping(mail.settings_from_env())
    if test_config is not None:
        app.config.from_mapping(test_config)
    config.check_production(app.config, app.debug)
    mail.warn_without_server(app)
    if app.config["PROXY_COUNT"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)
    register_extensions(app)
    security.init_app(app)
    assets.init_app(app)
    register_blueprints(app)
    register_error_pages(app)
    register_commands(app)
    register_template_helpers(app)
    return app


def forget_inherited_connections(app: Flask) -> None:
    """In a process forked from the one that made `app` (gunicorn's preloading master), drop
    the pooled connections it inherited without closing them: they belong to the parent, and
    two processes on one connection corrupt it. The pool opens fresh ones as needed."""
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=MIGRATIONS_DIR,
        render_as_batch=True,
        compare_type=True,
        render_item=render_migration_type,
    )
    csrf.init_app(app)
    i18n.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = lazy_gettext("Please log in to carry on.")
    login_manager.login_message_category = "info"
    # "strong" would log parents out whenever the phone hops between Wi-Fi and mobile data.
    login_manager.session_protection = "basic"
    from . import sessions  # the user loader, and when a login ends
    sessions.init_app(app)


def render_migration_type(type_, obj, autogen_context):
    """Write our UTC type into migrations as a plain timezone-aware DateTime."""
    from .models import UTCDateTime

    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """Make every SQLite connection safe: foreign keys, WAL, a busy timeout, durable commits."""
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


def register_blueprints(app: Flask) -> None:
    from . import (
        account_data,
        api,
        auth,
        groups,
        household,
        links,
        log,
        pages,
        reminders,
        summary,
    )

    for module in (pages, auth, household, log, summary, groups, links, reminders, api):
        app.register_blueprint(module.bp)
    app.register_blueprint(account_data.bp)


ERROR_NAMES = {
    400: "bad_request",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    429: "too_many_requests",
    500: "server_error",
}


def register_error_pages(app: Flask) -> None:
    def render_error(error):
        code = getattr(error, "code", 500) or 500
        if code == 500:
            db.session.rollback()
        # A 405 says which methods the URL takes (RFC 9110); werkzeug's own answer did.
        headers = {}
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            headers["Allow"] = ", ".join(sorted(error.valid_methods))
        if request.path.startswith("/api/"):
            return {"error": ERROR_NAMES.get(code, "error")}, code, headers
        shared = request.path.startswith("/s/")
        return render_template("error.html", code=code, shared=shared), code, headers

    for code in (400, 403, 404, 405, 413, 429, 500):
        app.register_error_handler(code, render_error)


def register_commands(app: Flask) -> None:
    from .backup import backup_command, restore_command
    from .demo import demo_command
    from .send_due import reminders_cli

    app.cli.add_command(demo_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(mail.outbox_command)
    app.cli.add_command(reminders_cli)


def register_template_helpers(app: Flask) -> None:
    from . import nav, timefmt

    app.jinja_env.globals["bottom_nav"] = nav.bottom_nav

    app.jinja_env.filters["local_time"] = timefmt.local_time_filter
    app.jinja_env.filters["local_date"] = timefmt.local_date_filter
    app.jinja_env.filters["hhmm"] = timefmt.minutes_to_hhmm
    app.jinja_env.filters["zoned_date"] = timefmt.zoned_date_filter
    app.jinja_env.filters["number"] = timefmt.number_filter
