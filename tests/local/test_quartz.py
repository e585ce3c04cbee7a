"""Quartz cron evaluation against known calendar dates (pure functions, no workspace)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prefect_databricks.local.engine.timetable import next_fire_ms
from prefect_databricks.local.jobs.quartz import next_fire, parse, zone

UTC = timezone.utc


def _fires(expression: str, after: datetime, count: int = 3, tz: str = "UTC") -> list[str]:
    cron, zone_info, out = parse(expression), zone(tz), []
    for _ in range(count):
        fire = next_fire(cron, after, zone_info)
        if fire is None:
            break
        out.append(fire.isoformat())
        after = fire
    return out


@pytest.mark.parametrize(("expression", "after", "expected"), [
    ("*/20 * * * * ?", datetime(2024, 1, 1, tzinfo=UTC),
     ["2024-01-01T00:00:20+00:00", "2024-01-01T00:00:40+00:00", "2024-01-01T00:01:00+00:00"]),
    ("0 15 10 ? * MON-FRI", datetime(2024, 1, 5, 11, tzinfo=UTC),  # a Friday, after 10:15
     ["2024-01-08T10:15:00+00:00", "2024-01-09T10:15:00+00:00", "2024-01-10T10:15:00+00:00"]),
    ("0 0 12 L * ?", datetime(2024, 1, 1, tzinfo=UTC),  # last day, leap February
     ["2024-01-31T12:00:00+00:00", "2024-02-29T12:00:00+00:00", "2024-03-31T12:00:00+00:00"]),
    ("0 0 12 L-2 * ?", datetime(2024, 1, 1, tzinfo=UTC),
     ["2024-01-29T12:00:00+00:00", "2024-02-27T12:00:00+00:00", "2024-03-29T12:00:00+00:00"]),
    ("0 0 12 15W * ?", datetime(2024, 6, 1, tzinfo=UTC),  # 2024-06-15 is a Saturday → Friday 14th
     ["2024-06-14T12:00:00+00:00", "2024-07-15T12:00:00+00:00", "2024-08-15T12:00:00+00:00"]),
    ("0 0 12 1W * ?", datetime(2024, 6, 1, tzinfo=UTC),  # Saturday the 1st → Monday the 3rd, not May 31
     ["2024-06-03T12:00:00+00:00", "2024-07-01T12:00:00+00:00", "2024-08-01T12:00:00+00:00"]),
    ("0 0 12 LW * ?", datetime(2024, 3, 1, tzinfo=UTC),  # 2024-03-31 is a Sunday → Friday 29th
     ["2024-03-29T12:00:00+00:00", "2024-04-30T12:00:00+00:00", "2024-05-31T12:00:00+00:00"]),
    ("0 0 12 ? * 6#3", datetime(2024, 1, 1, tzinfo=UTC),  # third Friday (6 = FRI in Quartz)
     ["2024-01-19T12:00:00+00:00", "2024-02-16T12:00:00+00:00", "2024-03-15T12:00:00+00:00"]),
    ("0 0 12 ? * 2#5", datetime(2024, 1, 1, tzinfo=UTC),  # fifth Monday: only some months have one
     ["2024-01-29T12:00:00+00:00", "2024-04-29T12:00:00+00:00", "2024-07-29T12:00:00+00:00"]),
    ("0 0 12 ? * FRIL", datetime(2024, 1, 1, tzinfo=UTC),
     ["2024-01-26T12:00:00+00:00", "2024-02-23T12:00:00+00:00", "2024-03-29T12:00:00+00:00"]),
    ("0 0 9 ? * L", datetime(2024, 1, 1, tzinfo=UTC),  # L alone in day-of-week is Saturday
     ["2024-01-06T09:00:00+00:00", "2024-01-13T09:00:00+00:00", "2024-01-20T09:00:00+00:00"]),
    ("0 0 22-2/2 ? * FRI-MON", datetime(2024, 1, 1, tzinfo=UTC),  # wrapping ranges
     ["2024-01-01T02:00:00+00:00", "2024-01-01T22:00:00+00:00", "2024-01-05T00:00:00+00:00"]),
    ("0 0 0 29 FEB ? 2025-2030", datetime(2024, 3, 1, tzinfo=UTC), ["2028-02-29T00:00:00+00:00"]),
    ("0 0 0 31 2 ?", datetime(2024, 1, 1, tzinfo=UTC), []),
    ("30 5/15 * * JAN,jul ?", datetime(2024, 6, 30, 23, tzinfo=UTC),
     ["2024-07-01T00:05:30+00:00", "2024-07-01T00:20:30+00:00", "2024-07-01T00:35:30+00:00"]),
])
def test_known_fire_times(expression: str, after: datetime, expected: list[str]) -> None:
    assert _fires(expression, after) == expected


def test_daylight_saving_skips_a_missing_time_and_fires_a_repeated_one_once() -> None:
    paris = "Europe/Paris"
    spring = _fires("0 30 2 * * ?", datetime(2024, 3, 30, tzinfo=UTC), tz=paris)
    assert spring == ["2024-03-30T02:30:00+01:00", "2024-04-01T02:30:00+02:00", "2024-04-02T02:30:00+02:00"]
    autumn = _fires("0 30 2 * * ?", datetime(2024, 10, 26, tzinfo=UTC), tz=paris)
    assert autumn == ["2024-10-26T02:30:00+02:00", "2024-10-27T02:30:00+02:00", "2024-10-28T02:30:00+01:00"]


def test_time_zone_ids_include_java_offsets() -> None:
    assert zone("GMT+2").utcoffset(None) == timedelta(hours=2)
    assert zone("UTC-05:30").utcoffset(None) == -timedelta(hours=5, minutes=30)
    assert _fires("0 0 9 * * ?", datetime(2024, 1, 1, tzinfo=UTC), 1, tz="America/Los_Angeles") == [
        "2024-01-01T09:00:00-08:00"]
    for bad in ("Mars/Base", "GMT+19", "", "../etc/passwd"):
        with pytest.raises(ValueError, match="unknown time zone"):
            zone(bad)


@pytest.mark.parametrize(("expression", "message"), [
    ("* * * * *", "6 or 7 fields"),
    ("0 0 12 * * MON", "exactly one of day-of-month and day-of-week"),
    ("0 0 12 ? * ?", "exactly one of day-of-month and day-of-week"),
    ("60 * * * * ?", "seconds value 60 is outside 0-59"),
    ("0 0 24 * * ?", "hours value 24 is outside 0-23"),
    ("0 0 0 ? * 8", "day-of-week value 8 is outside 1-7"),
    ("0 0 0 ? * FUN", "day-of-week 'FUN' is not a number or a name"),
    ("0 0 0 32 * ?", "day-of-month value 32"),
    ("0 0 0 L-31 * ?", "L-n with n from 0 to 30"),
    ("0 0 0 ? * 2#6", "day-of-week value 6 is outside 1-5"),
    ("0 0 0 1 13 ?", "month value 13"),
    ("0 0 0 1 1 ? 1969", "year value 1969"),
    ("0 */0 * * * ?", "minutes value 0 is outside 1-60"),
])
def test_invalid_expressions_name_the_field(expression: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse(expression)


@settings(max_examples=60, deadline=None)
@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)),
       st.sampled_from(["0 0 12 ? * 6#3", "0 0 12 LW * ?", "0 */7 * * * ?", "15 0 0 10W * ?"]))
def test_next_fire_is_strictly_later_and_nothing_in_between_fires(after: datetime, expression: str) -> None:
    """The next fire time is later than `after`, and searching again from just before it finds it again."""
    cron = parse(expression)
    fire = next_fire(cron, after, UTC)
    assert fire is not None and fire > after
    assert next_fire(cron, fire - timedelta(seconds=1), UTC) == fire


def test_periodic_trigger_counts_intervals_from_the_job_creation() -> None:
    settings_ = {"trigger": {"periodic": {"interval": 2, "unit": "HOURS"}}}
    created = 1_000_000
    assert next_fire_ms(settings_, created, created) == created + 7_200_000
    assert next_fire_ms(settings_, created, created + 7_200_000) == created + 14_400_000
    paused = {"trigger": {"pause_status": "PAUSED", "periodic": {"interval": 1, "unit": "MINUTES"}}}
    assert next_fire_ms(paused, created, created) is None
    schedule = {"schedule": {"quartz_cron_expression": "0 0 * * * ?", "timezone_id": "UTC"}}
    assert next_fire_ms(schedule, 0, 1_700_000_000_000) == 1_700_002_800_000
