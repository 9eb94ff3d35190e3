"""Pages that hold no family data: about, help, health check, and the installable-app files."""

import functools
import hashlib
import json
from pathlib import Path

from flask import Blueprint, Response, current_app, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from . import domain, i18n

bp = Blueprint("pages", __name__)

# Static files the service worker keeps for offline use (with the offline page); other static
# files are cached the first time they are used.
PRECACHED_STATIC = (
    "css/tend.css",
    "js/i18n.js",
    "js/tend.js",
    "js/queue.js",
    "icons/icon.svg",
    "icons/icon-192.png",
)
THEME_LIGHT = "#faf8f5"
# The hard feelings as the help page names them, mid-sentence and in lower case.
HARD_FEELING_WORDS = {
    "anxious": _l("anxious"),
    "embarrassed": _l("embarrassed"),
    "frustrated": _l("frustrated"),
    "guilty": _l("guilty"),
    "helpless": _l("helpless"),
    "irritated": _l("irritated"),
    "overwhelmed": _l("overwhelmed"),
    "sad": _l("sad"),
    "worried": _l("worried"),
}


@bp.route("/about")
def about():
    return render_template("pages/about.html")


@bp.route("/help")
def help_page():
    return render_template(
        "pages/help.html",
        needs=domain.NEEDS,
        hard_feelings=hard_feeling_words(),
    )


def hard_feeling_words() -> list[str]:
    """Return the hard feelings in the current language, in its alphabetical order."""
    return sorted(str(HARD_FEELING_WORDS[f]) for f in domain.HARD_FEELINGS)


@bp.route("/healthz")
def healthz():
    return {"status": "ok"}


@bp.route("/offline")
def offline():
    """Show the page the service worker serves when a page can't load; it names no one."""
    return offline_html()


def offline_html() -> str:
    """Render the offline page, which is the same for everyone."""
    return render_template("pages/offline.html", needs=domain.ALL_NEEDS)


@bp.route("/manifest.webmanifest")
def manifest():
    """Describe the installable app, in the language the page asked for (?lang=es)."""
    # Browsers fetch the manifest without cookies, so the page names its language in the link.
    with force_locale(i18n.valid(request.args.get("lang")) or i18n.current()):
        body = manifest_body()
    return Response(json.dumps(body, separators=(",", ":")), mimetype="application/manifest+json")


def manifest_body() -> dict:
    """Return the manifest's fields in the current language."""
    icon = functools.partial(url_for, "static")
    return {
        "name": "Tend",
        "short_name": "Tend",
        "description": _("Notice what your child needed, and how you responded."),
        "lang": i18n.current(),
        "id": "/",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": THEME_LIGHT,
        "theme_color": THEME_LIGHT,
        "icons": [
            {"src": icon(filename="icons/icon-192.png"), "sizes": "192x192",
             "type": "image/png", "purpose": "any"},
            {"src": icon(filename="icons/icon-512.png"), "sizes": "512x512",
             "type": "image/png", "purpose": "any"},
            {"src": icon(filename="icons/icon-maskable-512.png"), "sizes": "512x512",
             "type": "image/png", "purpose": "maskable"},
        ],
        "shortcuts": [
            {"name": _("Log a moment"), "url": url_for("log.new_moment"),
             "icons": [{"src": icon(filename="icons/icon-192.png"), "sizes": "192x192"}]},
            {"name": _("Routine buttons"), "short_name": _("Routines"),
             "url": url_for("log.home", _anchor="routines"),
             "icons": [{"src": icon(filename="icons/icon-192.png"), "sizes": "192x192"}]},
        ],
    }


@bp.route("/sw.js")
def service_worker():
    """Serve the service worker at the root, so its scope is the whole app."""
    source = (Path(current_app.static_folder) / "sw.js").read_text("utf-8")
    precache = [url_for("static", filename=name) for name in PRECACHED_STATIC]
    # A new version is a new cache: the old one, with anything cached at run time, is deleted.
    version = hashlib.sha256((static_version() + offline_html()).encode("utf-8")).hexdigest()[:16]
    source = source.replace('"__TEND_VERSION__"', json.dumps(version), 1)
    source = source.replace('["__TEND_PRECACHE__"]', json.dumps(precache), 1)
    response = Response(source, mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = "/"
    # The security headers replace this with no-store, which is stricter still: either way the
    # browser asks the server on every update check.
    response.headers["Cache-Control"] = "no-cache"
    return response


def static_version() -> str:
    """Return a short hash of the static files, so the worker's cache changes when they do."""
    root = Path(current_app.static_folder)
    stats = tuple(
        (str(path.relative_to(root)), path.stat().st_size, path.stat().st_mtime_ns)
        for path in sorted(root.rglob("*"))
        if path.is_file()
    )
    return _content_hash(str(root), stats)


@functools.lru_cache(maxsize=4)
def _content_hash(root: str, stats: tuple) -> str:
    # Keyed on names, sizes and times, so the files are only read again after one changes;
    # hashing their content keeps the version the same on every server of a deployment.
    digest = hashlib.sha256()
    for name, _size, _mtime in stats:
        digest.update(name.encode("utf-8"))
        digest.update(hashlib.sha256((Path(root) / name).read_bytes()).digest())
    return digest.hexdigest()[:16]
