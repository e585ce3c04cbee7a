"""A flow that is awaitable where code is async and runs synchronously inside a sync flow or task.

Prefect returns a coroutine when an async flow is called, even from a sync parent flow, where
it can never be awaited. These flows run to completion there instead, on Prefect's loop thread;
a timeout, cancel or signal raised meanwhile in the calling thread cancels the call on that loop
(its runs are cancelled once, its sub-flow run ends Cancelled) before it propagates. Anywhere
else (async code, or a script using `asyncio.run(...)` as with 0.4) they stay awaitable. Each
call takes its owner (`owner.claim`) in the caller's context.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import threading
import weakref
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar, cast

from prefect import Flow
from prefect.utilities.asyncutils import run_coro_as_sync
from prefect.utilities.callables import parameter_schema

from prefect_databricks.waiting.cancel import cancel_tracked_sync, install_signal_handlers, tracked
from prefect_databricks.waiting.ledger import cancel_databricks_runs
from prefect_databricks.waiting.owner import Owner, bind, claim
from prefect_databricks.waiting.report import run_logger

__all__ = ["WaitingFlow", "waiting_flow"]

_F = TypeVar("_F", bound=Callable[..., Any])
_KEYWORD = inspect.Parameter.KEYWORD_ONLY
_SETTLE_SECONDS = 5.0
_ABANDONED: weakref.WeakSet[asyncio.Task[Any]] = weakref.WeakSet()
_ABANDONED_MESSAGE = "The calling flow run stopped (timeout, cancel or signal); its runs are cancelled."


def _in_sync_prefect_run() -> bool:
    from prefect.context import FlowRunContext, TaskRunContext

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return FlowRunContext.get() is not None or TaskRunContext.get() is not None
    return False


class WaitingFlow(Flow[..., Any]):
    """A Prefect flow of this package; see the module docstring for how calls dispatch."""

    def __init__(self, fn: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(fn, **kwargs)
        self._optional_catch_all()

    def _optional_catch_all(self) -> None:
        """Show `**kwargs` as an optional dict in the signature Prefect reads for flow and deployment schemas.

        Calls still go through `self.fn`, whose signature is untouched, so 0.4's keyword calls keep working.
        """
        params = [
            inspect.Parameter(p.name, _KEYWORD, default=None, annotation=dict[str, Any] | None)
            if p.kind is inspect.Parameter.VAR_KEYWORD
            else p
            for p in inspect.signature(self.fn).parameters.values()
        ]
        self.__signature__ = inspect.signature(self.fn).replace(parameters=params)
        self.parameters = parameter_schema(self)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        owner = claim(self.name)
        install_signal_handlers()
        result = super().__call__(*args, **kwargs)
        if not inspect.isawaitable(result):
            return result
        coro = bind(owner, cast(Coroutine[Any, Any, Any], result))
        return _run_sync(coro, owner) if _in_sync_prefect_run() else coro

    def with_options(self, **kwargs: Any) -> WaitingFlow:
        """As `Flow.with_options`, keeping the dispatch of this class."""
        new = cast(WaitingFlow, super().with_options(**kwargs))
        new.__class__ = WaitingFlow
        new._optional_catch_all()
        return new


def _run_sync(coro: Coroutine[Any, Any, Any], owner: Owner | None) -> Any:
    """Run `coro` on Prefect's loop thread; if this thread is interrupted, cancel what the call started.

    The interrupted call is cancelled on its loop and given a few seconds to end (it cancels its runs
    and logs once, on its own flow run); only the runs still tracked after that are cancelled from here.
    """
    running: list[tuple[asyncio.AbstractEventLoop, asyncio.Task[Any]]] = []

    async def noted() -> Any:
        task = asyncio.current_task()
        if task is not None:
            running.append((asyncio.get_running_loop(), task))
        return await coro

    try:
        return run_coro_as_sync(noted())
    except BaseException:  # a flow timeout, a Prefect cancel, a signal: the wait must not go on alone
        for loop, task in running:
            _cancel_and_wait(loop, task)
        items = tracked(call_key=owner.call_key) if owner is not None else []
        if items:
            cancel_tracked_sync(items, run_logger())
        raise


def _cancel_and_wait(loop: asyncio.AbstractEventLoop, task: asyncio.Task[Any]) -> None:
    """Cancel `task` on its `loop` (another thread) and wait up to `_SETTLE_SECONDS` for it to end."""
    ended = threading.Event()

    def cancel() -> None:
        task.add_done_callback(lambda _: ended.set())
        _ABANDONED.add(task)
        task.cancel()

    try:
        loop.call_soon_threadsafe(cancel)
    except RuntimeError:  # the loop is closed: nothing is left running on it
        return
    ended.wait(_SETTLE_SECONDS)


def _cancelled_when_abandoned(fn: Callable[..., Any]) -> Callable[..., Any]:
    """`fn`, ending Cancelled (a returned state) rather than Crashed when its sync caller abandoned it.

    Prefect marks a sub-flow whose task is cancelled Crashed; here the cancel is the caller's timeout,
    cancel or signal, already handled (the runs are cancelled), so crash hooks and alerts must not fire.
    """

    @functools.wraps(fn)
    async def body(*args: Any, **kwargs: Any) -> Any:
        try:
            return await fn(*args, **kwargs)
        except asyncio.CancelledError:
            if asyncio.current_task() not in _ABANDONED:
                raise
            from prefect.states import Cancelled

            return Cancelled(message=_ABANDONED_MESSAGE)

    return body


def waiting_flow(*, name: str) -> Callable[[_F], WaitingFlow]:
    """Decorate an async function as a `WaitingFlow` whose cancellation or crash cancels its runs."""

    def decorate(fn: _F) -> WaitingFlow:
        description = (inspect.getdoc(fn) or "").split("\n\n")[0]
        return WaitingFlow(
            _cancelled_when_abandoned(fn),
            name=name,
            description=description,
            on_cancellation=[cancel_databricks_runs],
            on_crashed=[cancel_databricks_runs],
        )

    return decorate
