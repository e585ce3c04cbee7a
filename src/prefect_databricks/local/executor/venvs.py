"""Virtual environments built once per `EnvironmentSpec` and cached in the data dir, one build at a time.

`uv` builds them when it is on PATH or installed as a package (about 25 times faster, measured in
`benchmarks/task_environments.py`), else `python -m venv` and pip. A `.pth` file adds the workspace's
own site-packages after the environment's, so the dbutils and Spark shims stay importable. A build
holds a file lock per hash, so two runs needing the same environment build it once; a failed build
is not cached.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib
import re
import shutil
import site
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

from .environments import EnvironmentSpec

__all__ = ["INSTALL_TIMEOUT", "InstallFailed", "build", "built_python"]

INSTALL_TIMEOUT = 600.0
"""Seconds one build (lock wait included) may take before the task run fails. [I]"""
_DONE = ".built"
_ERROR_CHARS = 2000
_CREDENTIALS = re.compile(r"(://)[^/@\s]+@")


class InstallFailed(Exception):
    """A build failed; ``str(exc)`` is the task run's state_message (the installer's error, trimmed; the
    wording around it is the local workspace's own [I])."""


def built_python(spec: EnvironmentSpec, cache: Path) -> Path | None:
    """The interpreter of the environment of `spec` if it is already built, else ``None``."""
    target = cache / spec.key
    return _python(target) if (target / _DONE).exists() else None


def build(
    spec: EnvironmentSpec, cache: Path, environ: Mapping[str, str], *, timeout: float = INSTALL_TIMEOUT
) -> Path:
    """The interpreter of the environment of `spec`, built now unless it was (blocks: run it in a thread)."""
    deadline = time.monotonic() + timeout
    cache.mkdir(parents=True, exist_ok=True)
    with _locked(cache / f"{spec.key}.lock", deadline):
        found = built_python(spec, cache)
        if found is not None:
            return found
        target = cache / spec.key
        shutil.rmtree(target, ignore_errors=True)
        try:
            _create(target, spec, dict(environ), deadline)
        except InstallFailed:
            shutil.rmtree(target, ignore_errors=True)
            raise
        (target / _DONE).write_text("", encoding="utf-8")
        return _python(target)


def _create(target: Path, spec: EnvironmentSpec, environ: dict[str, str], deadline: float) -> None:
    uv = _uv(environ)
    if uv is not None:
        _call([uv, "venv", "--quiet", "--python", sys.executable, str(target)], environ, deadline, "uv venv")
    else:
        _call([sys.executable, "-m", "venv", str(target)], environ, deadline, "python -m venv")
    _link_workspace(target)
    requirements = target / "requirements.txt"
    requirements.write_text("\n".join(spec.lines) + "\n", encoding="utf-8")
    requirements.chmod(0o600)
    python = str(_python(target))
    if uv is not None:
        command = [uv, "pip", "install", "--quiet", "--python", python, "-r", str(requirements)]
    else:
        command = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                   "-r", str(requirements)]
    _call(command, environ, deadline, "Library installation")


def _uv(environ: Mapping[str, str]) -> str | None:
    """`uv` on the task environment's PATH, else the binary of an installed `uv` package, else ``None``."""
    found = shutil.which("uv", path=environ.get("PATH"))
    if found is not None:
        return found
    try:
        binary: str = importlib.import_module("uv").find_uv_bin()
    except (ImportError, FileNotFoundError):
        return None
    return binary


def _link_workspace(target: Path) -> None:
    """A `.pth` in the new environment adding the workspace's site-packages (and their `.pth` files)."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    packages = target / "lib" / version / "site-packages"
    dirs = [path for path in site.getsitepackages() if Path(path).is_dir()]
    lines = [f"import site; site.addsitedir({path!r})" for path in dirs]
    (packages / "_local_workspace.pth").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _call(command: list[str], environ: dict[str, str], deadline: float, what: str) -> None:
    try:
        done = subprocess.run(command, env=environ, stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=max(1.0, deadline - time.monotonic()), check=False)
    except subprocess.TimeoutExpired:
        raise InstallFailed(f"{what} did not finish within {INSTALL_TIMEOUT:.0f} seconds") from None
    if done.returncode != 0:
        output = (done.stderr or done.stdout).decode("utf-8", errors="replace").strip()
        raise InstallFailed(f"{what} failed: {_trimmed(output)}")


def _trimmed(output: str) -> str:
    """The installer's last `_ERROR_CHARS` characters, with any user:password in URLs masked."""
    text = _CREDENTIALS.sub(r"\1***@", output)
    return text if len(text) <= _ERROR_CHARS else "…" + text[-_ERROR_CHARS:]


def _python(target: Path) -> Path:
    return target / "bin" / "python"


@contextlib.contextmanager
def _locked(path: Path, deadline: float) -> Iterator[None]:
    """An exclusive lock on `path` (between threads and processes alike), waited for until `deadline`."""
    with path.open("a") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    message = "Another build of the same environment did not finish in time"
                    raise InstallFailed(message) from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
