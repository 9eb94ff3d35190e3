"""The JSON API the offline queue sends entries to: each UUID is stored once, and read back."""

import logging
import re
from collections.abc import Callable
from datetime import UTC
from types import SimpleNamespace
from typing import Any, NoReturn
from uuid import UUID

from flask import Blueprint, abort, jsonify, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import MultiDict

from . import openapi
from .access import (
    child_id_or_404,
    current_household_id,
    get_kind_by_key_or_404,
    get_kind_or_404,
    get_moment_by_uuid_or_404,
    get_routine_by_uuid_or_404,
)
from .account_data import to_json_value
from .extensions import csrf, db
from .forms import MomentEntryForm, RoutineEntryForm
from .log import insert_entry, moment_answers, offer_prompt, remember_child
from .models import Moment, Routine, RoutineKind

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# No CSRF token: a queued entry may be sent days after its page was loaded. The origin checks
# below stop other sites instead.
csrf.exempt(bp)
log = logging.getLogger("tend.api")

UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

# JSON key -> the JSON type the form field reads. Keys not listed here are ignored.
MOMENT_FIELDS = {
    "occurred_at": "text",
    "need": "text",
    "responses": "list",
    "cues": "list",
    "cue_text": "text",
    "miscue": "bool",
    "intensity": "int",
    "how_soon": "text",
    "feelings": "list",
    "rupture": "bool",
    "repaired_at": "text",
    "repair_ways": "list",
    "repair_note": "text",
    "note": "text",
}
ROUTINE_FIELDS = {"started_at": "text", "ended_at": "text", "note": "text"}
TYPE_MESSAGES = {
    "text": "Use a string.",
    "list": "Use a list of strings.",
    "bool": "Use true or false.",
    "int": "Use a whole number.",
}


def refuse(status: int, error: str, **details: Any) -> NoReturn:
    """Stop the request with a JSON error body."""
    response = jsonify({"error": error, **details})
    response.status_code = status
    abort(response)


@bp.before_request
def same_origin_only() -> None:
    """Refuse requests made by another site; the browser sets these headers, pages can't."""
    site = request.headers.get("Sec-Fetch-Site")
    # "none" is someone opening the URL in the address bar: fine for reading, never for writing.
    reading = request.method in ("GET", "HEAD")
    if site is not None and site != "same-origin" and not (reading and site == "none"):
        refuse(403, "cross_origin")
    origin = request.headers.get("Origin")
    if origin is not None and origin.lower() != request.host_url.rstrip("/").lower():
        refuse(403, "cross_origin")


def json_object() -> dict:
    """Return the request's JSON object: 415 for another media type, 400 for anything else."""
    if request.mimetype != "application/json":
        refuse(415, "unsupported_media_type", message="Send the entry as application/json.")
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # deeply nested arrays; json raises this, not ValueError
        body = None
    if not isinstance(body, dict):
        refuse(400, "bad_request", message="Send one JSON object.")
    return body


def entry_uuid(body: dict, errors: dict) -> str | None:
    """Return the body's UUID in canonical lower-case text, or note why it is refused."""
    value = body.get("uuid")
    if isinstance(value, str) and UUID_TEXT.fullmatch(value.lower()):
        return value.lower()
    errors["uuid"] = ["Give the entry's UUID, like 0b8e4c1a-3f5d-4e7a-9c2b-6d1f0a9e8b7c."]
    return None


def whole_number(body: dict, name: str, errors: dict) -> int | None:
    """Return an integer field of the body, or note that it is missing or not a number."""
    value = body.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    errors[name] = ["Give the id as a whole number."]
    return None


def form_data(body: dict, fields: dict[str, str], errors: dict) -> MultiDict:
    """Turn the JSON values a form reads into form data; note values of the wrong type."""
    data = MultiDict()
    for name, kind in fields.items():
        value = body.get(name)
        if value is None:
            continue
        if kind == "text":
            ok, items = isinstance(value, str), [value]
        elif kind == "list":
            ok = isinstance(value, list) and all(isinstance(item, str) for item in value)
            items = value
        elif kind == "bool":
            ok, items = isinstance(value, bool), ["y"] if value is True else []
        else:
            ok = isinstance(value, int) and not isinstance(value, bool)
            items = [str(value)]
        if not ok:
            errors[name] = [TYPE_MESSAGES[kind]]
        elif any("\x00" in item for item in items):
            # PostgreSQL text can't hold NUL, and no one types it.
            errors[name] = ["Remove the NUL character."]
        else:
            data.setlist(name, items)
    return data


def form_errors(form, type_errors: dict) -> dict[str, list[str]]:
    """Return the form's messages by field, with type errors in place of "required"."""
    form.validate()
    return {**{name: list(messages) for name, messages in form.errors.items()}, **type_errors}


def invalid(errors: dict[str, list[str]]) -> NoReturn:
    """Answer 422 with the messages for each refused field."""
    refuse(422, "invalid", fields=errors)


def save_once(model, uuid: str, values: dict, as_json: Callable[[Any], dict],
              also: Callable[[dict], None] | None = None) -> tuple[dict, int]:
    """Store an entry under its UUID once, with what `also` adds, in one commit; return the
    entry as JSON with 201, or the stored twin's with 200."""
    row = {"uuid": uuid, **values}
    if also is not None:
        also(row)
    try:
        stored = insert_entry(model, row)
    except IntegrityError:
        # The UUID's unique index refused it: a replay, or another request's entry stored
        # just now. Looking it up only then spares every new entry a query.
        db.session.rollback()
        existing = find_by_uuid(model, uuid)
        if existing is None:
            raise
        return as_json(same_or_conflict(existing, values)), 200
    user_id = current_user.id  # read before the commit expires the user: no reload
    db.session.commit()
    # Made after the commit, from the stored values: the other worker waits for SQLite's write
    # lock from the INSERT until the commit.
    body = as_json(SimpleNamespace(**stored))
    log.info("api %s created id=%s user_id=%s", model.__tablename__, body["id"], user_id)
    return body, 201


