"""`prefect-databricks events`: watch a workspace and emit a Prefect event per run state change.

Each poll lists every page of the active runs and of the runs ended since the last poll (less
`SLACK_MS` for clocks that differ), and reads with `runs/get` a run seen active that is in
neither list. A change is emitted once (`waiting/events.py` names it), then written to the state
file, so a restarted command does not emit it again; an ended run is kept only while the ended
list can still return it. A workspace that stops answering is waited through: logged once, polled
with backoff up to `MAX_BACKOFF` s, and logged again when it answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from prefect_databricks.cli.support import EXIT_API, IntervalOption, ProfileOption, UsageError, execute

if TYPE_CHECKING:
    from prefect.events.clients import EventsClient

    from prefect_databricks.client import DatabricksClient

__all__ = ["MAX_BACKOFF", "SLACK_MS", "EventFeed", "PrefectUnavailable", "default_state_file", "events"]

SLACK_MS = 120_000
MAX_BACKOFF = 30.0
PAGE = 25
_RECONNECTS = 2  # Prefect's client tries 11 times by default; the poll loop's backoff retries after these
Sender = Callable[[dict[str, Any]], Awaitable[None]]


class PrefectUnavailable(Exception):
    """Prefect did not take an event: the poll is not recorded, so its events are sent again."""


def default_state_file(host: str) -> Path:
    """`$PREFECT_HOME/databricks-events/<digest of the host>.json`: one cursor per workspace."""
    from prefect.settings import PREFECT_HOME

    digest = hashlib.sha256(host.encode()).hexdigest()[:16]
    return Path(PREFECT_HOME.value()) / "databricks-events" / f"{digest}.json"


class EventFeed:
    """The cursor of one workspace: active runs with the event ids sent for them, recently ended runs."""

    def __init__(self, host: str, path: Path) -> None:
        self.host = host
        self.path = path
        saved = json.loads(path.read_text()) if path.exists() else {}
        if saved and saved.get("workspace") != host:
            raise UsageError(f"--state-file {path} belongs to {saved.get('workspace')}, not {host}")
        self.listed_at: int | None = saved.get("listed_at")
        self.active: dict[str, list[str]] = saved.get("active", {})
        self.ended: dict[str, int] = saved.get("ended", {})

    def save(self) -> None:
        """Write the cursor atomically, readable by its owner only (0600 in a 0700 folder)."""
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        body = {"workspace": self.host, "listed_at": self.listed_at, "active": self.active,
                "ended": self.ended}
        tmp = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump(body, out)
        os.replace(tmp, self.path)

    async def poll(self, client: DatabricksClient, send: Sender) -> int:
        """One poll: every change since the last one is sent; returns how many events were sent."""
        from prefect_databricks.waiting.outcome import is_terminal

        started = int(time.time() * 1000)
        since = (self.listed_at or started) - SLACK_MS
        active = {r["run_id"]: r async for r in client.iter_runs(active_only=True, limit=PAGE)}
        ended = {
            r["run_id"]: r
            async for r in client.iter_runs(completed_only=True, start_time_from=since, limit=PAGE)
        }
        vanished = [int(i) for i in self.active if int(i) not in active and int(i) not in ended]
        for run_id in vanished:
            run = await _read_run(client, run_id)
            if run is None:
                self.active.pop(str(run_id), None)
            else:
                ended[run_id] = run
        sent = 0
        for run in [*active.values(), *ended.values()]:
            sent += await self._report(run, send, is_terminal(run))
        self.ended = {i: t for i, t in self.ended.items() if t >= since}
        self.listed_at = started
        self.save()
        return sent

    async def _report(self, run: dict[str, Any], send: Sender, terminal: bool) -> int:
        from prefect_databricks.waiting.events import run_event

        key = str(run["run_id"])
        fields = run_event(self.host, run)
        if fields is None or (terminal and key in self.ended):
            return 0
        sent_ids = self.active.get(key, [])
        new = str(fields["id"]) not in sent_ids
        if new:
            await send(fields)
        if terminal:
            self.active.pop(key, None)
            self.ended[key] = int(run.get("start_time") or 0)
        else:
            self.ended.pop(key, None)  # a repair makes an ended run active again
            self.active[key] = [*sent_ids, str(fields["id"])] if new else sent_ids
        return int(new)


async def _read_run(client: DatabricksClient, run_id: int) -> dict[str, Any] | None:
    """The run, or None once the workspace says it is gone (deleted): there is no end left to report."""
    from prefect_databricks.client.errors import InvalidParameterValue, ResourceDoesNotExist

    try:
        return await client.get_run(run_id)
    except (InvalidParameterValue, ResourceDoesNotExist) as exc:
        print(f"warning: run {run_id} is no longer readable, forgotten: {exc}", file=sys.stderr, flush=True)
        return None


def _printer(as_json: bool) -> Callable[[dict[str, Any]], None]:
    def show(fields: dict[str, Any]) -> None:
        payload = fields["payload"]
        if as_json:
            line = {"event": fields["event"], "id": str(fields["id"]), "resource": fields["resource"],
                    "payload": payload}
            sys.stdout.write(json.dumps(line, default=str) + "\n")
        else:
            sys.stdout.write(f"{fields['event']}  run {payload['run_id']}  {payload['run_page_url'] or ''}\n")
        sys.stdout.flush()

    return show


async def _watch(client: DatabricksClient, feed: EventFeed, events: EventsClient, interval: float,
                 once: bool, as_json: bool) -> int:
    """Poll until interrupted (`once`: one poll); transient failures of either side are waited through."""
    from prefect.events import Event

    from prefect_databricks.waiting.mailbox import is_transient

    show = _printer(as_json)

    async def send(fields: dict[str, Any]) -> None:
        try:
            await events.emit(Event(**fields))
        except Exception as exc:  # Prefect's client has retried its connection already
            raise PrefectUnavailable(f"Prefect did not take the event {fields['event']}: {exc}") from exc
        show(fields)

    pause, failing = interval, False
    while True:
        try:
            await feed.poll(client, send)
        except Exception as exc:
            unavailable = isinstance(exc, PrefectUnavailable)
            if not (unavailable or is_transient(exc)):
                raise
            if once and unavailable:
                print(f"error: {exc}", file=sys.stderr, flush=True)
                return EXIT_API
            if once:
                raise
            if not failing:
                print(f"warning: {exc}; will retry", file=sys.stderr, flush=True)
            failing, pause = True, min(max(pause * 2, interval), MAX_BACKOFF)
        else:
            if failing:
                print("polling again", file=sys.stderr, flush=True)
            failing, pause = False, interval
        if once:
            return 0
        await asyncio.sleep(pause)


def events(
    interval: IntervalOption = 10.0,
    state_file: Annotated[
        Path | None,
        typer.Option(help="Where the cursor is kept (0600); default: under PREFECT_HOME, one per workspace.",
                     show_default=False),
    ] = None,
    once: Annotated[bool, typer.Option("--once", help="Poll once, emit, and exit.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print each event sent as a JSON line.")] = False,
    profile: ProfileOption = None,
) -> None:
    """Emit a Prefect event (databricks.run.started, .succeeded, .failed, ...) for each run state change."""

    async def work(client: DatabricksClient) -> int:
        from prefect.events.clients import get_events_client
        from prefect.settings import PREFECT_API_URL

        if not PREFECT_API_URL.value():
            raise UsageError("PREFECT_API_URL is not set: events go to a Prefect server or Prefect Cloud")
        host = str(client.host)
        feed = EventFeed(host, state_file or default_state_file(host))
        async with contextlib.AsyncExitStack() as stack:
            try:
                sink = await stack.enter_async_context(get_events_client(reconnection_attempts=_RECONNECTS))
            except Exception as exc:  # the websocket to Prefect did not open
                print(f"error: cannot reach Prefect at {PREFECT_API_URL.value()}: {exc}", file=sys.stderr)
                return EXIT_API
            return await _watch(client, feed, sink, interval, once, as_json)

    execute(profile, work)
