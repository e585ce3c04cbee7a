"""The retry policy's arithmetic: backoff formula, Retry-After parsing, attempt and time bounds."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from prefect_databricks.client import RetryPolicy
from prefect_databricks.client.retry import parse_retry_after


def test_backoff_formula_with_jitter_bounds() -> None:
    policy = RetryPolicy(wait_initial=0.5, wait_max=5, wait_jitter=1, wait_exp_base=2)
    for attempt, base in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0)]:
        wait = policy.backoff(attempt)
        assert base <= wait <= base + 1
    assert policy.backoff(10) == 5
    assert policy.backoff(10_000) == 5


def test_retry_after_replaces_the_formula() -> None:
    assert RetryPolicy().backoff(3, retry_after=7.0) == 7.0


def test_next_wait_stops_at_attempts_and_at_the_time_budget() -> None:
    policy = RetryPolicy(attempts=3, timeout=10, wait_initial=1, wait_jitter=0)
    now = time.monotonic()
    assert policy.next_wait(1, now) == 1
    assert policy.next_wait(3, now) is None
    assert policy.next_wait(1, now, retry_after=11) is None
    assert policy.next_wait(1, now - 9.5) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [("3", 3.0), ("0.25", 0.25), (" 1 ", 1.0), ("-4", 0.0), (None, None), ("", None), ("soon", None)],
)
def test_parse_retry_after_seconds(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value) == expected


def test_parse_retry_after_http_date() -> None:
    when = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=30), usegmt=True)
    assert 25 <= (parse_retry_after(when) or 0) <= 31


def test_policy_is_frozen_and_checked() -> None:
    with pytest.raises(AttributeError):
        RetryPolicy().attempts = 2  # type: ignore[misc]
    with pytest.raises(ValueError, match="attempts"):
        RetryPolicy(attempts=0)
