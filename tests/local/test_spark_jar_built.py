"""The shipped Spark jar is what its Java sources compile to (`scripts/build_spark_jar.py --check`).

Needs a JDK (`javac`), as CI has; skipped without one, like the JAR task tests.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "build_spark_jar.py"

pytestmark = [
    pytest.mark.skipif(shutil.which("javac") is None, reason="javac (a JDK) is not installed"),
    pytest.mark.skipif(importlib.util.find_spec("pyspark") is None, reason="the spark extra is missing"),
]


def test_the_shipped_jar_matches_its_sources() -> None:
    command = [sys.executable, str(SCRIPT), "--check"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr or done.stdout
    assert "matches its sources" in done.stdout
