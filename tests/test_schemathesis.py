"""Schemathesis sends generated requests to every operation of /api/v1/openapi.json.

The document is the one the app serves. Requests go in-process to the test's app (no server),
logged out and logged in as a caregiver with a child, and every answer must be what the
document promises: never a 5xx; a documented status, content type, headers and body; a request
the document calls invalid is refused; a success never comes without the session cookie; a
method the document doesn't list is a 405. The "ci" Hypothesis profile in conftest.py sends
the same requests every run; HYPOTHESIS_PROFILE=explore draws new ones.
"""

import json
import re
import uuid
from collections import defaultdict

import pytest
import schemathesis
from conftest import PASSWORD, kind_by_key, login
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from parenting import create_app, domain, security
from parenting.extensions import db
from parenting.models import Household, RoutineKind, User

# Not positive_data_acceptance: a schema-valid entry may still be refused with a documented 422
# (a time in the future or before 2000, kind and kind_id naming different kinds), and JSON
# Schema can't say those rules.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    ignored_auth,
    unsupported_method,
    allow_header_conformance,
]
SPEC_URL = "/api/v1/openapi.json"
EMAIL = "sam@example.org"
MOMENT_UUID = "6f1c2a34-5b6d-4e7f-8a9b-0c1d2e3f4a5b"
ROUTINE_UUID = "7a2b3c4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d"
UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)


