"""0.4's generic REST helper: `execute_endpoint` calls any Databricks API by its path under `/api/`.

Same names and signatures as prefect-databricks 0.4 (`HTTPMethod`, `serialize_model`,
`strip_kwargs`, `execute_endpoint` returning the `httpx.Response`), so code that reached other
APIs through it keeps working; requests now go through this package's transport: every auth type,
retries of 429/5xx and failed connections, and nothing secret logged.
"""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Any

import httpx
from prefect import task
from pydantic import BaseModel

from ._tasks.build import sync_twin

if TYPE_CHECKING:
    from .credentials import DatabricksCredentials

__all__ = ["HTTPMethod", "aexecute_endpoint", "execute_endpoint", "serialize_model", "strip_kwargs"]


class HTTPMethod(Enum):
    """The HTTP methods `execute_endpoint` sends (values are lower case, as in 0.4)."""

    GET = "get"
    POST = "post"
    PUT = "put"
    DELETE = "delete"
    PATCH = "patch"


def serialize_model(obj: Any) -> Any:
    """`obj` with every pydantic model (in lists and dicts too) as its wire JSON and enums as values.

    Unlike 0.4, models are dumped by alias and without unset fields, so no `null`s are sent.
    """
    if isinstance(obj, list):
        return [serialize_model(item) for item in obj]
    if isinstance(obj, dict):
        return {key: serialize_model(value) for key, value in obj.items()}
    if isinstance(obj, BaseModel):
        return serialize_model(obj.model_dump(mode="json", by_alias=True, exclude_none=True))
    if isinstance(obj, Enum):
        return obj.value
    return obj


def strip_kwargs(**kwargs: Any) -> dict[str, Any]:
    """The keyword arguments without `None` values (in nested dicts too), models serialized."""
    stripped = {}
    for key, value in kwargs.items():
        value = serialize_model(value)
        if isinstance(value, dict):
            value = strip_kwargs(**value)
        if value is not None:
            stripped[key] = value
    return stripped


@task(name="execute_endpoint")
async def aexecute_endpoint(
    endpoint: str,
    databricks_credentials: DatabricksCredentials,
    http_method: HTTPMethod = HTTPMethod.GET,
    params: dict[str, Any] | None = None,
    json: dict[str, Any] | None = None,
    **kwargs: Any,
) -> httpx.Response:
    """Call `endpoint` (a path under `<host>/api/`, e.g. "/2.0/clusters/list"); returns the response.

    `None`s are dropped from `params` and `json`; `kwargs` go to httpx (`headers`, `timeout`, ...).
    The status is not checked, as in 0.4: after the retries, the last response is returned.
    """
    method = http_method.value if isinstance(http_method, HTTPMethod) else str(http_method)
    query = strip_kwargs(**params) if params is not None else None
    body = strip_kwargs(**json) if json is not None else None
    client = databricks_credentials.get_jobs_client()
    return await client.request(method, endpoint, params=query, json=body, **kwargs)


execute_endpoint = sync_twin(aexecute_endpoint)
