"""Convert stored UTC times to the household's local time, and back."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

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


def local_time_filter(value: datetime | None, fmt: str = "%H:%M",
                      tz: ZoneInfo | None = None) -> str:
    """Format a stored time in the household's zone (a page listing many passes it as tz)."""
    if value is None:
        return ""
    return to_local(value, tz).strftime(fmt)


def local_date_filter(value: datetime | date | None, fmt: str = "%a %-d %b") -> str:
    """Format a stored time or a date as a short local date."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_local(value)
    return value.strftime(fmt)


def minutes_to_hhmm(minutes: int | None) -> str:
    """Format minutes after midnight as HH:MM."""
    if minutes is None:
        return "–"
    minutes %= 24 * 60
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
