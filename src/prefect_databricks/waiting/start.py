"""What starting a run needs: the job a name means, an idempotency token, the submission handler."""

from __future__ import annotations

import hashlib
import inspect
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from uuid import UUID

from prefect_databricks.client.errors import ClientValidationError
from prefect_databricks.waiting.follow import current_flow_run_id

if TYPE_CHECKING:
    from prefect_databricks.credentials import DatabricksCredentials

__all__ = ["call_handler", "derive_token", "resolve_job_id"]


async def resolve_job_id(credentials: DatabricksCredentials, job_id: int | None, job_name: str | None) -> int:
    """`job_id`, or the id of the one job named exactly `job_name` (an error for none or several)."""
    if job_name is None and job_id is not None:
        return int(job_id)
    if job_id is None and job_name is not None:
        return await credentials.get_jobs_client().find_job_id(job_name)
    raise ClientValidationError("job_id", "give exactly one of job_id and job_name")


def derive_token(kind: str, given: str | None) -> str | None:
    """`given`, else a token derived from the flow run id and the call, so a retried flow run re-attaches.

    The n-th call of `kind` in an attempt of a flow run gets the same token in every attempt;
    outside a flow run it is None, and the client generates one per call.
    """
    if given is not None:
        return given
    attempt = _flow_run_attempt()
    if attempt is None:
        return None
    with _CALLS_LOCK:
        index = _CALLS.setdefault(attempt, {}).setdefault(kind, 0)
        _CALLS[attempt][kind] += 1
        while len(_CALLS) > _CALLS_KEPT:
            _CALLS.popitem(last=False)
    return "prefect-" + hashlib.sha256(f"{attempt[0]}:{kind}:{index}".encode()).hexdigest()[:48]


_CALLS: OrderedDict[tuple[UUID, int], dict[str, int]] = OrderedDict()
_CALLS_LOCK = threading.Lock()
_CALLS_KEPT = 1000


def _flow_run_attempt() -> tuple[UUID, int] | None:
    """(flow run id, run count) of the flow run this code runs in, else None."""
    from prefect.context import FlowRunContext

    flow_run_id = current_flow_run_id()
    if flow_run_id is None:
        return None
    ctx = FlowRunContext.get()
    run_count = ctx.flow_run.run_count if ctx is not None and ctx.flow_run is not None else 0
    return flow_run_id, run_count


async def call_handler(handler: Callable[[Any], Any] | None, response: Mapping[str, Any]) -> None:
    """Call the user's `job_submission_handler` with the start response, awaiting it if needed."""
    if handler is None:
        return
    result = handler(response)
    if inspect.isawaitable(result):
        await result
