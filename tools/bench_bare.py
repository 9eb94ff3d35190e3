"""The ceiling for `make bench-http`'s write throughput: a bare Flask + SQLite insert endpoint.

POST /moments takes the same JSON body as Tend's POST /api/v1/moments and inserts the same row
into the same moment table, with plain sqlite3, the pragmas Tend sets on every connection
(foreign keys, WAL, busy_timeout 5000, synchronous=FULL) and one commit; no login, no
validation, no ORM. tools/bench_http.py serves it with gunicorn beside Tend, on the same database
file and with the same workers: BENCH_BARE_DATABASE names the file.
"""

import json
import os
import sqlite3
import threading
from datetime import UTC, datetime

from flask import Flask, jsonify, request

app = Flask(__name__)
local = threading.local()

COLUMNS = ("uuid", "child_id", "caregiver_id", "occurred_at", "need", "cues", "cue_text",
           "miscue", "intensity", "responses", "how_soon", "feelings", "rupture", "repaired_at",
           "repair_ways", "repair_note", "loop_closed_at", "note", "prompt_id", "prompt_answer",
           "created_at", "updated_at")
INSERT = (f"INSERT INTO moment ({', '.join(COLUMNS)}) "  # nosec B608  # fixed column names
          f"VALUES ({', '.join('?' for _ in COLUMNS)})")


def connection() -> sqlite3.Connection:
    """Return this thread's connection, opened with Tend's pragmas."""
    conn = getattr(local, "conn", None)
    if conn is None:
        conn = sqlite3.connect(os.environ["BENCH_BARE_DATABASE"])
        for pragma in ("foreign_keys=ON", "journal_mode=WAL", "busy_timeout=5000",
                       "synchronous=FULL"):
            conn.execute(f"PRAGMA {pragma}")
        local.conn = conn
    return conn


def stamp(value: datetime) -> str:
    """Write a time the way SQLAlchemy's SQLite dialect does."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


@app.get("/healthz")
def healthz():
    return "ok"


@app.post("/moments")
def insert_moment():
    body = request.get_json()
    now = stamp(datetime.now(UTC))
    occurred = stamp(datetime.fromisoformat(body["occurred_at"]))
    row = (
        body["uuid"], body["child_id"], body.get("caregiver_id", 1), occurred, body["need"],
        json.dumps(body.get("cues", [])), body.get("cue_text", ""), body.get("miscue", False),
        body.get("intensity"), json.dumps(body.get("responses", [])), body.get("how_soon"),
        json.dumps(body.get("feelings", [])), body.get("rupture", False), None,
        json.dumps([]), "", None, body.get("note", ""), None, "", now, now,
    )
    conn = connection()
    cursor = conn.execute(INSERT, row)
    conn.commit()
    return jsonify({"id": cursor.lastrowid, "uuid": body["uuid"]}), 201
