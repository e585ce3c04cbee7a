"""Who owns a wait: the user's flow run that called the waiting flow, and the call's place in it.

Idempotency tokens, the runs recorded for runner-side hooks and the artifacts are keyed by the
owner, never by the waiting flow's own run: a retry of the caller creates a new sub-flow run, yet
its n-th call of a waiting flow must find the run the earlier attempt started. The owner is
taken when the flow is called (in the caller's context) and carried into the flow's body by a
context variable; a waiting flow run on its own (deployed, or a script) owns itself.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Coroutine
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import UUID

__all__ = ["Owner", "bind", "claim", "current_owner", "is_retry"]

_R = TypeVar("_R")


@dataclass(frozen=True)
class Owner:
    """The flow run a wait belongs to, and a key of the call that is the same in every attempt."""

    flow_run_id: UUID
    call_key: str
    attempt: int = 1


_CURRENT: ContextVar[Owner | None] = ContextVar("prefect_databricks_owner", default=None)
_CALLS: OrderedDict[tuple[UUID, int], dict[str, int]] = OrderedDict()
_CALLS_LOCK = threading.Lock()
_CALLS_KEPT = 1000


def _next_index(base: UUID, attempt: int, name: str) -> int:
    """How many calls of `name` this attempt made before: 0, 1, ... (the same order in every attempt)."""
    with _CALLS_LOCK:
        counts = _CALLS.setdefault((base, attempt), {})
        index = counts.get(name, 0)
        counts[name] = index + 1
        while len(_CALLS) > _CALLS_KEPT:
            _CALLS.popitem(last=False)
    return index


def claim(name: str) -> Owner | None:
    """The owner of a call of flow `name` made now: the running flow or task run, else None."""
    from prefect.context import FlowRunContext, TaskRunContext

    task_ctx = TaskRunContext.get()
    if task_ctx is not None:
        run = task_ctx.task_run
        index = _next_index(run.id, run.run_count, name)
        return Owner(run.flow_run_id or run.id, f"{run.id}:{name}:{index}", run.run_count)
    flow_ctx = FlowRunContext.get()
    if flow_ctx is not None and flow_ctx.flow_run is not None:
        flow_run = flow_ctx.flow_run
        index = _next_index(flow_run.id, flow_run.run_count, name)
        return Owner(flow_run.id, f"{flow_run.id}:{name}:{index}", flow_run.run_count)
    return None


async def bind(owner: Owner | None, coro: Coroutine[Any, Any, _R]) -> _R:
    """Await `coro` (a waiting flow's run) with `owner` as the owner of its waits."""
    token = _CURRENT.set(owner)
    try:
        return await coro
    finally:
        _CURRENT.reset(token)


def current_owner() -> Owner | None:
    """The owner of the wait running now: the caller bound at call time, else this flow run itself."""
    from prefect.context import FlowRunContext

    owner = _CURRENT.get()
    if owner is not None:
        return owner
    ctx = FlowRunContext.get()
    if ctx is None or ctx.flow_run is None:
        return None
    return Owner(ctx.flow_run.id, f"{ctx.flow_run.id}:self:0", ctx.flow_run.run_count)


def is_retry() -> bool:
    """True in a second or later attempt of the waiting flow run or of the flow run that called it."""
    from prefect.context import FlowRunContext

    owner = _CURRENT.get()
    ctx = FlowRunContext.get()
    own = ctx.flow_run.run_count if ctx is not None and ctx.flow_run is not None else 1
    return own > 1 or (owner is not None and owner.attempt > 1)
