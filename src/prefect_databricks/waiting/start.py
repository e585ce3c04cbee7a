"""What starting a run needs: the job a name means, an idempotency token, the submission handler."""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from prefect_databricks.client.errors import ClientValidationError
from prefect_databricks.waiting.owner import current_owner

if TYPE_CHECKING:
    from prefect_databricks.credentials import DatabricksCredentials

__all__ = ["call_handler", "derive_token", "extra_fields", "resolve_job_id"]


async def resolve_job_id(credentials: DatabricksCredentials, job_id: int | None, job_name: str | None) -> int:
    """`job_id`, or the id of the one job named exactly `job_name` (an error for none or several)."""
    if job_name is None and job_id is not None:
        return int(job_id)
    if job_id is None and job_name is not None:
        return await credentials.get_jobs_client().find_job_id(job_name)
    raise ClientValidationError("job_id", "give exactly one of job_id and job_name")


def derive_token(kind: str, given: str | None) -> str | None:
    """`given`, else a token derived from the wait's owner and call, so a retry re-attaches.

    A retry of the waiting flow, or of the flow that called it, derives the same token for the
    same call; outside a flow run it is None, and the client generates one per call.
    """
    if given is not None:
        return given
    owner = current_owner()
    if owner is None:
        return None
    return "prefect-" + hashlib.sha256(f"{owner.call_key}:{kind}".encode()).hexdigest()[:48]


def extra_fields(kwargs: dict[str, Any], name: str) -> dict[str, Any]:
    """The catch-all keywords, with a deployment's `{name: {...}}` parameter (the schema's dict) unpacked."""
    extra = dict(kwargs)
    given = extra.pop(name, None) or {}
    return {**given, **extra}


async def call_handler(handler: Callable[[Any], Any] | None, response: Mapping[str, Any]) -> None:
    """Call the user's `job_submission_handler` with the start response, awaiting it if needed."""
    if handler is None:
        return
    result = handler(response)
    if inspect.isawaitable(result):
        await result
