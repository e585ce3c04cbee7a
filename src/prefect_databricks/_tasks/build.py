"""How a Jobs task is built: request fields from parameters, checks, one client call, sync twins.

Every task is written once, as an async `a`-variant. `sync_twin` derives the seed-named task from
it: in a sync flow (or plain code) it runs the coroutine to completion and returns the dict; in an
async flow calling it returns the awaitable of the `a`-variant, so 0.4-era `await jobs_x(...)`
keeps working; `.fn` dispatches the same way.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from prefect import Task
from prefect._internal.compatibility.async_dispatch import async_dispatch, is_in_async_context
from prefect.utilities.asyncutils import run_coro_as_sync

from ..models._wire import wire_fields

if TYPE_CHECKING:
    from ..client import DatabricksClient
    from ..credentials import DatabricksCredentials

__all__ = ["DispatchingTask", "checked_client", "request_fields", "send", "sync_twin"]

_NOT_FIELDS = frozenset({"databricks_credentials", "extra_fields"})


def request_fields(arguments: Mapping[str, Any]) -> dict[str, Any]:
    """The request's fields from a task's arguments: only what was given, models as wire JSON.

    `None` means "not given" (nothing is sent for it); `extra_fields` passes through fields the
    API adds later.
    """
    given = {name: value for name, value in arguments.items() if name not in _NOT_FIELDS}
    given.update(arguments.get("extra_fields") or {})
    return wire_fields(**given)


def checked_client(
    credentials: DatabricksCredentials, name: str, fields: Mapping[str, Any]
) -> DatabricksClient:
    """Check `fields` for endpoint `name` against the documented rules, then return the client."""
    from ..client.checks import check_request  # deferred with the client: keeps the module import cheap

    check_request(name, fields)
    return credentials.get_jobs_client()


async def send(
    credentials: DatabricksCredentials,
    name: str,
    fields: dict[str, Any],
    *,
    path: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Check `fields` against the documented rules, then make the one call to endpoint `name`."""
    client = checked_client(credentials, name, fields)
    return await client.call(name, params=fields, path=path)


class DispatchingTask(Task[..., Any]):
    """A sync task whose call, inside an async flow or task, returns its `a`-variant's awaitable."""

    aio: Task[..., Any]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if is_in_async_context():
            return self.aio(*args, **kwargs)
        return super().__call__(*args, **kwargs)

    def with_options(self, **options: Any) -> DispatchingTask:
        """New options apply to both twins."""
        return sync_twin(self.aio.with_options(**options))


def _run_sync(afn: Any, name: str) -> Any:
    """A sync function with `afn`'s signature and docstring that runs it to completion."""

    @functools.wraps(afn)
    def run(*args: Any, **kwargs: Any) -> Any:
        return run_coro_as_sync(afn(*args, **kwargs))

    run.__name__ = run.__qualname__ = name
    return run


def sync_twin(atask: Task[..., Any]) -> DispatchingTask:
    """The seed-named task for an `a`-prefixed async task, sharing its options and docstring."""
    afn = atask.fn
    default_name = atask.name == afn.__name__
    name = afn.__name__.removeprefix("a")
    twin = DispatchingTask(
        async_dispatch(afn)(_run_sync(afn, name)),
        name=name if default_name else atask.name,
        description=atask.description,
        tags=atask.tags,
        version=atask.version,
        cache_policy=atask.cache_policy,
        task_run_name=atask.task_run_name,
        retries=atask.retries,
        retry_delay_seconds=atask.retry_delay_seconds,
        retry_jitter_factor=atask.retry_jitter_factor,
        timeout_seconds=atask.timeout_seconds,
        log_prints=atask.log_prints,
        retry_condition_fn=atask.retry_condition_fn,
        on_completion=atask.on_completion_hooks,
        on_failure=atask.on_failure_hooks,
    )
    twin.aio = atask
    return twin
