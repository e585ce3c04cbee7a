"""The workspace pages over real HTTP: what each page shows, escaping, redirects, refresh flags and access.

Runs and outputs are stored straight into the UI tests' own workspace (inactive in the store's index, so
the scheduler leaves them alone) to pin exact states; the browser test drives real runs instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from prefect_databricks.local import LocalWorkspace
from prefect_databricks.local.api.app import create_app
from prefect_databricks.local.api.routes import ROUTES
from prefect_databricks.local.runs.lifecycle import LifeCycle, Result, state_and_status
from prefect_databricks.local.ui.graph import task_graph

_OK, _FAILED = (LifeCycle.TERMINATED, Result.SUCCESS), (LifeCycle.TERMINATED, Result.FAILED)
_RUNNING, _BLOCKED = (LifeCycle.RUNNING, None), (LifeCycle.BLOCKED, None)


@pytest.fixture
def page(ui_workspace: LocalWorkspace) -> Iterator[httpx.Client]:
    """A browser-like client: loopback, no token."""
    with httpx.Client(base_url=ui_workspace.host, timeout=10) as client:
        yield client


def _state(life: tuple[LifeCycle, Result | None]) -> dict[str, Any]:
    state, status = state_and_status(*life)
    return {"state": state, "status": status}


def _task(ws: LocalWorkspace, key: str, life: Any, deps: tuple[str, ...] = ()) -> dict[str, Any]:
    start = ws.workspace.now_ms() - 4000
    end = start + 1500 if life[0] == LifeCycle.TERMINATED else 0
    depends_on = [{"task_key": d} for d in deps]
    run_id = ws.workspace.store.new_id()
    return {"task_key": key, "run_id": run_id, "attempt_number": 0, "depends_on": depends_on,
            "start_time": start, "end_time": end, **_state(life)}


def _store_run(ws: LocalWorkspace, tasks: list[dict[str, Any]], life: Any, **extra: Any) -> dict[str, Any]:
    store = ws.workspace.store
    job_id = extra.pop("job_id", None) or store.new_id()
    if store.get_job(job_id) is None:
        keys = [{"task_key": t["task_key"]} for t in tasks]
        settings = {"name": extra.get("run_name", "nightly"), "tasks": keys}
        store.put_job({"job_id": job_id, "created_time": ws.workspace.now_ms(), "settings": settings})
    run = {"run_id": store.new_id(), "job_id": job_id, "run_name": "nightly", "run_type": "JOB_RUN",
           "start_time": ws.workspace.now_ms() - 5000, "end_time": 0, "tasks": tasks, **_state(life), **extra}
    store.put_run(run, active=False)
    return run


def _rows(html: str) -> dict[str, str]:
    return dict(re.findall(r'<tr id="task-([\w-]+)" class="task">(.*?)</tr>', html))


def test_the_shell_at_root_sends_the_browser_to_the_page_the_fragment_names(page: httpx.Client) -> None:
    response = page.get("/", params={"o": "1"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "data-shell" in response.text and '<script src="/ui/static/ui.js" defer>' in response.text
    assert "script-src 'self'" in response.headers["content-security-policy"]
    script = page.get("/ui/static/ui.js")
    assert script.headers["content-type"].startswith("text/javascript")
    assert "location.hash" in script.text and "/ui/runs/" in script.text
    assert page.get("/ui/static/ui.css").headers["content-type"].startswith("text/css")
    assert page.get("/ui/static/secrets.txt").status_code == 404


def test_run_page_shows_each_task_with_state_duration_attempts_and_output(
    ui_workspace: LocalWorkspace, page: httpx.Client
) -> None:
    first = _task(ui_workspace, "extract", _FAILED)
    retry = {**_task(ui_workspace, "extract", _OK), "attempt_number": 1}
    load = _task(ui_workspace, "load", _RUNNING, ("extract",))
    report = _task(ui_workspace, "report", _BLOCKED, ("load",))
    run = _store_run(ui_workspace, [first, retry, load, report], _RUNNING)
    store = ui_workspace.workspace.store
    store.put_output(first["run_id"], {"error": "ConnectionError: source down", "error_trace": "Traceback"})
    store.put_output(retry["run_id"], {"notebook_output": {"result": "1200 rows"}, "logs": "wrote 1200\n"})
    html = page.get(f"/ui/runs/{run['run_id']}").text
    rows = _rows(html)
    assert list(rows) == ["extract", "load", "report"]
    assert "SUCCESS" in rows["extract"] and "1.5s" in rows["extract"] and "<td>2</td>" in rows["extract"]
    assert "1200 rows" in rows["extract"] and "RUNNING" in rows["load"] and "BLOCKED" in rows["report"]
    assert "wrote 1200" in html and "ConnectionError: source down" in html
    assert '<main data-refresh="1000">' in html
    assert html.count('class="node ') == 3 and html.count('class="edge"') == 2


def test_finished_run_page_stops_refreshing(ui_workspace: LocalWorkspace, page: httpx.Client) -> None:
    run = _store_run(ui_workspace, [_task(ui_workspace, "only", _OK)], _OK, end_time=1)
    html = page.get(f"/ui/runs/{run['run_id']}").text
    assert "data-refresh" not in html and 'class="state state-success"' in html


def test_every_stored_value_is_escaped(ui_workspace: LocalWorkspace, page: httpx.Client) -> None:
    markup = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    task = _task(ui_workspace, "t", _FAILED)
    run = _store_run(ui_workspace, [task], _FAILED, run_name=markup, end_time=1,
                     job_parameters=[{"name": "p", "value": markup}])
    ui_workspace.workspace.store.put_output(task["run_id"], {"error": markup, "logs": markup})
    for path in (f"/ui/runs/{run['run_id']}", f"/ui/jobs/{run['job_id']}", "/ui/jobs"):
        html = page.get(path).text
        assert "<script>alert" not in html and "<img src=x" not in html, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, path


def test_a_task_run_id_opens_its_job_run_at_the_task(
    ui_workspace: LocalWorkspace, page: httpx.Client
) -> None:
    task = _task(ui_workspace, "transform", _OK)
    run = _store_run(ui_workspace, [task], _OK, end_time=1)
    response = page.get(f"/ui/runs/{task['run_id']}")
    assert response.status_code == 303
    assert response.headers["location"] == f"/ui/runs/{run['run_id']}#task-transform"


def test_runs_of_a_deleted_job_stay_listed(ui_workspace: LocalWorkspace, page: httpx.Client) -> None:
    run = _store_run(ui_workspace, [], _OK, end_time=1)
    ui_workspace.workspace.store.delete_job(run["job_id"])
    html = page.get(f"/ui/jobs/{run['job_id']}").text
    assert "deleted" in html and f'href="/ui/runs/{run["run_id"]}"' in html


def test_unknown_runs_and_jobs_are_404_pages(page: httpx.Client) -> None:
    for path in ("/ui/runs/12345", "/ui/jobs/12345"):
        response = page.get(path)
        assert response.status_code == 404 and "Not found" in response.text
    assert page.get("/ui/runs/not-a-number").status_code == 404


def test_jobs_page_and_job_page_list_runs_newest_first_in_pages(
    ui_workspace: LocalWorkspace, page: httpx.Client
) -> None:
    job_id = ui_workspace.workspace.store.new_id()
    runs = [_store_run(ui_workspace, [], _OK, job_id=job_id, start_time=1000 + i, end_time=2000)
            for i in range(27)]
    jobs = page.get("/ui/jobs").text
    assert f'href="/ui/jobs/{job_id}"' in jobs and f'href="/ui/runs/{runs[-1]["run_id"]}"' in jobs
    first = page.get(f"/ui/jobs/{job_id}").text
    linked = re.findall(r'<td><a href="/ui/runs/(\d+)">', first)
    assert [int(r) for r in linked] == [r["run_id"] for r in reversed(runs)][:25]
    assert f'href="/ui/jobs/{job_id}?offset=25"' in first
    rest = page.get(f"/ui/jobs/{job_id}", params={"offset": 25}).text
    linked = re.findall(r'<td><a href="/ui/runs/(\d+)">', rest)
    assert [int(r) for r in linked] == [runs[1]["run_id"], runs[0]["run_id"]]


async def test_other_clients_need_the_token(ui_workspace: LocalWorkspace) -> None:
    """In-process ASGI, because a non-loopback client address cannot be made on this machine's sockets."""
    app = create_app(ui_workspace.workspace, ROUTES)
    transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://workspace") as remote:
        denied = await remote.get("/ui/jobs")
        assert denied.status_code == 403 and denied.json()["error_code"] == "PERMISSION_DENIED"
        assert ui_workspace.token not in denied.text
        wrong = await remote.get("/", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 403
        allowed = await remote.get("/ui/jobs", headers={"Authorization": f"Bearer {ui_workspace.token}"})
        assert allowed.status_code == 200
    assert "loopback clients (127.0.0.0/8, ::1) only" in allowed.text


@pytest.mark.parametrize(
    ("host", "allowed"),
    [("127.0.0.1", True), ("127.10.0.3", True), ("::1", True), ("::ffff:127.0.0.1", True),
     ("10.0.0.1", False), ("::ffff:10.0.0.1", False), ("testclient", False)],
)
async def test_loopback_means_127_slash_8_and_colon_colon_1(
    ui_workspace: LocalWorkspace, host: str, allowed: bool
) -> None:
    transport = httpx.ASGITransport(app=create_app(ui_workspace.workspace, ROUTES), client=(host, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8080") as client:
        assert (await client.get("/ui/jobs")).status_code == (200 if allowed else 403)


def test_graph_places_each_task_one_column_after_its_deepest_dependency() -> None:
    tasks = [{"task_key": k, "depends_on": [{"task_key": d} for d in deps], **_state(_OK)}
             for k, deps in (("a", ()), ("b", ("a",)), ("c", ("a",)), ("d", ("b", "c")), ("e", ("a", "d")))]
    svg = task_graph(tasks, now_ms=0)
    x = {k: int(v) for k, v in re.findall(r'<title>(\w)</title><rect x="(\d+)"', svg)}
    assert x["a"] < x["b"] == x["c"] < x["d"] < x["e"]
    assert svg.count('class="edge"') == 6
