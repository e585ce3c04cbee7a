"""Polling for the tests of every folder: wait until a check answers something truthy, or fail saying what."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

__all__ = ["wait_until"]


def wait_until(check: Callable[[], Any], what: str, timeout: float, interval: float = 0.1) -> Any:
    """Call `check()` until it returns something truthy; fail with the last value after `timeout`."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}; last seen: {last!r}")
