"""A flow that is awaitable where code is async and runs synchronously inside a sync flow or task.

Prefect returns a coroutine when an async flow is called, even from a sync parent flow, where
it can never be awaited. These flows run to completion there instead; anywhere else (async
code, or a plain script using `asyncio.run(...)` as with 0.4) they stay awaitable.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar, cast

from prefect import Flow
from prefect.utilities.asyncutils import run_coro_as_sync

from prefect_databricks.waiting.cancel import cancel_runs_of_flow_run

__all__ = ["WaitingFlow", "waiting_flow"]

_F = TypeVar("_F", bound=Callable[..., Any])


def _in_sync_prefect_run() -> bool:
    from prefect.context import FlowRunContext, TaskRunContext

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return FlowRunContext.get() is not None or TaskRunContext.get() is not None
    return False


class WaitingFlow(Flow[..., Any]):
    """A Prefect flow of this package; see the module docstring for how calls dispatch."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        result = super().__call__(*args, **kwargs)
        if inspect.isawaitable(result) and _in_sync_prefect_run():
            return run_coro_as_sync(cast(Coroutine[Any, Any, Any], result))
        return result

    def with_options(self, **kwargs: Any) -> WaitingFlow:
        """As `Flow.with_options`, keeping the dispatch of this class."""
        new = super().with_options(**kwargs)
        new.__class__ = WaitingFlow
        return cast(WaitingFlow, new)


def waiting_flow(*, name: str) -> Callable[[_F], WaitingFlow]:
    """Decorate an async function as a `WaitingFlow` whose cancellation or crash cancels its runs."""

    def decorate(fn: _F) -> WaitingFlow:
        description = (inspect.getdoc(fn) or "").split("\n\n")[0]
        return WaitingFlow(
            fn,
            name=name,
            description=description,
            on_cancellation=[cancel_runs_of_flow_run],
            on_crashed=[cancel_runs_of_flow_run],
        )

    return decorate
