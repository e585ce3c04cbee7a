"""The Databricks runs a flow run owns, recorded on that Prefect flow run, and the hook that cancels them.

A flow process killed with `kill -9` takes its memory with it; the runner or worker that
survives runs the flow's `on_crashed`/`on_cancellation` hooks in its own process. So each run
is recorded the moment it starts as flow run labels (`prefect-databricks.run.<run_id>` = the
workspace host, `prefect-databricks.block.<run_id>` = the saved block's id when there is one),
never a secret, and `cancel_databricks_runs` reads them back through the Prefect API. The runs
that start together on one flow run (a fan-out) are recorded with one PATCH, not one per run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from uuid import UUID

from prefect_databricks.waiting.cancel import cancel_remote, tracked
from prefect_databricks.waiting.outcome import is_terminal
from prefect_databricks.waiting.states import state_text

if TYPE_CHECKING:
    from prefect_databricks.credentials import DatabricksCredentials
    from prefect_databricks.waiting.cancel import Logger

__all__ = ["BLOCK_LABEL", "RUN_LABEL", "cancel_databricks_runs", "record_run", "recorded_runs"]

RUN_LABEL = "prefect-databricks.run."
BLOCK_LABEL = "prefect-databricks.block."


_PENDING: dict[tuple[int, UUID], tuple[dict[str, str], asyncio.Task[Exception | None]]] = {}


async def record_run(flow_run_id: UUID, run_id: int, credentials: DatabricksCredentials, log: Logger) -> None:
    """Label flow run `flow_run_id` as the owner of Databricks run `run_id` (a failure only warns).

    Every call made for one flow run in the same turn of the event loop joins one labels PATCH.
    """
    labels: dict[str, str] = {f"{RUN_LABEL}{run_id}": credentials.host}
    block_id = credentials._block_document_id
    if block_id is not None:
        labels[f"{BLOCK_LABEL}{run_id}"] = str(block_id)
    key = (id(asyncio.get_running_loop()), flow_run_id)
    batch = _PENDING.get(key)
    if batch is None:
        batch = _PENDING[key] = ({}, asyncio.create_task(_flush(key)))
    batch[0].update(labels)
    error = await asyncio.shield(batch[1])
    if error is not None:  # the wait goes on; only a runner-side cancel after kill -9 loses it
        log.warning("Could not record Databricks run %s on flow run %s: %s", run_id, flow_run_id, error)


async def _flush(key: tuple[int, UUID]) -> Exception | None:
    """One turn later, send the labels every wait of the batch added, in one PATCH."""
    await asyncio.sleep(0)
    labels, _ = _PENDING.pop(key)
    return await _patch_labels(key[1], labels)


async def _patch_labels(flow_run_id: UUID, labels: dict[str, str]) -> Exception | None:
    from prefect.client.orchestration import get_client

    try:
        async with get_client() as client:
            await client.update_flow_run_labels(flow_run_id, labels)  # type: ignore[arg-type]
    except Exception as exc:  # returned to every wait of the batch, which each warn
        return exc
    return None


def recorded_runs(labels: Mapping[str, Any]) -> dict[int, tuple[str, str | None]]:
    """Run id → (host, block document id or None), from a flow run's labels."""
    runs: dict[int, tuple[str, str | None]] = {}
    for key, host in labels.items():
        if key.startswith(RUN_LABEL) and key[len(RUN_LABEL) :].isdigit():
            block = labels.get(f"{BLOCK_LABEL}{key[len(RUN_LABEL):]}")
            runs[int(key[len(RUN_LABEL) :])] = (str(host), str(block) if block else None)
    return runs


async def cancel_databricks_runs(flow: Any, flow_run: Any, state: Any) -> None:
    """Flow hook for `on_cancellation` and `on_crashed`: cancel every Databricks run this flow run owns.

    Attach it to your own flows that call the waiting flows, so a runner or worker cancels their
    runs even after the flow process died; the waiting flows carry it already.
    """
    from prefect.client.orchestration import get_client
    from prefect.logging.loggers import flow_run_logger

    log: Logger = flow_run_logger(flow_run, flow)
    known = {item.run_id: item.credentials for item in tracked() if flow_run.id in item.owners}
    try:
        async with get_client() as client:
            labels = (await client.read_flow_run(flow_run.id)).labels
    except Exception as exc:  # the in-process runs can still be cancelled
        log.warning("Could not read the Databricks runs recorded on flow run %s: %s", flow_run.id, exc)
        labels = {}
    recorded = recorded_runs(labels)
    for run_id in sorted(set(known) | set(recorded)):
        creds = known.get(run_id) or await _credentials_for(*recorded[run_id], log)
        if creds is not None:
            await _cancel_if_active(creds, run_id, state, log)


async def _cancel_if_active(creds: DatabricksCredentials, run_id: int, state: Any, log: Logger) -> None:
    try:
        run = await creds.get_jobs_client().get_run(run_id)
    except Exception as exc:  # still try the cancel: it is a no-op on an ended run
        log.warning("Could not read Databricks run %s before cancelling it: %s", run_id, exc)
        run = {}
    if run and is_terminal(run):
        log.info("Databricks run %s already ended %s; nothing to cancel.", run_id, state_text(run))
        return
    log.warning("Flow run is %s: cancelling Databricks run %s.", getattr(state, "name", state), run_id)
    await cancel_remote(creds, run_id, log)


async def _credentials_for(host: str, block_id: str | None, log: Logger) -> DatabricksCredentials | None:
    """The saved block the run was started with, else `DATABRICKS_*` of this process if the host matches."""
    from prefect_databricks.credentials import DatabricksCredentials

    if block_id is not None:
        try:
            return await DatabricksCredentials.aload_from_ref(block_id)
        except Exception as exc:  # fall back to the environment
            log.warning("Could not load credentials block %s: %s", block_id, exc)
    try:
        env = DatabricksCredentials.from_env()
    except Exception:  # no usable environment: reported below
        env = None
    if env is not None and env.host == host:
        return env
    log.error(
        "Could not cancel the Databricks runs on %s: no saved credentials block was recorded and "
        "DATABRICKS_HOST of this process does not name that workspace.",
        host,
    )
    return None
