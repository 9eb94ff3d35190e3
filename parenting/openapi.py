"""The OpenAPI 3.1 description of /api/v1, built from the domain's own lists of ids."""

from . import domain
from .forms import NOTE_MAX

TIME = {"type": "string", "format": "date-time"}
NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}
# An optional time may also be left empty, as on the web form: "" is the same as null.
OPTIONAL_TIME = {"anyOf": [TIME, {"const": ""}, {"type": "null"}]}
ID = {"type": "integer", "minimum": 1}
UUID = {
    "type": "string",
    "format": "uuid",
    "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
}

# Entries are stored, and answered, with their UUID in lower case.
STORED_UUID = {**UUID, "pattern": "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"}


def ids(choices) -> list[str]:
    return [c.id for c in choices]


def id_list(values: list[str]) -> dict:
    return {"type": ["array", "null"], "items": {"type": "string", "enum": values}, "default": []}


def ref(kind: str, name: str) -> dict:
    return {"$ref": f"#/components/{kind}/{name}"}


def error(description: str, codes: list[str]) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {
            "type": "object",
            "required": ["error"],
            "properties": {"error": {"type": "string", "enum": codes},
                           "message": {"type": "string"}},
        }}},
    }


MOMENT_INPUT = {
    "type": "object",
    "description": "Unknown keys are ignored, among them id, household_id and caregiver_id: "
                   "the caregiver is always the signed-in user. A null is the same as "
                   "leaving the key out. Whole numbers are written without a fraction "
                   "(3, not 3.0).",
    "required": ["uuid", "child_id", "occurred_at", "need"],
    "properties": {
        "uuid": {**UUID, "description": "Made by the client; the entry is stored once per UUID."},
        "child_id": {**ID, "description": "A child of the signed-in caregiver's household."},
        "occurred_at": {**TIME, "description": "ISO 8601 with an offset; at most 5 minutes "
                                               "ahead of the server's clock; year 2000 or later."},
        "need": {"type": "string", "enum": ids(domain.ALL_NEEDS)},
        "responses": id_list(ids(domain.RESPONSES)),
        "cues": id_list(ids(domain.CUES)),
        "cue_text": {"type": ["string", "null"], "maxLength": 200},
        "miscue": {"type": ["boolean", "null"], "default": False},
        "intensity": {"type": ["integer", "null"], "minimum": 1, "maximum": 5},
        "how_soon": {"type": ["string", "null"], "enum": [*ids(domain.HOW_SOON), "", None],
                     "description": "\"\" is the same as null: not answered."},
        "feelings": id_list(list(domain.FEELINGS)),
        "rupture": {"type": ["boolean", "null"], "default": False},
        "repaired_at": {**OPTIONAL_TIME, "description": "Only with rupture: true; not before "
                                                        "occurred_at."},
        "repair_ways": {**id_list(ids(domain.REPAIR_WAYS)), "description": "Only with "
                                                                           "repaired_at."},
        "repair_note": {"type": ["string", "null"], "maxLength": 500,
                        "description": "Only with repaired_at."},
        "note": {"type": ["string", "null"], "maxLength": NOTE_MAX},
    },
}

ROUTINE_INPUT = {
    "type": "object",
    "description": "Give kind_id or kind (both only if they name the same kind). Unknown keys "
                   "are ignored, among them id, household_id and caregiver_id. A null is the "
                   "same as leaving the key out. Whole numbers are written without a fraction "
                   "(3, not 3.0).",
    "required": ["uuid", "child_id", "started_at"],
    "properties": {
        "uuid": MOMENT_INPUT["properties"]["uuid"],
        "child_id": MOMENT_INPUT["properties"]["child_id"],
        "kind_id": {"type": ["integer", "null"], "minimum": 1,
                    "description": "A routine kind of the household."},
        "kind": {"type": ["string", "null"], "minLength": 1, "maxLength": 40,
                 "description": "A routine kind's key, e.g. "
                                + ", ".join(ids(domain.DEFAULT_ROUTINE_KINDS)) + "."},
        "started_at": {**TIME, "description": "ISO 8601 with an offset; at most 5 minutes "
                                              "ahead of the server's clock; year 2000 or "
                                              "later."},
        "ended_at": {**OPTIONAL_TIME, "description": "Not before started_at."},
        "note": {"type": ["string", "null"], "maxLength": NOTE_MAX},
    },
    # kind_id or kind, and not null.
    "anyOf": [{"required": ["kind_id"], "properties": {"kind_id": {"type": "integer"}}},
              {"required": ["kind"], "properties": {"kind": {"type": "string"}}}],
}


COUNT = {"type": "integer", "minimum": 0}
DATE = {"type": "string", "format": "date"}
HHMM = {"type": ["string", "null"], "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$"}
WEEK = {"type": "string", "pattern": "^[0-9]{4}-W[0-9]{2}$"}


