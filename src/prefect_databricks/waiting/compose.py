"""How the waiting flows chain their steps: start, hand the response over, wait, repair, collect, return.

Only the start and each repair are Prefect task runs; the wait and the collection of outputs run
in the flow itself, so a wait costs one task run, not three. A retried attempt that re-attaches
to a run that already failed repairs it instead of failing again on the old result, and
`max_repairs` repairs the failed tasks in place before the flow raises. `wait_all` follows many
runs inside one flow run: the light fan-out, with no sub-flow run per wait.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from prefect_databricks.client.errors import ClientValidationError
from prefect_databricks.waiting.follow import check_wait_limits, follow_run
from prefect_databricks.waiting.outcome import Outcome, classify, error_for, is_terminal
from prefect_databricks.waiting.outputs import attach_outputs, error_texts, notebook_outputs
from prefect_databricks.waiting.owner import current_owner, is_retry
from prefect_databricks.waiting.report import publish_table, run_logger
from prefect_databricks.waiting.start import call_handler
from prefect_databricks.waiting.steps import start_repair, start_run

if TYPE_CHECKING:
    from prefect_databricks.credentials import DatabricksCredentials

__all__ = [
    "Handler", "Waiting", "flow_result", "repair_body", "start_and_wait", "wait_all", "wait_and_finish",
]  # fmt: skip

Handler = Callable[[dict[str, Any]], Any]
"""A `job_submission_handler`: called with the start response (`{"run_id": ...}`), awaited if async."""

_REPAIRABLE = {Outcome.FAILED, Outcome.TIMED_OUT, Outcome.UPSTREAM}


@dataclass(frozen=True)
class Waiting:
    """How a flow waits: its limit, poll ceiling, what counts as failure, and how many repairs to try."""

    max_wait_seconds: float | None
    poll_frequency_seconds: float
    cancel_on_timeout: bool
    fail_on_success_with_failures: bool
    max_repairs: int = 0

    def __post_init__(self) -> None:
        check_wait_limits(self.max_wait_seconds, self.poll_frequency_seconds)
        if self.max_repairs < 0:
            raise ClientValidationError("max_repairs", "must be 0 or more")

    def needs_repair(self, run: Mapping[str, Any]) -> bool:
        """True if `run` ended in a way a repair of its failed tasks can fix."""
        outcome = classify(run)
        return outcome in _REPAIRABLE or (
            outcome is Outcome.SUCCESS_WITH_FAILURES and self.fail_on_success_with_failures
        )


def repair_body(run: Mapping[str, Any]) -> dict[str, Any]:
    """Re-run every failed task and its dependents, with the run's original job parameters."""
    body: dict[str, Any] = {"rerun_all_failed_tasks": True, "rerun_dependent_tasks": True}
    params = {
        str(p["name"]): p.get("value", p.get("default"))
        for p in run.get("job_parameters") or ()
        if "name" in p
    }
    if params:
        body["job_parameters"] = params
    return body


async def wait_and_finish(creds: DatabricksCredentials, run_id: int, how: Waiting) -> dict[str, Any]:
    """Wait for `run_id`, repair it up to `how.max_repairs` times, collect outputs, raise on failure."""
    repairs = 0
    run = await _wait(creds, run_id, how)
    while repairs < how.max_repairs and how.needs_repair(run):
        repairs += 1
        run_logger().warning(
            "Databricks run %s ended %s; repairing its failed tasks (repair %d of %d).",
            run_id, classify(run), repairs, how.max_repairs,
        )
        await start_repair(creds, run_id, repair_body(run))
        run = await _wait(creds, run_id, how)
    return await _finish(creds, run, how)


async def wait_all(creds: DatabricksCredentials, run_ids: list[int], how: Waiting) -> list[dict[str, Any]]:
    """Wait for every run at once; once all ended, raise the first failure (each other one is logged).

    One run failing does not stop the waits on the others; cancelling the flow cancels every run.
    """
    waits = (wait_and_finish(creds, int(run_id), how) for run_id in run_ids)
    ends = await asyncio.gather(*waits, return_exceptions=True)
    errors = [end for end in ends if isinstance(end, BaseException)]
    for other in errors[1:]:
        run_logger().error("Also failed: %s", other)
    if errors:
        raise errors[0]
    return [end for end in ends if not isinstance(end, BaseException)]


async def start_and_wait(
    creds: DatabricksCredentials,
    endpoint: str,
    body: dict[str, Any],
    label: str,
    handler: Handler | None,
    how: Waiting,
) -> dict[str, Any]:
    """Start a run through `endpoint` (or find the one an earlier attempt started), then wait and finish."""
    response = await start_run(creds, endpoint, body, label)
    await call_handler(handler, response)
    run_id = int(response["run_id"])
    if is_retry():
        await _repair_if_failed(creds, run_id, how)
    return await wait_and_finish(creds, run_id, how)


async def _repair_if_failed(creds: DatabricksCredentials, run_id: int, how: Waiting) -> None:
    """On a retry: a run the earlier attempt saw fail is repaired, not re-read as the same failure."""
    run = await creds.get_jobs_client().get_run(run_id)
    if is_terminal(run) and how.needs_repair(run):
        run_logger().warning(
            "Retry re-attached to Databricks run %s, which ended %s; repairing its failed tasks.",
            run_id, classify(run),
        )
        await start_repair(creds, run_id, repair_body(run))


async def _wait(creds: DatabricksCredentials, run_id: int, how: Waiting) -> dict[str, Any]:
    return await follow_run(
        creds,
        run_id,
        max_wait_seconds=how.max_wait_seconds,
        poll_frequency_seconds=how.poll_frequency_seconds,
        cancel_on_timeout=how.cancel_on_timeout,
    )


async def _finish(creds: DatabricksCredentials, run: dict[str, Any], how: Waiting) -> dict[str, Any]:
    """Collect every task run's output, publish the table, and raise if the run did not succeed."""
    await attach_outputs(creds.get_jobs_client(), run)
    owner = current_owner()
    if owner is not None:
        await publish_table(owner.flow_run_id, run)
    error = error_for(
        run, errors=error_texts(run), fail_on_success_with_failures=how.fail_on_success_with_failures
    )
    if error is not None:
        raise error
    return run


def flow_result(run: dict[str, Any], return_metadata: bool) -> Any:
    """What the flows return: task_key → notebook output, with the run when `return_metadata`."""
    outputs = notebook_outputs(run)
    return (outputs, run) if return_metadata else outputs
