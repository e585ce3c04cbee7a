"""Following a run from the CLI: a live table of its tasks on a terminal, a line per change elsewhere.

The run is polled with `runs/get` (all pages merged) until it is terminal; then each task run's
output is collected and the exit code follows how the run ended (0 success, 1 otherwise).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.table import Table

from prefect_databricks.cli.support import EXIT_OK, EXIT_RUN_FAILED, print_json
from prefect_databricks.cli.view import console, duration, print_run
from prefect_databricks.waiting.states import state_name

if TYPE_CHECKING:
    from prefect_databricks.client import DatabricksClient

__all__ = ["ProgressView", "finish", "follow", "watch_run"]


class ProgressView:
    """Shows a run while it goes: a live table on a terminal, else one line per task state change."""

    def __init__(self, out: Console, run_id: int, *, quiet: bool = False) -> None:
        self.out = out
        self.run_id = run_id
        self.quiet = quiet
        self._seen: dict[str, str] = {}
        self._announced = False
        self._live: Live | None = None

    def __enter__(self) -> ProgressView:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Take the live table off the screen (the final result is printed after it)."""
        if self._live is not None:
            self._live.stop()
            self._live = None

    def update(self, run: Mapping[str, Any]) -> None:
        """Show the run's latest state."""
        if self.quiet:
            return
        if not self._announced:
            self._announced = True
            self.out.print(f"Run {self.run_id}: {run.get('run_page_url', '')}", soft_wrap=True)
        if self.out.is_terminal:
            self._show_live(run)
        else:
            self._print_changes(run)

    def _show_live(self, run: Mapping[str, Any]) -> None:
        if self._live is None:
            self._live = Live(console=self.out, refresh_per_second=4, transient=True)
            self._live.start()
        self._live.update(_live_table(run))

    def _print_changes(self, run: Mapping[str, Any]) -> None:
        for entry in run.get("tasks") or ():
            key = f"{entry.get('task_key')}#{entry.get('attempt_number', 0)}"
            state = state_name(entry)
            if self._seen.get(key) != state:
                self._seen[key] = state
                stamp = datetime.now().strftime("%H:%M:%S")
                attempt = entry.get("attempt_number", 0)
                retry = f" (attempt {attempt})" if attempt else ""
                self.out.print(
                    f"{stamp}  {escape(str(entry.get('task_key')))}  {state}{retry}", soft_wrap=True
                )


def _live_table(run: Mapping[str, Any]) -> Table:
    table = Table(title=f"Run {run.get('run_id')}: {state_name(run)}", title_justify="left")
    for column in ("task", "state", "attempt", "time"):
        table.add_column(column)
    for entry in run.get("tasks") or ():
        table.add_row(
            escape(str(entry.get("task_key"))),
            state_name(entry),
            str(entry.get("attempt_number", 0)),
            duration(entry),
        )
    return table


async def follow(
    client: DatabricksClient, run_id: int, view: ProgressView, interval: float
) -> dict[str, Any]:
    """Poll run `run_id` until it is terminal, showing each state; Ctrl-C leaves the run going."""
    from prefect_databricks.waiting.outcome import is_terminal

    try:
        while True:
            run = await client.get_run(run_id)
            view.update(run)
            if is_terminal(run):
                return run
            await asyncio.sleep(interval)
    except asyncio.CancelledError:
        view.close()
        hint = f"Stopped watching; run {run_id} goes on (`prefect-databricks runs cancel {run_id}` stops it)."
        view.out.print(hint, soft_wrap=True)
        raise


async def finish(client: DatabricksClient, run: dict[str, Any], out: Console | None) -> int:
    """Collect the outputs, print the result (unless `out` is None) and the exit code: 0 only on success."""
    from prefect_databricks.waiting.outcome import error_for
    from prefect_databricks.waiting.outputs import attach_outputs, error_texts

    await attach_outputs(client, run)
    error = error_for(run, errors=error_texts(run))
    if out is not None:
        print_run(out, run)
        if error is not None:
            out.print(str(error).splitlines()[0], soft_wrap=True)
    return EXIT_OK if error is None else EXIT_RUN_FAILED


async def watch_run(client: DatabricksClient, run_id: int, interval: float, as_json: bool) -> int:
    """Follow the run live, print the result (or the run as JSON) and return the exit code."""
    out = console()
    with ProgressView(out, run_id, quiet=as_json) as view:
        run = await follow(client, run_id, view, interval)
    code = await finish(client, run, None if as_json else out)
    if as_json:
        print_json(run)
    return code
