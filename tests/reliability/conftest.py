"""Fixtures of the reliability suite: one Prefect test server per session, task sources, fresh workspaces.

Every test here gets its own local workspace (faults, kills and fuzzing must not leak into the
session's shared one), and the whole directory stays well under three minutes on two cores.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from reliability_helpers import KNOWN_TOKEN, SP_ID, SP_SECRET

from prefect_databricks.local import LocalWorkspace

_SOURCES = {
    "echo.py": """
        # Databricks notebook source
        dbutils.notebook.exit("out-" + dbutils.widgets.get("i"))
    """,
    "fail.py": """
        import sys
        raise RuntimeError("task failed on purpose: " + " ".join(sys.argv[1:]))
    """,
    "sleeper.py": """
        import os, sys, time
        open(sys.argv[1], "w").write(str(os.getpid()))
        time.sleep(float(sys.argv[2]) if len(sys.argv) > 2 else 600)
    """,
}


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One temporary Prefect server for the flow tests of the session (it takes 13-25 s to start)."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    with (
        prefect_test_harness(server_startup_timeout=120),
        temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}),
    ):
        yield


@pytest.fixture(scope="session")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory of task sources: echo.py (a notebook), fail.py and sleeper.py (Python files)."""
    folder = tmp_path_factory.mktemp("sources")
    for name, text in _SOURCES.items():
        (folder / name).write_text(textwrap.dedent(text).lstrip())
    return folder


@pytest.fixture
def fresh_workspace(tmp_path: Path) -> Iterator[LocalWorkspace]:
    """A local workspace of this test only, with a known token and a known service principal."""
    with LocalWorkspace(tmp_path / "ws", token=KNOWN_TOKEN, service_principals={SP_ID: SP_SECRET}) as ws:
        yield ws
