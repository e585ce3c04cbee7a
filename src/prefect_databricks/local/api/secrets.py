"""Handlers of the Secrets API: scopes, secrets, and `secrets/get` for the task processes' dbutils."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from ..errors import InvalidParameterValue
from ..secrets import service
from .app import Call

__all__ = ["create_scope", "delete", "delete_scope", "get", "list_", "list_scopes", "put"]


async def create_scope(call: Call) -> dict[str, Any]:
    """secrets/scopes/create."""
    service.create_scope(
        call.ws, _scope(call), backend=_backend(call),
        manage_principal=call.params.str("initial_manage_principal"),
    )
    return {}


async def list_scopes(call: Call) -> dict[str, Any]:
    """secrets/scopes/list (an empty list is left out, as on Databricks)."""
    scopes = [{"name": name, "backend_type": "DATABRICKS"} for name in service.list_scopes(call.ws)]
    return {"scopes": scopes} if scopes else {}


async def delete_scope(call: Call) -> dict[str, Any]:
    """secrets/scopes/delete."""
    service.delete_scope(call.ws, _scope(call))
    return {}


async def put(call: Call) -> dict[str, Any]:
    """secrets/put: exactly one of `string_value` and `bytes_value` (base64)."""
    service.put_secret(call.ws, _scope(call), _key(call), _value(call))
    return {}


async def list_(call: Call) -> dict[str, Any]:
    """secrets/list: keys and update times, never values."""
    keys = service.list_secrets(call.ws, _scope(call))
    secrets = [{"key": k.key, "last_updated_timestamp": k.last_updated_timestamp} for k in keys]
    return {"secrets": secrets} if secrets else {}


async def delete(call: Call) -> dict[str, Any]:
    """secrets/delete."""
    service.delete_secret(call.ws, _scope(call), _key(call))
    return {}


async def get(call: Call) -> dict[str, Any]:
    """secrets/get: the value, base64-encoded."""
    key = _key(call)
    value = service.secret_value(call.ws, _scope(call), key)
    return {"key": key, "value": base64.b64encode(value).decode()}


def _backend(call: Call) -> str | None:
    """The scope's backend; Key Vault metadata means an AZURE_KEYVAULT scope whatever the type says."""
    if call.params.obj("backend_azure_keyvault") is not None:
        return "AZURE_KEYVAULT"
    return call.params.str("scope_backend_type")


def _scope(call: Call) -> str:
    return call.params.str("scope", required=True) or ""


def _key(call: Call) -> str:
    return call.params.str("key", required=True) or ""


def _value(call: Call) -> bytes:
    text, encoded = call.params.str("string_value"), call.params.str("bytes_value")
    if (text is None) == (encoded is None):
        raise InvalidParameterValue("Exactly one of string_value and bytes_value must be specified.")
    if text is not None:
        return text.encode()
    try:
        return base64.b64decode(encoded or "", validate=True)
    except (binascii.Error, ValueError):
        raise InvalidParameterValue("bytes_value must be base64-encoded.") from None
