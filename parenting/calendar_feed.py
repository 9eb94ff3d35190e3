"""A household's calendar: planned routine times, daily, and its groups' sessions, weekly.

Nothing but times and names: routine names (never a child's nickname or a note) and the words
"Parenting group", so the address gives away nothing else if it leaks. A calendar app fetches
the feed with no language of its own, so the words are in the language of the caregiver who
made the address (English when they have none, or have deleted their account).
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _
from icalendar import Calendar, Event
from sqlalchemy import select

from . import domain, nudges
from .extensions import db
from .models import Child, Group, Household, Membership, PlannedTime, RoutineKind, utcnow
from .timefmt import local_today, zone

ROUTINE_MINUTES = 15
# Recurring events need a first day; a fixed one keeps every event's UID and start stable.
FIRST_DAY = date(2024, 1, 1)


@dataclass(frozen=True)
class PlannedRoutine:
    kind_id: int
    label: str
    minute: int


@dataclass(frozen=True)
class Sessions:
    group_id: int
    start: date
    weeks: int | None


def build_calendar(timezone: str, routines: list[PlannedRoutine], groups: list[Sessions],
                   today: date, now: datetime, group_title: str = "Parenting group") -> bytes:
    """Return an iCalendar file: one daily event per planned routine time, one per session."""
    tz = zone(timezone)
    calendar = Calendar()
    calendar.add("prodid", "-//Tend//Planned routines//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "Tend")
    calendar.add("x-wr-timezone", tz.key)
    # Two children with the same bedtime are one event: nothing in it says whose it is.
    for routine in sorted(set(routines), key=lambda r: (r.minute, r.label, r.kind_id)):
        event = Event()
        event.add("uid", f"routine-{routine.kind_id}-{routine.minute}@tend")
        event.add("dtstamp", now)
        event.add("summary", routine.label)
        start = datetime.combine(FIRST_DAY, time(routine.minute // 60, routine.minute % 60),
                                 tzinfo=tz)
        event.add("dtstart", start)
        event.add("duration", timedelta(minutes=ROUTINE_MINUTES))
        event.add("rrule", {"freq": "daily"})
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    for group in groups:
        for day in nudges.session_days(group.start, group.weeks, today):
            event = Event()
            event.add("uid", f"group-{group.group_id}-{day.isoformat()}@tend")
            event.add("dtstamp", now)
            event.add("summary", group_title)
            event.add("dtstart", day)
            event.add("dtend", day + timedelta(days=1))
            event.add("transp", "TRANSPARENT")
            calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def household_calendar(household_id: int) -> bytes:
    """Load a household's planned times and group sessions and return its calendar."""
    household = db.session.get(Household, household_id)
    routines = [
        PlannedRoutine(kind_id, domain.kind_label(key, label), minute)
        for kind_id, key, label, minute in db.session.execute(
            select(RoutineKind.id, RoutineKind.key, RoutineKind.label, PlannedTime.minute)
            .join(PlannedTime, PlannedTime.kind_id == RoutineKind.id)
            .join(Child, Child.id == PlannedTime.child_id)
            .where(Child.household_id == household_id, RoutineKind.hidden.is_(False))
        )
    ]
    groups = [
        Sessions(group_id, start, weeks)
        for group_id, start, weeks in db.session.execute(
            select(Group.id, Group.start_date, Group.weeks).where(
                Group.id.in_(select(Membership.group_id)
                             .where(Membership.household_id == household_id))
            ).order_by(Group.id)
        )
    ]
    tz = zone(household.timezone)
    return build_calendar(household.timezone, routines, groups, local_today(tz), utcnow(),
                          group_title=_("Parenting group"))