def served_document() -> dict:
    """Return the OpenAPI document as the app serves it (it needs no database)."""
    app = create_app({"TESTING": True, "SECRET_KEY": "spec", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    response = app.test_client().get(SPEC_URL)
    assert response.status_code == 200
    return response.get_json()


# Collection needs the operations before any test's app exists. Loaded from the served document
# rather than with from_wsgi, which leaves out the operation that serves the document.
schema = schemathesis.openapi.from_dict(served_document())
# Werkzeug's test client sends Host: localhost; the session cookie goes there too.
schema.config.update(base_url="http://localhost")
# The logged-in caregiver of the current test: the session cookie and rows that exist.
logged_in: dict = {}


@schema.auth(refresh_interval=None, retry_on=[])
class SessionCookie:
    """Send the current test's session cookie, as a browser would, when someone is logged in."""

    def get(self, case, context):
        return logged_in.get("cookie")

    def set(self, case, data, context):
        case.cookies = {**(case.cookies or {}), "session": data}


def valid(name: str, value) -> bool:
    """Return whether the document allows this value of an id, a UUID or a kind's key."""
    if name.endswith("uuid"):
        return isinstance(value, str) and UUID_TEXT.fullmatch(value) is not None
    if name == "kind":
        return isinstance(value, str) and 1 <= len(value) <= 40
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def with_rows(values, *choices: dict):
    """Draw the generated values, or the same with one choice of existing rows in place.

    Only valid values are replaced, so a request the document calls invalid stays invalid.
    """
    if not isinstance(values, dict):
        return st.just(values)
    options = [values]
    for rows in choices:
        swap = {name: row for name, row in rows.items()
                if name in values and valid(name, values[name])}
        if swap:
            options.append({**values, **swap})
    return st.sampled_from(options)


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    return with_rows(path_parameters, logged_in.get("rows", {}))


@schema.hook
def flatmap_body(context, body):
    rows = logged_in.get("rows", {})
    # A stored entry's UUID too: the same body again is a replay, another body a conflict.
    stored = rows.get("moment_uuid" if "moments" in context.operation.path else "routine_uuid")
    return with_rows(body, rows, {**rows, "uuid": stored} if stored else {})


def within_the_forms_rules(case) -> None:
    """Keep a generated entry within the rules between fields that the document only describes.

    Schemathesis builds its boundary cases on one body with a reconnection time but rupture:
    false, and with kind and kind_id naming different kinds: the form refuses those before it
    looks at anything else. Only values the document allows are changed, so a request the
    document calls invalid stays invalid.
    """
    body = case.body
    if not isinstance(body, dict):
        return
    repaired_at, rupture = body.get("repaired_at"), body.get("rupture")
    if isinstance(repaired_at, str) and repaired_at and (rupture is None or rupture is False):
        body["rupture"] = True
    if valid("kind", body.get("kind")) and valid("kind_id", body.get("kind_id")):
        del body["kind"]


def entry_uuid_per_body(case) -> None:
    """Give each generated entry a UUID of its own, as the offline queue does.

    Schemathesis puts one UUID in every boundary case, so each after the first would be a
    uuid_conflict and never reach the checks behind it. The same body keeps the same UUID.
    """
    body = case.body
    if (isinstance(body, dict) and valid("uuid", body.get("uuid"))
            and body["uuid"] not in (MOMENT_UUID, ROUTINE_UUID)):
        text = json.dumps({**body, "uuid": None}, sort_keys=True, default=str)
        body["uuid"] = str(uuid.uuid5(uuid.NAMESPACE_URL, text))


def add_caregiver(app) -> int:
    """Store a caregiver in a household of their own, without the sign-up flow; return the id."""
    with app.app_context():
        household = Household(name="Sam's household", timezone="Europe/London")
        for position, kind in enumerate(domain.DEFAULT_ROUTINE_KINDS):
            household.routine_kinds.append(
                RoutineKind(key=kind.id, label=kind.label, position=position))
        user = User(email=EMAIL, display_name="Sam", timezone="Europe/London",
                    password_hash=security.hash_password(PASSWORD), household=household)
        db.session.add(user)
        db.session.commit()
        return user.id


@pytest.fixture(params=["logged out", "logged in"])
def caller(request, app, client, make_child, make_moment, make_routine):
    """Log a caregiver with a child and two entries in, or no one; yield where to note answers.

    Afterwards, check the run got past the door: a success logged in, a 401 logged out.
    """
    if request.param == "logged in":
        user = add_caregiver(app)
        child = make_child(user)
        make_moment(child, user, uuid=MOMENT_UUID)
        make_routine(child, user, uuid=ROUTINE_UUID)
        with app.app_context():
            bedtime = kind_by_key(child, "bedtime").id
        assert login(client, email=EMAIL).status_code == 302
        logged_in["cookie"] = client.get_cookie("session", domain="tend.test").value
        logged_in["rows"] = {"child_id": child, "moment_uuid": MOMENT_UUID,
                             "routine_uuid": ROUTINE_UUID, "kind": "bedtime", "kind_id": bedtime}
    answers: dict[str, list[int]] = defaultdict(list)
    failed = request.session.testsfailed
    try:
        yield answers
    finally:
        logged_in.clear()
    if request.session.testsfailed > failed:
        return  # the test has failed already; the statuses would only repeat it
    for operation, statuses in answers.items():
        if request.param == "logged in":
            assert any(200 <= status < 300 for status in statuses), (operation, sorted(statuses))
        else:
            door = 200 if operation == f"GET {SPEC_URL}" else 401
            assert door in statuses, (operation, sorted(statuses))


@schema.parametrize()
# One app and one caregiver for all of an operation's examples, on purpose: entries pile up.
@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_every_operation_answers_as_documented(case, app, caller):
    # Checks that send more requests (ignored_auth) go to this test's app, on its database.
    operation = case.operation
    operation.app = operation.schema.app = app
    # Coverage-phase requests are made at collection, before anyone logs in.
    if logged_in and not operation.schema.is_security_param_negated(case):
        operation.schema.auth.set(case, schemathesis.AuthContext(operation=operation, app=app))

    within_the_forms_rules(case)
    entry_uuid_per_body(case)

    response = case.call_and_validate(checks=CHECKS)

    if case.method.upper() == operation.method.upper():  # not an undocumented method
        caller[operation.label].append(response.status_code)
