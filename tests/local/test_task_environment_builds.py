"""Task environments are built once per spec and cached: concurrent builds of one spec share one build.

The builder runs the real installer (uv when on PATH); the counting here is a wrapper script on PATH
that logs each `uv` call and then runs the real `uv`, so nothing is mocked. Python-venv builds (no uv)
are timed in `benchmarks/task_environments.py`, not here.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from env_helpers import write_wheel

from prefect_databricks.local.executor import TaskContext
from prefect_databricks.local.executor.environments import environment_spec
from prefect_databricks.local.executor.venvs import InstallFailed, build, built_python

_UV = shutil.which("uv")


def _counting_path(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """An environment whose PATH starts with a `uv` wrapper appending each call's arguments to a log."""
    assert _UV is not None
    bin_dir, log = tmp_path / "bin", tmp_path / "uv-calls.log"
    bin_dir.mkdir()
    wrapper = bin_dir / "uv"
    wrapper.write_text(f'#!/bin/sh\necho "$1" >> {log}\nexec {_UV} "$@"\n', encoding="utf-8")
    wrapper.chmod(0o755)
    return {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}, log


@pytest.mark.skipif(_UV is None, reason="uv is not on PATH")
def test_two_builds_of_one_spec_at_once_build_it_once(tmp_path: Path) -> None:
    wheel = write_wheel(tmp_path / "dist", "shared_env_pkg", "VALUE = 7\n")
    ctx = TaskContext(workdir=tmp_path / "work", task_key="t", environment={"dependencies": [wheel.as_uri()]})
    spec = environment_spec({"spark_python_task": {"python_file": "/x.py"}}, "spark_python_task", ctx)
    assert spec is not None
    environ, log = _counting_path(tmp_path)
    cache = tmp_path / "cache"
    found: list[Path] = []
    threads = [threading.Thread(target=lambda: found.append(build(spec, cache, environ))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(found) == 2 and found[0] == found[1] == built_python(spec, cache)
    assert log.read_text(encoding="utf-8").split() == ["venv", "pip"], "one venv and one install in all"


def test_the_key_follows_the_wheel_contents_not_its_path(tmp_path: Path) -> None:
    """A rebuilt wheel of the same name gets a new environment; the same bytes elsewhere reuse it."""
    def key(directory: Path, module: str) -> str:
        wheel = write_wheel(directory, "keyed_pkg", module)
        environment = {"dependencies": [str(wheel)]}
        ctx = TaskContext(workdir=directory / "work", task_key="t", environment=environment)
        spec = environment_spec({}, None, ctx)
        assert spec is not None
        return spec.key

    assert key(tmp_path / "a", "A = 1\n") == key(tmp_path / "b", "A = 1\n")
    assert key(tmp_path / "c", "A = 2\n") != key(tmp_path / "a", "A = 1\n")


def test_a_failed_build_is_not_cached(tmp_path: Path) -> None:
    broken = tmp_path / "broken_pkg-0.1-py3-none-any.whl"
    broken.write_bytes(b"not a zip")
    ctx = TaskContext(workdir=tmp_path / "work", task_key="t", environment={"dependencies": [str(broken)]})
    spec = environment_spec({}, None, ctx)
    assert spec is not None
    with pytest.raises(InstallFailed, match=r"^Library installation failed: "):
        build(spec, tmp_path / "cache", dict(os.environ))
    assert built_python(spec, tmp_path / "cache") is None
    assert not (tmp_path / "cache" / spec.key).exists()
