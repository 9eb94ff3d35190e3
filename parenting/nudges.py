"""Which reminder is due for a caregiver, and the words of reminders and the weekly email.

Pure: no Flask, no database. At most one reminder a day, never in quiet hours. The words are
lazy strings: read them under the recipient's language (send_due does, with force_locale).
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

QUIET_FROM = 21 * 60
QUIET_UNTIL = 7 * 60
WEEK_READY_AT = 8 * 60
GROUP_TOMORROW_AT = 17 * 60
WEEKLY_EMAIL_AT = 8 * 60
# Sessions of a group with no set number of weeks, as far ahead as a calendar shows them.
OPEN_ENDED_WEEKS = 52

SPECIAL_TIME = "special_time"
WEEK_READY = "week_ready"
GROUP_TOMORROW = "group_tomorrow"


@dataclass(frozen=True)
class Nudge:
    kind: str
    title: LazyString
    body: LazyString


# Warm, short, and about the two of them: never a count, a streak or a "should".
NUDGES = {
    SPECIAL_TIME: Nudge(
        SPECIAL_TIME, _l("Special time"),
        _l("Five minutes of play led by your child, whenever it suits you both today."),
    ),
    WEEK_READY: Nudge(
        WEEK_READY, _l("Your week is ready"),
        _l("Last week's summary is there when you are: what happened, and what went well."),
    ),
    GROUP_TOMORROW: Nudge(
        GROUP_TOMORROW, _l("Group tomorrow"),
        _l("Your parenting group meets tomorrow. Come as you are — there is nothing to prepare."),
    ),
}


def minute_of_day(moment: datetime) -> int:
    return moment.hour * 60 + moment.minute


def is_quiet(minute: int) -> bool:
    """Return whether a local time of day falls in the quiet hours (21:00–07:00)."""
    return minute >= QUIET_FROM or minute < QUIET_UNTIL


def has_session_on(day: date, start: date, weeks: int | None) -> bool:
    """Return whether a group that meets weekly from its first session meets on a day."""
    offset = (day - start).days
    return offset >= 0 and offset % 7 == 0 and (weeks is None or offset // 7 < weeks)


def session_days(start: date, weeks: int | None, today: date) -> list[date]:
    """Return a group's session days; an open-ended group's up to a year after today."""
    if weeks is None:
        weeks = max(0, (today - start).days // 7 + 1) + OPEN_ENDED_WEEKS
    return [start + timedelta(days=7 * n) for n in range(weeks)]


def due_nudge(
    local_now: datetime,
    *,
    special_time_minute: int | None,
    week_ready_today: bool,
    group_tomorrow: bool,
) -> Nudge | None:
    """Return today's one reminder once its time has come, or None.

    The flags say which reminders apply today (turned on, and today is their day). On a day
    with a group session tomorrow or a new week, that reminder takes the daily nudge's place.
    """
    minute = minute_of_day(local_now)
    if is_quiet(minute):
        return None
    if group_tomorrow:
        kind, at = GROUP_TOMORROW, GROUP_TOMORROW_AT
    elif week_ready_today:
        kind, at = WEEK_READY, WEEK_READY_AT
    elif special_time_minute is not None:
        kind, at = SPECIAL_TIME, special_time_minute
    else:
        return None
    return NUDGES[kind] if minute >= at else None


def weekly_email_due(local_now: datetime, week_start: int) -> bool:
    """Return whether it is the week's first morning, from 08:00 until the quiet hours."""
    minute = minute_of_day(local_now)
    return (local_now.weekday() == week_start and minute >= WEEKLY_EMAIL_AT
            and not is_quiet(minute))


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
