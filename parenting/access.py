"""One ownership helper per resource: another household's ids answer 404."""

from datetime import date

from flask import abort
from flask_login import current_user
from sqlalchemy import bindparam, select

from . import metrics
from .extensions import db
from .models import CheckIn, Child, Household, Moment, Routine, RoutineKind


def current_household() -> Household:
    """Return the signed-in user's household, or 404 for an account without one."""
    household = current_user.household
    if household is None:
        abort(404)
    return household


def current_household_id() -> int:
    """Return the signed-in user's household id, or 404 for an account without one.

    The ownership checks need only the id: reading it off the user saves loading the household.
    """
    household_id = current_user.household_id
    if household_id is None:
        abort(404)
    return household_id


# The largest id a row can have: ids are INTEGER columns, 32-bit on PostgreSQL (SQLite's hold 64
# bits). A bigger number from a URL or form would make the query fail ("integer out of range").
MAX_ID = 2**31 - 1


def week_or_404(label: str, week_start: int) -> date:
    """Return the first day of the week a label names, or 404 for junk."""
    try:
        return metrics.parse_week_label(label, week_start)
    except ValueError:
        abort(404)


def require_id(row_id: int) -> None:
    """Answer 404 for an id no row can have, before it reaches the database."""
    if not 0 < row_id <= MAX_ID:
        abort(404)


def children_query(household_id: int):
    """Return a select of the household's children, oldest first."""
    return select(Child).where(Child.household_id == household_id).order_by(Child.id)


# Built once, with bind parameters: SQLAlchemy keeps a statement's cache key on the statement,
# and building one per request (about 0.1 ms with its cache key) cost more than SQLite took to
# answer it.
HOUSEHOLD_CHILD = select(Child).where(
    Child.id == bindparam("child_id"), Child.household_id == bindparam("household_id")
)
# The same look-up for a save, which needs only the id.
HOUSEHOLD_CHILD_ID = HOUSEHOLD_CHILD.with_only_columns(Child.id)
# The household's children, oldest first; most signed-in pages list them.
HOUSEHOLD_CHILDREN = children_query(bindparam("household_id"))


def child_id_or_404(child_id: int) -> int:
    """Return the id of a child of the current household, or 404, loading nothing else."""
    require_id(child_id)
    # On the session's connection (same transaction): the ORM's handling of a select of one
    # column, needless here, cost more than SQLite took to answer it.
    found = db.session.connection().execute(
        HOUSEHOLD_CHILD_ID, {"child_id": child_id, "household_id": current_household_id()}
    ).scalar()
    if found is None:
        abort(404)
    return found


def get_child_or_404(child_id: int) -> Child:
    """Return a child of the current household, or 404.

    The child's household is the signed-in user's, which the user loader has loaded already.
    """
    require_id(child_id)
    child = db.session.scalar(
        HOUSEHOLD_CHILD, {"child_id": child_id, "household_id": current_household_id()}
    )
    if child is None:
        abort(404)
    return child


def household_children() -> list[Child]:
    """Return the current household's children, oldest first."""
    return list(db.session.scalars(HOUSEHOLD_CHILDREN, {"household_id": current_household_id()}))


def get_child_and_siblings_or_404(child_id: int) -> tuple[Child, list[Child]]:
    """Return a child of the current household and all its children (oldest first), or 404.

    For a page that lists the children anyway: the child is picked from that list, one query.
    """
    children = household_children()
    for child in children:
        if child.id == child_id:
            return child, children
    abort(404)


def get_moment_or_404(moment_id: int) -> Moment:
    """Return a moment of the current household, or 404."""
    require_id(moment_id)
    return db.one_or_404(
        select(Moment)
        .join(Child)
        .where(Moment.id == moment_id, Child.household_id == current_household_id())
    )


def get_routine_or_404(routine_id: int) -> Routine:
    """Return a routine entry of the current household, or 404."""
    require_id(routine_id)
    return db.one_or_404(
        select(Routine)
        .join(Child)
        .where(Routine.id == routine_id, Child.household_id == current_household_id())
    )


def get_kind_or_404(kind_id: int) -> RoutineKind:
    """Return a routine kind of the current household, or 404."""
    require_id(kind_id)
    return db.one_or_404(
        select(RoutineKind).where(
            RoutineKind.id == kind_id, RoutineKind.household_id == current_household_id()
        )
    )


def get_checkin_or_404(checkin_id: int) -> CheckIn:
    """Return one of the current user's own check-ins, or 404."""
    require_id(checkin_id)
    return db.one_or_404(
        select(CheckIn).where(CheckIn.id == checkin_id, CheckIn.user_id == current_user.id)
    )


def get_moment_by_uuid_or_404(moment_uuid: str) -> Moment:
    """Return a moment of the current household by its client-made UUID, or 404."""
    return db.one_or_404(
        select(Moment)
        .join(Child)
        .where(Moment.uuid == moment_uuid, Child.household_id == current_household_id())
    )


def get_routine_by_uuid_or_404(routine_uuid: str) -> Routine:
    """Return a routine entry of the current household by its client-made UUID, or 404."""
    return db.one_or_404(
        select(Routine)
        .join(Child)
        .where(Routine.uuid == routine_uuid, Child.household_id == current_household_id())
    )


def get_kind_by_key_or_404(key: str) -> RoutineKind:
    """Return a routine kind of the current household by its key, or 404."""
    return db.one_or_404(
        select(RoutineKind).where(
            RoutineKind.key == key, RoutineKind.household_id == current_household_id()
        )
    )
