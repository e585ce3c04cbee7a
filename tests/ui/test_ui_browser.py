"""The run page in headless Chromium: open a real run's `run_page_url`, see its tasks, watch it finish.

The run is real (jobs/create and run-now over HTTP, scripts run by the scheduler); its first task
waits for a gate file so the test decides when the run may end. A screenshot is kept in artifacts/.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from prefect_databricks.local import LocalWorkspace

if TYPE_CHECKING:
    from conftest import Browser

_WAIT_FOR_GATE = """import pathlib, time
print("extracting 3 files")
deadline = time.time() + 60
while not pathlib.Path({gate!r}).exists() and time.time() < deadline:
    time.sleep(0.05)
print("extracted")
"""
_QUICK = 'print("rows: 1200")\n'
_HEADING_STATE = "document.querySelector('h1 .state').textContent"
_TASK_KEYS = "Array.from(document.querySelectorAll('tr.task td:first-child'), td => td.textContent)"


def _create_job(http: httpx.Client, tmp_path: Path) -> int:
    gate, slow, quick = tmp_path / "gate", tmp_path / "extract.py", tmp_path / "step.py"
    slow.write_text(_WAIT_FOR_GATE.format(gate=str(gate)))
    quick.write_text(_QUICK)

    def task(key: str, script: Path, *deps: str) -> dict[str, object]:
        return {"task_key": key, "spark_python_task": {"python_file": str(script)},
                "depends_on": [{"task_key": d} for d in deps]}

    tasks = [task("extract", slow), task("clean", quick, "extract"), task("stats", quick, "extract"),
             task("report", quick, "clean", "stats")]
    response = http.post("/api/2.2/jobs/create", json={"name": "browser test job", "tasks": tasks})
    assert response.status_code == 200, response.text
    return int(response.json()["job_id"])


def test_run_page_shows_the_tasks_and_follows_the_run_to_its_end(
    workspace: LocalWorkspace, http: httpx.Client, browser: Browser, artifacts: Path, tmp_path: Path
) -> None:
    job_id = _create_job(http, tmp_path)
    run_id = http.post("/api/2.2/jobs/run-now", json={"job_id": job_id}).json()["run_id"]
    url = http.get("/api/2.2/jobs/runs/get", params={"run_id": run_id}).json()["run_page_url"]
    assert url.startswith(f"{workspace.host}/?o=") and url.endswith(f"#job/{job_id}/run/{run_id}")

    browser.call("Page.navigate", url=url)
    browser.wait_for(f"location.pathname === '/ui/runs/{run_id}' && !!document.querySelector('tr.task')")
    assert browser.evaluate(_TASK_KEYS) == ["extract", "clean", "stats", "report"]
    browser.wait_for(f"{_HEADING_STATE} === 'RUNNING'")
    browser.evaluate("window.sameDocument = true")  # gone if the page were reloaded rather than refreshed
    browser.evaluate("document.querySelector('#details-extract').open = true")
    browser.screenshot(artifacts / "run-page-running.png")
    (tmp_path / "gate").write_text("go")

    browser.wait_for(f"{_HEADING_STATE} === 'SUCCESS'", timeout=30)
    assert browser.evaluate("window.sameDocument") is True
    assert browser.evaluate("document.querySelector('main').dataset.refresh") is None
    states = "Array.from(document.querySelectorAll('tr.task .state'), s => s.textContent)"
    assert browser.evaluate(states) == ["SUCCESS"] * 4
    assert browser.evaluate("document.querySelector('#details-extract').open") is True
    assert "extracted" in browser.evaluate("document.querySelector('#details-extract pre').textContent")
    browser.screenshot(artifacts / "run-page.png")


def test_failed_task_shows_its_error_and_its_own_link_opens_its_row(
    http: httpx.Client, browser: Browser, artifacts: Path, tmp_path: Path
) -> None:
    script = tmp_path / "validate.py"
    script.write_text('print("checking 1200 rows")\nraise ValueError("row 17: amount is negative")\n')
    task = {"task_key": "validate", "spark_python_task": {"python_file": str(script)}}
    job_id = http.post("/api/2.2/jobs/create", json={"name": "failing job", "tasks": [task]}).json()["job_id"]
    run_id = http.post("/api/2.2/jobs/run-now", json={"job_id": job_id}).json()["run_id"]
    url = http.get("/api/2.2/jobs/runs/get", params={"run_id": run_id}).json()["run_page_url"]
    browser.call("Page.navigate", url=url)
    browser.wait_for(f"location.pathname === '/ui/runs/{run_id}'")
    browser.wait_for(f"{_HEADING_STATE} === 'FAILED'", timeout=30)
    row = browser.evaluate("document.querySelector('#task-validate').textContent")
    assert "FAILED" in row and "amount is negative" in row
    browser.evaluate("document.querySelector('#details-validate').open = true")
    browser.screenshot(artifacts / "failed-run-page.png")

    finished = http.get("/api/2.2/jobs/runs/get", params={"run_id": run_id}).json()
    browser.call("Page.navigate", url=finished["tasks"][0]["run_page_url"])
    browser.wait_for(f"location.pathname === '/ui/runs/{run_id}' && location.hash === '#task-validate'")
    browser.wait_for("document.querySelector('tr.task:target')?.id === 'task-validate'")


def test_jobs_page_lists_the_job_and_its_last_run(
    workspace: LocalWorkspace, http: httpx.Client, browser: Browser, artifacts: Path
) -> None:
    browser.call("Page.navigate", url=f"{workspace.host}/#job")
    browser.wait_for("location.pathname === '/ui/jobs' && document.readyState === 'complete'")
    assert "browser test job" in browser.evaluate("document.querySelector('main').textContent")
    browser.screenshot(artifacts / "jobs-page.png")


def test_task_output_cannot_run_script_in_the_page(
    ui_workspace: LocalWorkspace, browser: Browser
) -> None:
    store = ui_workspace.workspace.store
    run_id, task_run_id, now = store.new_id(), store.new_id(), ui_workspace.workspace.now_ms()
    state = {"life_cycle_state": "TERMINATED", "result_state": "FAILED", "state_message": ""}
    task = {"task_key": "evil", "run_id": task_run_id, "start_time": now, "end_time": now + 1, "state": state}
    store.put_run({"run_id": run_id, "start_time": now, "end_time": now + 1, "state": state,
                   "run_name": "<script>window.pwned = 1</script>", "tasks": [task]}, active=False)
    markup = '<img src=x onerror="window.pwned = 2"><script>window.pwned = 3</script>'
    store.put_output(task_run_id, {"error": markup, "logs": markup})
    browser.call("Page.navigate", url=f"{ui_workspace.host}/#job/run/{run_id}")
    browser.wait_for(f"location.pathname === '/ui/runs/{run_id}' && document.readyState === 'complete'")
    browser.evaluate("document.querySelector('#details-evil').open = true")
    assert browser.evaluate("window.pwned") is None
    assert browser.evaluate("document.querySelectorAll('main script, main img').length") == 0
    assert browser.evaluate("document.querySelector('#details-evil pre').textContent") == markup
