"""Rows in, weekly numbers and warm sentences out. Pure: no Flask, no database.

The sentences speak the request's language; outside a request (tests, the command line) gettext
gives the English as written here.
"""

import math
import re
import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from operator import attrgetter
from typing import NamedTuple
from zoneinfo import ZoneInfo

from parenting import domain
from parenting.i18n import gettext as _
from parenting.i18n import ngettext

MINUTES_PER_DAY = 24 * 60
ON_RHYTHM_MINUTES = 30
HEADLINE_RHYTHM_DAYS = 5
TYPICAL_TIME_STEP = 5
_WEEK_LABEL = re.compile(r"([0-9]{4})-W([0-9]{2})")


# The rows are named tuples, not frozen dataclasses: a summary builds some 500 of them per
# request, and a frozen dataclass takes about five times as long to make (one
# object.__setattr__ per field).
class MomentRow(NamedTuple):
    occurred_at: datetime
    caregiver_id: int
    need: str
    responses: tuple[str, ...] = ()
    how_soon: str | None = None
    feelings: tuple[str, ...] = ()
    rupture: bool = False
    repaired_at: datetime | None = None


class RoutineRow(NamedTuple):
    kind: str
    started_at: datetime
    caregiver_id: int
    ended_at: datetime | None = None
    skills: tuple[str, ...] = ()


class CheckInRow(NamedTuple):
    at: datetime
    caregiver_id: int
    feeling: str | None


_OCCURRED_AT = attrgetter("occurred_at")
_STARTED_AT = attrgetter("started_at")
_NEED = attrgetter("need")
_HOW_SOON = attrgetter("how_soon")


@dataclass
class WeekSummary:
    first_day: date
    days: list[date]
    moments: int
    needs: dict[str, int]
    halves: dict[str, int]
    supportive: int
    safe_haven_with_response: int
    speed: dict[str, int]
    ruptures: int
    repaired: int
    repair_minutes_median: float | None
    routine_days: dict[str, int]
    typical_time: dict[str, int | None]
    on_rhythm: dict[str, int]
    first_starts: dict[str, dict[date, int]]
    marks: list[tuple[date, int, str]]
    special_time_days: int
    skills: dict[str, int]
    feelings: dict[str, int]
    hard_feeling_needs: list[str]
    need_feelings: dict[str, dict[str, int]]


@dataclass
class Change:
    key: str
    label: str
    this_week: int
    last_week: int
    sentence: str


def week_start_for(day: date, week_start: int) -> date:
    """Return the first local date of the week that contains ``day``."""
    _check_week_start(week_start)
    return day - timedelta(days=(day.weekday() - week_start) % 7)


