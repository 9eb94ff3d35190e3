"""The entries API: each UUID is stored once, for the signed-in household only, same-origin only."""

import json
import logging
import re
import threading
import uuid as uuid_lib
from datetime import UTC, datetime, timedelta

import pytest
from conftest import kind_by_key
from sqlalchemy import event, func, select

from parenting import api
from parenting.extensions import db
from parenting.models import Child, Moment, PromptShown, Routine, User
from parenting.prompts import load_prompts

HOST = "tend.test"
AT = "2024-07-04T12:00:00+01:00"  # 11:00 UTC
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def new_uuid() -> str:
    return str(uuid_lib.uuid4())


def moment_body(child_id: int, **fields) -> dict:
    return {"uuid": new_uuid(), "child_id": child_id, "occurred_at": AT, "need": "comfort_me",
            **fields}


def routine_body(child_id: int, **fields) -> dict:
    return {"uuid": new_uuid(), "child_id": child_id, "kind": "bedtime",
            "started_at": "2024-07-04T19:00:00+01:00", **fields}


# (collection URL, body factory, model): the two kinds of entry behave the same way.
ENTRIES = {
    "moments": ("/api/v1/moments", moment_body, Moment),
    "routines": ("/api/v1/routines", routine_body, Routine),
}
# A field each kind can take with another value, to make "the same UUID, a different body".
CHANGED = {"moments": {"need": "protect_me"}, "routines": {"note": "a different note"}}


def post(client, url, body, **headers):
    return client.post(url, json=body, headers=headers)


@pytest.fixture
def ana(client, make_user, make_child):
    """Ana with a child, signed in on `client`; return (user id, child id)."""
    user = make_user()
    return user, make_child(user, nickname="Mo")


@pytest.fixture
def bo(other_client, make_user, make_child):
    """Bo's separate household with a child, signed in on `other_client`."""
    user = make_user(email="bo@example.org", name="Bo", using=other_client)
    return user, make_child(user, nickname="Zed")


@pytest.fixture
def row_by_uuid(app):
    """Return the stored entry with a UUID as a dict of its columns, or None."""

    def get(model, entry_uuid):
        with app.app_context():
            row = db.session.scalar(db.select(model).where(model.uuid == entry_uuid))
            if row is None:
                return None
            return {c.name: getattr(row, c.name) for c in model.__table__.columns}

    return get


# --- creating, replaying, conflicting -----------------------------------------------------


def test_a_new_moment_is_stored_with_every_field_and_answered_201_with_its_location(
    client, ana, row_by_uuid
):
    user, child = ana
    body = moment_body(
        child, responses=["held_comforted", "named_feeling"], cues=["cried", "clung"],
        cue_text="  sobbed at the gate ", miscue=True, intensity=4, how_soon="right_away",
        feelings=["tired", "tender"], rupture=True, repaired_at="2024-07-04T11:20:00Z",
        repair_ways=["hug"], repair_note="we read together", note=" A long day, é ✓ ",
    )

    response = post(client, "/api/v1/moments", body)

    assert response.status_code == 201
    assert response.headers["Location"] == f"/api/v1/moments/{body['uuid']}"
    row = row_by_uuid(Moment, body["uuid"])
    assert row["child_id"] == child
    assert row["caregiver_id"] == user
    assert row["occurred_at"] == datetime(2024, 7, 4, 11, 0, tzinfo=UTC)
    assert row["repaired_at"] == datetime(2024, 7, 4, 11, 20, tzinfo=UTC)
    assert row["responses"] == ["held_comforted", "named_feeling"]
    assert (row["cue_text"], row["note"]) == ("sobbed at the gate", "A long day, é ✓")
    assert (row["miscue"], row["intensity"], row["rupture"]) == (True, 4, True)
    assert response.json == {
        "id": row["id"], "uuid": body["uuid"], "child_id": child, "caregiver_id": user,
        "occurred_at": "2024-07-04T11:00:00+00:00", "need": "comfort_me",
        "responses": ["held_comforted", "named_feeling"], "cues": ["cried", "clung"],
        "cue_text": "sobbed at the gate", "miscue": True, "intensity": 4,
        "how_soon": "right_away", "feelings": ["tired", "tender"], "rupture": True,
        "repaired_at": "2024-07-04T11:20:00+00:00", "repair_ways": ["hug"],
        "repair_note": "we read together", "note": "A long day, é ✓",
        "created_at": row["created_at"].isoformat(),
    }


