from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from parenting import domain
from parenting.metrics import (
    CheckInRow,
    MomentRow,
    RoutineRow,
    circular_distance,
    circular_mean_minutes,
    compare_weeks,
    count_week,
    headline,
    iso_week_label,
    parse_week_label,
    patterns,
    side_by_side,
    summarise_week,
    week_bounds,
    week_start_for,
    went_well,
)

LONDON = ZoneInfo("Europe/London")
# A winter week: London is on GMT, so local times equal UTC and sums are easy to check by hand.
MONDAY = date(2026, 1, 5)
LATER = datetime(2030, 1, 1, tzinfo=UTC)
KIND_LABELS = {k.id: k.label for k in domain.DEFAULT_ROUTINE_KINDS}


def utc(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def jan(day: int, hour: int, minute: int = 0) -> datetime:
    return utc(1, day, hour, minute)


def moment(occurred_at: datetime, need: str = "comfort_me", caregiver_id: int = 1, **fields):
    return MomentRow(occurred_at=occurred_at, caregiver_id=caregiver_id, need=need, **fields)


def routine(kind: str, started_at: datetime, caregiver_id: int = 1, minutes=None, **fields):
    ended_at = None if minutes is None else started_at + timedelta(minutes=minutes)
    return RoutineRow(
        kind=kind, started_at=started_at, caregiver_id=caregiver_id, ended_at=ended_at, **fields
    )


def summarise(
    moments=(), routines=(), checkins=(), *, first_day=MONDAY, tz=LONDON, planned=None, **kw
):
    kw.setdefault("now", LATER)
    return summarise_week(
        moments, routines, checkins, first_day=first_day, tz=tz, planned=planned or {}, **kw
    )


# Weeks and labels


@pytest.mark.parametrize(
    ("day", "week_start", "expected"),
    [
        (date(2026, 3, 4), 0, date(2026, 3, 2)),  # Wednesday -> its Monday
        (date(2026, 3, 2), 0, date(2026, 3, 2)),  # a Monday starts its own week
        (date(2026, 3, 1), 0, date(2026, 2, 23)),  # Sunday is the last day of a Monday week
        (date(2026, 3, 4), 6, date(2026, 3, 1)),  # Wednesday -> the Sunday before
        (date(2026, 3, 1), 6, date(2026, 3, 1)),  # a Sunday starts its own week
        (date(2026, 3, 7), 6, date(2026, 3, 1)),  # Saturday is the last day of a Sunday week
    ],
)
def test_week_start_for(day, week_start, expected):
    assert week_start_for(day, week_start) == expected


def test_week_start_outside_monday_to_sunday_is_refused():
    with pytest.raises(ValueError):
        week_start_for(date(2026, 3, 4), 7)


def test_week_bounds_in_an_ordinary_week_are_168_hours():
    start, end = week_bounds(MONDAY, LONDON)
    assert (start, end) == (jan(5, 0), jan(12, 0))


def test_week_bounds_when_the_clocks_go_forward_are_167_hours():
    start, end = week_bounds(date(2026, 3, 23), LONDON)
    assert start == utc(3, 23, 0)  # midnight GMT
    assert end == utc(3, 29, 23)  # midnight BST on Monday 30 March
    assert end - start == timedelta(hours=167)


def test_week_bounds_when_the_clocks_go_back_are_169_hours():
    start, end = week_bounds(date(2026, 10, 19), LONDON)
    assert start == utc(10, 18, 23)  # midnight BST on Monday 19 October
    assert end == utc(10, 26, 0)  # midnight GMT
    assert end - start == timedelta(hours=169)


def test_rows_are_cut_to_the_week_by_local_time_across_the_clocks_going_back():
    s = summarise(
        [
            moment(utc(10, 18, 22, 30)),  # Sunday 18th, 23:30 BST: the week before
            moment(utc(10, 18, 23, 30)),  # Monday 19th, 00:30 BST
            moment(utc(10, 24, 23, 30)),  # Sunday 25th, 00:30 BST, before the change at 01:00 UTC
            moment(utc(10, 25, 23, 30)),  # Sunday 25th, 23:30 GMT
            moment(utc(10, 26, 0, 0)),  # Monday 26th, 00:00 GMT: the week after
        ],
        [routine("bedtime", utc(10, 24, 23, 30))],
        first_day=date(2026, 10, 19),
    )
    assert s.moments == 3
    assert s.days[-1] == date(2026, 10, 25)
    # In UTC this is Saturday evening; at home it was half past midnight on Sunday.
    assert s.marks == [(date(2026, 10, 25), 30, "bedtime")]


def test_the_week_the_clocks_go_forward_ends_at_local_midnight():
    s = summarise(
        [
            moment(utc(3, 29, 0, 30)),  # Sunday 00:30 GMT
            moment(utc(3, 29, 22, 30)),  # Sunday 23:30 BST
            moment(utc(3, 29, 23, 0)),  # Monday 00:00 BST: next week
        ],
        first_day=date(2026, 3, 23),
    )
    assert s.moments == 2


def test_a_bedtime_kept_at_1930_local_through_a_clock_change_is_on_rhythm_every_night():
    bedtimes = [routine("bedtime", utc(10, day, 18, 30)) for day in range(19, 25)]  # BST
    bedtimes.append(routine("bedtime", utc(10, 25, 19, 30)))  # GMT from Sunday
    s = summarise(
        routines=bedtimes, first_day=date(2026, 10, 19), planned={"bedtime": 19 * 60 + 30}
    )
    assert set(s.first_starts["bedtime"].values()) == {19 * 60 + 30}
    assert s.typical_time["bedtime"] == 19 * 60 + 30
    assert s.on_rhythm["bedtime"] == 7


@pytest.mark.parametrize(
    ("first_day", "label"),
    [
        (date(2026, 3, 2), "2026-W10"),
        (date(2026, 3, 1), "2026-W09"),  # a Sunday belongs to the ISO week that began on Monday
        (date(2025, 12, 29), "2026-W01"),  # ISO year differs from the calendar year
        (date(2026, 12, 28), "2026-W53"),
    ],
)
def test_iso_week_label(first_day, label):
    assert iso_week_label(first_day) == label


def test_parse_week_label_returns_the_household_week_start_inside_that_iso_week():
    assert parse_week_label("2026-W10", 0) == date(2026, 3, 2)
    assert parse_week_label("2026-W09", 6) == date(2026, 3, 1)
    assert parse_week_label("2026-W53", 0) == date(2026, 12, 28)


def test_week_labels_round_trip_for_every_week_start_day():
    for offset in range(0, 800, 3):
        day = date(2025, 6, 1) + timedelta(days=offset)
        for week_start in range(7):
            first = week_start_for(day, week_start)
            assert parse_week_label(iso_week_label(first), week_start) == first


@pytest.mark.parametrize(
    "junk",
    [
        "",
        "2026-W5",
        "2026W05",
        "2026-w05",
        "2026-W05 ",
        "2026-W00",
        "2026-W54",
        "2025-W53",  # 2025 has 52 ISO weeks
        "0000-W01",
        "abcd-Wef",
        "٢٠٢٦-W05",  # non-ASCII digits
        "2026-05-01",
    ],
)
def test_parse_week_label_refuses_junk(junk):
    with pytest.raises(ValueError):
        parse_week_label(junk, 0)


def test_parse_week_label_refuses_a_week_start_outside_the_week():
    with pytest.raises(ValueError):
        parse_week_label("2026-W10", -1)


def test_a_week_starting_on_sunday_runs_sunday_to_saturday():
    first = week_start_for(date(2026, 3, 4), 6)
    s = summarise(
        [
            moment(utc(2, 28, 10)),  # Saturday before
            moment(utc(3, 1, 10)),  # Sunday: first day
            moment(utc(3, 7, 23, 59)),  # Saturday: last day
            moment(utc(3, 8, 10)),  # Sunday after
        ],
        first_day=first,
    )
    assert s.days[0] == date(2026, 3, 1)
    assert s.days[-1] == date(2026, 3, 7)
    assert s.moments == 2


# Moments


def test_an_empty_week_has_zeros_everywhere_and_a_quiet_headline():
    s = summarise()
    assert s.days == [MONDAY + timedelta(days=i) for i in range(7)]
    assert s.moments == 0
    assert list(s.needs) == [n.id for n in domain.ALL_NEEDS]
    assert set(s.needs.values()) == {0}
    assert s.halves == {"secure_base": 0, "safe_haven": 0}
    assert s.speed == {"right_away": 0, "few_minutes": 0, "later": 0, "not_this_time": 0}
    assert (s.supportive, s.safe_haven_with_response) == (0, 0)
    assert (s.ruptures, s.repaired, s.repair_minutes_median) == (0, 0, None)
    assert s.routine_days == {}
    assert s.typical_time["bedtime"] is None
    assert set(s.typical_time.values()) == {None}
    assert set(s.on_rhythm.values()) == {0}
    assert s.marks == []
    assert s.special_time_days == 0
    assert s.skills == {"praise": 0, "reflect": 0, "imitate": 0, "describe": 0, "enjoy": 0}
    assert s.feelings == {}
    assert s.hard_feeling_needs == []
    assert headline(s, kind_labels=KIND_LABELS, child_name="Sam") == (
        "A quiet week in the log — nothing logged yet."
    )
    assert patterns(s, domain.NEED_LABELS) == []


def test_needs_halves_and_speed_are_counted():
    s = summarise(
        [
            moment(jan(5, 9), "comfort_me", how_soon="right_away"),
            moment(jan(5, 10), "comfort_me", how_soon="few_minutes"),
            moment(jan(6, 9), "delight_in_me", how_soon="right_away"),
            moment(jan(7, 9), "not_sure"),
        ]
    )
    assert s.moments == 4
    assert s.needs["comfort_me"] == 2
    assert s.needs["delight_in_me"] == 1
    assert s.needs["not_sure"] == 1
    # not_sure is a fine answer that belongs to neither half.
    assert s.halves == {"secure_base": 1, "safe_haven": 2}
    assert s.speed == {"right_away": 2, "few_minutes": 1, "later": 0, "not_this_time": 0}


def test_supportive_counts_safe_haven_moments_with_a_supportive_response_out_of_those_with_any():
    s = summarise(
        [
            moment(jan(5, 9), "comfort_me", responses=("held_comforted",)),
            moment(jan(5, 10), "protect_me", responses=("got_cross",)),
            moment(jan(5, 11), "welcome_me"),  # no response logged: not in the denominator
            moment(jan(5, 12), "help_with_feelings", responses=("distracted", "named_feeling")),
            # Secure-base moments are outside this figure even with a supportive response.
            moment(jan(5, 13), "delight_in_me", responses=("watched_delighted",)),
        ]
    )
    assert s.supportive == 2
    assert s.safe_haven_with_response == 3


def test_caregiver_filter_keeps_only_that_caregivers_rows():
    moments = [moment(jan(5, 9), caregiver_id=1), moment(jan(5, 10), caregiver_id=2)]
    routines = [
        routine("bath", jan(5, 18), caregiver_id=1),
        routine("bath", jan(6, 18), caregiver_id=2),
        routine("bath", jan(7, 18), caregiver_id=2),
    ]
    checkins = [
        CheckInRow(at=jan(5, 21), caregiver_id=1, feeling="tired"),
        CheckInRow(at=jan(5, 22), caregiver_id=2, feeling="calm"),
    ]
    everyone = summarise(moments, routines, checkins)
    second = summarise(moments, routines, checkins, caregiver_id=2)
    assert (everyone.moments, everyone.routine_days, everyone.feelings) == (
        2,
        {"bath": 3},
        {"calm": 1, "tired": 1},
    )
    assert (second.moments, second.routine_days, second.feelings) == (1, {"bath": 2}, {"calm": 1})


def test_a_rupture_repaired_the_next_week_counts_once_that_repair_has_happened():
    friday_evening = jan(9, 18)
    monday_morning = jan(12, 9)  # next week
    rows = [moment(friday_evening, rupture=True, repaired_at=monday_morning)]

    before = summarise(rows, now=jan(11, 20))
    assert (before.ruptures, before.repaired, before.repair_minutes_median) == (1, 0, None)
    assert headline(before, kind_labels=KIND_LABELS, child_name="Sam") == (
        "1 moment went sideways this week; there is still time to reconnect."
    )

    after = summarise(rows, now=jan(12, 10))
    assert (after.ruptures, after.repaired) == (1, 1)
    assert after.repair_minutes_median == 63 * 60.0  # Friday 18:00 to Monday 09:00
    assert headline(after, kind_labels=KIND_LABELS, child_name="Sam") == (
        "You reconnected after 1 of 1 rupture."
    )


def test_time_to_repair_is_the_median_over_repaired_ruptures_only():
    def rupture(hour, repaired_after=None):
        repaired_at = None if repaired_after is None else jan(6, hour) + repaired_after
        return moment(jan(6, hour), rupture=True, repaired_at=repaired_at)

    odd = summarise(
        [
            rupture(8, timedelta(minutes=10)),
            rupture(9, timedelta(minutes=30)),
            rupture(10, timedelta(minutes=120)),
            rupture(11),
            moment(jan(6, 12)),  # not a rupture
        ]
    )
    assert (odd.ruptures, odd.repaired, odd.repair_minutes_median) == (4, 3, 30.0)

    even = summarise([rupture(8, timedelta(minutes=10)), rupture(9, timedelta(minutes=30))])
    assert even.repair_minutes_median == 20.0
    assert headline(odd, kind_labels=KIND_LABELS, child_name="Sam") == (
        "You reconnected after 3 of 4 ruptures."
    )


# Routines


def test_circular_mean_of_times_of_day():
    assert circular_mean_minutes([23 * 60 + 50, 10]) == 0
    assert circular_mean_minutes([19 * 60, 19 * 60 + 20]) == 19 * 60 + 10
    assert circular_mean_minutes([420, 425]) == 425  # 07:02:30 rounds up to 07:05
    assert circular_mean_minutes([1170, 1173]) == 1170  # 19:31:30 rounds down to 19:30
    assert circular_mean_minutes([23 * 60 + 59]) == 0  # rounds to 24:00, i.e. 00:00
    assert circular_mean_minutes([]) is None
    # Exactly opposite times have no mean direction: no typical time rather than a guess.
    assert circular_mean_minutes([6 * 60, 18 * 60]) is None


def test_circular_distance_goes_the_short_way_round_midnight():
    assert circular_distance(23 * 60 + 50, 10) == 20
    assert circular_distance(10, 23 * 60 + 50) == 20
    assert circular_distance(19 * 60, 20 * 60) == 60
    assert circular_distance(0, 12 * 60) == 12 * 60


def test_bedtimes_either_side_of_midnight_average_to_midnight():
    bedtimes = [routine("bedtime", jan(5, 23, 50)), routine("bedtime", jan(7, 0, 10))]
    s = summarise(routines=bedtimes, planned={"bedtime": 0})
    assert s.first_starts["bedtime"] == {date(2026, 1, 5): 1430, date(2026, 1, 7): 10}
    assert s.typical_time["bedtime"] == 0
    assert s.on_rhythm["bedtime"] == 2
    assert summarise(routines=bedtimes, planned={"bedtime": 23 * 60 + 30}).on_rhythm["bedtime"] == 1


def test_without_a_planned_time_on_rhythm_is_measured_against_the_typical_time():
    baths = [
        routine("bath", jan(5, 18, 0)),
        routine("bath", jan(5, 20, 45)),  # a second bath that day: only the first start counts
        routine("bath", jan(6, 18, 10)),
        routine("bath", jan(7, 18, 20)),
        routine("bath", jan(8, 17, 0)),
        routine("bath", jan(9, 19, 20)),
    ]
    s = summarise(routines=baths)
    assert s.routine_days == {"bath": 5}
    # First starts sit symmetrically round 18:10 (±10 and ±70 minutes).
    assert s.typical_time["bath"] == 18 * 60 + 10
    assert s.on_rhythm["bath"] == 3
    assert len(s.marks) == 6
    assert s.marks[1] == (date(2026, 1, 5), 20 * 60 + 45, "bath")

    planned = summarise(routines=baths, planned={"bath": 17 * 60})
    assert planned.typical_time["bath"] == 18 * 60 + 10
    assert planned.on_rhythm["bath"] == 1  # only 17:00 is within 30 minutes of the plan


def test_marks_list_every_start_in_time_order_including_household_kinds():
    s = summarise(
        routines=[
            routine("bedtime", jan(6, 19)),
            routine("story_call_with_grandma", jan(5, 18)),
            routine("bedtime", jan(12, 19)),  # next week
        ]
    )
    assert s.marks == [
        (date(2026, 1, 5), 18 * 60, "story_call_with_grandma"),
        (date(2026, 1, 6), 19 * 60, "bedtime"),
    ]
    assert s.routine_days == {"bedtime": 1, "story_call_with_grandma": 1}
    assert s.typical_time["story_call_with_grandma"] == 18 * 60


def test_special_time_days_need_five_minutes_in_total_that_day():
    s = summarise(
        routines=[
            routine("special_time", jan(5, 9), minutes=3, skills=("praise", "reflect")),
            routine("special_time", jan(5, 17), minutes=3, skills=("praise",)),  # 3 + 3 = 6
            routine("special_time", jan(6, 9), minutes=4, skills=("enjoy",)),  # 4: not a day
            routine("special_time", jan(7, 9)),  # no end: counts as 0 minutes
            routine("special_time", jan(8, 9), minutes=5),  # exactly 5 counts
            routine("play", jan(9, 9), minutes=30),  # other kinds are not special time
        ]
    )
    assert s.special_time_days == 2
    assert s.routine_days["special_time"] == 4
    assert s.skills == {"praise": 2, "reflect": 1, "imitate": 0, "describe": 0, "enjoy": 1}
    assert headline(s, kind_labels=KIND_LABELS, child_name="Sam") == (
        "You had special time on 2 days."
    )


# Feelings and patterns


def _feelings_week():
    return summarise(
        [
            moment(jan(5, 9), "comfort_me", feelings=("overwhelmed",)),
            moment(jan(6, 9), "comfort_me", feelings=("overwhelmed", "tired")),
            moment(jan(6, 10), "protect_me", feelings=("worried",)),  # once: below the threshold
            moment(jan(6, 11), "help_me", feelings=("calm",)),
            moment(jan(6, 12), "help_me", feelings=("calm",)),  # twice, but calm is not hard
            moment(jan(7, 9), "delight_in_me", feelings=("sad",)),
            moment(jan(7, 10), "delight_in_me", feelings=("anxious",)),  # 2 moments, 2 words
        ],
        checkins=[
            CheckInRow(at=jan(7, 21), caregiver_id=1, feeling="overwhelmed"),
            CheckInRow(at=jan(8, 21), caregiver_id=1, feeling=None),
            CheckInRow(at=jan(13, 21), caregiver_id=1, feeling="calm"),  # next week
        ],
    )


def test_feelings_are_counted_across_moments_and_check_ins_most_common_first():
    s = _feelings_week()
    assert list(s.feelings.items()) == [
        ("overwhelmed", 3),
        ("calm", 2),
        ("anxious", 1),
        ("sad", 1),
        ("tired", 1),
        ("worried", 1),
    ]
    assert s.need_feelings["comfort_me"] == {"overwhelmed": 2, "tired": 1}
    assert s.need_feelings["welcome_me"] == {}


def test_hard_feeling_needs_need_a_hard_feeling_on_at_least_two_moments():
    assert _feelings_week().hard_feeling_needs == ["delight_in_me", "comfort_me"]


def test_patterns_are_offered_as_questions():
    assert patterns(_feelings_week(), domain.NEED_LABELS) == [
        "Delight in me moments often stirred a hard feeling in you — does that fit?",
        "Comfort me moments often came with feeling overwhelmed — does that fit?",
    ]


def test_patterns_use_a_facilitators_own_labels():
    labels = {**domain.NEED_LABELS, "comfort_me": "Soothe me"}
    assert patterns(_feelings_week(), labels)[1].startswith("Soothe me moments often came with")


# Headlines and comparisons


def test_headline_celebrates_a_routine_on_rhythm_on_five_or_more_days():
    bedtimes = [routine("bedtime", jan(day, 19, 30)) for day in range(5, 11)]
    bedtimes.append(routine("bedtime", jan(11, 21, 0)))
    s = summarise(routines=bedtimes, planned={"bedtime": 19 * 60 + 30})
    assert headline(s, kind_labels=KIND_LABELS, child_name="Sam") == (
        "Bedtime was on rhythm 6 of 7 nights."
    )

    naps = [routine("nap", jan(day, 13)) for day in range(5, 10)]
    s = summarise(routines=naps)
    assert headline(s, kind_labels=KIND_LABELS, child_name="Sam") == (
        "Nap was on rhythm 5 of 5 days."
    )


def test_headline_order_and_plurals():
    empty = summarise()

    def say(s):
        return headline(s, kind_labels=KIND_LABELS, child_name="Sam")

    assert say(replace(empty, ruptures=3, repaired=3)) == "You reconnected after 3 of 3 ruptures."
    assert say(replace(empty, ruptures=2)) == (
        "2 moments went sideways this week; there is still time to reconnect."
    )
    assert say(replace(empty, special_time_days=1, moments=4)) == "You had special time on 1 day."
    assert say(replace(empty, moments=1)) == "You noticed 1 moment with Sam."
    assert say(replace(empty, moments=2)) == "You noticed 2 moments with Sam."
    assert say(replace(empty, marks=[(MONDAY, 600, "bath")])) == (
        "You kept track of routines on 1 day."
    )
    assert say(replace(empty, feelings={"tired": 1})) == (
        "You checked in with how you were feeling this week."
    )


def test_compare_weeks_lists_neutral_changes_for_figures_seen_in_either_week():
    this = summarise([moment(jan(5, 9)), moment(jan(6, 9)), moment(jan(7, 9))])
    last = summarise(
        [moment(jan(1, 9)), moment(jan(2, 9), "help_me")],
        [routine("bedtime", jan(1, 19))],
        first_day=date(2025, 12, 29),
    )
    changes = {c.key: c for c in compare_weeks(this, last, domain.NEED_LABELS, KIND_LABELS)}
    assert changes["moments"].sentence == "Moments: 3 this week, 2 last week."
    assert changes["need:comfort_me"].sentence == "Comfort me: 3 this week, 1 last week."
    assert changes["need:help_me"].sentence == "Help me: 0 this week, 1 last week."
    assert changes["routine_days:bedtime"].sentence == "Bedtime nights: 0 this week, 1 last week."
    assert (changes["half:safe_haven"].this_week, changes["half:safe_haven"].last_week) == (3, 1)
    assert "need:protect_me" not in changes  # nothing in either week
    assert "ruptures" not in changes


@pytest.mark.parametrize("caregiver_id", [None, 1, 2])
def test_count_week_gives_the_compared_figures_of_summarise_week(caregiver_id):
    last_monday = date(2025, 12, 29)
    moments = [
        moment(jan(2, 9), "made_up_need"),  # a need outside the defaults, listed when first seen
        moment(jan(1, 9), "help_me", caregiver_id=2),
        moment(jan(1, 8), rupture=True, repaired_at=jan(1, 9)),
        moment(jan(3, 8), rupture=True, repaired_at=LATER + timedelta(days=1)),  # after now
        moment(jan(3, 9), rupture=True, caregiver_id=2),
        moment(jan(6, 9)),  # this week: not counted
    ]
    routines = [
        routine("our_walk", jan(2, 7)),
        routine("bedtime", jan(1, 19), caregiver_id=2),
        routine("bedtime", jan(1, 20)),
        routine("special_time", jan(2, 17), minutes=3),
        routine("special_time", jan(2, 18), minutes=3),
        routine("bath", jan(6, 18)),  # this week: not counted
    ]
    kw = {"first_day": last_monday, "tz": LONDON, "planned": {"reading": 1200}, "now": LATER,
          "caregiver_id": caregiver_id}
    full = summarise_week(moments, routines, [], **kw)
    counts = count_week(moments, routines, **kw)
    for name in ("moments", "needs", "halves", "ruptures", "repaired", "special_time_days",
                 "routine_days"):
        # The same values in the same key order: compare_weeks lists them in that order.
        assert repr(getattr(counts, name)) == repr(getattr(full, name)), name
    this = summarise([moment(jan(5, 9))])
    assert (compare_weeks(this, counts, domain.NEED_LABELS, KIND_LABELS)
            == compare_weeks(this, full, domain.NEED_LABELS, KIND_LABELS))


def test_no_sentence_tells_a_caregiver_what_they_should_do():
    rows = [
        moment(jan(5, 9), feelings=("overwhelmed",), rupture=True),
        moment(jan(6, 9), feelings=("guilty",), rupture=True, repaired_at=jan(6, 10)),
        moment(jan(7, 9), "not_sure", feelings=("worried",)),
        moment(jan(7, 10), "not_sure", feelings=("worried",)),
    ]
    this = summarise(rows, [routine("special_time", jan(5, 9), minutes=5)])
    last = summarise(first_day=date(2025, 12, 29))
    text = [c.sentence for c in compare_weeks(this, last, domain.NEED_LABELS, KIND_LABELS)]
    text += patterns(this, domain.NEED_LABELS)
    text.append(headline(this, kind_labels=KIND_LABELS, child_name="Sam"))
    unclear = "Moments when the need wasn't clear often came with feeling worried — does that fit?"
    assert unclear in text
    for sentence in text:
        assert "should" not in sentence.lower()
        assert "score" not in sentence.lower()


# Moments that went well


def test_went_well_leads_with_repair_then_support_then_special_time():
    s = summarise(
        [
            moment(jan(5, 9), "comfort_me", responses=("held_comforted",), how_soon="right_away"),
            moment(jan(5, 10), "protect_me", responses=("got_cross",)),
            moment(jan(6, 9), "comfort_me", rupture=True, repaired_at=jan(6, 10)),
            moment(jan(7, 9), "welcome_me", rupture=True),
        ],
        [routine("special_time", jan(8, 17), minutes=5)],
    )
    assert went_well(s) == [
        "You reconnected after 1 of 2 ruptures.",
        "You offered comfort or support in 1 of 2 safe-haven moments where you noted a "
        "response.",
        "You had special time on 1 day.",
    ]


def test_went_well_keeps_at_most_three_lines():
    s = summarise(
        [
            moment(jan(5, 9), "comfort_me", responses=("named_feeling",), how_soon="right_away",
                   rupture=True, repaired_at=jan(5, 10)),
        ],
        [routine("special_time", jan(8, 17), minutes=6)],
    )
    lines = went_well(s)
    assert len(lines) == 3
    assert not any("right away" in line for line in lines)


def test_went_well_names_a_quick_response_when_there_is_room():
    s = summarise([moment(jan(6, 9), "delight_in_me", how_soon="right_away")] * 2)
    assert went_well(s) == ["You responded right away 2 times."]


def test_went_well_is_empty_for_a_quiet_week_or_one_with_only_misses():
    assert went_well(summarise()) == []
    s = summarise([
        moment(jan(5, 9), "comfort_me", responses=("got_cross",), how_soon="later"),
        moment(jan(5, 10), "comfort_me", rupture=True),
    ])
    assert went_well(s) == []


def test_went_well_never_counts_a_repair_that_has_not_happened_yet():
    s = summarise([moment(jan(5, 9), rupture=True, repaired_at=jan(20, 9))], now=jan(10, 9))
    assert went_well(s) == []


def test_went_well_never_uses_words_that_grade_the_parent():
    s = summarise(
        [moment(jan(5, 9), "comfort_me", responses=("held_comforted",), how_soon="right_away",
                rupture=True, repaired_at=jan(5, 10))],
        [routine("special_time", jan(8, 17), minutes=5)],
    )
    text = " ".join(went_well(s)).lower()
    for word in ("should", "score", "good job", "well done", "better", "worse", "only"):
        assert word not in text


# Each of us


def test_side_by_side_gives_each_caregivers_figures_in_the_order_given():
    moments = [
        moment(jan(5, 9), "comfort_me", caregiver_id=1, responses=("held_comforted",),
               rupture=True, repaired_at=jan(5, 10)),
        moment(jan(6, 9), "delight_in_me", caregiver_id=2, how_soon="right_away"),
    ]
    routines = [routine("bedtime", jan(5, 19), caregiver_id=2),
                routine("bedtime", jan(6, 19), caregiver_id=2)]
    one = summarise(moments, routines, caregiver_id=1)
    two = summarise(moments, routines, caregiver_id=2)
    assert side_by_side([one, two]) == [
        ("Moments noticed", ["1 moment", "1 moment"]),
        ("Coming back (safe haven)", ["1 moment", "0 moments"]),
        ("Going out (secure base)", ["0 moments", "1 moment"]),
        ("Comfort or support offered", ["1 of 1", "–"]),
        ("Responded right away", ["0 times", "1 time"]),
        ("Reconnected after going sideways", ["1 of 1", "–"]),
        ("Days with a routine logged", ["0 days", "2 days"]),
    ]
    # The order is the caller's: swapping the people swaps the columns, nothing else.
    assert side_by_side([two, one]) == [
        (label, values[::-1]) for label, values in side_by_side([one, two])
    ]


def test_side_by_side_of_quiet_weeks_is_empty():
    assert side_by_side([summarise(), summarise()]) == []
