"""The retry policy: one small frozen object (attempts, total time, jittered exponential backoff).

Which failures are retried is decided by the transport; this module only answers "how long to
wait before attempt n+1, if at all". `set_testing(True)` zeroes every wait for fast tests.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

__all__ = ["DEFAULT_RETRY", "RetryPolicy", "parse_retry_after", "set_testing"]

_testing = False

# Its own generator, so retries leave the caller's `random` state (seeded tests, Hypothesis) alone.
_JITTER = random.Random()


def set_testing(enabled: bool = True) -> None:
    """Testing switch: when on, every backoff (including `Retry-After`) is zero seconds."""
    global _testing
    _testing = enabled


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry one call.

    The n-th wait is `min(wait_max, wait_initial * wait_exp_base ** (n - 1) + U(0, wait_jitter))`,
    or the server's `Retry-After` when it sent one. No attempt starts or sleeps past `timeout`
    seconds after the first; `attempts` counts the first try.
    """

    attempts: int = 10
    timeout: float = 300.0
    wait_initial: float = 0.5
    wait_max: float = 30.0
    wait_jitter: float = 1.0
    wait_exp_base: float = 2.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("attempts: must be at least 1")
        if self.timeout < 0 or self.wait_initial < 0 or self.wait_max < 0 or self.wait_jitter < 0:
            raise ValueError("timeout, wait_initial, wait_max, wait_jitter: must not be negative")

    def backoff(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        if _testing:
            return 0.0
        if retry_after is not None:
            return retry_after
        jitter = _JITTER.uniform(0, self.wait_jitter) if self.wait_jitter else 0.0
        try:
            return min(self.wait_max, self.wait_initial * self.wait_exp_base ** (attempt - 1) + jitter)
        except OverflowError:
            return self.wait_max

    def next_wait(self, attempt: int, started: float, retry_after: float | None = None) -> float | None:
        """The wait before the next attempt, or None when attempts or the time budget are spent."""
        if attempt >= self.attempts:
            return None
        wait = self.backoff(attempt, retry_after)
        if time.monotonic() + wait - started > self.timeout:
            return None
        return wait


DEFAULT_RETRY = RetryPolicy()


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a `Retry-After` header (delta-seconds or HTTP-date); None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