def test_a_minimal_moment_gets_the_forms_defaults(client, ana, row_by_uuid):
    _user, child = ana
    body = moment_body(child)

    assert post(client, "/api/v1/moments", body).status_code == 201

    row = row_by_uuid(Moment, body["uuid"])
    assert (row["responses"], row["cues"], row["feelings"], row["repair_ways"]) == ([], [], [], [])
    assert (row["miscue"], row["rupture"], row["intensity"], row["how_soon"]) == (
        False, False, None, None)
    assert (row["repaired_at"], row["note"]) == (None, "")
    # Like the web form, a new moment is offered one reflective prompt (safe haven: comfort_me).
    assert row["prompt_id"] in {p.id for p in load_prompts() if "safe_haven" in p.contexts}


@pytest.mark.parametrize("kind", ["bedtime", None])
def test_a_new_routine_is_stored_by_kind_key_or_kind_id(app, client, ana, row_by_uuid, kind):
    user, child = ana
    with app.app_context():
        bedtime = kind_by_key(child, "bedtime").id
    body = routine_body(child, ended_at="2024-07-04T18:40:00Z", note=" story ")
    if kind is None:
        body = {**{k: v for k, v in body.items() if k != "kind"}, "kind_id": bedtime}

    response = post(client, "/api/v1/routines", body)

    assert response.status_code == 201
    assert response.headers["Location"] == f"/api/v1/routines/{body['uuid']}"
    row = row_by_uuid(Routine, body["uuid"])
    assert (row["child_id"], row["kind_id"], row["caregiver_id"]) == (child, bedtime, user)
    assert row["started_at"] == datetime(2024, 7, 4, 18, 0, tzinfo=UTC)
    assert row["ended_at"] == datetime(2024, 7, 4, 18, 40, tzinfo=UTC)
    assert response.json == {
        "id": row["id"], "uuid": body["uuid"], "child_id": child, "caregiver_id": user,
        "kind_id": bedtime, "kind": "bedtime", "started_at": "2024-07-04T18:00:00+00:00",
        "ended_at": "2024-07-04T18:40:00+00:00", "note": "story",
        "created_at": row["created_at"].isoformat(),
    }


@pytest.mark.parametrize("entry", ENTRIES)
def test_the_same_uuid_and_body_again_answers_200_with_the_stored_entry(
    client, ana, count, entry
):
    url, make_body, model = ENTRIES[entry]
    body = make_body(ana[1], note="first try")
    first = post(client, url, body)

    again = post(client, url, body)

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json == first.json
    assert "Location" not in again.headers
    assert count(model) == 1


def test_a_replay_is_compared_after_the_values_are_normalised(client, ana, count):
    _user, child = ana
    body = moment_body(child, note="hi")
    assert post(client, "/api/v1/moments", body).status_code == 201

    # The same instant written another way, the UUID in capitals, the note with spaces.
    same = {**body, "uuid": body["uuid"].upper(), "occurred_at": "2024-07-04T11:00:00Z",
            "note": "  hi ", "responses": [], "rupture": False}

    assert post(client, "/api/v1/moments", same).status_code == 200
    assert count(Moment) == 1


@pytest.mark.parametrize("entry", ENTRIES)
def test_the_same_uuid_with_a_different_body_is_a_422_conflict_and_changes_nothing(
    client, ana, count, row_by_uuid, entry
):
    url, make_body, model = ENTRIES[entry]
    body = make_body(ana[1], note="first try")
    assert post(client, url, body).status_code == 201
    before = row_by_uuid(model, body["uuid"])

    response = post(client, url, {**body, **CHANGED[entry]})

    assert response.status_code == 422
    assert response.json["error"] == "uuid_conflict"
    assert row_by_uuid(model, body["uuid"]) == before
    assert count(model) == 1


