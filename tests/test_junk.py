"""No input, however odd, produces a server error.

Every route that accepts POST (found by walking the URL map) gets a hand-rolled set of junk:
long and odd text, NUL bytes, numbers out of range, wrong types, lists for scalars, missing
fields. The only thing asserted is "never a 5xx"; the behaviour tests live elsewhere.
"""

import io
import re

import pytest
from conftest import rule_url, url_arguments
from sqlalchemy import select

from parenting.extensions import db
from parenting.models import CheckIn, Child, Moment, Routine

JUNK = [
    "",
    " ",
    "x" * 10_000,
    "\x00",
    "note\x00with a NUL",
    "🧸 ñ 日本語 עברית \u202e\u200b",
    "-1",
    "0",
    "99999999999999999999",
    "-99999999999999999999",
    "1e309",
    "NaN",
    "3.5",
    "9999-12-31T23:59",
    "0001-01-01T00:00",
    "2024-02-30T25:61",
    "99:99",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "%s%n{0}{{7*7}}",
    "[]",
    "true",
]
HUGE = "99999999999999999999"


@pytest.fixture
def ana(client, make_user, make_child):
    """Ana signed in on `client` with a child; return (user id, child id)."""
    user = make_user()
    return user, make_child(user, nickname="Mo")


@pytest.fixture
def fresh_ids(ana, one_of_everything):
    """Return a function making a fresh row of everything, so each route gets live ids."""
    user, child = ana
    return lambda: one_of_everything(user, child)


def query(ids) -> dict:
    """Query arguments some forms read (which child, which kind), so the form itself is reached."""
    return {"child": ids["child_id"], "kind": ids["kind_id"], "need": "comfort_me"}


LOGOUT_ENDPOINTS = ("auth.logout", "auth.logout_everywhere")


def post_rules(app, *, logout=True):
    rules = [r for r in app.url_map.iter_rules() if "POST" in r.methods]
    if not logout:
        rules = [r for r in rules if r.endpoint not in LOGOUT_ENDPOINTS]
    return sorted(rules, key=lambda r: r.rule)


def field_names(app, client, ids) -> list[str]:
    """Collect every form field name the app's pages render."""
    names = {"confirm", "child_id", "kind_id", "prompt_id"}
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        with client.get(rule_url(app, rule, ids), query_string=query(ids)) as response:
            if response.mimetype == "text/html":
                names |= set(re.findall(r'name="([^"]+)"', response.get_data(as_text=True)))
    names -= {"viewport", "color-scheme", "theme-color", "referrer"}
    return sorted(names)


def payloads(names):
    """Yield (description, request keyword arguments) for each junk request."""
    yield "missing fields", {"data": {}}
    for value in JUNK:
        yield f"every field = {value[:20]!r}", {"data": dict.fromkeys(names, value)}
    for first, second in zip(JUNK[::4], JUNK[2::4], strict=False):
        yield f"lists {first[:10]!r}, {second[:10]!r}", {
            "data": {name: [first, second] for name in names}
        }
    yield "json of wrong types", {
        "json": {name: [1, {"a": None}] for name in names},
    }
    yield "a file for every field", {
        "data": {name: (io.BytesIO(b"\x00\xff junk"), "junk.bin") for name in names},
        "content_type": "multipart/form-data",
    }
    yield "bytes that are not UTF-8", {
        "data": b"&".join(f"{name}=%FF%FE%C0%00".encode() for name in names),
        "content_type": "application/x-www-form-urlencoded",
    }
    yield "a query string of junk", {"query_string": dict.fromkeys(names, HUGE)}


def post_all(client, rules, ids_for_route, names) -> list[str]:
    """POST every payload to every route given; return what answered 5xx or raised."""
    failures = []
    for rule in rules:
        ids = ids_for_route()
        url = rule_url(client.application, rule, ids)
        for description, kwargs in payloads(names):
            kwargs["query_string"] = {**query(ids), **kwargs.get("query_string", {})}
            try:
                status = client.post(url, **kwargs).status_code
            except Exception as error:
                failures.append(f"POST {rule.rule} [{description}] raised {error!r}"[:300])
                continue
            if status >= 500:
                failures.append(f"POST {rule.rule} [{description}] -> {status}")
    return failures


def test_junk_posted_to_every_form_while_logged_in_never_errors(app, client, fresh_ids):
    ids = fresh_ids()
    names = field_names(app, client, ids)
    assert {"need", "note", "started_at", "nickname", "label", "skills"} <= set(names)

    failures = post_all(client, post_rules(app, logout=False), fresh_ids, names)
    # Still signed in, or the forms above were never reached.
    assert client.get("/account").status_code == 200
    failures += post_all(client, [r for r in post_rules(app) if r.endpoint in LOGOUT_ENDPOINTS],
                         fresh_ids, names)

    assert not failures, "\n".join(failures)


def test_junk_posted_to_every_form_while_logged_out_never_errors(app, fresh_ids, client):
    ids = fresh_ids()
    names = field_names(app, client, ids)
    anonymous = app.test_client()

    failures = post_all(anonymous, post_rules(app), lambda: ids, names)

    assert not failures, "\n".join(failures)


