"""Secret scopes and secrets with Databricks' naming rules, size limit and error messages.

Values are stored as bytes in the owner-only database and only leave it through `secret_value` (the
`secrets/get` route that a task's `dbutils.secrets` calls). Limits: README, "What it cannot run".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import InvalidParameterValue, ResourceAlreadyExists, ResourceDoesNotExist
from ..state import Workspace

__all__ = [
    "MAX_VALUE_BYTES", "SecretKey", "create_scope", "delete_scope", "delete_secret", "list_scopes",
    "list_secrets", "put_secret", "secret_value",
]

MAX_VALUE_BYTES = 128 * 1024
"""Databricks caps a secret's value at 128 KB."""
_NAME = re.compile(r"[A-Za-z0-9_.@-]{1,128}")
_KEY = re.compile(r"[A-Za-z0-9_.-]{1,128}")


@dataclass(frozen=True)
class SecretKey:
    """A secret as secrets/list shows it: its key and when it was last written (epoch ms)."""

    key: str
    last_updated_timestamp: int


def create_scope(ws: Workspace, scope: str, *, backend: str | None, manage_principal: str | None) -> None:
    """Create a Databricks-backed scope; 409 when it exists, 400 for what is not emulated."""
    _check_name(scope)
    if backend not in (None, "DATABRICKS"):
        raise InvalidParameterValue(
            f"scope_backend_type {backend} is not supported by the local workspace: only DATABRICKS scopes"
        )
    if manage_principal not in (None, "users"):
        raise InvalidParameterValue(
            "initial_manage_principal: the local workspace has no secret ACLs and only accepts 'users'"
        )
    if not ws.store.add_secret_scope(scope, ws.now_ms()):
        raise ResourceAlreadyExists(f"Scope {scope} already exists!")


def list_scopes(ws: Workspace) -> list[str]:
    """Every scope's name, sorted."""
    return ws.store.secret_scopes()


def delete_scope(ws: Workspace, scope: str) -> None:
    """Delete the scope and its secrets; 404 when it does not exist."""
    if not ws.store.delete_secret_scope(scope):
        raise ResourceDoesNotExist(f"Scope {scope} does not exist!")


def put_secret(ws: Workspace, scope: str, key: str, value: bytes) -> None:
    """Write one secret (replacing its value); 404 for an unknown scope, 400 for a bad key or size."""
    _existing_scope(ws, scope)
    if not _KEY.fullmatch(key):
        raise InvalidParameterValue(
            f"Invalid secret key name: {key}. Key names may only contain alphanumeric characters, dashes, "
            "underscores and periods, and may not exceed 128 characters."
        )
    if len(value) > MAX_VALUE_BYTES:
        raise InvalidParameterValue(f"Size of secret value exceeds the limit of {MAX_VALUE_BYTES} bytes.")
    ws.store.put_secret(scope, key, value, ws.now_ms())


def list_secrets(ws: Workspace, scope: str) -> list[SecretKey]:
    """The keys of a scope (never the values); 404 for an unknown scope."""
    _existing_scope(ws, scope)
    return [SecretKey(key, updated) for key, updated in ws.store.secret_keys(scope)]


def delete_secret(ws: Workspace, scope: str, key: str) -> None:
    """Delete one secret; 404 when the scope or the secret does not exist."""
    _existing_scope(ws, scope)
    if not ws.store.delete_secret(scope, key):
        raise ResourceDoesNotExist(f"Secret {key} does not exist in scope {scope}!")


def secret_value(ws: Workspace, scope: str, key: str) -> bytes:
    """The bytes of one secret; 404 when the scope or the secret does not exist."""
    _existing_scope(ws, scope)
    value = ws.store.secret_value(scope, key)
    if value is None:
        raise ResourceDoesNotExist(f"Secret does not exist with scope: {scope} and key: {key}")
    return value


def _check_name(scope: str) -> None:
    if not _NAME.fullmatch(scope):
        raise InvalidParameterValue(
            f"Invalid scope name: {scope}. Scope names may only contain alphanumeric characters, dashes, "
            "underscores, periods and '@', and may not exceed 128 characters."
        )


def _existing_scope(ws: Workspace, scope: str) -> None:
    if scope not in ws.store.secret_scopes():
        raise ResourceDoesNotExist(f"Scope {scope} does not exist!")
