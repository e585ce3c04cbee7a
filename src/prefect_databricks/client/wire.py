"""Pure helpers of the wire format: host URLs, client options, query strings and JSON bodies."""

from __future__ import annotations

import ipaddress
import json
import uuid
from collections.abc import Mapping
from enum import Enum
from typing import Any

import httpx

from .endpoints import Endpoint
from .errors import ClientValidationError

__all__ = [
    "client_options",
    "encode_params",
    "ids_of",
    "normalize_host",
    "with_idempotency_token",
    "with_user_agent",
]

_ID_FIELDS = ("job_id", "run_id", "repair_id")
_RESERVED_KWARGS = ("base_url", "auth")


def normalize_host(host: str) -> str:
    """`https://host[:port]` from a host given with or without scheme and trailing `/`.

    Plain `http://` is accepted only for loopback hosts (the local workspace).
    """
    host = (host or "").strip().rstrip("/")
    if not host:
        raise ClientValidationError("host", "must not be empty")
    if "://" not in host:
        host = f"https://{host}"
    url = _parse_url(host)
    if url.scheme == "http" and not _is_loopback(url.host):
        raise ClientValidationError(
            "host", "must use https:// (plain http:// is allowed only for 127.0.0.1, ::1, localhost)"
        )
    return host


def _parse_url(host: str) -> httpx.URL:
    rule = f"must be an https:// URL or a host name, not {host!r}"
    try:
        url = httpx.URL(host)
    except httpx.InvalidURL:
        raise ClientValidationError("host", rule) from None
    if url.scheme not in ("http", "https") or not url.host or any(c.isspace() for c in host):
        raise ClientValidationError("host", rule)
    return url


def _is_loopback(hostname: str) -> bool:
    if hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


def with_user_agent(headers: Mapping[str, str] | None) -> dict[str, str]:
    """`headers` with `User-Agent: prefect-databricks/<version>`, followed by the caller's own if any."""
    from prefect_databricks import __version__

    merged = dict(headers or {})
    own = next((merged.pop(key) for key in list(merged) if key.lower() == "user-agent"), None)
    merged["User-Agent"] = f"prefect-databricks/{__version__}" + (f" {own}" if own else "")
    return merged


def client_options(
    host: str,
    transport: httpx.AsyncBaseTransport | None,
    timeout: httpx.Timeout | float,
    client_kwargs: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """Keyword arguments of the pooled `httpx.AsyncClient`."""
    options = dict(client_kwargs or {})
    reserved = [key for key in _RESERVED_KWARGS if key in options]
    if reserved:
        rule = f"must not set {reserved[0]}: it comes from the credentials"
        raise ClientValidationError("client_kwargs", rule)
    headers = with_user_agent(options.pop("headers", None)) | {"Accept": "application/json"}
    options |= {"base_url": host, "headers": headers}
    options.setdefault("timeout", timeout)
    if transport is not None:
        options["transport"] = transport
    return options


def with_idempotency_token(ep: Endpoint, params: Mapping[str, Any] | None) -> dict[str, Any]:
    """The params, with a fresh `idempotency_token` where the endpoint takes one and none was given."""
    params = dict(params or {})
    if ep.idempotency_token and not params.get("idempotency_token"):
        params["idempotency_token"] = uuid.uuid4().hex
    return params


def ids_of(params: Mapping[str, Any], path: Mapping[str, Any] | None) -> str:
    """`job_id=1, run_id=2` from the ids asked for, for error messages."""
    fields = {**params, **(path or {})}
    return ", ".join(f"{key}={fields[key]}" for key in _ID_FIELDS if fields.get(key) is not None)


def encode_params(method: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """`build_request` keyword arguments: a query string for GET, a JSON body otherwise."""
    if method == "GET":
        return {"params": _query(params)}
    body = {key: value for key, value in params.items() if value is not None}
    try:
        content = json.dumps(body, separators=(",", ":"), ensure_ascii=False, default=_json_default)
    except (TypeError, ValueError) as exc:
        raise ClientValidationError("params", f"must be JSON-serialisable ({exc})") from None
    return {"content": content.encode(), "headers": {"Content-Type": "application/json"}}


def _query(params: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Query pairs: None dropped, booleans as true/false, lists as repeated keys."""
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        values = value if isinstance(value, (list, tuple)) else (value,)
        pairs.extend((key, _query_value(item)) for item in values if item is not None)
    return pairs


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _json_default(value: Any) -> Any:
    """Enums as their value and pydantic models as `prefect_databricks.models.to_wire` spells them."""
    if isinstance(value, Enum):
        return value.value
    if callable(getattr(value, "model_dump", None)):
        from prefect_databricks.models._wire import to_wire  # a model exists: pydantic is loaded

        return to_wire(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")