@pytest.mark.parametrize("entry", ENTRIES)
def test_concurrent_posts_of_one_uuid_store_one_row(app, client, ana, count, entry):
    url, make_body, model = ENTRIES[entry]
    body = make_body(ana[1])
    session_cookie = client.get_cookie("session", domain=HOST).value
    clients = [app.test_client() for _ in range(10)]
    for each in clients:
        each.set_cookie("session", session_cookie, domain=HOST)
    start = threading.Barrier(len(clients))
    answers: list = []

    def send(each):
        start.wait()
        try:
            response = post(each, url, body)
            answers.append((response.status_code, response.json["id"]))
        except Exception as error:  # noqa: BLE001  (reported in the assertion below)
            answers.append(repr(error))

    threads = [threading.Thread(target=send, args=(each,)) for each in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(status for status, _id in answers) == [200] * 9 + [201], answers
    assert len({row_id for _status, row_id in answers}) == 1
    assert count(model) == 1


def test_a_new_entry_is_inserted_without_looking_its_uuid_up_first(app, client, ana):
    statements = []

    def on_execute(conn, cursor, statement, parameters, context, executemany):
        statements.append(" ".join(statement.split()))

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", on_execute)
    try:
        assert post(client, "/api/v1/moments", moment_body(ana[1])).status_code == 201
    finally:
        with app.app_context():
            event.remove(db.engine, "before_cursor_execute", on_execute)

    assert [s for s in statements if s.startswith("INSERT INTO moment")]
    assert not [s for s in statements if s.startswith("SELECT") and " FROM moment" in s]


@pytest.mark.parametrize(("changed", "status"), [(False, 200), (True, 422)])
def test_a_stored_uuid_is_refused_by_its_index_and_then_read_once(
    app, client, ana, count, monkeypatch, changed, status
):
    """A replay, or the loser of a race, tries its INSERT; the unique index refuses it and only
    then is the stored entry read, once. Nothing of the refused one stays, not its prompt."""
    body = moment_body(ana[1])
    first = post(client, "/api/v1/moments", body)
    with app.app_context():
        prompts_noted = db.session.scalar(select(func.count()).select_from(PromptShown))
    real, calls = api.find_by_uuid, []

    def counted(model, entry_uuid):
        calls.append(entry_uuid)
        return real(model, entry_uuid)

    monkeypatch.setattr(api, "find_by_uuid", counted)
    response = post(client, "/api/v1/moments", {**body, "need": "protect_me"} if changed else body)

    assert calls == [body["uuid"]]
    assert response.status_code == status
    if not changed:
        assert response.json == first.json
    else:
        assert response.json["error"] == "uuid_conflict"
    assert count(Moment) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PromptShown)) == prompts_noted


# --- validation: the web form's rules, answered field by field ----------------------------

REPAIRED = {"rupture": True, "repaired_at": "2024-07-04T11:30:00Z"}
BAD_MOMENTS = [
    ("uuid", {"uuid": None}, "Give the entry's UUID"),
    ("uuid", {"uuid": "not-a-uuid"}, "Give the entry's UUID"),
    ("uuid", {"uuid": 123}, "Give the entry's UUID"),
    ("uuid", {"uuid": "{0b8e4c1a-3f5d-4e7a-9c2b-6d1f0a9e8b7c}"}, "Give the entry's UUID"),
    ("child_id", {"child_id": None}, "whole number"),
    ("child_id", {"child_id": "1"}, "whole number"),
    ("child_id", {"child_id": True}, "whole number"),
    ("need", {"need": None}, "Choose what they needed"),
    ("need", {"need": ""}, "Choose what they needed"),
    ("need", {"need": "a_nap"}, "Choose from the options shown."),
    ("need", {"need": ["comfort_me"]}, "Use a string."),
    ("responses", {"responses": ["flew_away"]}, "Choose from the options shown."),
    ("responses", {"responses": "held_comforted"}, "Use a list of strings."),
    ("responses", {"responses": [1, {"a": None}]}, "Use a list of strings."),
    ("cues", {"cues": ["sang"]}, "Choose from the options shown."),
    ("feelings", {"feelings": ["bored"]}, "Choose from the options shown."),
    ("how_soon", {"how_soon": "soonish"}, "Choose from the options shown."),
    ("intensity", {"intensity": 9}, "Choose from the options shown."),
    ("intensity", {"intensity": "3"}, "Use a whole number."),
    ("intensity", {"intensity": 3.5}, "Use a whole number."),
    ("miscue", {"miscue": "yes"}, "Use true or false."),
    ("rupture", {"rupture": 1}, "Use true or false."),
    ("cue_text", {"cue_text": "x" * 201}, "longer than 200"),
    ("note", {"note": "x" * 5001}, "longer than 5000"),
    ("note", {"note": "before\x00after"}, "NUL"),
    ("occurred_at", {"occurred_at": None}, "Give the moment's time."),
    ("occurred_at", {"occurred_at": "yesterday"}, "ISO 8601"),
    ("occurred_at", {"occurred_at": "2024-07-04T12:00:00"}, "offset from UTC"),
    ("occurred_at", {"occurred_at": 1720094400}, "Use a string."),
    ("occurred_at", {"occurred_at": "1999-12-31T23:00:00+00:00"}, "too far back"),
    ("occurred_at", {"occurred_at": "0001-01-01T00:00:00+01:00"}, "out of range"),
    ("repaired_at", {"rupture": True, "repaired_at": "2024-07-04T10:59:00Z"},
     "Reconnecting can't come before the moment itself."),
    ("repaired_at", {"repaired_at": "2024-07-04T11:30:00Z"}, "went sideways"),
    ("repaired_at", {"rupture": True, "repaired_at": "soon"}, "ISO 8601"),
    ("repair_ways", {"rupture": True, "repair_ways": ["hug"]}, "Give repaired_at"),
    ("repair_ways", {**REPAIRED, "repair_ways": ["shrugged"]}, "Choose from the options shown."),
    ("repair_note", {"rupture": True, "repair_note": "we hugged"}, "Give repaired_at"),
    ("repair_note", {**REPAIRED, "repair_note": "x" * 501}, "longer than 500"),
]


