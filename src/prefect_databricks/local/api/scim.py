"""`GET /api/2.0/preview/scim/v2/Me`: who the caller's token signs in as, as a SCIM user.

The SDK's `current_user.me()` builds `/Users/<userName>/` paths from it. The workspace token signs in as
the workspace's admin user; an OAuth token as its service principal, whose `userName` is its application
(client) id, as on Databricks. `groups` lists `users` for everyone and `admins` for workspace admins.
"""

from __future__ import annotations

import hashlib
from typing import Any

from ..state import LOCAL_USER
from .app import Call

__all__ = ["me"]

_ALWAYS = ("id", "schemas")
_USER_SCHEMAS = ["urn:ietf:params:scim:schemas:core:2.0:User",
                 "urn:ietf:params:scim:schemas:extension:workspace:2.0:User"]


async def me(call: Call) -> dict[str, Any]:
    """The SCIM user of the caller; `attributes`/`excluded_attributes` (comma-separated) pick the fields.

    As SCIM (RFC 7644 §3.9) says, `id` and `schemas` are always returned.
    """
    doc = _user(call.caller, call.ws.groups_of(call.caller))
    keep, drop = _names(call.params.str("attributes")), _names(call.params.str("excluded_attributes"))
    return {k: v for k, v in doc.items() if k in _ALWAYS or ((not keep or k in keep) and k not in drop)}


def _names(value: str | None) -> set[str]:
    return {name.strip() for name in (value or "").split(",") if name.strip()}


def _user(name: str, groups: tuple[str, ...]) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": _scim_id(name),
        "userName": name,
        "displayName": "Local User" if name == LOCAL_USER else name,
        "active": True,
        "groups": [{"display": g, "type": "direct", "value": _scim_id(f"group:{g}")} for g in groups],
        "schemas": _USER_SCHEMAS,
    }
    if name == LOCAL_USER:
        doc["emails"] = [{"value": name, "type": "work", "primary": True}]
        doc["name"] = {"givenName": "Local", "familyName": "User"}
    return doc


def _scim_id(name: str) -> str:
    """A stable numeric id for `name` (SCIM ids are strings of digits on Databricks)."""
    return str(int.from_bytes(hashlib.sha256(name.encode()).digest()[:7], "big"))
