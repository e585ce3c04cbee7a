"""Quartz cron expressions, as job schedules use them: parse once, then find the next fire time.

Quartz, not Unix cron: `seconds minutes hours day-of-month month day-of-week [year]`, day-of-week
1 = SUN … 7 = SAT, exactly one of the two day fields is `?`, and the special forms `L`, `L-n`, `nW`,
`LW` (day of month), `nL` and `n#k` (day of week). croniter numbers weekdays the Unix way (6 = Saturday)
and rejects `6L`, hence this module. Times are wall-clock times in the schedule's zone: a time a DST
change skips does not fire that day, a time it repeats fires once (the first time).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["Cron", "next_fire", "parse", "zone"]

_MONTHS = {name.upper(): n for n, name in enumerate(calendar.month_abbr) if name}
_WEEKDAYS = {name: n for n, name in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], 1)}
_LAST_YEAR = 2099
_OFFSET_ZONE = re.compile(r"^(?:GMT|UTC|UT)([+-])(\d{1,2})(?::?(\d{2}))?$")
_FIELDS = ("seconds", "minutes", "hours", "day-of-month", "month", "day-of-week", "year")


@dataclass(frozen=True)
class _Days:
    """A day field: `any` (`?`), a plain `set`, or a special form (`last`, `weekday`, `last_weekday`,
    `last_of`, `nth`) with its number `n` (offset, day, weekday) and `k` (the # ordinal)."""

    kind: str
    values: frozenset[int] = frozenset()
    n: int = 0
    k: int = 0


@dataclass(frozen=True)
class Cron:
    """A parsed Quartz cron expression (the field values sorted; `years` None means every year)."""

    seconds: tuple[int, ...]
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    day_of_month: _Days
    months: frozenset[int]
    day_of_week: _Days
    years: frozenset[int] | None


def parse(expression: str) -> Cron:
    """Parse a Quartz cron expression; ValueError naming the field and the rule when it is not one."""
    fields = expression.split()
    if len(fields) not in (6, 7):
        raise ValueError(
            f"a Quartz cron expression has 6 or 7 fields ({' '.join(_FIELDS[:6])} [year]), got {len(fields)}."
        )
    dom, dow = fields[3], fields[5]
    if (dom == "?") == (dow == "?"):
        raise ValueError("exactly one of day-of-month and day-of-week must be '?'.")
    return Cron(
        seconds=tuple(sorted(_values(fields[0], 0, 59, "seconds"))),
        minutes=tuple(sorted(_values(fields[1], 0, 59, "minutes"))),
        hours=tuple(sorted(_values(fields[2], 0, 23, "hours"))),
        day_of_month=_day_of_month(dom),
        months=_values(fields[4], 1, 12, "month", _MONTHS),
        day_of_week=_day_of_week(dow),
        years=_values(fields[6], 1970, _LAST_YEAR, "year") if len(fields) == 7 else None,
    )


def zone(timezone_id: str) -> tzinfo:
    """The zone of a Java time zone id: an IANA name (`Europe/Paris`, `UTC`) or `GMT+2` / `UTC-05:30`."""
    offset = _OFFSET_ZONE.match(timezone_id)
    if offset:
        sign, hours, minutes = offset.groups()
        delta = timedelta(hours=int(hours), minutes=int(minutes or 0))
        if delta > timedelta(hours=18):
            raise ValueError(f"unknown time zone '{timezone_id}'.")
        return timezone(-delta if sign == "-" else delta)
    try:
        return ZoneInfo(timezone_id)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"unknown time zone '{timezone_id}'.") from None


def next_fire(cron: Cron, after: datetime, tz: tzinfo) -> datetime | None:
    """The first fire time strictly after `after` (an aware datetime), in `tz`; None if there is none."""
    start = after.astimezone(tz).replace(tzinfo=None, microsecond=0) + timedelta(seconds=1)
    for wall in _wall_times(cron, start):
        fire = wall.replace(tzinfo=tz)
        if _exists(fire, tz) and fire > after:
            return fire
    return None


def _exists(fire: datetime, tz: tzinfo) -> bool:
    """False for a wall time a DST change skips (it does not survive a round trip through UTC)."""
    return fire.astimezone(timezone.utc).astimezone(tz).replace(tzinfo=None) == fire.replace(tzinfo=None)


def _wall_times(cron: Cron, start: datetime) -> Iterator[datetime]:
    for day in _dates(cron, start.date()):
        earliest = start.time() if day == start.date() else time()
        for moment in _times(cron, earliest):
            yield datetime.combine(day, moment)


def _dates(cron: Cron, start: date) -> Iterator[date]:
    for year in range(start.year, _LAST_YEAR + 1):
        if cron.years is not None and year not in cron.years:
            continue
        for month in sorted(cron.months):
            if (year, month) < (start.year, start.month):
                continue
            for day in _days(cron, year, month):
                if date(year, month, day) >= start:
                    yield date(year, month, day)