def week_bounds(first_day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Return the UTC instants [start, end) of the seven local days from ``first_day``."""
    return _local_midnight(first_day, tz), _local_midnight(first_day + timedelta(days=7), tz)


def iso_week_label(first_day: date) -> str:
    """Return the ISO week of ``first_day`` as ``YYYY-Www``."""
    year, week, _ = first_day.isocalendar()
    return f"{year:04d}-W{week:02d}"


def parse_week_label(label: str, week_start: int) -> date:
    """Return the first day of the household week whose first day lies in ISO week ``label``."""
    _check_week_start(week_start)
    match = _WEEK_LABEL.fullmatch(label) if isinstance(label, str) else None
    if match is None:
        raise ValueError(f"not a week label: {label!r}")
    # An ISO week runs Monday..Sunday, so it holds exactly one day of each weekday.
    return date.fromisocalendar(int(match[1]), int(match[2]), week_start + 1)


def summarise_week(
    moments: Iterable[MomentRow],
    routines: Iterable[RoutineRow],
    checkins: Iterable[CheckInRow],
    *,
    first_day: date,
    tz: ZoneInfo,
    planned: dict[str, int],
    now: datetime,
    caregiver_id: int | None = None,
) -> WeekSummary:
    """Compute the weekly summary figures for one child's rows (see domain.md)."""
    start, end = week_bounds(first_day, tz)
    week_moments, week_routines = _in_week(moments, routines, start, end, caregiver_id)
    if caregiver_id is None:
        week_checkins = [c for c in checkins if start <= c.at < end]
    else:
        week_checkins = [c for c in checkins
                         if start <= c.at < end and c.caregiver_id == caregiver_id]

    summary = WeekSummary(
        first_day=first_day,
        days=[first_day + timedelta(days=i) for i in range(7)],
        moments=len(week_moments),
        needs={},
        halves={},
        supportive=0,
        safe_haven_with_response=0,
        speed={},
        ruptures=0,
        repaired=0,
        repair_minutes_median=None,
        routine_days={},
        typical_time={},
        on_rhythm={},
        first_starts={},
        marks=[],
        special_time_days=0,
        skills={},
        feelings={},
        hard_feeling_needs=[],
        need_feelings={},
    )
    _add_moment_figures(summary, week_moments, now)
    _add_routine_figures(summary, week_routines, tz, planned)
    _add_feeling_figures(summary, week_moments, week_checkins)
    return summary


@dataclass
class WeekCounts:
    """The figures compare_weeks reads of the week before, and nothing else."""

    moments: int
    needs: dict[str, int]
    halves: dict[str, int]
    ruptures: int
    repaired: int
    special_time_days: int
    routine_days: dict[str, int]


def count_week(
    moments: Iterable[MomentRow],
    routines: Iterable[RoutineRow],
    *,
    first_day: date,
    tz: ZoneInfo,
    planned: dict[str, int],
    now: datetime,
    caregiver_id: int | None = None,
) -> WeekCounts:
    """Count what compare_weeks needs of a week: summarise_week's figures, the same values and
    key order, without the feelings, times of day and charts the page shows only this week."""
    start, end = week_bounds(first_day, tz)
    week_moments, week_routines = _in_week(moments, routines, start, end, caregiver_id)
    needs, halves = _need_counts(week_moments)
    ruptures = repaired = 0
    for m in week_moments:
        if m.rupture:
            ruptures += 1
            if m.repaired_at is not None and m.repaired_at <= now:
                repaired += 1
    kinds = _ordered_union([k.id for k in domain.DEFAULT_ROUTINE_KINDS], planned)
    days: dict[str, set[date]] = {kind: set() for kind in kinds}
    special_seconds: Counter[date] = Counter()
    for r in week_routines:
        day = r.started_at.astimezone(tz).date()
        days.setdefault(r.kind, set()).add(day)
        if r.kind == domain.SPECIAL_TIME and r.ended_at is not None:
            special_seconds[day] += max(0.0, (r.ended_at - r.started_at).total_seconds())
    return WeekCounts(
        moments=len(week_moments),
        needs=needs,
        halves=halves,
        ruptures=ruptures,
        repaired=repaired,
        special_time_days=_special_time_days(special_seconds),
        routine_days={kind: len(found) for kind, found in days.items() if found},
    )


def compare_weeks(
    this: WeekSummary,
    last: WeekSummary | WeekCounts,
    need_labels: dict[str, str],
    kind_labels: dict[str, str],
) -> list[Change]:
    """List this week's figures beside last week's as neutral, unjudged changes."""
    half_labels = {domain.SECURE_BASE: _("Secure base moments"),
                   domain.SAFE_HAVEN: _("Safe haven moments")}
    rows: list[tuple[str, str, int, int]] = [("moments", _("Moments"), this.moments, last.moments)]
    for half in domain.HALF_LABELS:
        rows.append(
            (f"half:{half}", half_labels[half], this.halves.get(half, 0), last.halves.get(half, 0))
        )
    for need in _ordered_union(this.needs, last.needs):
        rows.append(
            (
                f"need:{need}",
                _need_label(need, need_labels),
                this.needs.get(need, 0),
                last.needs.get(need, 0),
            )
        )
    rows += [
        ("ruptures", _("Times it went sideways"), this.ruptures, last.ruptures),
        ("repaired", _("Times you reconnected"), this.repaired, last.repaired),
        (
            "special_time_days",
            _("Days with special time"),
            this.special_time_days,
            last.special_time_days,
        ),
    ]
    for kind in _ordered_union(this.routine_days, last.routine_days):
        routine = _kind_label(kind, kind_labels)
        label = (_("%(routine)s nights", routine=routine) if kind == "bedtime"
                 else _("%(routine)s days", routine=routine))
        rows.append(
            (
                f"routine_days:{kind}",
                label,
                this.routine_days.get(kind, 0),
                last.routine_days.get(kind, 0),
            )
        )
    return [
        Change(key, label, now_n, then_n,
               _("%(label)s: %(this)d this week, %(last)d last week.",
                 label=label, this=now_n, last=then_n))
        for key, label, now_n, then_n in rows
        # Rows that are nothing in both weeks are noise, not news.
        if now_n or then_n
    ]


def headline(s: WeekSummary, *, kind_labels: dict[str, str], child_name: str) -> str:
    """Return one warm sentence that leads with what happened this week."""
    if s.ruptures:
        if s.repaired:
            return _reconnected(s)
        return ngettext(
            "%(num)d moment went sideways this week; there is still time to reconnect.",
            "%(num)d moments went sideways this week; there is still time to reconnect.",
            s.ruptures,
        )
    rhythm = [(n, kind) for kind, n in s.on_rhythm.items() if n >= HEADLINE_RHYTHM_DAYS]
    if rhythm:
        # Stable max: the first kind listed wins a tie.
        n, kind = max(rhythm, key=lambda pair: pair[0])
        routine, of = _kind_label(kind, kind_labels), s.routine_days.get(kind, n)
        if kind == "bedtime":
            return ngettext("%(routine)s was on rhythm %(n)d of %(num)d night.",
                            "%(routine)s was on rhythm %(n)d of %(num)d nights.",
                            of, routine=routine, n=n)
        return ngettext("%(routine)s was on rhythm %(n)d of %(num)d day.",
                        "%(routine)s was on rhythm %(n)d of %(num)d days.",
                        of, routine=routine, n=n)
    if s.special_time_days:
        return _special_time(s)
    if s.moments:
        return ngettext("You noticed %(num)d moment with %(name)s.",
                        "You noticed %(num)d moments with %(name)s.", s.moments, name=child_name)
    routine_days = len({mark[0] for mark in s.marks})
    if routine_days:
        return ngettext("You kept track of routines on %(num)d day.",
                        "You kept track of routines on %(num)d days.", routine_days)
    if s.feelings:
        return _("You checked in with how you were feeling this week.")
    return _("A quiet week in the log — nothing logged yet.")


WENT_WELL_MAX = 3


def went_well(s: WeekSummary) -> list[str]:
    """Choose up to three things that went well this week, repairs first, from the figures."""
    lines = []
    # Repair first: coming back together is what the app celebrates.
    if s.repaired:
        lines.append(_reconnected(s))
    if s.supportive:
        lines.append(ngettext(
            "You offered comfort or support in %(supportive)d of %(num)d safe-haven moment "
            "where you noted a response.",
            "You offered comfort or support in %(supportive)d of %(num)d safe-haven moments "
            "where you noted a response.",
            s.safe_haven_with_response, supportive=s.supportive,
        ))
    if s.special_time_days:
        lines.append(_special_time(s))
    right_away = s.speed.get("right_away", 0)
    if right_away:
        lines.append(ngettext("You responded right away %(num)d time.",
                              "You responded right away %(num)d times.", right_away))
    return lines[:WENT_WELL_MAX]


def _reconnected(s: WeekSummary) -> str:
    return ngettext("You reconnected after %(repaired)d of %(num)d rupture.",
                    "You reconnected after %(repaired)d of %(num)d ruptures.",
                    s.ruptures, repaired=s.repaired)


def _special_time(s: WeekSummary) -> str:
    return ngettext("You had special time on %(num)d day.",
                    "You had special time on %(num)d days.", s.special_time_days)


def _moments(n: int) -> str:
    return ngettext("%(num)d moment", "%(num)d moments", n)


def _times(n: int) -> str:
    return ngettext("%(num)d time", "%(num)d times", n)


def _days(n: int) -> str:
    return ngettext("%(num)d day", "%(num)d days", n)


def side_by_side(summaries: list[WeekSummary]) -> list[tuple[str, list[str]]]:
    """Put each caregiver's figures next to each other in plain words, in the order given.

    Nothing picks out who did more: every row says what each person logged, in the same words.
    Rows where no one logged anything are left out.
    """
    rows: list[tuple[str, list[str]]] = []

    def add(label: str, numbers: list[int], words: list[str]) -> None:
        if any(numbers):
            rows.append((label, words))

    def counts(label: str, numbers: list[int], say) -> None:
        add(label, numbers, [say(n) for n in numbers])

    def out_of(label: str, parts: list[int], wholes: list[int]) -> None:
        add(label, wholes, [_("%(part)d of %(whole)d", part=p, whole=w) if w else "–"
                            for p, w in zip(parts, wholes, strict=True)])

    counts(_("Moments noticed"), [s.moments for s in summaries], _moments)
    counts(_("Coming back (safe haven)"),
           [s.halves.get(domain.SAFE_HAVEN, 0) for s in summaries], _moments)
    counts(_("Going out (secure base)"),
           [s.halves.get(domain.SECURE_BASE, 0) for s in summaries], _moments)
    out_of(_("Comfort or support offered"), [s.supportive for s in summaries],
           [s.safe_haven_with_response for s in summaries])
    counts(_("Responded right away"), [s.speed.get("right_away", 0) for s in summaries], _times)
    out_of(_("Reconnected after going sideways"), [s.repaired for s in summaries],
           [s.ruptures for s in summaries])
    counts(_("Special time"), [s.special_time_days for s in summaries], _days)
    counts(_("Days with a routine logged"), [len({m[0] for m in s.marks}) for s in summaries],
           _days)
    return rows


def patterns(s: WeekSummary, need_labels: dict[str, str]) -> list[str]:
    """Offer the week's feeling patterns as gentle questions."""
    offered = []
    for need in s.hard_feeling_needs:
        hard = [
            (n, word)
            for word, n in s.need_feelings.get(need, {}).items()
            if word in domain.HARD_FEELINGS
        ]
        top_n, top_word = min(hard, key=lambda pair: (-pair[0], pair[1]), default=(0, ""))
        # Name a word only when that word itself recurred; otherwise speak of hard feelings.
        if need == domain.NOT_SURE.id:
            if top_n >= 2:
                offered.append(_("Moments when the need wasn't clear often came with feeling "
                                 "%(feeling)s — does that fit?", feeling=top_word))
            else:
                offered.append(_("Moments when the need wasn't clear often stirred a hard "
                                 "feeling in you — does that fit?"))
        elif top_n >= 2:
            offered.append(_("%(need)s moments often came with feeling %(feeling)s — does that "
                             "fit?", need=_need_label(need, need_labels), feeling=top_word))
        else:
            offered.append(_("%(need)s moments often stirred a hard feeling in you — does that "
                             "fit?", need=_need_label(need, need_labels)))
    return offered


def circular_mean_minutes(minutes: Iterable[int]) -> int | None:
    """Return the circular mean of times of day, rounded to 5 minutes, or None."""
    values = list(minutes)
    if not values:
        return None
    angles = [2 * math.pi * m / MINUTES_PER_DAY for m in values]
    x = sum(math.cos(a) for a in angles)
    y = sum(math.sin(a) for a in angles)
    # Times spread evenly round the clock (06:00 and 18:00) have no mean direction; any
    # single time would be an arbitrary pick, so report no typical time instead.
    if math.hypot(x, y) < 1e-9 * len(values):
        return None
    mean = (math.atan2(y, x) % (2 * math.pi)) * MINUTES_PER_DAY / (2 * math.pi)
    # Round away float noise first so that x.5 steps round up, not to whichever side atan2 lands.
    steps = math.floor(round(mean, 6) / TYPICAL_TIME_STEP + 0.5)
    return steps * TYPICAL_TIME_STEP % MINUTES_PER_DAY


def circular_distance(a: int, b: int) -> int:
    """Return the minutes between two times of day, going the short way round midnight."""
    d = (a - b) % MINUTES_PER_DAY
    return min(d, MINUTES_PER_DAY - d)


def _in_week(
    moments: Iterable[MomentRow],
    routines: Iterable[RoutineRow],
    start: datetime,
    end: datetime,
    caregiver_id: int | None,
) -> tuple[list[MomentRow], list[RoutineRow]]:
    """Return the moments and routines in [start, end), of one caregiver or of all, each in time
    order: a need or kind outside the defaults is listed in the order it was first seen."""
    # One pass per list, no call per row: a summary filters two weeks of rows twice.
    if caregiver_id is None:
        week_moments = [m for m in moments if start <= m.occurred_at < end]
        week_routines = [r for r in routines if start <= r.started_at < end]
    else:
        week_moments = [m for m in moments
                        if start <= m.occurred_at < end and m.caregiver_id == caregiver_id]
        week_routines = [r for r in routines
                         if start <= r.started_at < end and r.caregiver_id == caregiver_id]
    week_moments.sort(key=_OCCURRED_AT)
    week_routines.sort(key=_STARTED_AT)
    return week_moments, week_routines


def _need_counts(moments: list[MomentRow]) -> tuple[dict[str, int], dict[str, int]]:
    """Return the moments per need (every need listed, any other in first-seen order) and per
    half of the circle."""
    needs = {n.id: 0 for n in domain.ALL_NEEDS}
    halves = {domain.SECURE_BASE: 0, domain.SAFE_HAVEN: 0}
    # Counted per distinct need first (Counter counts in C, keeping first-seen order), then
    # added in: the same figures and key order as adding moment by moment.
    for need, n in Counter(map(_NEED, moments)).items():
        needs[need] = needs.get(need, 0) + n
        half = domain.NEED_HALF.get(need)
        if half:
            halves[half] += n
    return needs, halves


def _special_time_days(special_seconds: Counter[date]) -> int:
    """Return the days with at least SPECIAL_TIME_MINUTES of special time."""
    return sum(1 for secs in special_seconds.values() if secs >= domain.SPECIAL_TIME_MINUTES * 60)


def _add_moment_figures(s: WeekSummary, moments: list[MomentRow], now: datetime) -> None:
    s.needs, s.halves = _need_counts(moments)
    s.speed = {c.id: 0 for c in domain.HOW_SOON}
    # Counted per distinct value first (Counter counts in C, keeping first-seen order), then
    # added in: the same figures and key order as adding moment by moment.
    for how_soon, n in Counter(map(_HOW_SOON, moments)).items():
        if how_soon is not None:
            s.speed[how_soon] = s.speed.get(how_soon, 0) + n
    safe_haven = domain.SAFE_HAVEN
    for responses, n in Counter(
        m.responses for m in moments if m.responses and domain.NEED_HALF.get(m.need) == safe_haven
    ).items():
        s.safe_haven_with_response += n
        if domain.SUPPORTIVE_IDS.intersection(responses):
            s.supportive += n
    repair_minutes = []
    for m in moments:
        if m.rupture:
            s.ruptures += 1
            if m.repaired_at is not None and m.repaired_at <= now:
                s.repaired += 1
                repair_minutes.append((m.repaired_at - m.occurred_at).total_seconds() / 60)
    if repair_minutes:
        s.repair_minutes_median = float(statistics.median(repair_minutes))


def _add_routine_figures(
    s: WeekSummary, routines: list[RoutineRow], tz: ZoneInfo, planned: dict[str, int]
) -> None:
    kinds = _ordered_union([k.id for k in domain.DEFAULT_ROUTINE_KINDS], planned)
    kinds = _ordered_union(kinds, [r.kind for r in routines])
    s.first_starts = {kind: {} for kind in kinds}
    s.skills = {skill.id: 0 for skill in domain.SPECIAL_TIME_SKILLS}
    special_seconds: Counter[date] = Counter()
    mark, first_starts, special_time = s.marks.append, s.first_starts, domain.SPECIAL_TIME
    for r in routines:  # already in time order, so the first seen per day is the first start
        local = r.started_at.astimezone(tz)
        day, minute = local.date(), local.hour * 60 + local.minute
        mark((day, minute, r.kind))
        first_starts[r.kind].setdefault(day, minute)
        if r.kind == special_time:
            if r.ended_at is not None:
                special_seconds[day] += max(0.0, (r.ended_at - r.started_at).total_seconds())
            for skill in dict.fromkeys(r.skills):
                s.skills[skill] = s.skills.get(skill, 0) + 1
    s.special_time_days = _special_time_days(special_seconds)
    for kind, starts in s.first_starts.items():
        if starts:
            s.routine_days[kind] = len(starts)
        s.typical_time[kind] = circular_mean_minutes(starts.values())
        target = planned.get(kind, s.typical_time[kind])
        s.on_rhythm[kind] = 0 if target is None else _days_near(starts, target)


def _days_near(starts: dict[date, int], target: int) -> int:
    return sum(1 for m in starts.values() if circular_distance(m, target) <= ON_RHYTHM_MINUTES)


def _add_feeling_figures(
    s: WeekSummary, moments: list[MomentRow], checkins: list[CheckInRow]
) -> None:
    # Plain dicts, not a Counter per need: making ten Counters cost more than the counting.
    # The order they fill in does not matter: _by_count sorts by count, then word.
    counts: dict[str, int] = {}
    per_need: dict[str, dict[str, int]] = {n.id: {} for n in domain.ALL_NEEDS}
    hard_moments: dict[str, int] = {}
    # Per distinct (need, feelings) pair, weighted by how many moments had it: a week has
    # hundreds of moments but a few dozen pairs. First-seen order keeps new needs in the order
    # the moments brought them.
    for (need, feelings), n in Counter((m.need, tuple(m.feelings)) for m in moments).items():
        need_counts = per_need.get(need)
        if need_counts is None:
            need_counts = per_need[need] = {}
        words, hard = _moment_words(feelings)
        for word in words:
            counts[word] = counts.get(word, 0) + n
            need_counts[word] = need_counts.get(word, 0) + n
        if hard:
            hard_moments[need] = hard_moments.get(need, 0) + n
    for c in checkins:
        word = _clean_word(c.feeling)
        if word:
            counts[word] = counts.get(word, 0) + 1
    s.feelings = _by_count(counts)
    s.need_feelings = {need: _by_count(c) if c else {} for need, c in per_need.items()}
    s.hard_feeling_needs = [need for need in per_need if hard_moments.get(need, 0) >= 2]


@lru_cache(maxsize=1024)
def _moment_words(feelings: tuple[str, ...]) -> tuple[tuple[str, ...], bool]:
    """Return a moment's feeling words, cleaned and each once, and whether one is hard."""
    # A word picked twice on one moment is still one moment with that feeling. Cached: a week
    # holds hundreds of moments but only a few dozen different feelings tuples.
    words = tuple(dict.fromkeys(w for w in map(_clean_word, feelings) if w))
    return words, bool(domain.HARD_FEELINGS.intersection(words))


def _by_count(counts: dict[str, int]) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def _clean_word(word: str | None) -> str:
    return (word or "").strip().lower()


def _ordered_union(first: Iterable[str], second: Iterable[str]) -> list[str]:
    return list(dict.fromkeys([*first, *second]))


_DEFAULT_KIND_LABELS = {k.id: k.label for k in domain.DEFAULT_ROUTINE_KINDS}


def _need_label(need: str, need_labels: dict[str, str]) -> str:
    return _label(need, need_labels, domain.NEED_LABELS)


def _kind_label(kind: str, kind_labels: dict[str, str]) -> str:
    return _label(kind, kind_labels, _DEFAULT_KIND_LABELS)


def _label(key: str, labels: dict[str, str], defaults: dict[str, str]) -> str:
    # A household's own kind may reach us without a label; its key still reads as words.
    # str(): the defaults may be lazy strings, read in this request's language.
    return str(labels.get(key) or defaults.get(key) or key.replace("_", " ").capitalize())


def _local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def _check_week_start(week_start: int) -> None:
    if week_start not in range(7):
        raise ValueError(f"week_start must be 0 (Monday) to 6 (Sunday), not {week_start!r}")
