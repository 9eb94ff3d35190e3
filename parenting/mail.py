"""Email: the few messages Tend sends, and how they leave the server.

With MAIL_SERVER set, messages go out over SMTP in a background thread, so a page never waits
for the mail server (and never takes longer for one address than another). Without it they are
written to the outbox folder (instance/outbox, or MAIL_OUTBOX) for whoever runs Tend to read
with `flask outbox`. Tests use MAIL_BACKEND="memory".
"""

import logging
import os
import secrets
import smtplib
import ssl
import threading
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

import click
from flask import Flask, current_app, render_template, url_for
from flask.cli import with_appcontext
from flask_babel import force_locale

from . import i18n
from .models import utcnow

log = logging.getLogger("tend.mail")


def settings_from_env() -> dict:
    """Return the mail settings from the environment."""
    return {
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", "").strip(),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "587") or 587),
        # "starttls" (port 587), "ssl" (port 465) or "none" (a relay on localhost only).
        "MAIL_SECURITY": os.environ.get("MAIL_SECURITY", "starttls").strip().lower(),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD", ""),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "").strip(),
        "MAIL_OUTBOX": os.environ.get("MAIL_OUTBOX", "").strip(),
        # The address people reach Tend at, for links in emails, e.g. https://tend.example.org.
        "BASE_URL": os.environ.get("BASE_URL", "").strip().rstrip("/"),
        # Sign-up, reset and new-email emails one network address may cause in an hour.
        "EMAILS_PER_IP_PER_HOUR": int(os.environ.get("EMAILS_PER_IP_PER_HOUR", "20") or 20),
    }


def backend(app: Flask) -> str:
    configured = app.config.get("MAIL_BACKEND")
    if configured:
        return configured
    return "smtp" if app.config.get("MAIL_SERVER") else "outbox"


def warn_without_server(app: Flask) -> None:
    """Say at start-up, outside development, that emails will not leave the server."""
    if backend(app) == "outbox" and not (app.debug or app.testing):
        log.warning("MAIL_SERVER is not set: emails (sign-up and password-reset links) are "
                    "written to %s for you to pass on; see docs/deploying.md#email",
                    outbox_dir(app))


def outbox_dir(app: Flask) -> Path:
    return Path(app.config.get("MAIL_OUTBOX") or os.path.join(app.instance_path, "outbox"))


def external_url(endpoint: str, **values) -> str:
    """Return an absolute link for an email: BASE_URL when set, else this request's host."""
    base = current_app.config.get("BASE_URL")
    if base:
        return base + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def send(to: str, template: str, locale: str | None = None, *,
         extra_headers: dict | None = None, **context) -> None:
    """Render templates/email/<template>.txt (its first line is "Subject: …") and send it.

    The email speaks `locale` (the recipient's stored language), else the language of the page
    that caused it: the person who asked for it is usually the one who reads it.
    """
    app = current_app._get_current_object()
    with force_locale(i18n.valid(locale) or i18n.current()):
        text = render_template(f"email/{template}.txt", **context)
    subject_line, _, body = text.partition("\n")
    message = EmailMessage()
    message["Subject"] = subject_line.removeprefix("Subject:").strip()
    message["From"] = app.config.get("MAIL_FROM") or "Tend <tend@localhost>"
    message["To"] = to
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain="tend.local")
    message["Auto-Submitted"] = "auto-generated"
    for name, value in (extra_headers or {}).items():
        message[name] = value
    # 8bit keeps the text (and its link) readable in the outbox; lines stay short.
    message.set_content(body.lstrip("\n"), cte="8bit")
    how = backend(app)
    if how == "memory":
        app.extensions.setdefault("mail_outbox", []).append(message)
    elif how == "outbox":
        write_to_outbox(outbox_dir(app), message)
    elif how == "smtp":
        settings = {key: app.config.get(key) for key in (
            "MAIL_SERVER", "MAIL_PORT", "MAIL_SECURITY", "MAIL_USERNAME", "MAIL_PASSWORD")}
        threading.Thread(target=deliver, args=(settings, message), daemon=True).start()
    else:
        raise RuntimeError(f"unknown MAIL_BACKEND {how!r}")
    # The template's name says what was sent; never the address, the link or the body.
    log.info("email sent kind=%s backend=%s", template, how)


def write_to_outbox(folder: Path, message: EmailMessage) -> Path:
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamp = utcnow().strftime("%Y%m%dT%H%M%S%fZ")
    path = folder / f"{stamp}-{secrets.token_hex(4)}.eml"
    # The message holds a sign-in link: readable by the server's own user only.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(bytes(message))
    return path


def deliver(settings: dict, message: EmailMessage) -> None:
    """Send one message over SMTP; log a failure without the message."""
    host, port = settings["MAIL_SERVER"], settings["MAIL_PORT"]
    try:
        context = ssl.create_default_context()
        if settings["MAIL_SECURITY"] == "ssl":
            server = smtplib.SMTP_SSL(host, port, timeout=20, context=context)
        else:
            server = smtplib.SMTP(host, port, timeout=20)
        with server:
            if settings["MAIL_SECURITY"] == "starttls":
                server.starttls(context=context)
            if settings["MAIL_USERNAME"]:
                server.login(settings["MAIL_USERNAME"], settings["MAIL_PASSWORD"])
            server.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        log.error("email not sent: %s: %s", type(error).__name__, error)


@click.command("outbox")
@click.option("--count", default=1, show_default=True, help="How many of the newest to show.")
@with_appcontext
def outbox_command(count: int) -> None:
    """Print the newest emails written to the outbox (used when MAIL_SERVER is not set)."""
    folder = outbox_dir(current_app)
    paths = sorted(folder.glob("*.eml"))[-count:] if folder.is_dir() else []
    if not paths:
        click.echo(f"No emails in {folder}.")
        return
    for path in paths:
        click.echo(f"==> {path}")
        click.echo(path.read_text("utf-8"))
