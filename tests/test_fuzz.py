"""Generated input to every form and every JSON endpoint, logged in and out, is never a 5xx.

Hypothesis draws the route and the body: text of any script with control characters (never
NUL, which the app refuses up front), very long text, huge and negative numbers, dates and
times in many formats, repeated and missing fields. test_junk.py holds the hand-picked cases
and the URL walking reused here. The "ci" profile in conftest.py makes every run draw the same
examples; HYPOTHESIS_PROFILE=explore draws new ones.
"""

import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from ipaddress import IPv4Address
from itertools import count
from urllib.parse import urljoin, urlsplit

import pytest
from conftest import rule_url
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_junk import (  # noqa: F401  (ana and fresh_ids are fixtures)
    LOGOUT_ENDPOINTS,
    ana,
    fresh_ids,
    post_rules,
    query,
)

from parenting import api

FUZZ = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# Routes that may remove a row the URLs name: the next route needs fresh ids.
DESTRUCTIVE = ("delete", "leave", "revoke", "unshare")

TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"),
               max_size=40)
LONG_TEXT = st.builds(lambda piece, times: piece * times,
                      st.text(st.characters(exclude_categories=("Cs",),
                                            exclude_characters="\x00"),
                              min_size=1, max_size=3),
                      st.integers(300, 3000))
NUMBERS = st.one_of(
    st.integers(-(2**70), 2**70).map(str),
    st.integers(-5, 200).map(str),
    st.floats().map(str),
    st.decimals(allow_nan=True).map(str),
)
DATE_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d", "%H:%M", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y",
                "%m/%d/%Y %I:%M %p", "%G-W%V", "%Y-%m-%dT%H:%M:%S.%f%z", "%a, %d %b %Y"]
NOW = datetime.now(UTC)
MOMENTS = st.one_of(
    st.datetimes(),
    st.datetimes(min_value=NOW.replace(tzinfo=None) - timedelta(days=30),
                 max_value=NOW.replace(tzinfo=None) + timedelta(days=2)),
)
DATES = st.one_of(
    st.builds(lambda when, fmt: when.strftime(fmt), MOMENTS, st.sampled_from(DATE_FORMATS)),
    st.builds(lambda when, tz: when.replace(tzinfo=tz).isoformat(), MOMENTS,
              st.sampled_from([None, UTC])),
)
# Values the forms accept, so generated input also reaches the checks past the first field.
WORDS = st.sampled_from(["", " ", "y", "on", "at", "0", "5", "yes", "not_yet", "comfort_me",
                         "not_sure", "bedtime", "tired", "#4f7cac", "2024-W27", "3"])


@pytest.fixture
def make_ids(request):
    """test_junk's fresh_ids: Ana logged in on `client`; each call makes a row of everything."""
    return request.getfixturevalue("fresh_ids")


class FormFields(HTMLParser):
    """Collect the field names of each POST form on a page, by the path it posts to."""

    def __init__(self, page_path: str):
        super().__init__()
        self.page_path = page_path
        self.action: str | None = None
        self.fields: dict[str, set[str]] = defaultdict(set)

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        if tag == "form" and (names.get("method") or "").lower() == "post":
            self.action = urlsplit(urljoin(self.page_path, names.get("action") or "")).path
        elif tag in ("input", "select", "textarea", "button") and self.action and names.get("name"):
            self.fields[self.action].add(names["name"])

    def handle_endtag(self, tag):
        if tag == "form":
            self.action = None


def form_fields(app, client, ids) -> dict[str, list[str]]:
    """Return the field names the app's pages post to each path."""
    fields: dict[str, set[str]] = defaultdict(set)
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        path = rule_url(app, rule, ids)
        with client.get(path, query_string=query(ids)) as response:
            if response.mimetype == "text/html":
                parser = FormFields(path)
                parser.feed(response.get_data(as_text=True))
                for action, names in parser.fields.items():
                    fields[action] |= names
    return {action: sorted(names) for action, names in fields.items()}


def every_name(fields: dict[str, list[str]]) -> list[str]:
    """Return every field name of every form, and the names forms read from other pages."""
    return sorted({"confirm", "child_id", "kind_id", "prompt_id"}.union(*fields.values()))


def form_values(ids: dict) -> st.SearchStrategy:
    known = st.sampled_from(sorted({str(v) for v in ids.values() if isinstance(v, int)}))
    one = st.one_of(TEXT, LONG_TEXT, NUMBERS, DATES, WORDS, known)
    return st.one_of(one, st.lists(one, min_size=2, max_size=3))


def form_bodies(own: list[str], every: list[str], ids: dict) -> st.SearchStrategy:
    """Draw form data: any of the form's own fields and a few of any form's, some repeated."""
    values = form_values(ids)
    others = st.dictionaries(st.sampled_from(every), values, max_size=3)
    mine = st.fixed_dictionaries({}, optional=dict.fromkeys(own, values))
    return st.builds(lambda a, b: {**a, **b}, others, mine)


