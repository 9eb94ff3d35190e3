"""Static files with content hashes in their names, cached for a year and sent compressed."""

import gzip
import hashlib
import mimetypes
import os
import re
from functools import lru_cache

from flask import Flask, Response, abort, current_app, request, send_from_directory

HASHED = re.compile(r"^(?P<stem>.+)\.(?P<hash>[0-9a-f]{10})(?P<ext>\.[A-Za-z0-9]+)$")
COMPRESSIBLE = {".css", ".js", ".svg", ".json", ".webmanifest", ".txt", ".html"}
YEAR = 365 * 24 * 3600


@lru_cache(maxsize=512)
def _digest(path: str, mtime: float, size: int) -> str:
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()[:10]


def content_hash(filename: str) -> str | None:
    """Return the short content hash of a static file, or None when it doesn't exist."""
    path = os.path.join(current_app.static_folder, filename)
    try:
        stat = os.stat(path)
    except OSError:
        return None
    # mtime and size are part of the key, so an edited file gets a new hash without a restart.
    return _digest(path, stat.st_mtime, stat.st_size)


def hashed_name(filename: str) -> str:
    """Return "css/tend.<hash>.css" for "css/tend.css" (unchanged if the file is missing)."""
    digest = content_hash(filename)
    if digest is None:
        return filename
    stem, ext = os.path.splitext(filename)
    return f"{stem}.{digest}{ext}"


def add_hash_to_static_urls(endpoint: str, values: dict) -> None:
    """Make every url_for('static', filename=…) point at the content-hashed name."""
    if endpoint == "static" and "filename" in values and not HASHED.match(values["filename"]):
        values["filename"] = hashed_name(values["filename"])


@lru_cache(maxsize=128)
def _gzipped(path: str, mtime: float, size: int) -> bytes:
    with open(path, "rb") as handle:
        return gzip.compress(handle.read(), compresslevel=9, mtime=0)


def serve_static(filename: str) -> Response:
    """Serve a static file; a hashed name is immutable for a year, others revalidate."""
    match = HASHED.match(filename)
    immutable = False
    if match:
        plain = match["stem"] + match["ext"]
        if content_hash(plain) == match["hash"]:
            filename, immutable = plain, True
    folder = current_app.static_folder
    path = os.path.join(folder, filename)
    ext = os.path.splitext(filename)[1].lower()
    if (
        ext in COMPRESSIBLE
        and "gzip" in request.headers.get("Accept-Encoding", "")
        and os.path.isfile(path)
        and os.path.realpath(path).startswith(os.path.realpath(folder) + os.sep)
    ):
        stat = os.stat(path)
        body = _gzipped(path, stat.st_mtime, stat.st_size)
        mimetype = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        if ext == ".webmanifest":
            mimetype = "application/manifest+json"
        response = Response(body, mimetype=mimetype)
        response.headers["Content-Encoding"] = "gzip"
        response.set_etag(f"{content_hash(filename)}-gz")
        response.make_conditional(request)
    else:
        try:
            response = send_from_directory(folder, filename)
        except Exception:  # noqa: BLE001 - NotFound and friends: a missing asset is a 404
            abort(404)
    response.headers["Vary"] = "Accept-Encoding"
    if immutable:
        response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    else:
        response.headers["Cache-Control"] = "public, max-age=300, must-revalidate"
    return response


def init_app(app: Flask) -> None:
    """Serve static files with content-hashed names and gzip."""
    app.url_defaults(add_hash_to_static_urls)
    app.view_functions["static"] = serve_static
