"""Fixtures of the task tests: credentials whose requests are recorded."""

from __future__ import annotations

import pytest
from task_helpers import RecordingTransport

from prefect_databricks.credentials import DatabricksCredentials
from prefect_databricks.local import LocalWorkspace


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
