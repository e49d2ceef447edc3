"""Dates, date-times and ISO 8601 durations, always timezone-aware UTC.

Tests never read the clock: every function that judges time takes ``now``; only
``now_utc`` reads it, for the CLI's defaults."""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime, timedelta

DURATION_RE = re.compile(
    r"^P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?"
    r"(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")


def now_utc() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_date(value: str) -> datetime:
    """'2026-03-01' or a full ISO date-time -> aware UTC datetime."""
    value = value.strip()
    dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).replace(microsecond=0)


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
