"""This package against its peers, on one machine, against one local workspace, each next to raw httpx.

Usage (from the repository root; needs `uv` on PATH for the old package's throwaway venv):

    .venv/bin/python benchmarks/compare.py [--waits 200] [--sleep 5] [--no-old] [--output FILE]

Measured for raw httpx (the baseline), this package, the official `databricks-sdk` and
prefect-databricks 0.4.2 (installed by this script with `uv venv` + `uv pip install
prefect-databricks==0.4.2 'fastapi<0.151'` in a temporary venv): import cost; listing 10,000 runs;
getting a 1,000-task job (a client that returns fewer tasks fails on correctness, and gets no
speed figure); submit-and-wait of one trivial run (wall time minus the run's own duration); and
wall time and requests per poll cycle of 200 concurrent waits. 0.4.2 only builds
`https://{instance}/api/` URLs, so the workspace also listens on TLS with a self-signed
certificate (it is passed `client_kwargs={"verify": False}`). Each client runs in its own
process (`_peer.py`); the table of medians and ratios is printed and written to `--output`.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from _report import render
from _tls_workspace import serve_both

__all__ = ["main"]

_HERE = Path(__file__).parent
_RUNS, _TASKS, _RUNS_JOB = 10_000, 1_000, 42
_PASSES = 3
_IMPORTS = {
    "raw": "import httpx",
    "ours": "from prefect_databricks.flows import jobs_runs_submit_and_wait_for_completion",
    "sdk": "from databricks.sdk import WorkspaceClient",
    "old": "from prefect_databricks.flows import jobs_runs_submit_and_wait_for_completion",
}
_SCRIPTS = {
    "trivial.py": "print('done')\n",
    "sleeper.py": "import sys, time\ntime.sleep(float(sys.argv[1]))\n",
}


def _old_venv(folder: Path) -> tuple[Path | None, str]:
    """A throwaway venv with prefect-databricks 0.4.2: (its python, or None, and why not)."""
    venv = folder / "old-venv"
    python = venv / "bin" / "python"
    commands = [
        ["uv", "venv", "-q", str(venv)],
        ["uv", "pip", "install", "-q", "--python", str(python), "prefect-databricks==0.4.2", "fastapi<0.151"],
    ]
    for command in commands:
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            return None, f"`{' '.join(command)}` failed: {done.stderr.strip()[-300:]}"
    return python, ""


def _seed_runs(data_dir: Path) -> None:
    """Store 10,000 finished runs of one job directly (submitting them would take minutes)."""
    from prefect_databricks.local.store import Store

    store = Store(data_dir / "workspace.db")
    success = {"code": "SUCCESS", "type": "SUCCESS"}
    with store.transaction():
        for i in range(_RUNS):
            run = {
                "run_id": 10**15 + i, "job_id": _RUNS_JOB, "start_time": 1_700_000_000_000 + i,
                "run_type": "JOB_RUN", "run_name": f"run {i}",
                "state": {"life_cycle_state": "TERMINATED", "result_state": "SUCCESS", "state_message": ""},
                "status": {"state": "TERMINATED", "termination_details": success},
                "tasks": [{"task_key": "t", "run_id": 2 * 10**15 + i}],
            }  # fmt: skip
            store.put_run(run, active=False)
    store.close()


def _big_job(host: str, token: str, script: Path) -> int:
    tasks = [
        {"task_key": f"t{i:04d}", "spark_python_task": {"python_file": str(script)}} for i in range(_TASKS)
    ]
    reply = httpx.post(
        f"{host}/api/2.2/jobs/create",
        headers={"Authorization": f"Bearer {token}"},
        json={"name": "big", "tasks": tasks},
        timeout=60,
    )
    return int(reply.raise_for_status().json()["job_id"])


def _env(folder: Path, client: str) -> dict[str, str]:
    """A quiet, offline Prefect with its own home per client (the old venv runs another Prefect)."""
    home = folder / f"prefect-home-{client}"
    home.mkdir(exist_ok=True)
    quiet = {"PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1", "PYTHONWARNINGS": "ignore"}
    quiet["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] = "120"  # a busy 2-core machine is slow
    return {**os.environ, **quiet, "PREFECT_HOME": str(home), "PREFECT_LOGGING_LEVEL": "WARNING"}


def _peer(python: Path, client: str, measure: str, args: dict[str, Any], folder: Path) -> dict[str, Any]:
    command = [str(python), str(_HERE / "_peer.py"), client, measure, json.dumps(args)]
    done = subprocess.run(command, capture_output=True, text=True, env=_env(folder, client), timeout=900)
    if done.returncode != 0:
        return {
            "error": done.stderr.strip().splitlines()[-1]
            if done.stderr.strip()
            else f"exit {done.returncode}"
        }
    return json.loads(done.stdout.strip().splitlines()[-1])


def _import_ms(python: Path, statement: str, folder: Path, client: str, rounds: int = 5) -> dict[str, Any]:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        subprocess.run([str(python), "-c", statement], check=True, env=_env(folder, client))
        samples.append(time.perf_counter() - start)
    return {"seconds": statistics.median(samples)}


def _pythons(old: Path | None) -> dict[str, Path]:
    pythons = {client: Path(sys.executable) for client in ("raw", "ours", "sdk")}
    return pythons | ({"old": old} if old is not None else {})


def _measure_once(
    python: Path, client: str, measure: str, args: dict[str, Any], folder: Path
) -> dict[str, Any]:
    if measure == "import":
        return _import_ms(python, _IMPORTS[client], folder, client, rounds=3)
    return _peer(python, client, measure, args, folder)


def _median_of(entries: list[dict[str, Any]]) -> dict[str, Any]:
    failed = [entry for entry in entries if "error" in entry]
    if failed:
        return failed[0]
    return {**entries[-1], "seconds": statistics.median(entry["seconds"] for entry in entries)}


def _measure_all(pythons: dict[str, Path], args: dict[str, Any], folder: Path) -> dict[str, dict[str, Any]]:
    """Cheap measures interleaved across clients (3 passes), so a busy moment hits every client alike."""
    results: dict[str, dict[str, Any]] = {client: {} for client in pythons}
    for measure in ("import", "list", "get"):
        samples: dict[str, list[dict[str, Any]]] = {client: [] for client in pythons}
        for _ in range(_PASSES):
            for client, python in pythons.items():
                samples[client].append(_measure_once(python, client, measure, args, folder))
        for client in pythons:
            results[client][measure] = _median_of(samples[client])
    for measure in ("wait1", "wait200"):
        for client, python in pythons.items():
            print(f"measuring {client} {measure} ...", file=sys.stderr, flush=True)
            results[client][measure] = _peer(python, client, measure, args, folder)
    return results


def _versions(old: Path | None) -> dict[str, str]:
    from importlib.metadata import version

    found = {name: version(name) for name in ("prefect-databricks", "databricks-sdk", "prefect", "httpx")}
    found["python"] = platform.python_version()
    if old is not None:
        probe = "from importlib.metadata import version as v; print(v('prefect-databricks'), v('prefect'))"
        old_pd, old_prefect = subprocess.run(
            [str(old), "-c", probe], capture_output=True, text=True
        ).stdout.split()
        found["prefect-databricks (old venv)"] = f"{old_pd} (with prefect {old_prefect})"
    return found


def _cpuinfo() -> list[str]:
    path = Path("/proc/cpuinfo")
    return path.read_text().splitlines() if path.exists() else []


def _load() -> str:
    return "load average " + ", ".join(f"{value:.2f}" for value in os.getloadavg())


def _machine() -> str:
    models = [line.split(":", 1)[1].strip() for line in _cpuinfo() if line.startswith("model name")]
    cpu = models[0] if models else platform.processor()
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{platform.platform()}; {os.cpu_count()} cores ({cpu}); {memory:.0f} GiB RAM"


def main(options: argparse.Namespace) -> None:
    """Set up the workspace and the old venv, measure every client, print and write the table."""
    load_before = _load()
    with tempfile.TemporaryDirectory(prefix="dbx-compare-") as tmp:
        folder = Path(tmp)
        old, why_not = (None, "skipped (--no-old)") if options.no_old else _old_venv(folder)
        for name, text in _SCRIPTS.items():
            (folder / name).write_text(text)
        (folder / "ws").mkdir()
        _seed_runs(folder / "ws")
        with serve_both(folder / "ws", folder) as ws:
            big_job = _big_job(ws["http"], ws["token"], folder / "trivial.py")
            args = {
                **ws, "runs_job": _RUNS_JOB, "big_job": big_job,
                "trivial": str(folder / "trivial.py"), "sleeper": str(folder / "sleeper.py"),
                "sleep": options.sleep, "waits": options.waits, "budget": options.budget,
            }  # fmt: skip
            results = _measure_all(_pythons(old), args, folder)
        expected = {"list": _RUNS, "get": _TASKS, "waits": options.waits}
        header = {
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": f"{_machine()}; {load_before} before, {_load()} after (shared machine)",
            "versions": _versions(old),
            "old": why_not,
            "command": " ".join(["benchmarks/compare.py", *sys.argv[1:]]),
            "sleep": options.sleep,
        }
        text = render(results, expected, header)
    print(text)
    Path(options.output).write_text(text)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--waits", type=int, default=200, help="concurrent waits (default 200)")
    parser.add_argument("--sleep", type=float, default=5.0, help="seconds each waited run lasts")
    parser.add_argument(
        "--budget", type=float, default=300.0, help="seconds the old package gets for the waits"
    )
    parser.add_argument("--no-old", action="store_true", help="leave prefect-databricks 0.4.2 out")
    parser.add_argument("--output", default=str(_HERE / "RESULTS.md"))
    main(parser.parse_args())
