"""The OAuth side of a workspace: host metadata, OIDC discovery and the token endpoint.

The token endpoint takes the client-credentials grant, for the `client_id → secret` pairs the
workspace was started with, and the token-exchange grant of workload identity federation
(`federation.py`). Issued tokens are kept in memory (a restart asks clients to fetch a new one, as
an expired token would).
"""

from __future__ import annotations

import base64
import binascii
import secrets
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import Response

from ..state import Workspace
from .body import read_body
from .federation import GRANT_TYPE, ExchangeRefused, exchange
from .responses import json_response

__all__ = ["discovery", "host_metadata", "token"]

_FORM_LIMIT = 64 * 1024  # a client-credentials or token-exchange form is a few kilobytes


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


async def host_metadata(request: Request) -> Response:
    """`/.well-known/databricks-config`: the workspace id, cloud and OIDC endpoint (the SDK probes it)."""
    ws: Workspace = request.app.state.ws
    body = {"oidc_endpoint": f"{_base(request)}/oidc", "workspace_id": str(ws.workspace_id), "cloud": "aws"}
    return json_response(body)


async def discovery(request: Request) -> Response:
    """OIDC discovery: where the token endpoint is and which grants it takes."""
    base = f"{_base(request)}/oidc"
    return json_response(
        {
            "issuer": base,
            "authorization_endpoint": f"{base}/v1/authorize",
            "token_endpoint": f"{base}/v1/token",
            "grant_types_supported": ["client_credentials", GRANT_TYPE],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "scopes_supported": ["all-apis"],
        }
    )


async def token(request: Request) -> Response:
    """The client-credentials grant for service principals, the token-exchange grant for federation."""
    ws: Workspace = request.app.state.ws
    raw = await read_body(request, _FORM_LIMIT)
    form = {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}
    grant = form.get("grant_type")
    if grant == GRANT_TYPE:
        try:
            caller = exchange(ws, form, f"{_base(request)}/oidc/v1/token")
        except ExchangeRefused as refused:
            return _oauth_error(401 if refused.error == "invalid_client" else 400, refused.error,
                                refused.description)
        return _issue(ws, caller, form)
    if grant != "client_credentials":
        return _oauth_error(
            400, "unsupported_grant_type", f"grant_type must be client_credentials or {GRANT_TYPE}."
        )
    client_id, secret = _client_credentials(request, form)
    expected = ws.config.service_principals.get(client_id or "")
    if client_id is None or expected is None or not _same(secret or "", expected):
        return _oauth_error(401, "invalid_client", "Client authentication failed.")
    return _issue(ws, client_id, form)


def _issue(ws: Workspace, caller: str, form: dict[str, str]) -> Response:
    ttl = ws.config.oauth_token_ttl_seconds
    access_token = ws.issue_oauth_token(caller, ttl)
    body = {"access_token": access_token, "token_type": "Bearer", "expires_in": ttl}
    return json_response({**body, "scope": form.get("scope", "all-apis")})


def _same(given: str, expected: str) -> bool:
    """Constant-time comparison as UTF-8 bytes (a non-ASCII secret is a wrong one, never an error)."""
    return secrets.compare_digest(given.encode("utf-8", "surrogateescape"), expected.encode())


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