def with_arg(app, rule, ids, name, value):
    """Build a rule's URL with one argument replaced by raw text."""
    marker = 987654321
    url = rule_url(app, rule, {**ids, name: marker})
    return url.replace(str(marker), value, 1)


def test_ids_out_of_range_in_urls_and_forms_are_404_not_errors(app, client, fresh_ids):
    ids = fresh_ids()
    failures = []
    for rule in app.url_map.iter_rules():
        int_args = [name for conv, name in url_arguments(rule) if conv == "int"]
        for name in int_args:
            for bad in (HUGE, "0", "2147483648", "9223372036854775808"):
                url = with_arg(app, rule, ids, name, bad)
                for method in sorted(rule.methods & {"GET", "POST"}):
                    try:
                        status = client.open(url, method=method).status_code
                    except Exception as error:
                        failures.append(f"{method} {url} raised {error!r}"[:300])
                        continue
                    if status != 404:
                        failures.append(f"{method} {url} -> {status}")
    for url in (f"/routines/new?child={HUGE}&kind={HUGE}", f"/?child={HUGE}",
                f"/moments/new?child={HUGE}", f"/special-time?child={HUGE}"):
        try:
            status = client.get(url).status_code
        except Exception as error:
            failures.append(f"GET {url} raised {error!r}"[:300])
            continue
        if status >= 500:
            failures.append(f"GET {url} -> {status}")
    for url, data in (("/routines", {"child_id": HUGE, "kind_id": HUGE}),
                      ("/special-time", {"child_id": HUGE})):
        try:
            status = client.post(url, data=data).status_code
        except Exception as error:
            failures.append(f"POST {url} raised {error!r}"[:300])
            continue
        if status != 404:
            failures.append(f"POST {url} -> {status}")

    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "0001-01-02", "2024-13-01",
                                 "2024-07-04T00:00", "x" * 1000])
def test_a_day_out_of_range_is_a_404(client, ana, day):
    _user, child = ana

    assert client.get(f"/children/{child}/days/{day}").status_code == 404


def test_nul_bytes_never_reach_the_database(app, client, ana):
    # PostgreSQL text columns cannot hold NUL; SQLite can, so check the rows, not the status.
    _user, child = ana

    response = client.post("/moments/new", data={"child_id": str(child), "need": "comfort_me",
                                                 "when": "0", "note": "before\x00after"})
    client.post(f"/children/{child}/edit", data={"nickname": "M\x00o", "birth_month": "3",
                                                 "birth_year": "2022", "colour": "#4f7cac"})
    client.post("/check-in", data={"feel_text": "\x00"})

    assert response.status_code == 400
    with app.app_context():
        notes = db.session.scalars(select(Moment.note)).all()
        nicknames = db.session.scalars(select(Child.nickname)).all()
        texts = db.session.scalars(select(CheckIn.feel_text)).all()
        routines = db.session.scalars(select(Routine.note)).all()
    assert not any("\x00" in text for text in [*notes, *nicknames, *texts, *routines])
    assert nicknames == ["Mo"]


MOMENT_FORM = {"when": "0", "need": "comfort_me"}


@pytest.mark.parametrize("path, kwargs", [
    ("/moments/new", {"data": {**MOMENT_FORM, "file": "upload"},
                      "content_type": "multipart/form-data"}),
    ("/api/v1/moments", {"data": {"file": "upload"}, "content_type": "multipart/form-data"}),
    ("/moments/new", {"data": {**MOMENT_FORM, "note": "a\x00b"},
                      "content_type": "multipart/form-data"}),
    ("/moments/new", {"data": "when=0&need=comfort_me&note=a%00b",
                      "content_type": "application/x-www-form-urlencoded; charset=utf-8"}),
    ("/moments/new", {"json": MOMENT_FORM}),
    ("/api/v1/moments", {"json": {}, "query_string": {"x": "a\x00b"}}),
])
def test_input_no_page_can_use_is_refused_whatever_the_body_says_it_is(
    app, client, ana, path, kwargs
):
    _user, child = ana
    if isinstance(kwargs.get("data"), dict):
        fields = {**kwargs["data"], "child_id": str(child)}
        if fields.get("file") == "upload":
            fields["file"] = (io.BytesIO(b"junk"), "junk.bin")
        kwargs = {**kwargs, "data": fields}

    assert client.post(path, **kwargs).status_code == 400
    with app.app_context():
        assert db.session.scalar(select(Moment.id)) is None


def test_a_json_save_is_not_read_as_a_form(client, ana):
    # Only form bodies are parsed for uploads and NULs; a JSON save still goes in.
    _user, child = ana
    body = {"uuid": "0b8e4c1a-3f5d-4e7a-9c2b-6d1f0a9e8b7c", "child_id": child,
            "occurred_at": "2026-01-01T10:00:00+00:00", "need": "comfort_me"}

    assert client.post("/api/v1/moments", json=body).status_code == 201
