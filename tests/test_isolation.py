"""Households never see or touch each other's data; anonymous visitors see none at all.

The walks below iterate the app's URL map, so a new route is covered the day it is added.
"""

import re
from urllib.parse import urlsplit

import pytest
from conftest import flashed, kind_by_key, rule_url, url_arguments
from sqlalchemy import select

from parenting.extensions import db
from parenting.models import Moment, Routine

# Pages anyone may open. Add a rule here only if it shows no family data.
PUBLIC_RULES = {
    "/",
    "/login",
    "/signup",
    "/about",
    "/help",
    "/help/weekly-summary",
    "/healthz",
    "/static/<path:filename>",
    "/invites/<token>",
    # The logged-out language picker: it sets a cookie holding "en" or "es", and reads nothing.
    "/language/<code>",
    # Sign-up, password reset and new-email steps: each link opens only with its emailed token,
    # and the "check your email" pages show only the address this browser typed.
    "/signup/check-email",
    "/signup/confirm/<token>",
    "/password/reset",
    "/password/reset/sent",
    "/password/reset/<token>",
    "/account/email/confirm/<token>",
    # Share-link pages: read-only, and each opens only with its own link's token.
    "/s/<token>",
    "/s/",
    "/s/weeks/<week>",
    # The calendar address (times and routine names only) and the weekly email's unsubscribe
    # link: each opens only with its own token.
    "/calendar/<token>.ics",
    "/email/unsubscribe/<token>",
    # The API's OpenAPI description: the same for everyone.
    "/api/v1/openapi.json",
    # Installing the app and the offline fallback: no family data in any of them.
    "/manifest.webmanifest",
    "/sw.js",
    "/offline",
}


@pytest.fixture
def household_a(client, make_user, make_child, one_of_everything):
    """Ana's household with one row of everything; `client` is signed in as Ana.

    Return the URL values of A's rows by argument name.
    """
    user = make_user()
    return one_of_everything(user, make_child(user, nickname="Mo"))


@pytest.fixture
def household_b(other_client, make_user, make_child):
    """Bo's separate household with its own child; `other_client` is signed in as Bo."""
    user = make_user(email="bo@example.org", name="Bo", using=other_client)
    return user, make_child(user, nickname="Zed")


def id_rules(app):
    return sorted(
        (r for r in app.url_map.iter_rules()
         if any(conv == "int" for conv, _name in url_arguments(r))),
        key=lambda r: r.rule,
    )


def snapshot(app) -> dict:
    """Return every row of every table, in primary-key order."""
    with app.app_context():
        return {
            table.name: [
                tuple(row)
                for row in db.session.execute(
                    select(table).order_by(*table.primary_key.columns)
                )
            ]
            for table in db.metadata.sorted_tables
        }


def plausible_form(a: dict, b_child: int) -> dict:
    """Form data a second household might send to take over or change A's rows."""
    return {
        "nickname": "Mo",
        "confirm": "Mo",
        "birth_month": "1",
        "birth_year": "2020",
        "colour": "#5b8c5a",
        "label": "Taken over",
        "child_id": str(b_child),
        "kind_id": str(a["kind_id"]),
        "need": "protect_me",
        "responses": "kept_safe",
        "when": "0",
        "note": "changed",
        "prompt_id": "",
        "answer": "changed",
        "repaired_at": "",
        "repair_ways": "hug",
        "repair_note": "changed",
        "started_at": "2024-07-04T10:00",
        "ended_at": "2024-07-04T11:00",
        "skills": "praise",
        f"planned_{a['kind_id']}": "18:00",
        "text": "changed",
        "share_every_week": "y",
    }


def test_the_walk_covers_every_kind_of_id(app):
    names = {name for r in id_rules(app) for conv, name in url_arguments(r) if conv == "int"}
    assert {"child_id", "moment_id", "routine_id", "kind_id"} <= names


def test_household_a_can_open_its_own_pages(app, client, household_a):
    # The walk below proves nothing unless these ids really open pages for their owner.
    for rule in id_rules(app):
        if "GET" in rule.methods:
            url = rule_url(app, rule, household_a)
            assert client.get(url).status_code == 200, url


