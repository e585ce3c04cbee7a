"""`prefect-databricks workspace serve`: the local workspace on this machine, imported only when it starts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["workspace_app"]

workspace_app = typer.Typer(help="The local Databricks workspace.", no_args_is_help=True)

_DATA_HELP = "State directory (default: ~/.prefect-databricks/workspace)."
_TOKEN_HELP = (
    "Token to accept (default: generated once, kept in the data dir). Prefer --token-file or the variable: "
    "a value in argv is visible to every user in `ps`."
)
_TOKEN_FILE_HELP = "Read the token to accept from this file (its first line)."
_SP_HELP = "OAuth M2M client as ID:SECRET (repeatable; visible in `ps`: prefer --service-principal-file)."
_SP_FILE_HELP = "Read OAuth M2M clients from this file, one ID:SECRET per line."
_FAULTS_HELP = "Fault spec, e.g. '429=0.1,503=0.05,drop=0.02,seed=7' (see prefect_databricks.local.faults)."


@workspace_app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Address to bind (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to bind (0 picks a free one).")] = 8080,
    data_dir: Annotated[Path | None, typer.Option(help=_DATA_HELP)] = None,
    token: Annotated[
        str | None, typer.Option(help=_TOKEN_HELP, envvar="PREFECT_DATABRICKS_WORKSPACE_TOKEN")
    ] = None,
    token_file: Annotated[
        Path | None, typer.Option(help=_TOKEN_FILE_HELP, exists=True, dir_okay=False)
    ] = None,
    faults: Annotated[str | None, typer.Option(help=_FAULTS_HELP)] = None,
    service_principal: Annotated[list[str] | None, typer.Option(help=_SP_HELP)] = None,
    service_principal_file: Annotated[
        Path | None, typer.Option(help=_SP_FILE_HELP, exists=True, dir_okay=False,
                                  envvar="PREFECT_DATABRICKS_SERVICE_PRINCIPALS_FILE")
    ] = None,
    max_task_processes: Annotated[
        int | None, typer.Option(min=1, help="Task processes running at once (default: cores × 2).")
    ] = None,
) -> None:
    """Serve the Jobs API on this machine until Ctrl-C or SIGTERM."""
    from prefect_databricks.local.serve import serve_forever

    serve_forever(
        host=host,
        port=port,
        data_dir=data_dir,
        token=_first_line(token_file) if token_file is not None else token,
        faults=faults,
        service_principals=[*(service_principal or []), *_lines(service_principal_file)],
        max_task_processes=max_task_processes,
    )


def _first_line(path: Path) -> str:
    lines = _lines(path)
    if not lines:
        raise typer.BadParameter(f"{path} holds no token.", param_hint="--token-file")
    return lines[0]


def _lines(path: Path | None) -> list[str]:
    """The non-empty lines of a secrets file (none without a file)."""
    if path is None:
        return []
    return [line.strip() for line in path.read_text().splitlines() if line.strip()]
