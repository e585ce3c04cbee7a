"""No hidden cap on a wait, shown with a clock that runs an hour ahead every time it is read."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import httpx
import pytest
from flow_helpers import py_task

from prefect_databricks import DatabricksCredentials
from prefect_databricks.flows import DatabricksRunTimedOut
from prefect_databricks.waiting.follow import follow_run
from prefect_databricks.waiting.outcome import Outcome, classify


class _HourPerRead(asyncio.SelectorEventLoop):
    """An event loop whose clock jumps an hour on every read: any time limit on it expires at once."""

    def __init__(self) -> None:
        super().__init__()
        self._ahead = 0.0

    def time(self) -> float:
        self._ahead += 3600.0
        return super().time() + self._ahead


def _on_fast_clock(coroutine: Coroutine[Any, Any, Any]) -> Any:
    loop = _HourPerRead()
    try:
        return loop.run_until_complete(coroutine)
    finally:
        loop.close()


def _submit(http: httpx.Client, task: dict[str, Any]) -> int:
    response = http.post("/api/2.2/jobs/runs/submit", json={"run_name": "no-cap", "tasks": [task]})
    response.raise_for_status()
    return int(response.json()["run_id"])


def test_a_wait_outlasts_any_time_limit_unless_given_one(
    creds: DatabricksCredentials, scripts: Path, http: httpx.Client
) -> None:
    """0.4 stopped waiting after 900 s; here hours of (fast) clock pass and the wait ends with the run."""
    run_id = _submit(http, py_task("t", scripts / "ok.py", 1.5))
    final = _on_fast_clock(follow_run(creds, run_id, poll_frequency_seconds=1))
    assert classify(final) is Outcome.SUCCESS


def test_the_fast_clock_does_trip_a_limit_when_one_is_given(
    creds: DatabricksCredentials, scripts: Path, http: httpx.Client
) -> None:
    """The control: the same clock makes a 15-minute `max_wait_seconds` expire before the run ends."""
    run_id = _submit(http, py_task("t", scripts / "ok.py", 1.5))
    with pytest.raises(DatabricksRunTimedOut):
        _on_fast_clock(follow_run(creds, run_id, max_wait_seconds=900, poll_frequency_seconds=1))
