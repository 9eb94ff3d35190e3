"""Which reminder is due, and the weekly email's lines: pure functions, no app."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from parenting import nudges


def local(hour, minute=0, day=date(2026, 11, 17)):
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo("Europe/Paris"))


@pytest.mark.parametrize(("minute", "quiet"), [
    (6 * 60 + 59, True), (7 * 60, False), (20 * 60 + 59, False), (21 * 60, True), (0, True),
])
def test_quiet_hours_run_from_nine_at_night_to_seven(minute, quiet):
    assert nudges.is_quiet(minute) is quiet


def due(now, special=None, week=False, group=False):
    nudge = nudges.due_nudge(now, special_time_minute=special, week_ready_today=week,
                             group_tomorrow=group)
    return nudge.kind if nudge else None


def test_the_daily_nudge_is_due_from_its_time_until_the_quiet_hours():
    assert due(local(17, 29), special=17 * 60 + 30) is None
    assert due(local(17, 30), special=17 * 60 + 30) == nudges.SPECIAL_TIME
    assert due(local(20, 59), special=17 * 60 + 30) == nudges.SPECIAL_TIME
    assert due(local(21, 0), special=17 * 60 + 30) is None


def test_one_reminder_a_day_the_most_particular_one():
    assert due(local(9), special=8 * 60, week=True) == nudges.WEEK_READY
    assert due(local(7, 30), special=7 * 60, week=True) is None  # the week's comes at 08:00
    assert due(local(17), special=8 * 60, week=True, group=True) == nudges.GROUP_TOMORROW
    assert due(local(12), special=8 * 60, group=True) is None  # the group's comes at 17:00
    assert due(local(12)) is None


def test_no_reminder_words_grade_or_push():
    for nudge in nudges.NUDGES.values():
        words = f"{nudge.title} {nudge.body}".lower()
        for word in ("should", "streak", "missed", "score", "don't forget"):
            assert word not in words


def test_group_sessions_are_weekly_from_the_first():
    start = date(2026, 11, 4)
    assert nudges.has_session_on(date(2026, 11, 4), start, 3)
    assert nudges.has_session_on(date(2026, 11, 18), start, 3)
    assert not nudges.has_session_on(date(2026, 11, 25), start, 3)  # after the last
    assert not nudges.has_session_on(date(2026, 10, 28), start, 3)  # before the first
    assert not nudges.has_session_on(date(2026, 11, 5), start, None)
    assert nudges.has_session_on(date(2027, 11, 3), start, None)
    assert nudges.session_days(start, 2, date(2026, 11, 20)) == [date(2026, 11, 4),
                                                                 date(2026, 11, 11)]


def test_the_weekly_email_is_due_on_the_weeks_first_morning():
    monday = date(2026, 11, 16)
    assert nudges.weekly_email_due(local(8, 0, monday), week_start=0)
    assert not nudges.weekly_email_due(local(7, 59, monday), week_start=0)
    assert not nudges.weekly_email_due(local(21, 0, monday), week_start=0)
    assert not nudges.weekly_email_due(local(9, 0, monday), week_start=6)
