"""Shared fixtures: one local workspace per test session, served over real HTTP on loopback."""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx
import pytest

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")

from prefect_databricks.credentials import DatabricksCredentials
from prefect_databricks.local import LocalWorkspace

SP_CLIENT_ID = "sp-client-id-for-tests"
SP_SECRET = "sp-secret-never-logged-7f3a"


@pytest.fixture(scope="session")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalWorkspace]:
    """The local workspace all integration tests talk to (one per session)."""
    data_dir = tmp_path_factory.mktemp("workspace")
    with LocalWorkspace(data_dir, service_principals={SP_CLIENT_ID: SP_SECRET}) as ws:
        yield ws


@pytest.fixture(scope="session")
def creds(workspace: LocalWorkspace) -> DatabricksCredentials:
    """PAT credentials of the session's local workspace."""
    return workspace.credentials()


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[str]:
    """One temporary Prefect server for every flow-level test (it takes 13-25 s to start); yields its API URL.

    The 1 s flow heartbeat is turned off, which saves about a second per sync flow run.
    """
    from prefect.settings import PREFECT_API_URL, PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    with (
        prefect_test_harness(server_startup_timeout=120),
        temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}),
    ):
        yield str(PREFECT_API_URL.value())


@pytest.fixture
def http(workspace: LocalWorkspace) -> Iterator[httpx.Client]:
    """A raw HTTP client authenticated to the local workspace (for pinning wire-level behaviour)."""
    headers = {"Authorization": f"Bearer {workspace.token}"}
    with httpx.Client(base_url=workspace.host, headers=headers, timeout=30) as client:
        yield client