def counts(keys) -> dict:
    """Return the schema of an object holding a count for each of these keys."""
    keys = list(keys)
    return {"type": "object", "required": keys, "properties": dict.fromkeys(keys, COUNT)}


def object_with(properties: dict) -> dict:
    """Return the schema of an object with all of these properties present."""
    return {"type": "object", "required": list(properties), "properties": properties}


# One week's figures (docs/api.md). New keys may come within version 1: other keys are allowed.
WEEK_FIGURES = object_with({
    "first_day": DATE,
    "last_day": DATE,
    "moments": COUNT,
    "needs": counts(ids(domain.ALL_NEEDS)),
    "halves": counts([domain.SECURE_BASE, domain.SAFE_HAVEN]),
    "supportive_responses": counts(["supportive", "out_of"]),
    "response_speed": counts(ids(domain.HOW_SOON)),
    "ruptures": COUNT,
    "repaired": COUNT,
    "time_to_repair_minutes_median": {"type": ["number", "null"]},
    "routines": {"type": "object", "additionalProperties": object_with({
        "label": {"type": "string"},
        "days": COUNT,
        "typical_time": HHMM,
        "planned_time": HHMM,
        "on_rhythm_days": COUNT,
    })},
    "special_time": object_with({"days": COUNT, "skills": counts(ids(domain.SPECIAL_TIME_SKILLS))}),
    "feelings": {"type": "object", "propertyNames": {"enum": list(domain.FEELINGS)},
                 "additionalProperties": COUNT},
    "hard_feeling_needs": {"type": "array", "items": {"enum": ids(domain.ALL_NEEDS)}},
})

WEEKLY_SUMMARY = object_with({
    "version": {"const": 1},
    "child": object_with({"id": ID, "nickname": {"type": "string"}}),
    "week": WEEK,
    "timezone": {"type": "string"},
    "week_start": {"enum": [day.lower() for day in domain.WEEKDAYS]},
    "caregiver_id": {"type": ["integer", "null"]},
    **WEEK_FIGURES["properties"],
    "previous_week": ref("schemas", "WeekFigures"),
})


# Stored fields that can be null; the others are filled in ([], false, "") when left out.
NULL_WHEN_STORED = {"intensity", "how_soon", "repaired_at", "ended_at"}


def as_stored(name: str, schema: dict) -> dict:
    """Return the schema of a field as the API answers it, from the schema it takes."""
    schema = {key: value for key, value in schema.items() if key != "default"}
    if name not in NULL_WHEN_STORED and isinstance(schema.get("type"), list):
        schema["type"] = schema["type"][0]
    return schema


def stored(input_schema: dict, extra: dict) -> dict:
    """Return the schema of a stored entry: the input's fields plus the server's own."""
    properties = {name: as_stored(name, schema)
                  for name, schema in input_schema["properties"].items()}
    properties.update({"id": ID, "uuid": STORED_UUID,
                       "caregiver_id": {"type": ["integer", "null"]},
                       "created_at": TIME, **extra})
    return {"type": "object", "required": sorted(properties), "properties": properties}


def create_operation(summary: str, schema: str, stored_schema: str, not_found: str) -> dict:
    body = {"content": {"application/json": {"schema": ref("schemas", stored_schema)}}}
    return {
        "summary": summary,
        "description": "Idempotent by uuid: the first request stores the entry (201); the same "
                       "uuid with the same body answers 200 with the stored entry and stores "
                       "nothing; the same uuid with a different body, or a uuid another "
                       "household used, answers 422 uuid_conflict.",
        "requestBody": {"required": True,
                        "content": {"application/json": {"schema": ref("schemas", schema)}}},
        "responses": {
            "201": {"description": "Stored.", **body,
                    "headers": {"Location": {"description": "The entry's URL.",
                                             "schema": {"type": "string"}}}},
            "200": {"description": "Already stored by an earlier request with the same body.",
                    **body},
            "400": ref("responses", "BadRequest"),
            "401": ref("responses", "Unauthorized"),
            "403": ref("responses", "Forbidden"),
            # OpenAPI 3.1 lets a reference carry its own description.
            "404": {**ref("responses", "NotFound"), "description": not_found},
            "413": ref("responses", "TooLarge"),
            "415": ref("responses", "UnsupportedMediaType"),
            "422": ref("responses", "Unprocessable"),
        },
    }


def read_operation(summary: str, stored_schema: str, parameter: str) -> dict:
    return {
        "summary": summary,
        "parameters": [{"name": parameter, "in": "path", "required": True, "schema": UUID}],
        "responses": {
            "200": {"description": "The entry.", "content": {
                "application/json": {"schema": ref("schemas", stored_schema)}}},
            "400": ref("responses", "BadQuery"),
            "401": ref("responses", "Unauthorized"),
            "403": ref("responses", "Forbidden"),
            "404": ref("responses", "NotFound"),
        },
    }


