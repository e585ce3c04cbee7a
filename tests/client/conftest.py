"""Fixtures of the client tests: the retry testing switch and a client of the local workspace."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from prefect_databricks.client import DatabricksClient, PatAuth, set_testing
from prefect_databricks.local import LocalWorkspace


@pytest.fixture
def no_sleep() -> Iterator[None]:
    """Zero every retry wait (the retry module's testing switch)."""
    set_testing(True)
    yield
    set_testing(False)


@pytest.fixture
async def client(workspace: LocalWorkspace) -> AsyncIterator[DatabricksClient]:
    """A PAT client of the session's local workspace."""
    async with DatabricksClient(workspace.host, PatAuth(workspace.token)) as c:
        yield c
