"""`prefect-databricks workspace serve`: the local workspace on this machine, imported only when it starts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["workspace_app"]

workspace_app = typer.Typer(help="The local Databricks workspace.", no_args_is_help=True)

_DATA_HELP = "State directory (default: ~/.prefect-databricks/workspace)."
_TOKEN_HELP = "Token to accept (default: generated once, kept in the data dir)."
_POLICY_HELP = (
    "Workload identity federation policy: 'issuer=URL,subject=SUB[,audience=AUD][,client_id=ID]' "
    "(repeatable)."
)
_FAULTS_HELP = "Fault spec, e.g. '429=0.1,503=0.05,drop=0.02,seed=7' (see prefect_databricks.local.faults)."


@workspace_app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Address to bind (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to bind (0 picks a free one).")] = 8080,
    data_dir: Annotated[Path | None, typer.Option(help=_DATA_HELP)] = None,
    token: Annotated[str | None, typer.Option(help=_TOKEN_HELP)] = None,
    faults: Annotated[str | None, typer.Option(help=_FAULTS_HELP)] = None,
    service_principal: Annotated[
        list[str] | None, typer.Option(help="OAuth M2M client as ID:SECRET (repeatable).")
    ] = None,
    max_task_processes: Annotated[
        int | None, typer.Option(min=1, help="Task processes running at once (default: cores × 2).")
    ] = None,
    federation_policy: Annotated[
        list[str] | None, typer.Option(help=_POLICY_HELP)
    ] = None,
) -> None:
    """Serve the Jobs API on this machine until Ctrl-C or SIGTERM."""
    from prefect_databricks.local.serve import serve_forever

    serve_forever(
        host=host,
        port=port,
        data_dir=data_dir,
        token=token,
        faults=faults,
        service_principals=service_principal or [],
        max_task_processes=max_task_processes,
        federation_policies=federation_policy or [],
    )
