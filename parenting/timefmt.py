"""Convert stored UTC times to the household's local time, and back."""

from datetime import UTC, date, datetime, time, timedelta
from functools import cache, lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel import dates as babel_dates
from flask_babel import format_date, format_datetime, format_decimal, get_locale
from flask_login import current_user

_ZONES: frozenset[str] | None = None


def known_timezones() -> frozenset[str]:
    """Return the IANA zone names this machine knows."""
    global _ZONES
    if _ZONES is None:
        _ZONES = frozenset(available_timezones()) | {"UTC"}
    return _ZONES


def zone(name: str | None) -> ZoneInfo:
    """Return the zone for a name, falling back to UTC for anything unknown."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def household_zone() -> ZoneInfo:
    """Return the current user's household zone (their own zone without a household)."""
    if not current_user.is_authenticated:
        return ZoneInfo("UTC")
    household = current_user.household
    return zone(household.timezone if household else current_user.timezone)


def to_local(value: datetime, tz: ZoneInfo | None = None) -> datetime:
    """Return an aware UTC datetime in the household's zone."""
    return value.astimezone(tz or household_zone())


def local_to_utc(value: datetime, tz: ZoneInfo | None = None) -> datetime:
    """Read a naive local datetime (from a form) in the household's zone and return UTC."""
    return value.replace(tzinfo=tz or household_zone()).astimezone(UTC)


def local_today(tz: ZoneInfo | None = None) -> date:
    """Return today's date in the household's zone."""
    return datetime.now(tz or household_zone()).date()


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Return the UTC [start, end) of one local day."""
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


# Named date formats as CLDR patterns, so a page says what it wants ("day") and each language
# writes it its own way. English keeps the short forms it always had: "Sat 5 Dec", "19:30".
DATE_PATTERNS = {
    "day": "EEE d MMM",  # Sat 5 Dec
    "weekday": "EEEE d MMMM",  # Saturday 5 December
    "day_month": "d MMM",  # 5 Dec
    "date": "d MMM y",  # 5 Dec 2026
    "long_date": "d MMMM y",  # 5 December 2026
    "day_long_month": "d MMMM",  # 5 December
    "weekday_time": "EEE HH:mm",  # Sat 19:30
    "time": "HH:mm",  # 19:30
}
# Where a language writes a format differently from its CLDR translation of the English pattern.
LOCAL_PATTERNS = {
    "es": {"weekday": "EEEE d 'de' MMMM", "long_date": "d 'de' MMMM 'de' y",
           "day_long_month": "d 'de' MMMM"},
}


# Formats no language writes its own way: their pattern needs no look-up of the language.
SAME_IN_EVERY_LANGUAGE = frozenset(DATE_PATTERNS) - {n for p in LOCAL_PATTERNS.values() for n in p}


def pattern(name: str) -> str:
    """Return the CLDR pattern for a named format in this request's language."""
    lang = str(get_locale() or "en").split("_")[0]
    return LOCAL_PATTERNS.get(lang, {}).get(name) or DATE_PATTERNS[name]


# Every language Tend speaks writes a 24-hour time with the same two-digit numbers, so this
# pattern needs no locale data: strftime gives Babel's answer at a fraction of its cost, which
# a day view showing dozens of entries pays once per entry.
PLAIN_TIME = "HH:mm"


def local_time_filter(value: datetime | None, fmt: str = "time",
                      tz: ZoneInfo | None = None) -> str:
    """Format a stored time in the household's zone (a page listing many passes it as tz)."""
    if value is None:
        return ""
    local = to_local(value, tz)
    wanted = DATE_PATTERNS[fmt] if fmt in SAME_IN_EVERY_LANGUAGE else pattern(fmt)
    if wanted == PLAIN_TIME:
        return local.strftime("%H:%M")
    return format_datetime(local, wanted, rebase=False)


@cache
def date_only(wanted: str) -> bool:
    """Return whether a CLDR pattern writes no time of day (quoted text aside)."""
    unquoted = "".join(wanted.split("'")[::2])
    return not set(unquoted) & set("HhKkmsSaAbB")


# A day's name in one format and language never changes, and Babel rebuilds it from the pattern
# on every call (a few hundred Python calls): the same few days fill every page.
@lru_cache(maxsize=4096)
def day_text(day: date, wanted: str, language: str) -> str:
    """Return a date written with a date-only CLDR pattern in a language."""
    return babel_dates.format_date(day, wanted, locale=language)


def format_local(value: datetime | date, fmt: str) -> str:
    """Format a date, or a datetime in the zone it shows in, in the page's language."""
    wanted = pattern(fmt)
    if date_only(wanted):
        day = value.date() if isinstance(value, datetime) else value
        return day_text(day, wanted, str(get_locale() or "en"))
    if isinstance(value, datetime):
        return format_datetime(value, wanted, rebase=False)
    return format_date(value, wanted, rebase=False)


def local_date_filter(value: datetime | date | None, fmt: str = "day") -> str:
    """Format a stored time (in the household's zone) or a date, in the page's language."""
    if value is None:
        return ""
    return format_local(to_local(value) if isinstance(value, datetime) else value, fmt)


def zoned_date_filter(value: datetime | None, fmt: str = "day") -> str:
    """Format a datetime already in the zone it should show in (a shared page's household)."""
    if value is None:
        return ""
    return format_local(value, fmt)


def number_filter(value: float | int | None) -> str:
    """Format a number the page's language's way (1,5 in Spanish)."""
    return "" if value is None else format_decimal(value)


def minutes_to_hhmm(minutes: int | None) -> str:
    """Format minutes after midnight as HH:MM."""
    if minutes is None:
        return "–"
    minutes %= 24 * 60
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