@pytest.mark.parametrize(("field", "change", "message"), BAD_MOMENTS,
                         ids=[f"{f}-{i}" for i, (f, _c, _m) in enumerate(BAD_MOMENTS)])
def test_a_bad_moment_field_is_a_422_naming_that_field_and_stores_nothing(
    client, ana, count, field, change, message
):
    body = {**moment_body(ana[1]), **change}

    response = post(client, "/api/v1/moments", body)

    assert response.status_code == 422
    assert response.json["error"] == "invalid"
    assert set(response.json["fields"]) == {field}, response.json
    assert message in " ".join(response.json["fields"][field])
    assert count(Moment) == 0


def test_an_empty_object_names_every_required_field(client, ana):
    response = post(client, "/api/v1/moments", {})

    assert response.status_code == 422
    assert set(response.json["fields"]) == {"uuid", "child_id", "occurred_at", "need"}


BAD_ROUTINES = [
    ("started_at", {"started_at": None}, "Enter when it started."),
    ("started_at", {"started_at": "2024-07-04 19:00"}, "offset from UTC"),
    ("ended_at", {"ended_at": "2024-07-04T17:59:00Z"}, "The end can't be before the start."),
    ("note", {"note": "x" * 5001}, "longer than 5000"),
    ("kind", {"kind": 3}, "Give the kind's key"),
    ("kind", {"kind": "bed\x00time"}, "Give the kind's key"),
    ("kind_id", {"kind": None}, "Give kind_id"),
    ("kind_id", {"kind": None, "kind_id": "2"}, "Give kind_id"),
]


@pytest.mark.parametrize(("field", "change", "message"), BAD_ROUTINES,
                         ids=[f"{f}-{i}" for i, (f, _c, _m) in enumerate(BAD_ROUTINES)])
def test_a_bad_routine_field_is_a_422_naming_that_field_and_stores_nothing(
    client, ana, count, field, change, message
):
    body = {**routine_body(ana[1]), **change}

    response = post(client, "/api/v1/routines", body)

    assert response.status_code == 422
    assert set(response.json["fields"]) == {field}, response.json
    assert message in " ".join(response.json["fields"][field])
    assert count(Routine) == 0


def test_kind_and_kind_id_that_disagree_are_refused(app, client, ana, count):
    with app.app_context():
        nap = kind_by_key(ana[1], "nap").id

    response = post(client, "/api/v1/routines", routine_body(ana[1], kind_id=nap))

    assert response.status_code == 422
    assert set(response.json["fields"]) == {"kind"}
    assert count(Routine) == 0


@pytest.mark.parametrize(("entry", "field"), [("moments", "occurred_at"),
                                              ("routines", "started_at"),
                                              ("routines", "ended_at")])
def test_a_time_more_than_five_minutes_ahead_is_refused(client, ana, count, entry, field):
    url, make_body, model = ENTRIES[entry]
    now = datetime.now(UTC)
    later = (now + timedelta(minutes=6)).isoformat()
    soon = (now + timedelta(minutes=4)).isoformat()
    start = {"started_at": now.isoformat()} if field == "ended_at" else {}

    refused = post(client, url, make_body(ana[1], **start, **{field: later}))
    accepted = post(client, url, make_body(ana[1], **start, **{field: soon}))

    assert refused.status_code == 422
    assert refused.json["fields"] == {field: ["That time is in the future. Pick a time up to now."]}
    assert accepted.status_code == 201
    assert count(model) == 1


def test_a_reconnection_in_the_future_is_refused(client, ana, count):
    later = (datetime.now(UTC) + timedelta(minutes=6)).isoformat()

    response = post(client, "/api/v1/moments",
                    moment_body(ana[1], rupture=True, repaired_at=later))

    assert response.json["fields"] == {
        "repaired_at": ["That time is in the future. Pick a time up to now."]
    }


# --- households ---------------------------------------------------------------------------


