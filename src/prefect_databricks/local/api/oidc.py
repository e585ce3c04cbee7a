"""The OAuth side of a workspace: host metadata, OIDC discovery and the client-credentials token endpoint.

Service principals are the `client_id → secret` pairs the workspace was started with. Issued tokens
are kept in memory (a restart asks clients to fetch a new one, as an expired token would).
"""

from __future__ import annotations

import base64
import binascii
import secrets
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..state import Workspace
from .app import json_response

__all__ = ["LOCAL_USER", "ROUTES", "TOKEN_TTL_SECONDS", "caller"]

LOCAL_USER = "local-user@localhost"
TOKEN_TTL_SECONDS = 3600
_PRINCIPALS = "oauth_principals"


def caller(ws: Workspace, request: Request) -> str:
    """Who sent `request`: the service principal an OAuth token was issued to, else the local user."""
    token = request.headers.get("authorization", "").partition(" ")[2].strip()
    return ws.extensions.get(_PRINCIPALS, {}).get(token, LOCAL_USER)


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


async def _host_metadata(request: Request) -> Response:
    ws: Workspace = request.app.state.ws
    body = {"oidc_endpoint": f"{_base(request)}/oidc", "workspace_id": str(ws.workspace_id), "cloud": "aws"}
    return json_response(body)


async def _discovery(request: Request) -> Response:
    base = f"{_base(request)}/oidc"
    return json_response(
        {
            "issuer": base,
            "authorization_endpoint": f"{base}/v1/authorize",
            "token_endpoint": f"{base}/v1/token",
            "grant_types_supported": ["client_credentials"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "scopes_supported": ["all-apis"],
        }
    )


async def _token(request: Request) -> Response:
    ws: Workspace = request.app.state.ws
    form = {k: v[0] for k, v in parse_qs((await request.body()).decode("utf-8", "replace")).items()}
    if form.get("grant_type") != "client_credentials":
        return _oauth_error(400, "unsupported_grant_type", "Only the client_credentials grant is supported.")
    client_id, secret = _client_credentials(request, form)
    expected = ws.config.service_principals.get(client_id or "")
    if client_id is None or expected is None or not secrets.compare_digest(secret or "", expected):
        return _oauth_error(401, "invalid_client", "Client authentication failed.")
    token = ws.issue_oauth_token(TOKEN_TTL_SECONDS)
    ws.extensions.setdefault(_PRINCIPALS, {})[token] = client_id
    scope = form.get("scope", "all-apis")
    return json_response(
        {"access_token": token, "token_type": "Bearer", "expires_in": TOKEN_TTL_SECONDS, "scope": scope}
    )


def _client_credentials(request: Request, form: dict[str, str]) -> tuple[str | None, str | None]:
    """Client id and secret from HTTP Basic auth, else from the form fields."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            client_id, _, secret = base64.b64decode(value.strip()).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None, None
        return client_id, secret
    return form.get("client_id"), form.get("client_secret")


def _oauth_error(status: int, error: str, description: str) -> Response:
    headers = {"WWW-Authenticate": 'Basic realm="oidc"'} if status == 401 else None
    return json_response({"error": error, "error_description": description}, status, headers)


ROUTES = [
    Route("/.well-known/databricks-config", _host_metadata, methods=["GET"]),
    Route("/oidc/.well-known/oauth-authorization-server", _discovery, methods=["GET"]),
    Route("/oidc/v1/token", _token, methods=["POST"]),
]
