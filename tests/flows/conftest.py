"""Fixtures of the waiting-flow tests: one Prefect test server per session, scripts that tasks run."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from prefect_databricks import DatabricksCredentials
from prefect_databricks.local import LocalWorkspace

_SCRIPTS = {
    "ok.py": """
        import sys, time
        print("ok", *sys.argv[1:])
        time.sleep(float(sys.argv[1]) if len(sys.argv) > 1 else 0)
    """,
    "fail.py": """
        import sys
        raise RuntimeError(" ".join(sys.argv[1:]) or "boom")
    """,
    "sleeper.py": """
        import os, sys, time
        open(sys.argv[1], "w").write(str(os.getpid()))
        time.sleep(float(sys.argv[2]) if len(sys.argv) > 2 else 600)
    """,
}


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One temporary Prefect server for every flow test of the session (it takes 13-25 s to start)."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    with (
        prefect_test_harness(server_startup_timeout=120),
        temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}),
    ):
        yield


@pytest.fixture(scope="session")
def scripts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory of Python scripts for `spark_python_task`s: ok.py, fail.py, sleeper.py."""
    folder = tmp_path_factory.mktemp("scripts")
    for name, source in _SCRIPTS.items():
        (folder / name).write_text(textwrap.dedent(source))
    return folder


@pytest.fixture(scope="session")
def creds(workspace: LocalWorkspace) -> DatabricksCredentials:
    """Credentials of the session's local workspace."""
    return workspace.credentials()