@pytest.mark.parametrize("entry", ENTRIES)
def test_another_households_child_is_a_404_and_stores_nothing(
    client, ana, bo, count, entry
):
    url, make_body, model = ENTRIES[entry]

    response = post(client, url, make_body(bo[1]))

    assert response.status_code == 404
    assert response.json == {"error": "not_found"}
    assert count(model) == 0


def test_another_households_child_is_a_404_even_with_other_fields_wrong(client, ana, bo):
    response = post(client, "/api/v1/moments", moment_body(bo[1], need="a_nap", uuid=None))

    assert response.status_code == 404


@pytest.mark.parametrize("wanted", ["kind_id", "custom_key", "unknown_key"])
def test_a_kind_the_household_does_not_have_is_a_404(app, client, ana, bo, count, wanted):
    with app.app_context():
        b_kind = kind_by_key(bo[1], "bedtime")
        b_kind.key = "custom_1"
        db.session.commit()
        kind = {"kind_id": {"kind": None, "kind_id": b_kind.id},
                "custom_key": {"kind": "custom_1"},
                "unknown_key": {"kind": "juggling"}}[wanted]

    response = post(client, "/api/v1/routines", routine_body(ana[1], **kind))

    assert response.status_code == 404
    assert count(Routine) == 0


@pytest.mark.parametrize("entry", ENTRIES)
def test_another_households_uuid_is_a_conflict_and_changes_nothing(
    client, other_client, ana, bo, count, row_by_uuid, entry
):
    url, make_body, model = ENTRIES[entry]
    b_body = make_body(bo[1], note="Bo's")
    assert post(other_client, url, b_body).status_code == 201
    before = row_by_uuid(model, b_body["uuid"])

    # Ana sends Bo's UUID with her own child, and again with an otherwise identical body.
    mine = post(client, url, {**b_body, "child_id": ana[1]})
    identical = post(client, url, b_body)

    assert mine.status_code == 422
    assert mine.json["error"] == "uuid_conflict"
    assert "Bo" not in mine.get_data(as_text=True)
    assert identical.status_code == 404  # Bo's child, as for any request naming it
    assert row_by_uuid(model, b_body["uuid"]) == before
    assert count(model) == 1
    assert client.get(f"{url}/{b_body['uuid']}").status_code == 404


def test_a_member_of_the_same_household_replaying_a_uuid_is_a_conflict(
    app, client, other_client, ana, make_user, join_household, household_of, count
):
    """The caregiver is part of the entry: a replay comes from the one who logged it."""
    kit = make_user(email="kit@example.org", name="Kit", using=other_client)
    join_household(kit, household_of(ana[0]))
    body = moment_body(ana[1])
    assert post(client, "/api/v1/moments", body).status_code == 201

    response = post(other_client, "/api/v1/moments", body)

    assert response.status_code == 422
    assert response.json["error"] == "uuid_conflict"
    assert other_client.get(f"/api/v1/moments/{body['uuid']}").status_code == 200
    assert count(Moment) == 1


@pytest.mark.parametrize("entry", ENTRIES)
def test_ids_for_the_household_caregiver_and_row_in_the_body_are_ignored(
    app, client, ana, bo, row_by_uuid, entry
):
    url, make_body, model = ENTRIES[entry]
    b_user, b_child = bo
    with app.app_context():
        b_household = db.session.get(User, b_user).household_id
    body = make_body(ana[1], caregiver_id=b_user, household_id=b_household, id=4242,
                     created_at="2001-01-01T00:00:00Z", user_id=b_user, prompt_id="x")

    response = post(client, url, body)

    assert response.status_code == 201
    row = row_by_uuid(model, body["uuid"])
    assert row["caregiver_id"] == ana[0] == response.json["caregiver_id"]
    assert row["id"] != 4242
    assert row["created_at"].year > 2001
    with app.app_context():
        assert db.session.get(Child, row["child_id"]).household_id != b_household


# --- reading back -------------------------------------------------------------------------


@pytest.mark.parametrize("entry", ENTRIES)
def test_an_entry_reads_back_by_uuid_for_its_household_only(
    client, other_client, ana, bo, entry
):
    url, make_body, _model = ENTRIES[entry]
    body = make_body(ana[1])
    created = post(client, url, body)

    mine = client.get(f"{url}/{body['uuid']}")
    theirs = other_client.get(f"{url}/{body['uuid']}")
    unknown = client.get(f"{url}/{new_uuid()}")
    malformed = client.get(f"{url}/not-a-uuid")

    assert (mine.status_code, mine.json) == (200, created.json)
    for response in (theirs, unknown, malformed):
        assert response.status_code == 404
        assert response.json == {"error": "not_found"}


