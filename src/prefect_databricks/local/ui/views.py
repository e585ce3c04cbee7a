"""The pages of the local workspace UI, read straight from the store: jobs, a job's runs, a run's tasks."""

from __future__ import annotations

from typing import Any, NamedTuple

from ..runs.documents import iterations_of, public
from ..state import Workspace
from .graph import task_graph
from .html import Safe, duration, esc, join, state_badge, state_of, tag, timestamp
from .tasks import task_table

__all__ = ["PAGE_SIZE", "View", "job_view", "jobs_view", "run_page_view", "task_run_parent"]

PAGE_SIZE = 25


class View(NamedTuple):
    """A rendered page body: its title, its markup, and whether it shows something still running."""

    title: str
    body: Safe
    active: bool


def jobs_view(ws: Workspace, offset: int) -> View:
    """Every job, newest first, and the most recent runs of all jobs (one-time runs included)."""
    jobs = ws.store.list_jobs(offset=offset, limit=PAGE_SIZE + 1)
    runs = ws.store.list_runs(limit=PAGE_SIZE)
    rows = join(_job_row(ws, job) for job in jobs[:PAGE_SIZE])
    body = join([
        tag("h1", "Jobs"),
        _table(["Job ID", "Name", "Tasks", "Created", "Last run"], rows, empty="No jobs yet."),
        _pager("/ui/jobs", offset, more=len(jobs) > PAGE_SIZE),
        tag("h2", "Recent runs"),
        _runs_table(ws, runs, with_job=True),
    ])
    return View("Jobs", body, any(state_of(r)[1] for r in runs))


def job_view(ws: Workspace, job_id: int, offset: int) -> View | None:
    """A job's settings summary and its runs, most recent first; None if neither exists."""
    job = ws.store.get_job(job_id)
    runs = ws.store.list_runs(job_id=job_id, offset=offset, limit=PAGE_SIZE + 1)
    if job is None and not runs:
        return None
    settings = (job or {}).get("settings", {})
    name = str(settings.get("name") or f"Job {job_id}")
    facts = [("Job ID", job_id), ("Created", timestamp((job or {}).get("created_time")))]
    facts.append(("Tasks", ", ".join(str(t.get("task_key")) for t in settings.get("tasks", []))))
    body = join([
        tag("h1", name, " ", tag("span", "deleted", class_="muted") if job is None else ""),
        _facts(facts),
        tag("h2", "Runs"),
        _runs_table(ws, runs[:PAGE_SIZE], with_job=False),
        _pager(f"/ui/jobs/{job_id}", offset, more=len(runs) > PAGE_SIZE),
    ])
    return View(name, body, any(state_of(r)[1] for r in runs[:PAGE_SIZE]))


def run_page_view(ws: Workspace, run_id: int) -> View | None:
    """A job run: its state, the task graph and the task table with outputs; None if no such run."""
    stored = ws.store.get_run(run_id)
    if stored is None:
        return None
    now = ws.now_ms()
    run = public(stored)
    title = str(run.get("run_name") or f"Run {run_id}")
    tasks = run.get("tasks", [])
    latest = list({t["task_key"]: t for t in tasks}.values())
    body = join([
        tag("h1", title, " ", state_badge(run)),
        _facts(_run_facts(run, now)),
        tag("h2", "Tasks"),
        task_graph(latest, now) if latest else Safe(""),
        task_table(ws, tasks, now, _iterations(stored)),
    ])
    return View(title, body, state_of(run)[1])


def _iterations(stored: dict[str, Any]) -> dict[int, list[dict[str, Any]]]:
    """The iterations of each for-each task run (kept in the scheduler's bookkeeping), made public."""
    found = {t["run_id"]: iterations_of(t) for t in stored.get("tasks", []) if "run_id" in t}
    return {run_id: [public(i) for i in its] for run_id, its in found.items() if its}


def task_run_parent(ws: Workspace, task_run_id: int) -> tuple[int, str] | None:
    """The job run holding a task run and the task's key (task run pages open their job run)."""
    parent = ws.store.parent_of(task_run_id)
    run = ws.store.get_run(parent) if parent is not None else None
    if parent is None or run is None:
        return None
    keys = [t["task_key"] for t in run.get("tasks", []) if t.get("run_id") == task_run_id]
    return parent, (keys[0] if keys else "")


def _run_facts(run: dict[str, Any], now: int) -> list[tuple[str, Any]]:
    job_id = run.get("job_id")
    job = tag("a", job_id, href=f"/ui/jobs/{job_id}") if job_id is not None else "one-time run"
    values = run.get("job_parameters", [])
    params = ", ".join(f"{p.get('name')}={p.get('value', p.get('default'))}" for p in values)
    return [
        ("Run ID", run["run_id"]), ("Job", job), ("Type", run.get("run_type", "")),
        ("Trigger", run.get("trigger", "")), ("Started", timestamp(run.get("start_time"))),
        ("Duration", duration(run, now)), ("Parameters", params),
        ("Message", (run.get("state") or {}).get("state_message", "")),
    ]


def _job_row(ws: Workspace, job: dict[str, Any]) -> Safe:
    job_id = job["job_id"]
    settings = job.get("settings", {})
    last = ws.store.list_runs(job_id=job_id, limit=1)
    cells = [
        tag("a", job_id, href=f"/ui/jobs/{job_id}"), settings.get("name", ""), len(settings.get("tasks", [])),
        timestamp(job.get("created_time")),
        tag("a", state_badge(last[0]), href=f"/ui/runs/{last[0]['run_id']}") if last else "",
    ]
    return tag("tr", join(tag("td", c) for c in cells))


def _runs_table(ws: Workspace, runs: list[dict[str, Any]], *, with_job: bool) -> Safe:
    now = ws.now_ms()
    heads = ["Run ID", *(["Job"] if with_job else []), "Name", "State", "Started", "Duration", "Trigger"]
    rows = join(tag("tr", join(tag("td", c) for c in _run_cells(r, now, with_job))) for r in runs)
    return _table(heads, rows, empty="No runs yet.")


def _run_cells(run: dict[str, Any], now: int, with_job: bool) -> list[Any]:
    job_id = run.get("job_id")
    job = tag("a", job_id, href=f"/ui/jobs/{job_id}") if job_id is not None else "one-time"
    return [
        tag("a", run["run_id"], href=f"/ui/runs/{run['run_id']}"), *([job] if with_job else []),
        run.get("run_name", ""), state_badge(run), timestamp(run.get("start_time")), duration(run, now),
        run.get("trigger", ""),
    ]


def _table(heads: list[str], rows: Safe, *, empty: str) -> Safe:
    if not rows:
        return tag("p", empty, class_="muted")
    return tag("table", tag("thead", tag("tr", join(tag("th", h) for h in heads))), tag("tbody", rows))


def _facts(facts: list[tuple[str, Any]]) -> Safe:
    return tag("dl", join(join([tag("dt", k), tag("dd", v)]) for k, v in facts if v not in ("", None)),
               class_="facts")


def _pager(path: str, offset: int, *, more: bool) -> Safe:
    links = []
    if offset > 0:
        links.append(tag("a", "← newer", href=f"{path}?offset={max(offset - PAGE_SIZE, 0)}"))
    if more:
        links.append(tag("a", "older →", href=f"{path}?offset={offset + PAGE_SIZE}"))
    return tag("p", join(links), class_="pager") if links else esc("")
