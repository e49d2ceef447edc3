"""Dates, date-times and ISO 8601 durations, always timezone-aware UTC.

Tests never read the clock: every function that judges time takes ``now``; only
``now_utc`` reads it, for the CLI's defaults."""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime, timedelta

# A date or date-time as people and Open Badges write them: four-digit year first. Python's
# fromisoformat also reads '0202-03-01' (year 202), which strftime then prints as '202-…',
# a date no verifier reads; so input is held to this form and a sane range of years.
ISO_RE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?"
                    r"(?:Z|[+-]\d{2}:?\d{2})?)?$")
MIN_YEAR, MAX_YEAR = 1900, 9999
DATE_HINT = "write it as 2026-03-01 or 2026-03-01T09:00:00Z"
DURATION_RE = re.compile(
    r"^P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?"
    r"(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")


def now_utc() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def iso(dt: datetime) -> str:
    """'2026-03-01T09:00:00Z'; the year always has four digits (strftime's %Y does not)."""
    dt = dt.astimezone(UTC)
    return f"{dt.year:04d}-{dt:%m-%dT%H:%M:%SZ}"


def parse_date(value: str) -> datetime:
    """'2026-03-01' or a full ISO date-time -> aware UTC datetime. ValueError, with a
    sentence saying what is wrong, for anything else or a year outside 1900-9999."""
    value = value.strip()
    if not ISO_RE.match(value):
        raise ValueError(f"'{value}' is not an ISO date")
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"'{value}' is not a date of the calendar") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    if not MIN_YEAR <= dt.year <= MAX_YEAR:
        raise ValueError(f"'{value}' is outside the years {MIN_YEAR}-{MAX_YEAR}")
    return dt.astimezone(UTC).replace(microsecond=0)


def timestamp_problem(value: object) -> str | None:
    """Why a credential's validFrom/validUntil value is unusable, or None when it is a
    date-time in the form and range ``parse_date`` accepts."""
    if not isinstance(value, str):
        return f"{value!r} is not a date-time"
    try:
        parse_date(value)
    except ValueError as exc:
        return str(exc)
    return None


def parse_duration(value: str) -> tuple[int, int, int, int] | None:
    """ISO 8601 duration -> (years, months, days, seconds); None when it is not one."""
    m = DURATION_RE.match(value)
    if not m:
        return None
    y, mo, w, d, h, mi, s = (int(g) if g else 0 for g in m.groups())
    return y, mo, w * 7 + d, h * 3600 + mi * 60 + s


def add_duration(start: datetime, duration: str) -> datetime:
    """start + an ISO 8601 duration, calendar-aware (P1M from Jan 31 is the last day of Feb)."""
    parsed = parse_duration(duration)
    if parsed is None:
        raise ValueError(f"not an ISO 8601 duration: {duration!r}")
    years, months, days, seconds = parsed
    month_index = start.month - 1 + months + 12 * years
    year, month = start.year + month_index // 12, month_index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return start.replace(year=year, month=month, day=day) + timedelta(days=days, seconds=seconds)
