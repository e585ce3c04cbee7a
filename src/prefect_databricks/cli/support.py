"""What every `jobs`/`runs` command shares: credentials, the client, one-line errors and exit codes.

Exit codes:
  0  success (a waited run succeeded)
  1  the run did not succeed: failed, canceled, timed out or skipped
  2  usage or configuration error: bad option, no credentials, bad host, no such job name
  3  API or network error: the workspace refused the request or did not answer
  130 interrupted (Ctrl-C) while waiting; the run goes on

Credentials come from `client.config`, never the Prefect block, so no command imports Prefect; the
client itself is imported inside the functions, so `--help` is fast.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from prefect_databricks.client import DatabricksClient
    from prefect_databricks.client.config import WorkspaceConfig

__all__ = [
    "EXIT_API",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_RUN_FAILED",
    "EXIT_USAGE",
    "IntervalOption",
    "JsonOption",
    "ProfileOption",
    "UsageError",
    "execute",
    "load_config",
    "print_json",
    "show",
]

EXIT_OK = 0
EXIT_RUN_FAILED = 1
EXIT_USAGE = 2
EXIT_API = 3
EXIT_INTERRUPTED = 130

ProfileOption = Annotated[
    str | None,
    typer.Option(
        "--profile",
        help="Profile of ~/.databrickscfg (or DATABRICKS_CONFIG_FILE); default: DATABRICKS_HOST/_TOKEN.",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout.")]
IntervalOption = Annotated[
    float, typer.Option("--interval", min=0.1, help="Seconds between two polls while waiting.")
]

_CLI_RETRY: dict[str, Any] = {"attempts": 4, "timeout": 30.0, "wait_max": 5.0}


class UsageError(Exception):
    """A request the CLI cannot make as given (exit code 2), e.g. a job name matching no job."""


def load_config(profile: str | None) -> WorkspaceConfig:
    """The workspace as Databricks tools find it: a named profile, else the environment or config file."""
    import os

    from prefect_databricks.client.config import DEFAULT_CONFIG_FILE, WorkspaceConfig

    if profile:
        return WorkspaceConfig.from_profile(
            profile, os.environ.get("DATABRICKS_CONFIG_FILE") or DEFAULT_CONFIG_FILE
        )
    return WorkspaceConfig.from_env()


def _client(config: WorkspaceConfig) -> DatabricksClient:
    """A client that gives up within about 30 s (a person should not wait out the 5-minute budget)."""
    from prefect_databricks.client import RetryPolicy

    return config.new_client(retry=RetryPolicy(**_CLI_RETRY))


def execute(profile: str | None, work: Callable[[DatabricksClient], Awaitable[int | None]]) -> None:
    """Run `work` with a client of the chosen workspace; exit with its code, or one error line and 2/3."""
    code = _guarded(lambda: asyncio.run(_with_client(profile, work)))
    raise typer.Exit(code or EXIT_OK)


async def _with_client(profile: str | None, work: Callable[[DatabricksClient], Awaitable[int | None]]) -> int:
    client = _client(load_config(profile))
    async with client:
        return await work(client) or EXIT_OK


def _guarded(action: Callable[[], int]) -> int:
    """The action's exit code; an expected error becomes `error: …` on stderr and its exit code."""
    from prefect_databricks.client.errors import ClientValidationError, DatabricksError

    try:
        return action()
    except KeyboardInterrupt:
        return _fail("interrupted", EXIT_INTERRUPTED)
    except (UsageError, ClientValidationError) as exc:
        return _fail(str(exc), EXIT_USAGE)
    except DatabricksError as exc:
        return _fail(str(exc), EXIT_API)
    except ValueError as exc:  # configuration: no host, no or two auth methods, no such profile
        return _fail(str(exc), EXIT_USAGE)


def _fail(message: str, code: int) -> int:
    text = " ".join(message.split())
    print(f"error: {text}", file=sys.stderr, flush=True)
    return code


def print_json(value: Any) -> None:
    """`value` as indented JSON on stdout."""
    sys.stdout.write(json.dumps(value, indent=2, sort_keys=False, default=str) + "\n")
    sys.stdout.flush()


def show(value: Any, as_json: bool, printer: str) -> None:
    """`value` as JSON, or drawn for people by the `cli.view` function named `printer`."""
    if as_json:
        print_json(value)
        return
    from prefect_databricks.cli import view

    getattr(view, printer)(view.console(), value)