def test_anonymous_requests_get_401_json_and_no_redirect(app, client, ana):
    anonymous = app.test_client()
    created = moment_body(ana[1])
    assert post(client, "/api/v1/moments", created).status_code == 201

    responses = [
        post(anonymous, "/api/v1/moments", moment_body(ana[1])),
        post(anonymous, "/api/v1/routines", routine_body(ana[1])),
        anonymous.post("/api/v1/moments", data="junk", content_type="text/plain"),
        anonymous.get(f"/api/v1/moments/{created['uuid']}"),
    ]

    for response in responses:
        assert response.status_code == 401
        assert response.json == {"error": "login_required", "login_url": "/login"}
        assert "Location" not in response.headers


# --- same origin, JSON only ---------------------------------------------------------------


@pytest.mark.parametrize("headers", [
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site"},
    {"Sec-Fetch-Site": "none"},
    {"Origin": "https://evil.example"},
    {"Origin": "null"},
    {"Origin": "http://tend.test.evil.example"},
    {"Origin": "https://tend.test"},
    {"Origin": "http://tend.test:8080"},
    {"Sec-Fetch-Site": "same-origin", "Origin": "https://evil.example"},
    {"Sec-Fetch-Site": "cross-site", "Origin": "http://tend.test"},
])
@pytest.mark.parametrize("entry", ENTRIES)
def test_a_write_from_another_origin_is_a_403_and_stores_nothing(
    client, ana, count, entry, headers
):
    url, make_body, model = ENTRIES[entry]

    response = post(client, url, make_body(ana[1]), **headers)

    assert response.status_code == 403
    assert response.json == {"error": "cross_origin"}
    assert count(model) == 0