def document() -> dict:
    """Return the OpenAPI document for /api/v1."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Tend API",
            "version": "1",
            "description": "Entries for the offline queue, and the weekly summary. "
                           "Authenticated by the web app's session cookie. The entries "
                           "operations are same-origin only (a Sec-Fetch-Site other than "
                           "same-origin, or an Origin other than the app's, answers 403). "
                           "See docs/api.md.",
        },
        "security": [{"session": []}],
        "paths": {
            "/api/v1/moments": {"post": create_operation(
                "Log a moment", "MomentInput", "Moment",
                "The child is not one of the household's.")},
            "/api/v1/moments/{moment_uuid}": {"get": read_operation(
                "Read a moment of the household by its UUID", "Moment", "moment_uuid")},
            "/api/v1/routines": {"post": create_operation(
                "Log a routine", "RoutineInput", "Routine",
                "The child or the kind is not one of the household's.")},
            "/api/v1/routines/{routine_uuid}": {"get": read_operation(
                "Read a routine entry of the household by its UUID", "Routine",
                "routine_uuid")},
            "/api/v1/children/{child_id}/summary": {"get": {
                "summary": "One child's weekly summary (fields described in docs/api.md)",
                "parameters": [
                    {"name": "child_id", "in": "path", "required": True, "schema": ID},
                    {"name": "week", "in": "query", "required": False,
                     # Empty is the same as leaving it out: the current week.
                     "schema": {"type": "string", "pattern": "^([0-9]{4}-W[0-9]{2})?$"}},
                    {"name": "caregiver", "in": "query", "required": False,
                     "schema": {"type": "string"}},
                ],
                "responses": {
                    "200": {"description": "The week's figures.", "content": {
                        "application/json": {"schema": ref("schemas", "WeeklySummary")}}},
                    "400": ref("responses", "BadQuery"),
                    "401": ref("responses", "Unauthorized"),
                    "404": ref("responses", "NotFound"),
                },
            }},
            "/api/v1/openapi.json": {"get": {
                "summary": "This document",
                "security": [],
                "responses": {
                    "200": {"description": "The OpenAPI document.", "content": {
                        "application/json": {"schema": {"type": "object"}}}},
                    "400": ref("responses", "BadQuery"),
                },
            }},
        },
        "components": {
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "session",
                            "description": "The cookie set by logging in at /login: "
                                           "`session` in development, `__Host-tend_session` "
                                           "when served with SECURE_COOKIES=1."},
            },
            "schemas": {
                "MomentInput": MOMENT_INPUT,
                "Moment": stored(MOMENT_INPUT, {
                    "how_soon": {"type": ["string", "null"], "enum": [*ids(domain.HOW_SOON), None]},
                    "repaired_at": NULLABLE_TIME}),
                "RoutineInput": ROUTINE_INPUT,
                "Routine": stored(ROUTINE_INPUT, {"kind_id": ID, "kind": {"type": "string"},
                                                  "ended_at": NULLABLE_TIME}),
                "WeeklySummary": WEEKLY_SUMMARY,
                "WeekFigures": WEEK_FIGURES,
            },
            "responses": {
                "BadRequest": error("The body is not one JSON object, or the query string "
                                    "holds a NUL character.", ["bad_request"]),
                # The app refuses NUL in any query string before anything else looks at it.
                "BadQuery": error("The query string holds a NUL character.", ["bad_request"]),
                "Unauthorized": {
                    "description": "No valid session: log in again. Never a redirect.",
                    "content": {"application/json": {"schema": {
                        "type": "object",
                        "required": ["error", "login_url"],
                        "properties": {"error": {"const": "login_required"},
                                       "login_url": {"type": "string"}},
                    }}},
                },
                "Forbidden": error("Sent from another origin.", ["cross_origin"]),
                "NotFound": error("No such entry, child or kind in the household (another "
                                  "household's answers the same).", ["not_found"]),
                "TooLarge": error("The body is larger than the server takes (1 MiB unless "
                                  "configured otherwise).", ["too_large"]),
                "UnsupportedMediaType": error("The body is not application/json.",
                                              ["unsupported_media_type"]),
                "Unprocessable": {
                    "description": "invalid: fields holds messages by field name. "
                                   "uuid_conflict: the uuid belongs to a different entry.",
                    "content": {"application/json": {"schema": {
                        "type": "object",
                        "required": ["error"],
                        "properties": {
                            "error": {"type": "string", "enum": ["invalid", "uuid_conflict"]},
                            "message": {"type": "string"},
                            "fields": {"type": "object", "additionalProperties": {
                                "type": "array", "items": {"type": "string"}}},
                        },
                    }}},
                },
            },
        },
    }