def find_by_uuid(model, uuid: str):
    """Return the entry with this UUID in any household, or None."""
    return db.session.scalar(select(model).where(model.uuid == uuid))


def same_or_conflict(entry: Moment | Routine, values: dict) -> Moment | Routine:
    """Return a stored entry the request repeats exactly; else answer 422 uuid_conflict."""
    # Another household's UUID is a conflict too, whatever the body says: nothing about it leaks.
    if entry.child.household_id != current_household_id() or any(
        getattr(entry, name) != value for name, value in values.items()
    ):
        log.info("api %s uuid conflict user_id=%s", entry.__tablename__, current_user.id)
        refuse(422, "uuid_conflict",
               message="This UUID is already used by a different entry. Make a new UUID.")
    return entry


def entry_response(body: dict, status: int, endpoint: str, **url_values):
    """Answer with an entry's JSON; a new one also says where it lives."""
    response = jsonify(body)
    response.status_code = status
    if status == 201:
        response.headers["Location"] = url_for(endpoint, **url_values)
    return response


def moment_json(moment: Moment) -> dict:
    """Return a moment as the API shows it: every field the API takes, and who and when."""
    fields = ("id", "uuid", "child_id", "caregiver_id", *MOMENT_FIELDS, "created_at")
    return {name: to_json_value(getattr(moment, name)) for name in fields}


def routine_json(routine: Routine, kind_key: str) -> dict:
    """Return a routine entry as the API shows it, with its kind's key."""
    fields = ("id", "uuid", "child_id", "caregiver_id", "kind_id", *ROUTINE_FIELDS, "created_at")
    return {**{name: to_json_value(getattr(routine, name)) for name in fields},
            "kind": kind_key}


def child_of(body: dict, errors: dict) -> int | None:
    """Return the body's child id, 404 when it isn't the household's; note a malformed id."""
    child_id = whole_number(body, "child_id", errors)
    return None if child_id is None else child_id_or_404(child_id)


@bp.post("/moments")
@login_required
def create_moment():
    body = json_object()
    errors: dict[str, list[str]] = {}
    uuid = entry_uuid(body, errors)
    child_id = child_of(body, errors)
    form = MomentEntryForm(formdata=form_data(body, MOMENT_FIELDS, errors), tz=UTC)
    errors = form_errors(form, errors)
    if errors:
        invalid(errors)
    values = {
        "child_id": child_id,
        "caregiver_id": current_user.id,
        "occurred_at": form.occurred_at.data,
        **moment_answers(form),
        "repaired_at": form.repaired_at.data,
        "repair_ways": list(form.repair_ways.data or []),
        "repair_note": (form.repair_note.data or "").strip(),
    }
    body, status = save_once(Moment, uuid, values, moment_json, also=prompt_and_remember)
    return entry_response(body, status, "api.get_moment", moment_uuid=uuid)


def prompt_and_remember(moment: dict) -> None:
    """As on the web form: one gentle prompt for a new moment (a replay's is rolled back with
    its refused INSERT), and the child remembered for next time, in the moment's own
    transaction."""
    moment["prompt_id"] = offer_prompt(moment)
    remember_child(moment["child_id"])


@bp.get("/moments/<uuid:moment_uuid>")
@login_required
def get_moment(moment_uuid: UUID):
    return jsonify(moment_json(get_moment_by_uuid_or_404(str(moment_uuid))))


def kind_of(body: dict, errors: dict) -> RoutineKind | None:
    """Return the kind named by kind_id or by its key, 404 when the household has no such kind."""
    key = body.get("kind")
    if key is not None and not (isinstance(key, str) and len(key) <= 40 and "\x00" not in key):
        errors["kind"] = ["Give the kind's key, like bedtime."]
        return None
    if body.get("kind_id") is None and key is not None:
        return get_kind_by_key_or_404(key)
    kind_id = whole_number(body, "kind_id", errors)
    if kind_id is None:
        errors["kind_id"] = ["Give kind_id (a whole number) or kind (a key, like bedtime)."]
        return None
    kind = get_kind_or_404(kind_id)
    if key is not None and key != kind.key:
        errors["kind"] = ["kind and kind_id name different kinds. Give one of them."]
    return kind


@bp.post("/routines")
@login_required
def create_routine():
    body = json_object()
    errors: dict[str, list[str]] = {}
    uuid = entry_uuid(body, errors)
    child_id = child_of(body, errors)
    kind = kind_of(body, errors)
    form = RoutineEntryForm(formdata=form_data(body, ROUTINE_FIELDS, errors), tz=UTC)
    errors = form_errors(form, errors)
    if errors:
        invalid(errors)
    values = {
        "child_id": child_id,
        "kind_id": kind.id,
        "caregiver_id": current_user.id,
        "started_at": form.started_at.data,
        "ended_at": form.ended_at.data,
        "note": (form.note.data or "").strip(),
    }
    body, status = save_once(Routine, uuid, values, lambda routine: routine_json(routine, kind.key))
    return entry_response(body, status, "api.get_routine", routine_uuid=uuid)


@bp.get("/routines/<uuid:routine_uuid>")
@login_required
def get_routine(routine_uuid: UUID):
    routine = get_routine_by_uuid_or_404(str(routine_uuid))
    return jsonify(routine_json(routine, routine.kind.key))


@bp.get("/openapi.json")
def get_openapi():
    """Describe the API; public, since it holds no one's data."""
    return jsonify(openapi.document())
