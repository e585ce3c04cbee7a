"""Issue 14, item 3: `kill -9` with runs admitted but waiting for a task-process slot loses none of them.

One task-process slot (`--max-task-processes 1`), held by a sleeping task; the runs behind it are
acknowledged (PENDING, waiting for the slot) when the server dies. After the restart the sleeper's run
ends INTERNAL_ERROR with its process killed (what was running is lost), and every waiting run runs to
SUCCESS, each task exactly once.
"""

from __future__ import annotations

from pathlib import Path

import httpx
from reliability_helpers import KNOWN_TOKEN, ServedWorkspace, free_port, py_task, wait_until

WAITING = 12
_APPEND = "import sys\nopen(sys.argv[1], 'a').write(sys.argv[2] + '\\n')\n"


def _state(http: httpx.Client, run_id: int) -> dict[str, str]:
    state: dict[str, str] = http.get("/api/2.2/jobs/runs/get", params={"run_id": run_id}).json()["state"]
    return state


def test_runs_waiting_for_a_slot_survive_kill_9(sources: Path, tmp_path: Path) -> None:
    append, ledger = tmp_path / "append.py", tmp_path / "ledger"
    append.write_text(_APPEND)
    served = ServedWorkspace(tmp_path / "ws", free_port(), KNOWN_TOKEN, "--max-task-processes", "1")
    headers = {"Authorization": f"Bearer {KNOWN_TOKEN}"}
    with served, httpx.Client(base_url=served.host, headers=headers, timeout=30) as http:
        pid_file = tmp_path / "sleeper.pid"
        body = {"run_name": "holder", "tasks": [py_task("s", sources / "sleeper.py", pid_file)]}
        holder = http.post("/api/2.2/jobs/runs/submit", json=body).json()["run_id"]
        wait_until(lambda: pid_file.exists() and pid_file.read_text(), "the sleeper to start", timeout=30)
        waiting = []
        for i in range(WAITING):
            body = {"run_name": f"waiting-{i}", "tasks": [py_task("a", append, ledger, i)]}
            waiting.append(http.post("/api/2.2/jobs/runs/submit", json=body).json()["run_id"])
        assert {_state(http, r)["life_cycle_state"] for r in waiting} == {"PENDING"}
        served.kill9()
        served.start()

        def all_ended() -> bool:
            return all(_state(http, r)["life_cycle_state"] in ("TERMINATED", "INTERNAL_ERROR")
                       for r in [holder, *waiting])

        wait_until(all_ended, "every run to end after the restart", timeout=120)
        assert _state(http, holder)["life_cycle_state"] == "INTERNAL_ERROR"
        assert [_state(http, r).get("result_state") for r in waiting] == ["SUCCESS"] * WAITING
        assert sorted(ledger.read_text().split()) == sorted(str(i) for i in range(WAITING))
