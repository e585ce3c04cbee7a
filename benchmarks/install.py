"""Install time and size: the base install, the spark extra, and the base install before Spark came in.

Each install is `uv pip install --compile-bytecode -c requirements.lock -e <tree>[extras]` into a new
venv, warm (uv's cache filled by a first, untimed pass; the rounds alternate the installs), so the
figure is what a second machine with the packages cached pays; size is the venv's bytes on disk.
"before" is the tree at `--before` (default 4b8a839, the last commit before `spark` entered the local
workspace), exported with `git archive`, so the base install can be compared with what it was.

Run: `.venv/bin/python benchmarks/install.py [--rounds 3] [--before REV]`.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import subprocess
import tarfile
import tempfile
import time
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[1]


def _size(path: Path) -> int:
    return sum(item.stat().st_size for item in path.rglob("*") if item.is_file() and not item.is_symlink())


def _install(tree: Path, extras: str, lock: Path, work: Path) -> tuple[float, int]:
    """Seconds and bytes of one fresh venv with `tree[extras]` installed."""
    venv = work / "venv"
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run(["uv", "venv", "-q", str(venv)], check=True)
    target = f"{tree}[{extras}]" if extras else str(tree)
    started = time.monotonic()
    subprocess.run(["uv", "pip", "install", "-q", "--compile-bytecode", "-p", str(venv), "-c", str(lock),
                    "-e", target], check=True)
    seconds = time.monotonic() - started
    return seconds, _size(venv)


def _exported(rev: str, work: Path) -> Path:
    """The tree at `rev`, written out with `git archive` (no checkout of this repository changes)."""
    command = ["git", "-C", str(_ROOT), "archive", rev]
    archive = subprocess.run(command, check=True, capture_output=True).stdout
    tree = work / f"tree-{rev}"
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(tree, filter="data")
    return tree


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--before", default="4b8a839")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        old = _exported(args.before, work)
        cases = {
            f"base, before spark ({args.before})": (old, "", old / "requirements.lock"),
            "base, now": (_ROOT, "", _ROOT / "requirements.lock"),
            "with the spark extra, now": (_ROOT, "spark", _ROOT / "requirements.lock"),
        }
        for tree, extras, lock in cases.values():
            _install(tree, extras, lock, work)
        figures: dict[str, list[tuple[float, int]]] = {name: [] for name in cases}
        for _ in range(args.rounds):
            for name, (tree, extras, lock) in cases.items():
                figures[name].append(_install(tree, extras, lock, work))
        print(f"{'install':<34} {'seconds (median)':>17} {'MB in the venv':>15}")
        for name, runs in figures.items():
            seconds = statistics.median(s for s, _ in runs)
            print(f"{name:<34} {seconds:>17.2f} {runs[-1][1] / 1e6:>15.1f}")
        print(f"load average after: {os.getloadavg()[0]:.1f} (rounds alternate the installs)")

if __name__ == "__main__":
    main()
