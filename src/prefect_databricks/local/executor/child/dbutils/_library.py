"""`%pip install` for one task: packages go to a directory of the task run, first on sys.path.

Like Databricks' notebook-scoped libraries, nothing is installed into the shared environment. pip is
used when the environment has it, else `uv pip` (uv-made environments have no pip).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys

__all__ = ["pip_magic"]

_TARGET = ".pip-packages"


def pip_magic(line: str) -> None:
    """Run a `%pip install …` line; other pip commands raise, as nothing else is notebook-scoped."""
    import shlex
    import subprocess

    words = shlex.split(line)[1:]
    if not words or words[0] != "install":
        raise NotImplementedError(f"{line.strip()!r}: the local workspace runs only `%pip install`")
    target = os.path.abspath(_TARGET)
    sys.stdout.flush()
    completed = subprocess.run([*_install_command(), "--target", target, *words[1:]], check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"{line.strip()!r} failed with exit code {completed.returncode}")
    if target not in sys.path:
        sys.path.insert(0, target)
    importlib.invalidate_caches()


def _install_command() -> list[str]:
    import shutil

    if importlib.util.find_spec("pip") is not None:
        return [sys.executable, "-m", "pip", "install"]
    uv = shutil.which("uv")
    if uv is None:
        raise RuntimeError("%pip needs pip or uv in the task's environment, and neither is installed")
    return [uv, "pip", "install", "--python", sys.executable]