def fuzz_forms(client, rules, ids_for_route, fields, every, *, examples: int) -> None:
    """Post generated form data to each route in turn; fail on the first 5xx.

    `fields` maps a path to its form's field names; `every` is every field name in the app.
    """
    ids = ids_for_route()
    # Each request from its own address, so the login throttle doesn't answer them all.
    addresses = (str(IPv4Address("10.0.0.0") + n) for n in count(1))
    for rule in rules:
        url = rule_url(client.application, rule, ids)
        post = form_poster(client, url, query(ids), addresses)
        given(body=form_bodies(fields.get(url, []), every, ids))(
            settings(FUZZ, max_examples=examples)(post)
        )()
        if any(word in rule.endpoint for word in DESTRUCTIVE):
            ids = ids_for_route()


def form_poster(client, url, query_string, addresses):
    """Return a test posting one form body to a URL and failing on a 5xx."""

    def post(body):
        status = client.post(url, data=body, query_string=query_string,
                             environ_overrides={"REMOTE_ADDR": next(addresses)}).status_code
        assert status < 500, f"POST {url} {json.dumps(body)[:300]} -> {status}"

    return post


def form_rules(app, *, logout=True) -> list:
    return [r for r in post_rules(app, logout=logout) if not r.rule.startswith("/api/")]


def test_generated_input_to_every_form_while_logged_in_is_never_a_5xx(app, client, make_ids):
    ids = make_ids()
    fields = form_fields(app, client, ids)
    rules = form_rules(app, logout=False)
    assert {"auth.change_password", "log.new_moment", "household.new_child"} <= {
        r.endpoint for r in rules
    }
    # The forms were found, so examples fill in each route's own fields.
    assert {"need", "at", "note"} <= set(fields["/moments/new"])
    assert len(fields) > 20

    fuzz_forms(client, rules, make_ids, fields, every_name(fields), examples=5)
    # Still logged in: the examples reached the forms, not the login page.
    assert client.get("/account").status_code == 200


def test_generated_input_to_every_form_while_logged_out_is_never_a_5xx(app, client, make_ids):
    ids = make_ids()
    anonymous = app.test_client()
    fields = {**form_fields(app, client, ids), **form_fields(app, anonymous, ids)}
    rules = form_rules(app)
    assert {r.endpoint for r in rules} >= {"auth.login", "auth.signup", "auth.reset_request",
                                           *LOGOUT_ENDPOINTS}
    assert {"email", "password", "display_name"} <= set(fields["/signup"])

    # Most routes send a visitor to log in before reading anything: two examples each are
    # enough there; the public forms get more.
    public = [r for r in rules
              if r.endpoint in ("auth.login", "auth.signup", "auth.reset_request")]
    fuzz_forms(anonymous, rules, lambda: ids, fields, every_name(fields), examples=2)
    fuzz_forms(anonymous, public, lambda: ids, fields, every_name(fields), examples=30)


# The JSON API


JSON_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)
JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(), JSON_TEXT),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(JSON_TEXT, inner, max_size=3),
    max_leaves=6,
)


def api_keys() -> list[str]:
    return sorted({"uuid", "child_id", "kind_id", "kind", *api.MOMENT_FIELDS,
                   *api.ROUTINE_FIELDS})


def json_bodies(ids: dict) -> st.SearchStrategy:
    """Draw JSON bodies: objects with the API's keys (near-valid or junk values), or anything."""
    near_valid = st.one_of(
        st.uuids().map(str),
        st.sampled_from([ids["child_id"], ids["kind_id"], str(ids["child_id"])]),
        DATES,
        WORDS,
        st.lists(WORDS, max_size=3),
        st.integers(-(2**64), 2**64),
        LONG_TEXT,
    )
    objects = st.fixed_dictionaries(
        {}, optional=dict.fromkeys(api_keys(), st.one_of(near_valid, JSON_VALUES))
    )
    return st.one_of(objects, objects, JSON_VALUES)


def api_rules(app) -> list:
    return [r for r in post_rules(app) if r.rule.startswith("/api/")]


@pytest.mark.parametrize("logged_in", [True, False], ids=["logged in", "logged out"])
def test_generated_json_to_every_api_endpoint_is_never_a_5xx(app, client, make_ids, logged_in):
    ids = make_ids()
    rules = api_rules(app)
    assert {r.endpoint for r in rules} >= {"api.create_moment", "api.create_routine"}
    browser = client if logged_in else app.test_client()

    for rule in rules:
        url = rule_url(app, rule, ids)

        @settings(FUZZ, max_examples=40 if logged_in else 10)
        @given(url=st.just(url), body=json_bodies(ids),
               raw=st.one_of(st.none(), st.binary(max_size=200)))
        def post(url, body, raw):
            if raw is None:
                response = browser.post(url, json=body)
            else:
                response = browser.post(url, data=raw, content_type="application/json")
            assert response.status_code < 500, f"POST {url} {json.dumps(body)[:300]}"
            assert response.is_json

        post()
