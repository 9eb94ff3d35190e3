"""A group's programme: which week of it a day falls in, and this week's themes for a parent."""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.orm import selectinload

from .extensions import db
from .models import Group, GroupTheme, Membership


def programme_week(start_date: date, weeks: int | None, day: date) -> int | None:
    """Return which week of a programme a day falls in (1 for the first), or None outside it.

    A programme week runs seven days from the weekday of the first session. Without a number of
    weeks, a programme has no end.
    """
    if day < start_date:
        return None
    week = (day - start_date).days // 7 + 1
    if weeks is not None and week > weeks:
        return None
    return week


def session_week(start_date: date, weeks: int | None, monday: date) -> int | None:
    """Return the programme week whose session day falls in the ISO week starting ``monday``."""
    session_day = monday + timedelta(days=start_date.weekday())
    return programme_week(start_date, weeks, session_day)


@dataclass(frozen=True)
class CurrentTheme:
    group_name: str
    week: int
    weeks: int | None
    theme: str
    focus: str | None


def current_themes(user_id: int, today: date) -> list[CurrentTheme]:
    """Return this week's theme of each group the user is a member of, where one is set."""
    return themes_of(member_groups(user_id), today)


# Home asks on every visit: built once, since building a select per request cost about as much
# as running it.
MEMBER_GROUPS = (
    select(Group)
    .options(selectinload(Group.themes))
    .where(Group.id.in_(
        select(Membership.group_id).where(Membership.user_id == bindparam("user_id"))
    ))
    .order_by(Group.id)
)


def member_groups(user_id: int) -> list[Group]:
    """Return the groups the user is a member of, with their themes, oldest first."""
    return list(db.session.scalars(MEMBER_GROUPS, {"user_id": user_id}))


def themes_of(groups: list[Group], today: date) -> list[CurrentTheme]:
    """Return this week's theme of each of these groups, where one is set."""
    found = []
    for group in groups:
        week = programme_week(group.start_date, group.weeks, today)
        theme = next((t for t in group.themes if t.week == week), None)
        if theme is not None:
            found.append(CurrentTheme(group.name, week, group.weeks, theme.theme, theme.focus))
    return found


def theme_for(group: Group, week: int | None) -> GroupTheme | None:
    """Return a group's theme for one programme week, if it has one."""
    if week is None:
        return None
    return db.session.scalar(
        select(GroupTheme).where(GroupTheme.group_id == group.id, GroupTheme.week == week)
    )
