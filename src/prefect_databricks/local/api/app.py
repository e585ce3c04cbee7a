"""How a route is served: token auth, request parsing into `Call`, and the error renderer.

Handlers are thin: they read `Call.params` into a service's typed arguments, make one service call and
return JSON. Every route is declared once, in `routes.py`, with the `api(...)`/`control(...)` helpers here;
a job route declares there what it `need`s on its job, and its handler calls `Call.check(job_id)` once.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import ApiError, EndpointNotFound, MalformedRequest, PermissionDenied, Unauthenticated
from ..jobs.access import Need, require, viewer_of
from ..spark.server import SparkServer
from ..state import LOCAL_USER, Workspace
from ..store import Viewer
from .body import IMPORT_BODY_LIMIT, JSON_BODY_LIMIT, checked, load_json, read_body
from .counter import RequestCounter
from .faults import FaultSwitch, parse_spec
from .multipart import form_fields
from .params import Params
from .responses import json_response

__all__ = ["API_VERSIONS", "Call", "Surface", "api", "authenticate", "control", "create_app"]

API_VERSIONS = ("2.0", "2.1", "2.2")
_ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
_log = logging.getLogger("prefect_databricks.local")


@dataclass
class Surface:
    """What the HTTP layer keeps beside the workspace: request counter, fault switch, Spark server."""

    counter: RequestCounter
    faults: FaultSwitch
    spark: SparkServer

    @classmethod
    def of(cls, ws: Workspace, routes: Iterable[BaseRoute]) -> Surface:
        """A new surface for `ws` serving `routes`, faults as its settings give them."""
        faults = FaultSwitch(parse_spec(ws.config.faults) if ws.config.faults else None)
        return cls(RequestCounter(routes), faults, SparkServer(ws.config.data_dir))


@dataclass
class Call:
    """One API request as a handler sees it; `caller` is who its token signs in as, `need` what its
    route requires on the job it names."""

    ws: Workspace
    surface: Surface
    version: str
    params: Params
    path: dict[str, Any]
    caller: str
    need: Need | None = None
    task_run_id: int | None = None
    """The task run whose own token signed the request (a task process calling back), else None."""

    def check(self, job_id: int) -> None:
        """403 unless the caller holds what the route needs on `job_id` (admins always do)."""
        assert self.need is not None, "the route declares no need"
        require(self.ws, self.caller, job_id, self.need)

    def viewer(self) -> Viewer | None:
        """What a list shows the caller: None for an admin (everything), else its name and groups."""
        return viewer_of(self.ws, self.caller)


Handler = Callable[[Call], Awaitable[Any]]


def api(
    method: str, path: str, handler: Handler, *, versions: Sequence[str] = API_VERSIONS,
    multipart: bool = False, need: Need | None = None,
) -> list[Route]:
    """Routes serving `handler` at `/api/<version>/<path>` for each version, behind token auth.

    `multipart` also takes the body as a `multipart/form-data` form (read as the equivalent JSON), with
    workspace/import's larger body limit; `need` is what the caller must hold on the job it names.
    """
    endpoint = _authenticated(handler, multipart=multipart, need=need)
    return [
        Route(f"/api/{version}/{path}", endpoint, methods=[method], name=f"{method} {version}/{path}")
        for version in versions
    ]


def control(method: str, path: str, handler: Handler) -> Route:
    """A route of the non-Databricks control prefix `/local-api/<path>`: the workspace token only."""
    return Route(f"/local-api/{path}", _authenticated(handler, control=True), methods=[method])


def _authenticated(
    handler: Handler, *, multipart: bool = False, control: bool = False, need: Need | None = None
) -> Callable[[Request], Awaitable[Response]]:
    """`handler` behind the token check, which comes before a byte of the body is read."""

    async def endpoint(request: Request) -> Response:
        ws: Workspace = request.app.state.ws
        token = authenticate(ws, request)
        caller = ws.caller(token)
        if control and caller != LOCAL_USER:
            raise PermissionDenied("The /local-api/ routes take the workspace token, not an OAuth token.")
        version = request.url.path.split("/")[2] if request.url.path.startswith("/api/") else ""
        params = await _params(request, multipart=multipart)
        surface, path = request.app.state.surface, dict(request.path_params)
        call = Call(ws, surface, version, params, path, caller, need, ws.task_run_of(token))
        result = await handler(call)
        return result if isinstance(result, Response) else json_response(result)

    return endpoint


def authenticate(ws: Workspace, request: Request) -> str:
    """The request's valid bearer token.

    401 when none is sent, or when it has the form of an OAuth token this workspace issues but is
    unknown or expired (RFC 6750 `invalid_token`: a restart forgets issued tokens, and clients fetch a
    new one on 401); 403 "Invalid access token." for anything else, as the real service answers a
    wrong personal access token (recorded in databricks/databricks-sdk-go#873).
    """
    header = request.headers.get("authorization", "")
    if not header:
        raise Unauthenticated("Credential was not sent or was of an unsupported type for this API.")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() == "bearer" and ws.token_is_valid(token):
        return token
    if scheme.lower() == "bearer" and ws.looks_issued(token):
        challenge = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
        raise Unauthenticated("Invalid access token: unknown or expired.", headers=challenge)
    raise PermissionDenied("Invalid access token.")


async def _params(request: Request, *, multipart: bool) -> Params:
    content_type = request.headers.get("content-type", "")
    if multipart and content_type.startswith("multipart/form-data"):
        form = form_fields(content_type, await read_body(request, IMPORT_BODY_LIMIT))
        return Params(checked(form), from_query=False)
    limit = IMPORT_BODY_LIMIT if multipart else JSON_BODY_LIMIT
    if request.method == "GET":
        query = {k: v for k, v in request.query_params.multi_items()}
        body = await _json_object(request, limit, required=False)
        return Params({**body, **query}, from_query=True)
    return Params(await _json_object(request, limit, required=True), from_query=False)


async def _json_object(request: Request, limit: int, *, required: bool) -> dict[str, Any]:
    raw = await read_body(request, limit)
    if not raw.strip():
        return {}
    try:
        body = load_json(raw)
    except MalformedRequest:
        if not required:
            return {}
        raise
    if not isinstance(body, dict):
        raise MalformedRequest("The body of the request must be a JSON object.")
    return body


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return json_response(exc.body(), exc.status, exc.headers)


class _Contained:
    """Answer an unexpected error as a JSON 500 and keep the connection (Starlette's outer handler
    would re-raise it, and the server would then reset the keep-alive connection)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except ClientDisconnect:
            return
        except Exception:
            if started or scope["type"] != "http":
                raise
            _log.exception("Unexpected error on %s %s", scope.get("method"), scope.get("path"))
            body = {"error_code": "INTERNAL_ERROR", "message": "Internal error."}
            await json_response(body, 500)(scope, receive, send)


async def _not_found(request: Request) -> Response:
    raise EndpointNotFound("No API endpoint found")


def create_app(ws: Workspace, routes: Iterable[BaseRoute], surface: Surface | None = None) -> Starlette:
    """The Starlette app serving `routes` for `ws`; unknown paths answer ENDPOINT_NOT_FOUND."""
    routes = list(routes)
    app = Starlette(
        routes=[*routes, Route("/{path:path}", _not_found, methods=_ALL_METHODS)],
        exception_handlers={ApiError: _api_error},
        middleware=[Middleware(_Contained)],
    )
    app.state.ws = ws
    app.state.surface = surface or Surface.of(ws, routes)
    return app
