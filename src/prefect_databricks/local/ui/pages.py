"""The local workspace's web pages: the page `run_page_url` opens, the jobs, a job's runs, a run's tasks.

`run_page_url` is `<host>/?o=<workspace>#job/<job>/run/<run>`. The fragment never reaches the server, so `/`
is a shell whose script sends the browser on to `/ui/runs/<run>` (or `/ui/jobs/<job>`, `/ui/jobs`). The
pages are rendered on the server from the store and refresh themselves while a run is active.

Browsers send no token, so the pages answer without one only to loopback clients (127.0.0.0/8, ::1)
that name a loopback host in `Host` (`localhost`, `127.x.x.x`, `[::1]`, with any port): a page of
another site whose name was rebound to 127.0.0.1 (DNS rebinding) sends its own name, and gets 403.
Any other client must send the workspace token as `Authorization: Bearer`, or gets 403.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from ..errors import PermissionDenied
from ..state import Workspace
from .html import esc, join, page, tag
from .views import View, job_view, jobs_view, run_page_view, task_run_parent

__all__ = ["job_page", "jobs_page", "run_page", "shell", "static", "to_jobs"]

_STATIC = Path(__file__).parent / "static"
_STATIC_TYPES = {"ui.js": "text/javascript", "ui.css": "text/css"}
_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}
_ALL_JOBS = tag("a", "All jobs", href="/ui/jobs")
_Page = Callable[[Workspace, Request], Awaitable[Response]]


def _loopback_or_token(handler: _Page) -> Callable[[Request], Awaitable[Response]]:
    """Serve `handler` to loopback clients, or to any client sending the workspace token."""

    async def endpoint(request: Request) -> Response:
        ws: Workspace = request.app.state.ws
        client = request.client.host if request.client else None
        if _has_token(ws, request):
            return await handler(ws, request)
        if not _is_loopback(client):
            raise PermissionDenied(
                "The workspace pages answer loopback clients only; from elsewhere send the workspace token."
            )
        if not _names_loopback(request.headers.get("host", "")):
            raise PermissionDenied(
                "The workspace pages answer only when the Host header names this machine "
                "(localhost, 127.0.0.1 or [::1])."
            )
        return await handler(ws, request)

    return endpoint


def _is_loopback(host: str | None) -> bool:
    try:
        address = ipaddress.ip_address(host or "")
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return bool((mapped or address).is_loopback)


def _names_loopback(host_header: str) -> bool:
    """Whether a Host header names a loopback host: `localhost`, an IP of 127.0.0.0/8 or `[::1]`."""
    host = host_header.strip().lower()
    if host.startswith("["):
        host = host[1:].partition("]")[0]
    elif host.count(":") == 1:
        host = host.partition(":")[0]
    return host == "localhost" or _is_loopback(host)


def _has_token(ws: Workspace, request: Request) -> bool:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and bool(token.strip()) and ws.token_is_valid(token.strip())


def _html(view: View | None) -> Response:
    """The page of `view`, or a 404 page when there is nothing to show."""
    status = 200 if view is not None else 404
    if view is None:
        body = join([tag("h1", "Not found"), tag("p", "No such job or run. ", _ALL_JOBS)])
        view = View("Not found", body, False)
    return HTMLResponse(page(view.title, view.body, refresh=view.active), status, headers=_HEADERS)


_MAX_OFFSET = 2**62  # SQLite binds int64; no listing is anywhere near this long
_IDS = range(2**63)  # job and run ids are int64; any other number names nothing


def _offset(request: Request) -> int:
    try:
        return min(max(int(request.query_params.get("offset", "0")), 0), _MAX_OFFSET)
    except ValueError:
        return 0


async def _shell(ws: Workspace, request: Request) -> Response:
    """The page at `/`: its script reads `location.hash` and opens the matching page."""
    hint = tag("noscript", tag("p", "Run pages need JavaScript to read the link. ", _ALL_JOBS))
    body = tag("div", tag("h1", "Opening…"), hint, data_shell=True)
    return HTMLResponse(page("Local workspace", body, refresh=False), headers=_HEADERS)


async def _jobs(ws: Workspace, request: Request) -> Response:
    return _html(jobs_view(ws, _offset(request)))


async def _job(ws: Workspace, request: Request) -> Response:
    job_id: int = request.path_params["job_id"]
    return _html(job_view(ws, job_id, _offset(request)) if job_id in _IDS else None)


async def _run(ws: Workspace, request: Request) -> Response:
    """A job run's page; a task run's id opens its job run at the task's row."""
    run_id: int = request.path_params["run_id"]
    if run_id not in _IDS:
        return _html(None)
    view = run_page_view(ws, run_id)
    if view is None and (holder := task_run_parent(ws, run_id)) is not None:
        parent, key = holder
        return RedirectResponse(f"/ui/runs/{parent}" + (f"#task-{quote(key)}" if key else ""), 303)
    return _html(view)


async def _static(ws: Workspace, request: Request) -> Response:
    name = request.path_params["name"]
    if name not in _STATIC_TYPES:
        return HTMLResponse(esc("Not found"), 404)
    content = (_STATIC / name).read_bytes()
    return Response(content, media_type=_STATIC_TYPES[name], headers={"Cache-Control": "no-cache"})


async def _to_jobs(ws: Workspace, request: Request) -> Response:
    return RedirectResponse("/ui/jobs", 303)


shell = _loopback_or_token(_shell)
to_jobs = _loopback_or_token(_to_jobs)
jobs_page = _loopback_or_token(_jobs)
job_page = _loopback_or_token(_job)
run_page = _loopback_or_token(_run)
static = _loopback_or_token(_static)
