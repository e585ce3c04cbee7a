"""`prefect-databricks workspace serve`: the local workspace on this machine, imported only when it starts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["workspace_app"]

workspace_app = typer.Typer(help="The local Databricks workspace.", no_args_is_help=True)

_DATA_HELP = "State directory (default: ~/.prefect-databricks/workspace)."
_TOKEN_HELP = (
    "Token to accept (default: generated once, kept in the data dir). Visible in `ps`: prefer --token-file."
)
_TOKEN_FILE_HELP = "File holding the token to accept (its first line)."
_SP_HELP = "OAuth M2M client as ID:SECRET (repeatable). Visible in `ps`: prefer --service-principal-file."
_SP_FILE_HELP = "File of OAuth M2M clients, one ID:SECRET a line (# comments and blank lines skipped)."
_TLS_HELP = "Serve https with a certificate for 127.0.0.1/localhost generated into the data dir."
_POLICY_HELP = (
    "Workload identity federation policy: 'issuer=URL,subject=SUB[,audience=AUD][,client_id=ID]' "
    "(repeatable)."
)
_ADMIN_HELP = "Make this identity (a service principal's client id) a workspace admin (repeatable)."
_FAULTS_HELP = "Fault spec, e.g. '429=0.1,503=0.05,drop=0.02,seed=7' (see prefect_databricks.local.faults)."


@workspace_app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Address to bind (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to bind (0 picks a free one).")] = 8080,
    data_dir: Annotated[Path | None, typer.Option(help=_DATA_HELP)] = None,
    token: Annotated[
        str | None, typer.Option(help=_TOKEN_HELP, envvar="PREFECT_DATABRICKS_WORKSPACE_TOKEN")
    ] = None,
    token_file: Annotated[Path | None, typer.Option(help=_TOKEN_FILE_HELP)] = None,
    faults: Annotated[str | None, typer.Option(help=_FAULTS_HELP)] = None,
    service_principal: Annotated[
        list[str] | None,
        typer.Option(help=_SP_HELP, envvar="PREFECT_DATABRICKS_WORKSPACE_SERVICE_PRINCIPALS"),
    ] = None,
    service_principal_file: Annotated[Path | None, typer.Option(help=_SP_FILE_HELP)] = None,
    max_task_processes: Annotated[
        int | None, typer.Option(min=1, help="Task processes running at once (default: cores × 2).")
    ] = None,
    tls: Annotated[bool, typer.Option(help=_TLS_HELP)] = False,
    cert: Annotated[Path | None, typer.Option(help="PEM certificate for https (with --key).")] = None,
    key: Annotated[Path | None, typer.Option(help="PEM private key of --cert.")] = None,
    federation_policy: Annotated[
        list[str] | None, typer.Option(help=_POLICY_HELP)
    ] = None,
    admin: Annotated[list[str] | None, typer.Option(help=_ADMIN_HELP)] = None,
) -> None:
    """Serve the Jobs API on this machine until Ctrl-C or SIGTERM.

    Secrets are best passed in files or in the environment (PREFECT_DATABRICKS_WORKSPACE_TOKEN,
    PREFECT_DATABRICKS_WORKSPACE_SERVICE_PRINCIPALS: ID:SECRET pairs separated by spaces), not in argv.
    """
    from prefect_databricks.local.serve import read_secret_files, serve_forever

    given_token, principals = read_secret_files(token_file, service_principal_file)
    serve_forever(
        host=host,
        port=port,
        data_dir=data_dir,
        token=given_token or token,
        faults=faults,
        service_principals=[*(service_principal or []), *principals],
        max_task_processes=max_task_processes,
        tls=tls,
        cert=cert,
        key=key,
        federation_policies=federation_policy or [],
        admins=admin or [],
    )
