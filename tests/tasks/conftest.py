"""Fixtures of the task tests: credentials of the local workspace, a recording transport, Prefect."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from task_helpers import RecordingTransport

from prefect_databricks.credentials import DatabricksCredentials
from prefect_databricks.local import LocalWorkspace


@pytest.fixture
def creds(workspace: LocalWorkspace) -> DatabricksCredentials:
    """PAT credentials of the session's local workspace."""
    return workspace.credentials()


@pytest.fixture
def recorder() -> RecordingTransport:
    """A transport that records what the client sends."""
    return RecordingTransport()


@pytest.fixture
def recorded_creds(workspace: LocalWorkspace, recorder: RecordingTransport) -> DatabricksCredentials:
    """Credentials whose client sends through `recorder` (real HTTP to the local workspace)."""
    return DatabricksCredentials(
        databricks_instance=workspace.host,
        token=workspace.token,
        client_kwargs={"transport": recorder},
    )


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One temporary Prefect server for the few flow-level tests (it takes ~13 s to start)."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    no_heartbeat = temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None})
    with prefect_test_harness(server_startup_timeout=120), no_heartbeat:
        yield
