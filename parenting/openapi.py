"""The OpenAPI 3.1 description of /api/v1, built from the domain's own lists of ids."""

from . import domain
from .forms import NOTE_MAX

TIME = {"type": "string", "format": "date-time"}
NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}
ID = {"type": "integer", "minimum": 1}
UUID = {
    "type": "string",
    "format": "uuid",
    "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
}


def ids(choices) -> list[str]:
    return [c.id for c in choices]


def id_list(values: list[str]) -> dict:
    return {"type": "array", "items": {"type": "string", "enum": values}, "default": []}


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
                   "the caregiver is always the signed-in user.",
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
        "how_soon": {"type": ["string", "null"], "enum": [*ids(domain.HOW_SOON), None]},
        "feelings": id_list(list(domain.FEELINGS)),
        "rupture": {"type": ["boolean", "null"], "default": False},
        "repaired_at": {**NULLABLE_TIME, "description": "Only with rupture: true; not before "
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
                   "are ignored, among them id, household_id and caregiver_id.",
    "required": ["uuid", "child_id", "started_at"],
    "properties": {
        "uuid": MOMENT_INPUT["properties"]["uuid"],
        "child_id": MOMENT_INPUT["properties"]["child_id"],
        "kind_id": {**ID, "description": "A routine kind of the household."},
        "kind": {"type": "string", "maxLength": 40,
                 "description": "A routine kind's key, e.g. "
                                + ", ".join(ids(domain.DEFAULT_ROUTINE_KINDS)) + "."},
        "started_at": {**TIME, "description": "ISO 8601 with an offset; at most 5 minutes "
                                              "ahead of the server's clock."},
        "ended_at": {**NULLABLE_TIME, "description": "Not before started_at."},
        "note": {"type": ["string", "null"], "maxLength": NOTE_MAX},
    },
}


def stored(input_schema: dict, extra: dict) -> dict:
    """Return the schema of a stored entry: the input's fields plus the server's own."""
    properties = {name: {key: value for key, value in schema.items() if key != "default"}
                  for name, schema in input_schema["properties"].items()}
    properties.update({"id": ID, "caregiver_id": {"type": ["integer", "null"]},
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
                           "Authenticated by the web app's session cookie; same-origin only "
                           "(a Sec-Fetch-Site other than same-origin, or an Origin other than "
                           "the app's, answers 403). See docs/api.md.",
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
                     "schema": {"type": "string", "pattern": "^[0-9]{4}-W[0-9]{2}$"}},
                    {"name": "caregiver", "in": "query", "required": False,
                     "schema": {"type": "string"}},
                ],
                "responses": {
                    "200": {"description": "The week's figures.", "content": {
                        "application/json": {"schema": {"type": "object"}}}},
                    "401": ref("responses", "Unauthorized"),
                    "404": ref("responses", "NotFound"),
                },
            }},
            "/api/v1/openapi.json": {"get": {
                "summary": "This document",
                "security": [],
                "responses": {"200": {"description": "The OpenAPI document.", "content": {
                    "application/json": {"schema": {"type": "object"}}}}},
            }},
        },
        "components": {
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "session",
                            "description": "The cookie set by logging in at /login."},
            },
            "schemas": {
                "MomentInput": MOMENT_INPUT,
                "Moment": stored(MOMENT_INPUT, {}),
                "RoutineInput": ROUTINE_INPUT,
                "Routine": stored(ROUTINE_INPUT, {"kind_id": ID, "kind": {"type": "string"}}),
            },
            "responses": {
                "BadRequest": error("The body is not one JSON object.", ["bad_request"]),
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
