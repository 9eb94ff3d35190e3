"""The weekly summary's rows loaded the way they were before issue 10, kept to check the new
loader against: typed ORM columns, each JSON list and time through its column type."""

from datetime import datetime

from sqlalchemy import select

from parenting import metrics
from parenting.extensions import db
from parenting.models import CheckIn, Moment, PlannedTime, Routine, RoutineKind
from parenting.summary_rows import WeekRows


def reference_week_rows(
    child_id: int, household_id: int, start: datetime, end: datetime, *, with_checkins: bool
) -> WeekRows:
    kinds = list(
        db.session.scalars(select(RoutineKind).where(RoutineKind.household_id == household_id))
    )
    kind_by_id = {k.id: k for k in kinds}
    moment_rows = [
        metrics.MomentRow(
            occurred_at=row.occurred_at,
            caregiver_id=row.caregiver_id or 0,
            need=row.need,
            responses=tuple(row.responses or ()),
            how_soon=row.how_soon,
            feelings=tuple(row.feelings or ()),
            rupture=row.rupture,
            repaired_at=row.repaired_at,
        )
        for row in db.session.execute(
            select(
                Moment.occurred_at, Moment.caregiver_id, Moment.need, Moment.responses,
                Moment.how_soon, Moment.feelings, Moment.rupture, Moment.repaired_at,
            ).where(
                Moment.child_id == child_id, Moment.occurred_at >= start, Moment.occurred_at < end
            )
        )
    ]
    routine_rows = [
        metrics.RoutineRow(
            kind=kind_by_id[row.kind_id].key,
            started_at=row.started_at,
            caregiver_id=row.caregiver_id or 0,
            ended_at=row.ended_at,
            skills=tuple(row.skills or ()),
        )
        for row in db.session.execute(
            select(
                Routine.kind_id, Routine.started_at, Routine.caregiver_id, Routine.ended_at,
                Routine.skills,
            ).where(
                Routine.child_id == child_id, Routine.started_at >= start, Routine.started_at < end
            )
        )
    ]
    checkin_rows = [
        metrics.CheckInRow(at=row.at, caregiver_id=row.user_id or 0, feeling=row.feeling)
        for row in db.session.execute(
            select(CheckIn.at, CheckIn.user_id, CheckIn.feeling).where(
                CheckIn.household_id == household_id, CheckIn.at >= start, CheckIn.at < end
            )
        )
    ] if with_checkins else []
    planned = {
        kind_by_id[kind_id].key: minute
        for kind_id, minute in db.session.execute(
            select(PlannedTime.kind_id, PlannedTime.minute).where(
                PlannedTime.child_id == child_id
            )
        )
    }
    return WeekRows(moment_rows, routine_rows, checkin_rows, planned, kinds)
