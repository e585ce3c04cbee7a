"""Fixtures of the waiting-flow tests: scripts that tasks run."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

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
    "flaky.py": """
        import os, sys
        if not os.path.exists(sys.argv[1]):
            open(sys.argv[1], "w").close()
            raise RuntimeError("first attempt fails")
        print("second attempt succeeds")
    """,
    "sleeper.py": """
        import os, sys, time
        open(sys.argv[1], "w").write(str(os.getpid()))
        time.sleep(float(sys.argv[2]) if len(sys.argv) > 2 else 600)
    """,
}


@pytest.fixture(scope="session")
def scripts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Scripts for `spark_python_task`s: ok.py, fail.py, flaky.py (fails until its marker exists), sleeper."""
    folder = tmp_path_factory.mktemp("scripts")
    for name, source in _SCRIPTS.items():
        (folder / name).write_text(textwrap.dedent(source))
    return folder
