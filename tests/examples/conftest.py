"""Fixtures of the examples' tests: one Prefect test server per session, the examples loaded by path."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterator
from types import ModuleType

import pytest
from example_helpers import EXAMPLES

from prefect_databricks import DatabricksCredentials
from prefect_databricks.local import LocalWorkspace


@pytest.fixture(scope="session")
def examples_prefect() -> Iterator[str]:
    """One temporary Prefect server for every example (it takes 13-25 s to start); yields its API URL."""
    from prefect.settings import PREFECT_API_URL, PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    with (
        prefect_test_harness(server_startup_timeout=120),
        temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}),
    ):
        yield str(PREFECT_API_URL.value())


@pytest.fixture(scope="session")
def load_example() -> Callable[[str], ModuleType]:
    """Import `examples/<name>.py` as a module (once per session)."""
    loaded: dict[str, ModuleType] = {}

    def load(name: str) -> ModuleType:
        if name not in loaded:
            spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
            assert spec is not None and spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            loaded[name] = module
        return loaded[name]

    return load


@pytest.fixture(scope="session")
def creds(workspace: LocalWorkspace) -> DatabricksCredentials:
    """Credentials of the session's local workspace."""
    return workspace.credentials()