def test_a_read_from_another_site_is_a_403_but_the_address_bar_may_read(client, ana):
    body = moment_body(ana[1])
    assert post(client, "/api/v1/moments", body).status_code == 201
    url = f"/api/v1/moments/{body['uuid']}"

    assert client.get(url, headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert client.get(url, headers={"Origin": "https://evil.example"}).status_code == 403
    assert client.get(url, headers={"Sec-Fetch-Site": "none"}).status_code == 200


@pytest.mark.parametrize("headers", [
    {"Origin": "http://tend.test", "Sec-Fetch-Site": "same-origin"},
    {"Origin": "http://TEND.test"},
    {"Sec-Fetch-Site": "same-origin"},
    {},
])
def test_a_write_from_the_apps_own_origin_is_accepted(client, ana, count, headers):
    response = post(client, "/api/v1/moments", moment_body(ana[1]), **headers)

    assert response.status_code == 201
    assert count(Moment) == 1


@pytest.mark.parametrize(("data", "content_type"), [
    ("uuid=0b8e4c1a-3f5d-4e7a-9c2b-6d1f0a9e8b7c&need=comfort_me",
     "application/x-www-form-urlencoded"),
    # A cross-site form can send JSON text as text/plain without a CORS preflight.
    (None, "text/plain"),
    (None, "application/vnd.api+json"),
    (None, None),
])
def test_a_body_that_is_not_application_json_is_a_415(client, ana, count, data, content_type):
    body = data if data is not None else json.dumps(moment_body(ana[1]))

    response = client.post("/api/v1/moments", data=body, content_type=content_type)

    assert response.status_code == 415
    assert response.json["error"] == "unsupported_media_type"
    assert count(Moment) == 0


@pytest.mark.parametrize("data", [
    b"not json", b"", b"[1, 2]", b"null", b'"text"', b"42", b"{", b"\xff\xfe{}",
    b"[" * 50_000, b'{"a": ' * 50_000,
])
def test_a_body_that_is_not_one_json_object_is_a_400(client, ana, count, data):
    response = client.post("/api/v1/moments", data=data, content_type="application/json")

    assert response.status_code == 400
    assert response.json["error"] == "bad_request"
    assert count(Moment) == 0


def test_the_api_needs_no_csrf_token_while_the_forms_do(app, client, ana, count):
    app.config["WTF_CSRF_ENABLED"] = True

    form = client.post("/check-in", data={"feeling": "calm"})
    response = post(client, "/api/v1/moments", moment_body(ana[1]), Origin="http://tend.test")

    assert form.status_code == 400
    assert response.status_code == 201
    assert count(Moment) == 1


def test_api_answers_are_never_cached(client, ana):
    body = moment_body(ana[1])
    responses = [post(client, "/api/v1/moments", body), post(client, "/api/v1/moments", body),
                 client.get(f"/api/v1/moments/{body['uuid']}"),
                 post(client, "/api/v1/moments", {}), client.get("/api/v1/openapi.json")]

    assert [r.headers["Cache-Control"] for r in responses] == ["no-store"] * len(responses)


def test_note_text_never_reaches_the_logs(client, ana, caplog):
    caplog.set_level(logging.DEBUG)
    private = {"note": "NOTE-private-words", "cue_text": "CUE-private", "rupture": True,
               "repaired_at": "2024-07-04T11:30:00Z", "repair_note": "REPAIR-private"}
    body = moment_body(ana[1], **private)

    post(client, "/api/v1/moments", body)
    post(client, "/api/v1/moments", body)
    post(client, "/api/v1/moments", {**body, "need": "help_me"})
    post(client, "/api/v1/moments", {**body, "need": "a_nap", "uuid": new_uuid()})
    post(client, "/api/v1/routines", routine_body(ana[1], note="NOTE-routine-private"))

    assert "api moment created" in caplog.text  # the log is captured, and says what happened
    assert "uuid conflict" in caplog.text
    assert "private" not in caplog.text.lower()


# --- the OpenAPI description ----------------------------------------------------------------


def openapi_path(rule) -> str:
    """Turn a Werkzeug rule like /x/<int:child_id> into an OpenAPI path like /x/{child_id}."""
    return re.sub(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>", r"{\1}", rule.rule)


def refs(node):
    """Yield every $ref in a JSON document."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs(item)


def resolve(document: dict, pointer: str):
    assert pointer.startswith("#/"), pointer
    node = document
    for part in pointer[2:].split("/"):
        node = node[part]
    return node


def test_the_openapi_document_is_public_and_lists_every_api_route(app):
    response = app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json

    routes: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            methods = {m.lower() for m in rule.methods} - {"head", "options"}
            routes.setdefault(openapi_path(rule), set()).update(methods)
    documented = {path: set(item) & HTTP_METHODS for path, item in document["paths"].items()}

    assert len(routes) >= 6
    assert documented == routes  # a new /api/v1 route fails here until it is documented


def test_the_openapi_document_is_well_formed(app):
    document = app.test_client().get("/api/v1/openapi.json").json

    assert re.fullmatch(r"3\.1\.\d+", document["openapi"])
    assert document["info"]["title"] and document["info"]["version"]
    for pointer in set(refs(document)):
        assert isinstance(resolve(document, pointer), dict), pointer
    for path, item in document["paths"].items():
        names = set(re.findall(r"{(\w+)}", path))
        for method, operation in item.items():
            assert method in HTTP_METHODS, (path, method)
            statuses = set(operation["responses"])
            assert statuses and all(re.fullmatch(r"[1-5]\d\d", s) for s in statuses), path
            assert any(s.startswith("2") for s in statuses), path
            in_path = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert in_path == names, (path, method)
    for name, schema in document["components"]["schemas"].items():
        assert set(schema.get("required", [])) <= set(schema["properties"]), name
    assert document["paths"]["/api/v1/openapi.json"]["get"]["security"] == []


def test_the_openapi_schemas_match_what_the_api_returns(client, ana):
    document = client.get("/api/v1/openapi.json").json
    schemas = document["components"]["schemas"]
    moment = post(client, "/api/v1/moments", moment_body(ana[1])).json
    routine = post(client, "/api/v1/routines", routine_body(ana[1])).json

    assert set(moment) == set(schemas["Moment"]["properties"])
    assert set(routine) == set(schemas["Routine"]["properties"])
    assert set(schemas["MomentInput"]["properties"]) == {"uuid", "child_id", *api.MOMENT_FIELDS}
    assert set(schemas["RoutineInput"]["properties"]) == {
        "uuid", "child_id", "kind_id", "kind", *api.ROUTINE_FIELDS}


def test_a_new_moment_offers_one_prompt_and_a_replay_offers_none(client, ana, count):
    """The queue opens /moments/<id>/prompt after sending: the prompt must be there to show."""
    _user, child = ana
    body = moment_body(child)
    first = post(client, "/api/v1/moments", body)
    assert first.status_code == 201
    page = client.get(f"/moments/{first.get_json()['id']}/prompt")
    assert page.status_code == 200
    assert "Skip" in page.get_data(as_text=True)
    shown = count(PromptShown)
    assert shown == 1
    assert post(client, "/api/v1/moments", body).status_code == 200
    assert count(PromptShown) == shown



# --- what Schemathesis (tests/test_schemathesis.py) and a review of the document turned up ----


def openapi_document(client) -> dict:
    return client.get("/api/v1/openapi.json").json


def request_schema(client, name: str):
    """Return a validator for one of the document's request schemas (they hold no $ref)."""
    jsonschema_rs = pytest.importorskip("jsonschema_rs")  # installed with schemathesis
    schema = openapi_document(client)["components"]["schemas"][name]
    return jsonschema_rs.Draft202012Validator(schema)


LEFT_OUT = {
    "moments": {"responses": None, "cues": None, "feelings": None, "repair_ways": None,
                "how_soon": "", "repaired_at": "", "miscue": None, "rupture": None,
                "intensity": None, "cue_text": None, "repair_note": None, "note": None},
    "routines": {"kind_id": None, "ended_at": "", "note": None},
}


@pytest.mark.parametrize("entry", ENTRIES)
def test_null_and_empty_values_mean_left_out_and_the_document_allows_them(
    client, ana, row_by_uuid, entry
):
    """The document used to refuse null lists and kinds, and empty choices and times."""
    url, make_body, model = ENTRIES[entry]
    body = make_body(ana[1], **LEFT_OUT[entry])

    response = post(client, url, body)

    assert response.status_code == 201, response.json
    assert request_schema(client, f"{model.__name__}Input").is_valid(body)
    row = row_by_uuid(model, body["uuid"])
    if entry == "moments":
        assert (row["responses"], row["how_soon"], row["repaired_at"]) == ([], None, None)
    else:
        assert row["ended_at"] is None


@pytest.mark.parametrize("field", ["child_id", "intensity"])
def test_a_whole_number_written_with_a_fraction_is_refused_as_the_document_says(
    client, ana, count, field
):
    """JSON Schema counts 3.0 as an integer, so the document says it in words."""
    body = moment_body(ana[1], intensity=3)
    body[field] = float(body[field])

    response = post(client, "/api/v1/moments", body)

    assert response.status_code == 422
    assert set(response.json["fields"]) == {field}
    assert count(Moment) == 0
    schemas = openapi_document(client)["components"]["schemas"]
    assert "3, not 3.0" in schemas["MomentInput"]["description"]


def test_an_empty_week_is_this_week_and_the_document_allows_it(client, ana):
    response = client.get(f"/api/v1/children/{ana[1]}/summary?week=")

    assert response.status_code == 200
    assert response.json["week"] == client.get(f"/api/v1/children/{ana[1]}/summary").json["week"]
    operation = openapi_document(client)["paths"]["/api/v1/children/{child_id}/summary"]["get"]
    [week] = [p for p in operation["parameters"] if p["name"] == "week"]
    assert re.fullmatch(week["schema"]["pattern"], "")


@pytest.mark.parametrize("logged_in", [True, False], ids=["logged in", "logged out"])
def test_a_nul_in_the_query_string_is_a_400_that_every_operation_documents(
    app, client, ana, logged_in
):
    """The app refuses NUL in any query string before the API looks at the request."""
    browser = client if logged_in else app.test_client()
    values = {"child_id": ana[1], "moment_uuid": new_uuid(), "routine_uuid": new_uuid()}
    operations = [(path, method, operation)
                  for path, item in openapi_document(client)["paths"].items()
                  for method, operation in item.items()]

    for path, method, operation in operations:
        url = re.sub(r"{(\w+)}", lambda m: str(values[m[1]]), path)
        response = browser.open(url, method=method.upper(), query_string="q=a%00b",
                                json={} if method == "post" else None)

        assert (response.status_code, response.json) == (400, {"error": "bad_request"}), url
        assert "400" in operation["responses"], (method, path)


@pytest.mark.parametrize("entry", ENTRIES)
def test_a_body_over_the_size_limit_is_a_413_that_the_document_lists(client, ana, count, entry):
    url, _make_body, model = ENTRIES[entry]
    body = b'{"note": "' + b"x" * (1024 * 1024) + b'"}'

    response = client.post(url, data=body, content_type="application/json")

    assert (response.status_code, response.json) == (413, {"error": "too_large"})
    assert "413" in openapi_document(client)["paths"][url]["post"]["responses"]
    assert count(model) == 0


# Found by Schemathesis: the app's error handler built a new response and dropped werkzeug's Allow.
@pytest.mark.parametrize(("url", "allowed"), [
    ("/api/v1/moments", {"POST", "OPTIONS"}),
    ("/api/v1/openapi.json", {"GET", "HEAD", "OPTIONS"}),
])
def test_a_method_the_api_does_not_take_is_a_405_listing_the_allowed_ones(app, url, allowed):
    response = app.test_client().delete(url)

    assert (response.status_code, response.json) == (405, {"error": "method_not_allowed"})
    assert set(response.headers["Allow"].split(", ")) == allowed