def test_another_household_gets_404_on_every_id_route_and_changes_nothing(
    app, other_client, household_a, household_b
):
    _b_user, b_child = household_b
    before = snapshot(app)
    data = plausible_form(household_a, b_child)
    wrong = []

    for rule in id_rules(app):
        url = rule_url(app, rule, household_a)
        for method in sorted(rule.methods & {"GET", "POST"}):
            if method == "GET":
                response = other_client.get(url)
            else:
                response = other_client.post(url, data=data)
            if response.status_code != 404:
                wrong.append(f"{method} {url} -> {response.status_code}")

    assert wrong == []
    assert snapshot(app) == before


def test_another_household_sees_nothing_of_a_on_its_pages(other_client, household_a, household_b):
    a_child = household_a["child_id"]
    pages = [f"/?child={a_child}", f"/moments/new?child={a_child}",
             f"/special-time?child={a_child}", "/children", "/household", "/routine-kinds",
             "/check-in"]
    for url in pages:
        response = other_client.get(url)
        assert response.status_code == 200, url
        page = flashed(response)
        words = re.sub(r"<[^>]+>", " ", page).split()
        if url.startswith("/?") or url == "/children":
            assert "Zed" in words, url  # B's own child is what B sees
        assert "Mo" not in words, url
        assert "Swimming" not in page, url
        assert "Ana" not in page, url


@pytest.mark.parametrize(
    ("child_of", "kind_of"), [("a", "a"), ("b", "a"), ("a", "b")]
)
def test_a_routine_tap_with_a_households_ids_is_404_and_logs_nothing(
    app, other_client, household_a, household_b, count, child_of, kind_of
):
    _b_user, b_child = household_b
    with app.app_context():
        b_kind = kind_by_key(b_child, "bedtime").id
    child = household_a["child_id"] if child_of == "a" else b_child
    kind = household_a["kind_id"] if kind_of == "a" else b_kind
    before = count(Routine)

    response = other_client.post("/routines", data={"child_id": str(child), "kind_id": str(kind)})

    assert response.status_code == 404
    assert count(Routine) == before


def test_routine_with_a_time_for_a_households_child_is_404(
    app, other_client, household_a, household_b, count
):
    url = f"/routines/new?child={household_a['child_id']}&kind={household_a['kind_id']}"
    before = count(Routine)

    assert other_client.get(url).status_code == 404
    response = other_client.post(url, data={"started_at": "2024-07-04T10:00"})

    assert response.status_code == 404
    assert count(Routine) == before


def test_special_time_for_a_households_child_is_404(other_client, household_a, household_b,
                                                    count):
    before = count(Routine)

    response = other_client.post("/special-time", data={"child_id": str(household_a["child_id"])})

    assert response.status_code == 404
    assert count(Routine) == before


def test_a_moment_for_a_households_child_is_refused_with_a_message(
    other_client, household_a, household_b, count
):
    before = count(Moment)

    response = other_client.post(
        "/moments/new",
        data={"child_id": str(household_a["child_id"]), "need": "comfort_me", "when": "0"},
    )

    assert response.status_code == 200
    assert "Choose one of your children." in flashed(response)
    assert count(Moment) == before


def test_anonymous_visitors_are_sent_to_login_from_every_private_route(app, household_a):
    anonymous = app.test_client()
    checked, wrong = 0, []

    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.rule in PUBLIC_RULES:
            continue
        url = rule_url(app, rule, household_a)
        for method in sorted(rule.methods & {"GET", "POST"}):
            response = anonymous.open(url, method=method)
            checked += 1
            target = urlsplit(response.headers.get("Location", "")).path
            if rule.rule.startswith("/api/"):
                # API callers get a 401 in JSON, never a redirect to a page.
                if response.status_code != 401 or not response.is_json:
                    wrong.append(f"{method} {url} -> {response.status_code}")
            elif response.status_code != 302 or target != "/login":
                wrong.append(f"{method} {url} -> {response.status_code} {target}")

    assert wrong == []
    assert checked > 20


def test_public_pages_open_without_an_account(app, household_a):
    anonymous = app.test_client()
    for rule in app.url_map.iter_rules():
        if rule.rule not in PUBLIC_RULES:
            continue
        url = rule_url(app, rule, household_a)
        with anonymous.get(url) as response:
            # 404: the made-up invite token; 302: the language picker goes back where it was.
            expected = (302,) if rule.rule == "/language/<code>" else (200, 404)
            assert response.status_code in expected, url
            assert urlsplit(response.headers.get("Location", "")).path != "/login", url
