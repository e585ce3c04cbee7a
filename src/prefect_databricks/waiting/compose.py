"""How the waiting flows chain their steps: start, hand the response over, wait, collect, return."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from prefect_databricks.waiting.follow import check_wait_limits
from prefect_databricks.waiting.outputs import notebook_outputs
from prefect_databricks.waiting.start import call_handler
from prefect_databricks.waiting.steps import finish_run, start_run, wait_run

if TYPE_CHECKING:
    from prefect_databricks.credentials import DatabricksCredentials

__all__ = ["Handler", "Waiting", "flow_result", "start_and_wait", "wait_and_finish"]

Handler = Callable[[dict[str, Any]], Any]
"""A `job_submission_handler`: called with the start response (`{"run_id": ...}`), awaited if async."""


@dataclass(frozen=True)
class Waiting:
    """How a flow waits: its limit, poll ceiling, and what counts as failure."""

    max_wait_seconds: float | None
    poll_frequency_seconds: float
    cancel_on_timeout: bool
    fail_on_success_with_failures: bool

    def __post_init__(self) -> None:
        check_wait_limits(self.max_wait_seconds, self.poll_frequency_seconds)


async def wait_and_finish(
    creds: DatabricksCredentials, run_id: int, label: str, how: Waiting
) -> dict[str, Any]:
    """Wait for `run_id`, then collect its outputs and raise if it did not succeed."""
    name = f"{label}-{run_id}"
    run = await wait_run(
        creds, run_id, name, how.max_wait_seconds, how.poll_frequency_seconds, how.cancel_on_timeout
    )
    return await finish_run(creds, run, name, how.fail_on_success_with_failures)


async def start_and_wait(
    creds: DatabricksCredentials,
    endpoint: str,
    body: dict[str, Any],
    label: str,
    handler: Handler | None,
    how: Waiting,
) -> dict[str, Any]:
    """Start a run through `endpoint`, give the response to `handler`, then wait and finish."""
    response = await start_run(creds, endpoint, body, label)
    await call_handler(handler, response)
    return await wait_and_finish(creds, int(response["run_id"]), label, how)


def flow_result(run: dict[str, Any], return_metadata: bool) -> Any:
    """What the flows return: task_key → notebook output, with the run when `return_metadata`."""
    outputs = notebook_outputs(run)
    return (outputs, run) if return_metadata else outputs
