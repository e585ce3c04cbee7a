"""One poller for many waiting runs: a watcher per workspace polls active runs in batches.

Each cycle lists the workspace's active runs (`runs/list?active_only=true`, pages of 25, with
their tasks) until every watched run is found, then sends one `runs/get` for each watched run
that left the active set (the list omits finished runs), and pushes each run's latest state to
its waiters. So N waits cost about N/25 requests per cycle instead of N. The interval starts at
`initial_interval` and backs off to the smallest `poll_frequency_seconds` asked for; a change
or a new run resets it. All watchers run on one background event loop (thread `dbx-watch`), so
waiters on any loop or thread share them.

Failures are isolated: a list that fails (or takes over `LIST_DEADLINE` s with the client's retries)
makes the cycles of the next `LIST_DEADLINE` s read the watched runs one by one; each run is
published as soon as it is read, and a run that cannot be read for `UNREADABLE_CYCLES` cycles while
the workspace answers other requests (one succeeded in the last `ANSWERED_WINDOW` s) gets the error
on its own waiters only; when nothing answers, it is an outage, waited through.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import math
import threading
import time
from collections.abc import AsyncIterator, Callable, Hashable
from typing import TYPE_CHECKING, Any

from prefect_databricks.client.errors import TransportError
from prefect_databricks.waiting.events import RunEvents
from prefect_databricks.waiting.mailbox import (
    Waiter,
    WatchStats,
    background_loop,
    deliver,
    fingerprint,
    is_transient,
)
from prefect_databricks.waiting.outcome import is_terminal

if TYPE_CHECKING:
    from prefect_databricks.client import DatabricksClient
    from prefect_databricks.credentials import DatabricksCredentials

__all__ = [
    "ANSWERED_WINDOW", "GET_DEADLINE", "LIST_DEADLINE", "PAGE_SIZE", "UNREADABLE_CYCLES",
    "RunWatcher", "WatchStats", "is_transient", "watcher_for",
]

PAGE_SIZE = 25
LIST_DEADLINE = 10.0
GET_DEADLINE = 10.0
UNREADABLE_CYCLES = 3
ANSWERED_WINDOW = 120.0
_GET_CONCURRENCY = 8
_BACKOFF = 1.5
_log = logging.getLogger(__name__)


class RunWatcher:
    """Polls the runs of one workspace in batches and wakes the waiters of each run.

    `client_factory` is called on the watcher's own loop and returns the client to poll with;
    `on_update` sees each state a waiter gets, in the waiter's context (`events.RunEvents.observe`).
    """

    def __init__(
        self,
        client_factory: Callable[[], DatabricksClient],
        *,
        initial_interval: float = 1.0,
        page_size: int = PAGE_SIZE,
        on_update: Callable[[dict[str, Any]], object] | None = None,
    ) -> None:
        self._client_factory = client_factory
        self._on_update = on_update
        self.initial_interval = initial_interval
        self.page_size = page_size
        self.stats = WatchStats()
        self._loop = background_loop()
        self._waiters: dict[int, set[Waiter]] = {}
        self._checked: dict[int, float] = {}
        self._unreadable: dict[int, int] = {}
        self._list_paused_until = 0.0
        self._answered_at = 0.0
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._interval = initial_interval

    @property
    def watched(self) -> int:
        """How many runs are being watched now."""
        return len(self._waiters)

    async def updates(
        self, run_id: int, *, poll_frequency_seconds: float = 10.0
    ) -> AsyncIterator[dict[str, Any]]:
        """Each new state of run `run_id` (the latest only, never a backlog), ending with its terminal one."""
        waiter = Waiter(asyncio.get_running_loop(), max(poll_frequency_seconds, self.initial_interval))
        self._post(self._add, int(run_id), waiter)
        try:
            while True:
                await waiter.event.wait()
                waiter.event.clear()
                if waiter.error is not None:
                    raise waiter.error
                if waiter.latest is not None:
                    if self._on_update is not None:
                        self._on_update(waiter.latest)
                    yield waiter.latest
                    if is_terminal(waiter.latest):
                        return
        finally:
            self._post(self._remove, int(run_id), waiter)

    async def wait(self, run_id: int, *, poll_frequency_seconds: float = 10.0) -> dict[str, Any]:
        """The terminal state of run `run_id` (as `runs/get` returns it, all pages merged)."""
        last: dict[str, Any] = {}
        async for state in self.updates(run_id, poll_frequency_seconds=poll_frequency_seconds):
            last = state
        return last

    def _post(self, fn: Callable[..., None], *args: Any) -> None:
        self._loop.call_soon_threadsafe(fn, *args)

    def _add(self, run_id: int, waiter: Waiter) -> None:
        self._waiters.setdefault(run_id, set()).add(waiter)
        self._checked.setdefault(run_id, 0.0)
        self._interval = self.initial_interval
        self._wake.set()
        if self._task is None or self._task.done():
            self._task = self._loop.create_task(self._run())

    def _remove(self, run_id: int, waiter: Waiter) -> None:
        waiters = self._waiters.get(run_id)
        if waiters is not None:
            waiters.discard(waiter)
            if not waiters:
                del self._waiters[run_id]
                self._checked.pop(run_id, None)
                self._unreadable.pop(run_id, None)

    async def _run(self) -> None:
        while self._waiters:
            self._wake.clear()
            try:
                changed = await self._cycle()
            except Exception as exc:  # a lasting error must reach the waiters, not kill the poller
                changed = self._on_error(exc, set(self._waiters))
            self._interval = self.initial_interval if changed else self._backed_off()
            await self._pause()

    async def _pause(self) -> None:
        """Sleep one interval; a new run shortens it, but cycles stay `initial_interval` apart."""
        loop = asyncio.get_running_loop()
        earliest = loop.time() + self.initial_interval
        deadline = loop.time() + self._interval
        while (remaining := deadline - loop.time()) > 0:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), remaining)
            if self._wake.is_set():
                self._wake.clear()
                deadline = min(deadline, earliest)

    def _backed_off(self) -> float:
        ceiling = min((w.poll_frequency for ws in self._waiters.values() for w in ws), default=1.0)
        return max(self.initial_interval, min(self._interval * _BACKOFF, ceiling))

    async def _cycle(self) -> bool:
        """One poll of every watched run; True if any run's state changed."""
        client = self._client_factory()
        watched = set(self._waiters)
        found: dict[int, dict[str, Any]] = {}
        complete = False
        try:
            if time.monotonic() >= self._list_paused_until:
                found, complete = await asyncio.wait_for(self._list_active(client, watched), LIST_DEADLINE)
        except Exception as exc:  # a failing list must not hold back runs that can be read one by one
            if not (is_transient(exc) or isinstance(exc, asyncio.TimeoutError)):
                raise
            _log.warning("Listing active runs failed, reading the watched runs one by one: %s", exc)
            self._list_paused_until = time.monotonic() + LIST_DEADLINE
        missing = [run_id for run_id in watched if run_id not in found]
        ended = [run_id for run_id, run in found.items() if is_terminal(run)]
        to_get = ended + (missing if complete else self._stalest(missing, self._get_budget()))
        if complete or found:
            self._answered_at = time.monotonic()
        changed = False
        for run_id, run in found.items():
            if run_id not in ended:
                self._unreadable.pop(run_id, None)
                changed |= self._publish(run_id, run)
        changed |= await self._get_runs(client, to_get)
        self.stats.cycles += 1
        return changed

    def _on_error(self, exc: Exception, run_ids: set[int]) -> bool:
        """Keep waiting through a transient error; hand any other error to the waiters of `run_ids`."""
        if is_transient(exc):
            _log.warning("Polling Databricks runs failed, will retry: %s", exc)
            return False
        for run_id in run_ids:
            self._fail(run_id, exc)
        return True

    async def _list_active(
        self, client: DatabricksClient, watched: set[int]
    ) -> tuple[dict[int, dict[str, Any]], bool]:
        """Watched runs found among the active ones; True if the whole active list was read."""
        found: dict[int, dict[str, Any]] = {}
        token: str | None = None
        for _ in range(math.ceil(len(watched) / self.page_size) + 1):
            params: dict[str, Any] = {"active_only": True, "limit": self.page_size, "expand_tasks": True}
            if token:
                params["page_token"] = token
            self._count("list")
            page = await client.call("jobs/runs/list", params=params)
            for run in page.get("runs") or ():
                if run.get("run_id") in watched:
                    found[run["run_id"]] = run
            token = page.get("next_page_token")
            if not token:
                return found, True
            if len(found) == len(watched):
                return found, False
        return found, False

    def _get_budget(self) -> int:
        return max(1, self.page_size - math.ceil(len(self._waiters) / self.page_size))

    def _stalest(self, run_ids: list[int], budget: int) -> list[int]:
        """The runs checked longest ago, so every run gets its turn when the list is truncated."""
        return sorted(run_ids, key=lambda run_id: self._checked.get(run_id, 0.0))[:budget]

    async def _get_runs(self, client: DatabricksClient, run_ids: list[int]) -> bool:
        """Read and publish each run as soon as it answers; True if any changed."""
        limit = asyncio.Semaphore(_GET_CONCURRENCY)
        failed: dict[int, Exception] = {}
        changed = False

        async def one(run_id: int) -> bool:
            async with limit:
                self._count("get")
                try:
                    run = await asyncio.wait_for(client.get_run(run_id), GET_DEADLINE)
                except asyncio.TimeoutError:
                    failed[run_id] = TransportError(f"GET jobs/runs/get (run_id={run_id}): no answer in time")
                    return False
                except Exception as exc:  # per run: one bad run must not stop the others
                    failed[run_id] = exc
                    return False
            self._unreadable.pop(run_id, None)
            self._answered_at = time.monotonic()
            return self._publish(run_id, run)

        for outcome in await asyncio.gather(*(one(run_id) for run_id in run_ids)):
            changed |= outcome
        for run_id, exc in failed.items():
            changed |= self._unreadable_run(run_id, exc)
        return changed

    def _unreadable_run(self, run_id: int, exc: Exception) -> bool:
        """A run that could not be read: a lasting error, or one that outlasts the others', is its own."""
        if not is_transient(exc):
            return self._on_error(exc, {run_id})
        if time.monotonic() - self._answered_at > ANSWERED_WINDOW:  # nothing answers: an outage
            _log.warning("Polling Databricks runs failed, will retry: %s", exc)
            return False
        self._unreadable[run_id] = self._unreadable.get(run_id, 0) + 1
        if self._unreadable[run_id] < UNREADABLE_CYCLES:
            return False
        _log.warning("Run %s could not be read in %d polls while others could: %s", run_id,
                     UNREADABLE_CYCLES, exc)
        self._fail(run_id, exc)
        return True

    def _count(self, kind: str) -> None:
        self.stats.requests += 1
        if kind == "list":
            self.stats.list_requests += 1
        else:
            self.stats.get_requests += 1

    def _publish(self, run_id: int, run: dict[str, Any]) -> bool:
        """Push `run` to the waiters of `run_id`; True if its state differs from the last pushed."""
        self._checked[run_id] = time.monotonic()
        seen = fingerprint(run)
        stale = [w for w in self._waiters.get(run_id, ()) if w.sent != seen]
        for waiter in stale:
            waiter.sent = seen
            if not deliver(waiter, run, None):
                self._remove(run_id, waiter)
        return bool(stale)

    def _fail(self, run_id: int, error: BaseException) -> None:
        for waiter in list(self._waiters.get(run_id, ())):
            deliver(waiter, None, error)


_WATCHERS: dict[Hashable, RunWatcher] = {}
_WATCHERS_LOCK = threading.Lock()


def _workspace_key(credentials: DatabricksCredentials) -> Hashable:
    """Host plus a digest of the secret, so two blocks of one identity share a watcher."""
    secret = credentials.token or credentials.client_secret
    digest = hashlib.sha256()
    digest.update((credentials.client_id or "").encode())
    digest.update((secret.get_secret_value() if secret else "").encode())
    return credentials.host, digest.hexdigest()


def watcher_for(credentials: DatabricksCredentials) -> RunWatcher:
    """The process's one watcher of the workspace these credentials reach."""
    key = _workspace_key(credentials)
    with _WATCHERS_LOCK:
        if key not in _WATCHERS:
            events = RunEvents(credentials.host)
            _WATCHERS[key] = RunWatcher(credentials.get_jobs_client, on_update=events.observe)
        return _WATCHERS[key]
