"""Starting a repair of an ended run: the one `jobs/runs/repair` call, and the wait until the run shows it.

Shared by the `jobs_runs_repair_and_wait` flow and `prefect-databricks runs repair`; no Prefect here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from prefect_databricks.waiting.outcome import is_terminal

if TYPE_CHECKING:
    from prefect_databricks.client import DatabricksClient

__all__ = ["REPAIR_START_TIMEOUT", "send_repair", "wait_repair_shown"]

REPAIR_START_TIMEOUT = 30.0


async def send_repair(client: DatabricksClient, run_id: int, body: Mapping[str, Any]) -> dict[str, Any]:
    """Repair run `run_id`, naming its latest repair id (the API requires it once a run was repaired)."""
    if "latest_repair_id" not in body:
        latest = _latest_repair_id(await client.get_run(run_id, include_history=True))
        body = {**body, **({"latest_repair_id": latest} if latest is not None else {})}
    return await client.call("jobs/runs/repair", params={"run_id": run_id, **body})


def _latest_repair_id(run: Mapping[str, Any]) -> int | None:
    ids = [
        int(item["id"])
        for item in run.get("repair_history") or ()
        if item.get("type") == "REPAIR" and "id" in item
    ]
    return max(ids) if ids else None


async def wait_repair_shown(client: DatabricksClient, run_id: int, repair_id: int | None) -> None:
    """Until the run shows the repair a poll reads the old terminal state: wait (bounded) for it to show."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + REPAIR_START_TIMEOUT
    while loop.time() < deadline:
        run = await client.get_run(run_id, include_history=True)
        items = [item for item in run.get("repair_history") or () if item.get("id") == repair_id]
        if not is_terminal(run) or (items and is_terminal(items[-1])):
            return
        await asyncio.sleep(0.2)