def _times(cron: Cron, earliest: time) -> Iterator[time]:
    for hour in cron.hours:
        if hour < earliest.hour:
            continue
        for minute in cron.minutes:
            if (hour, minute) < (earliest.hour, earliest.minute):
                continue
            for second in cron.seconds:
                if (hour, minute, second) >= (earliest.hour, earliest.minute, earliest.second):
                    yield time(hour, minute, second)


def _days(cron: Cron, year: int, month: int) -> list[int]:
    """The days of `month` the expression fires on, ascending."""
    last = calendar.monthrange(year, month)[1]
    if cron.day_of_month.kind != "any":
        return _month_days(cron.day_of_month, year, month, last)
    return _week_days(cron.day_of_week, year, month, last)


def _month_days(spec: _Days, year: int, month: int, last: int) -> list[int]:
    if spec.kind == "last":
        return [last - spec.n] if last - spec.n >= 1 else []
    if spec.kind == "last_weekday":
        return [_nearest_weekday(year, month, last, last)]
    if spec.kind == "weekday":
        return [_nearest_weekday(year, month, spec.n, last)] if spec.n <= last else []
    return sorted(day for day in spec.values if day <= last)


def _nearest_weekday(year: int, month: int, day: int, last: int) -> int:
    """Quartz `W`: the weekday nearest `day` without leaving the month (Sat → Fri, Sun → Mon)."""
    weekday = date(year, month, day).weekday()
    if weekday == 5:
        return day - 1 if day > 1 else day + 2
    if weekday == 6:
        return day + 1 if day < last else day - 2
    return day


def _week_days(spec: _Days, year: int, month: int, last: int) -> list[int]:
    matching: dict[int, list[int]] = {q: [] for q in range(1, 8)}
    for day in range(1, last + 1):
        matching[_quartz_weekday(year, month, day)].append(day)
    if spec.kind == "last_of":
        return matching[spec.n][-1:]
    if spec.kind == "nth":
        days = matching[spec.n]
        return [days[spec.k - 1]] if spec.k <= len(days) else []
    return sorted(day for q in spec.values for day in matching[q])


def _quartz_weekday(year: int, month: int, day: int) -> int:
    """1 = Sunday … 7 = Saturday."""
    return (date(year, month, day).weekday() + 1) % 7 + 1


def _day_of_month(text: str) -> _Days:
    upper = text.upper()
    if upper == "?":
        return _Days("any")
    if upper == "LW":
        return _Days("last_weekday")
    if upper.startswith("L"):
        offset = upper[2:] if upper.startswith("L-") else upper[1:]
        if offset and not (upper.startswith("L-") and offset.isdigit() and int(offset) <= 30):
            raise ValueError(f"day-of-month '{text}': use L or L-n with n from 0 to 30.")
        return _Days("last", n=int(offset or 0))
    if upper.endswith("W"):
        return _Days("weekday", n=_number(upper[:-1], 1, 31, "day-of-month"))
    return _Days("set", _values(text, 1, 31, "day-of-month"))


def _day_of_week(text: str) -> _Days:
    upper = text.upper()
    if upper == "?":
        return _Days("any")
    if upper == "L":
        return _Days("set", frozenset({7}))
    if upper.endswith("L"):
        return _Days("last_of", n=_number(upper[:-1], 1, 7, "day-of-week", _WEEKDAYS))
    if "#" in upper:
        weekday, _, ordinal = upper.partition("#")
        return _Days("nth", n=_number(weekday, 1, 7, "day-of-week", _WEEKDAYS),
                     k=_number(ordinal, 1, 5, "day-of-week"))
    return _Days("set", _values(text, 1, 7, "day-of-week", _WEEKDAYS))


def _values(
    text: str, low: int, high: int, field: str, names: dict[str, int] | None = None
) -> frozenset[int]:
    """A list field (`*`, `a`, `a-b`, `a/s`, `a-b/s`, comma-separated); ranges may wrap (`FRI-MON`)."""
    found: set[int] = set()
    for part in text.upper().split(","):
        base, slash, step_text = part.partition("/")
        step = _number(step_text, 1, high - low + 1, field) if slash else 1
        if base in ("*", ""):
            first, last = low, high
        elif "-" in base:
            first_text, _, last_text = base.partition("-")
            first = _number(first_text, low, high, field, names)
            last = _number(last_text, low, high, field, names)
        else:
            first = _number(base, low, high, field, names)
            last = high if slash else first
        span = (last - first) % (high - low + 1)
        found.update(low + (first - low + offset) % (high - low + 1) for offset in range(0, span + 1, step))
    return frozenset(found)


def _number(text: str, low: int, high: int, field: str, names: dict[str, int] | None = None) -> int:
    value = (names or {}).get(text)
    if value is None:
        if not text.isdigit():
            raise ValueError(f"{field} '{text}' is not a number{' or a name' if names else ''}.")
        value = int(text)
    if not low <= value <= high:
        raise ValueError(f"{field} value {value} is outside {low}-{high}.")
    return value
