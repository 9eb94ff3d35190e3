"""Load the rows a weekly summary counts, as plain tuples: only the columns the figures use.

Two weeks of a busy child are some 700 rows. Turned into Python the usual way, each list column
is JSON-decoded on its own and each time passes through two type processors; that was two thirds
of a summary's time, the SQL itself under a millisecond (docs/benchmarks.md). Here list columns
are read as text and decoded once per distinct value (the same few chip lists recur all week),
and times are read as the driver gives them and made aware UTC in one step.
"""

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from sqlalchemy import String, Text, bindparam, cast, select, type_coerce

from . import metrics
from .extensions import db
from .models import CheckIn, Moment, PlannedTime, Routine, RoutineKind


@dataclass
class WeekRows:
    """What metrics.summarise_week reads for one child over [start, end), and the kinds."""

    moments: list[metrics.MomentRow]
    routines: list[metrics.RoutineRow]
    checkins: list[metrics.CheckInRow]
    planned: dict[str, int]
    # The household's routine kinds as rows of (id, key, label, position).
    kinds: list


def as_utc(value: datetime | str | None) -> datetime | None:
    """Return a stored time as aware UTC, as models.UTCDateTime does on load.

    SQLite hands back the text SQLAlchemy wrote ("2025-06-23 07:12:00.000000", UTC without a
    zone); PostgreSQL an aware datetime.
    """
    if value is None:
        return None
    if isinstance(value, str):
        # Parsing the zone with the text is ~6x quicker than .replace(tzinfo=UTC) afterwards,
        # and a summary reads a thousand of these; a zero offset parses to the UTC singleton.
        return datetime.fromisoformat(value + "+00:00")
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


@lru_cache(maxsize=4096)
def ids(text: str | None) -> tuple[str, ...]:
    """Return a stored JSON list of ids as a tuple (immutable, so one decode serves all)."""
    return tuple(json.loads(text) or ()) if text else ()


def raw(column):
    """Select a time column without its type's processing (as_utc does it)."""
    return type_coerce(column, String)


def checkins_query(household_id: int, start: datetime, end: datetime):
    """Return a select of the household's check-ins over [start, end): time, who, feeling."""
    return select(raw(CheckIn.at), CheckIn.user_id, CheckIn.feeling).where(
        CheckIn.household_id == household_id, CheckIn.at >= start, CheckIn.at < end
    )


# Built once: constructing a select of eight columns costs more than SQLite takes to run it. The
# bound times go through the columns' type (UTCDateTime), as literal values would.
_KINDS = select(
    RoutineKind.id, RoutineKind.key, RoutineKind.label, RoutineKind.position
).where(RoutineKind.household_id == bindparam("household_id"))
WEEK_MOMENTS = select(
    raw(Moment.occurred_at), Moment.caregiver_id, Moment.need, cast(Moment.responses, Text),
    Moment.how_soon, cast(Moment.feelings, Text), Moment.rupture, raw(Moment.repaired_at),
).where(
    Moment.child_id == bindparam("child_id"),
    Moment.occurred_at >= bindparam("start"),
    Moment.occurred_at < bindparam("end"),
)
WEEK_ROUTINES = select(
    Routine.kind_id, raw(Routine.started_at), Routine.caregiver_id, raw(Routine.ended_at),
    cast(Routine.skills, Text),
).where(
    Routine.child_id == bindparam("child_id"),
    Routine.started_at >= bindparam("start"),
    Routine.started_at < bindparam("end"),
)
_CHECKINS = checkins_query(bindparam("household_id"), bindparam("start"), bindparam("end"))
_PLANNED = select(PlannedTime.kind_id, PlannedTime.minute).where(
    PlannedTime.child_id == bindparam("child_id")
)


def load_week_rows(
    child_id: int, household_id: int, start: datetime, end: datetime, *, with_checkins: bool
) -> WeekRows:
    """Fetch one child's moments, routines and planned times, and the household's check-ins
    (unless with_checkins is False), over [start, end)."""
    params = {"child_id": child_id, "household_id": household_id, "start": start, "end": end}
    # Anything pending in the session is written before the week is read, as the session's
    # autoflush would. Plain column tuples need none of the ORM's work (the kinds as ORM objects
    # cost twice what their rows do): run them on the session's connection.
    db.session.flush()
    execute = db.session.connection().execute
    kinds = execute(_KINDS, params).all()
    kind_keys = {k.id: k.key for k in kinds}
    moment_row, routine_row = metrics.MomentRow._make, metrics.RoutineRow._make
    # A week is ~1,000 times: the common cases (SQLite's text, no time) skip the call to as_utc,
    # a third of the rows' cost. Times that are never NULL (the moment's, the start) are
    # parsed inline as as_utc would.
    parse = datetime.fromisoformat
    moments = [
        moment_row((
            parse(occurred_at + "+00:00") if occurred_at.__class__ is str else as_utc(occurred_at),
            caregiver_id or 0, need, ids(responses), how_soon, ids(feelings), bool(rupture),
            None if repaired_at is None else as_utc(repaired_at),
        ))
        for occurred_at, caregiver_id, need, responses, how_soon, feelings, rupture, repaired_at
        in execute(WEEK_MOMENTS, params).all()
    ]
    routines = [
        routine_row((
            kind_keys[kind_id],
            parse(started_at + "+00:00") if started_at.__class__ is str else as_utc(started_at),
            caregiver_id or 0, None if ended_at is None else as_utc(ended_at), ids(skills),
        ))
        for kind_id, started_at, caregiver_id, ended_at, skills
        in execute(WEEK_ROUTINES, params).all()
    ]
    checkins = [
        metrics.CheckInRow(as_utc(at), user_id or 0, feeling)
        for at, user_id, feeling in execute(_CHECKINS, params).all()
    ] if with_checkins else []
    planned = {kind_keys[kind_id]: minute for kind_id, minute in execute(_PLANNED, params).all()}
    return WeekRows(moments, routines, checkins, planned, kinds)
