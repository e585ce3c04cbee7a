"""The Secrets API through the official SDK, its storage, and `dbutils.secrets` with redaction in outputs.

Nothing is mocked: notebooks run as real task processes that read secrets over HTTP.
"""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import InvalidParameterValue, ResourceAlreadyExists, ResourceDoesNotExist
from databricks.sdk.service.workspace import ScopeBackendType
from runs_helpers import unique
from sdk_helpers import submit_notebook

from prefect_databricks.local import LocalWorkspace

VALUE = "s3cr3t-value-9c41"


@pytest.fixture
def sdk(workspace: LocalWorkspace) -> Iterator[WorkspaceClient]:
    """A WorkspaceClient authenticated with the workspace's token."""
    yield WorkspaceClient(host=workspace.host, token=workspace.token)


@pytest.fixture
def scope(sdk: WorkspaceClient) -> Iterator[str]:
    """A fresh scope holding `api-key` = VALUE."""
    name = unique("scope")
    sdk.secrets.create_scope(name)
    sdk.secrets.put_secret(name, "api-key", string_value=VALUE)
    yield name
    sdk.secrets.delete_scope(name)


def test_scopes_and_secrets_round_trip(sdk: WorkspaceClient, scope: str) -> None:
    assert scope in {s.name for s in sdk.secrets.list_scopes()}
    sdk.secrets.put_secret(scope, "raw", bytes_value="AAEC")
    assert [s.key for s in sdk.secrets.list_secrets(scope)] == ["api-key", "raw"]
    assert sdk.secrets.get_secret(scope, "raw").value == "AAEC"
    sdk.secrets.delete_secret(scope, "raw")
    assert [s.key for s in sdk.secrets.list_secrets(scope)] == ["api-key"]


def test_secret_errors_name_what_was_asked(sdk: WorkspaceClient, scope: str) -> None:
    with pytest.raises(ResourceAlreadyExists, match=f"Scope {scope} already exists!"):
        sdk.secrets.create_scope(scope)
    with pytest.raises(ResourceDoesNotExist, match="Scope nope-x does not exist!"):
        sdk.secrets.list_secrets("nope-x")
    with pytest.raises(ResourceDoesNotExist):
        sdk.secrets.delete_secret(scope, "missing")
    with pytest.raises(InvalidParameterValue, match="Invalid secret key name"):
        sdk.secrets.put_secret(scope, "bad key", string_value="x")
    with pytest.raises(InvalidParameterValue, match="AZURE_KEYVAULT is not supported"):
        sdk.secrets.create_scope(unique("kv"), scope_backend_type=ScopeBackendType.AZURE_KEYVAULT)


def test_secrets_are_stored_owner_only_and_never_in_task_files(
    sdk: WorkspaceClient, workspace: LocalWorkspace, scope: str
) -> None:
    database = workspace.data_dir / "workspace.db"
    assert stat.S_IMODE(database.stat().st_mode) & 0o077 == 0
    source = f'value = dbutils.secrets.get("{scope}", "api-key")\nprint("the key is", value)\n'
    output = submit_notebook(sdk, source)
    assert output.error is None
    task_dir = workspace.data_dir / "runs" / str(output.metadata.job_run_id) / str(output.metadata.run_id)
    assert "the key is [REDACTED]" in (task_dir / "output.log").read_text()
    assert not [p for p in task_dir.rglob("*") if p.is_file() and VALUE.encode() in p.read_bytes()]


def test_a_secret_read_in_a_notebook_is_redacted_in_its_output(sdk: WorkspaceClient, scope: str) -> None:
    source = (
        f'value = dbutils.secrets.get(scope="{scope}", key="api-key")\n'
        f'assert [m.key for m in dbutils.secrets.list("{scope}")] == ["api-key"]\n'
        'dbutils.notebook.exit(f"value={value} length={len(value)}")\n'
    )
    output = submit_notebook(sdk, source)
    assert output.notebook_output.result == f"value=[REDACTED] length={len(VALUE)}"
    failing = f'raise RuntimeError("leaked " + dbutils.secrets.get("{scope}", "api-key"))\n'
    failed = submit_notebook(sdk, failing)
    assert failed.error == "RuntimeError: leaked [REDACTED]" and VALUE not in (failed.error_trace or "")


def test_a_missing_secret_fails_the_task_with_databricks_message(sdk: WorkspaceClient, scope: str) -> None:
    output = submit_notebook(sdk, f'dbutils.secrets.get("{scope}", "nope")\n')
    assert output.error == f"ValueError: Secret does not exist with scope: {scope} and key: nope"


def test_secrets_survive_a_restart(tmp_path: Path) -> None:
    with LocalWorkspace(tmp_path) as ws:
        sdk = WorkspaceClient(host=ws.host, token=ws.token)
        sdk.secrets.create_scope("kept")
        sdk.secrets.put_secret("kept", "k", string_value="v")
    with LocalWorkspace(tmp_path) as ws:
        sdk = WorkspaceClient(host=ws.host, token=ws.token)
        assert sdk.secrets.get_secret("kept", "k").value == "dg=="
