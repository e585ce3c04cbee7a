"""The shipped Spark jar is the build of its Java sources: `scripts/build_spark_jar.py --check` (javac)."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parents[2] / "scripts" / "build_spark_jar.py"

pytestmark = [
    pytest.mark.skipif(importlib.util.find_spec("pyspark") is None, reason="needs the spark extra"),
    pytest.mark.skipif(shutil.which("javac") is None, reason="compiling needs a JDK (.ci/run installs one)"),
]


def test_the_shipped_jar_is_the_build_of_its_sources() -> None:
    result = subprocess.run([sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "matches its sources" in result.stdout
