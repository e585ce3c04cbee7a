"""tests/compat: the scenarios' notebooks, shared by every client (the venv helpers: compat_helpers.py)."""

from __future__ import annotations

import pytest
from compat_helpers import ECHO, FLAKY, SLEEP


@pytest.fixture(scope="session")
def notebooks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The scenarios' notebooks as files the workspace reads by absolute path, in COMPAT_* variables."""
    folder = tmp_path_factory.mktemp("compat-notebooks")
    paths = {}
    for key, source in (("ECHO", ECHO), ("FLAKY", FLAKY), ("SLEEP", SLEEP)):
        path = folder / f"{key.lower()}.py"
        path.write_text(source)
        paths[f"COMPAT_{key}"] = str(path)
    return paths
