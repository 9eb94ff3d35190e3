"""Static assets: content-hashed names, long caching for hashed names, gzip when asked."""

import gzip
import re

from flask import url_for


def static_url(app, filename):
    with app.test_request_context():
        return url_for("static", filename=filename)


def test_static_urls_carry_a_content_hash(app):
    url = static_url(app, "css/tend.css")
    assert re.fullmatch(r"/static/css/tend\.[0-9a-f]{10}\.css", url)


def test_pages_link_hashed_assets(client):
    page = client.get("/login").get_data(as_text=True)
    assert re.search(r'href="/static/css/tend\.[0-9a-f]{10}\.css"', page)
    assert re.search(r'src="/static/js/tend\.[0-9a-f]{10}\.js"', page)


def test_a_hashed_asset_is_immutable_for_a_year_and_gzipped(app, client):
    url = static_url(app, "css/tend.css")
    response = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert "immutable" in response.headers["Cache-Control"]
    assert "max-age=31536000" in response.headers["Cache-Control"]
    assert "Accept-Encoding" in response.headers["Vary"]
    with client.get("/static/css/tend.css") as plain_response:
        plain = plain_response.data
    assert gzip.decompress(response.data) == plain
    assert len(response.data) < len(plain) / 2


def test_without_gzip_the_plain_file_is_sent(app, client):
    with client.get(static_url(app, "css/tend.css")) as response:
        assert "Content-Encoding" not in response.headers
        assert response.data.startswith(b"/*")


def test_an_unhashed_or_stale_name_is_not_cached_for_long(client):
    with client.get("/static/css/tend.css") as response:
        assert response.status_code == 200
        assert "immutable" not in response.headers["Cache-Control"]
    assert client.get("/static/css/tend.0123456789.css").status_code == 404


def test_the_gzip_path_cannot_leave_the_static_folder(client):
    for path in ("/static/../app.py", "/static/..%2fapp.py", "/static/%2e%2e/pyproject.toml"):
        response = client.get(path, headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 404, path


def test_a_conditional_request_gets_304(app, client):
    url = static_url(app, "js/tend.js")
    first = client.get(url, headers={"Accept-Encoding": "gzip"})
    again = client.get(
        url, headers={"Accept-Encoding": "gzip", "If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304
