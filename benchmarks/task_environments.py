"""Task environment builds: the first build of a one-wheel environment and the cached lookup, with uv
and with `python -m venv` + pip (PATH without uv), to choose the builder.

Run: `.venv/bin/python benchmarks/task_environments.py` (prints the median of 3 fresh builds per
builder, and the median cached lookup: the spec resolved, the wheel hashed, the built env found).
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from prefect_databricks.local.executor import TaskContext
from prefect_databricks.local.executor.environments import environment_spec
from prefect_databricks.local.executor.venvs import build, built_python

_ROUNDS = 3


def _wheel(directory: Path, round_: int) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"bench_pkg_{round_}-0.1-py3-none-any.whl"
    dist = f"bench_pkg_{round_}-0.1.dist-info"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"bench_pkg_{round_}/__init__.py", "VALUE = 1\n")
        metadata = f"Metadata-Version: 2.1\nName: bench_pkg_{round_}\nVersion: 0.1\n"
        archive.writestr(f"{dist}/METADATA", metadata)
        archive.writestr(f"{dist}/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        archive.writestr(f"{dist}/RECORD", "")
    return path


def _without_uv() -> dict[str, str]:
    uv = shutil.which("uv")
    parts = os.environ.get("PATH", "").split(os.pathsep)
    kept = [part for part in parts if uv is None or Path(part) != Path(uv).parent]
    return {**os.environ, "PATH": os.pathsep.join(kept)}


def _measure(name: str, environ: dict[str, str], root: Path) -> None:
    builds: list[float] = []
    lookups: list[float] = []
    for round_ in range(_ROUNDS):
        work = root / name / str(round_)
        wheel = _wheel(work, round_)
        ctx = TaskContext(workdir=work / "run", task_key="t", environment={"dependencies": [str(wheel)]})
        spec = environment_spec({}, None, ctx)
        assert spec is not None
        started = time.perf_counter()
        build(spec, work / "cache", environ)
        builds.append(time.perf_counter() - started)
        started = time.perf_counter()
        again = environment_spec({}, None, ctx)
        assert again is not None and built_python(again, work / "cache") is not None
        lookups.append(time.perf_counter() - started)
    print(f"{name:>14}: first build {statistics.median(builds):6.2f} s, "
          f"cached {statistics.median(lookups) * 1000:6.2f} ms  (median of {_ROUNDS})")


def main() -> None:
    """Print the figures of both builders (uv only when it is on PATH)."""
    print(f"python {sys.version.split()[0]}, uv: {shutil.which('uv') or 'not on PATH'}")
    with tempfile.TemporaryDirectory() as tmp:
        if shutil.which("uv"):
            _measure("uv", dict(os.environ), Path(tmp))
        _measure("venv + pip", _without_uv(), Path(tmp))


if __name__ == "__main__":
    main()
