"""`dbutils.secrets`: values read from the workspace's Secrets API, remembered for redaction."""

from __future__ import annotations

import base64
import builtins
from typing import NamedTuple

from . import _api, _redact

__all__ = ["SecretMetadata", "SecretScope", "Secrets"]


class SecretMetadata(NamedTuple):
    """One key of a scope (as `dbutils.secrets.list` gives it)."""

    key: str


class SecretScope(NamedTuple):
    """One scope (as `dbutils.secrets.listScopes` gives it)."""

    name: str


class Secrets:
    """Reads secrets over the task's own token; every value read is redacted from the task's output."""

    def get(self, scope: str, key: str) -> str:
        """The secret as text (UTF-8)."""
        return self.getBytes(scope, key).decode("utf-8", errors="replace")

    def getBytes(self, scope: str, key: str) -> bytes:
        """The secret's bytes."""
        try:
            answer = _api.call("GET", "2.0/secrets/get", {"scope": scope, "key": key})
        except _api.WorkspaceError as exc:
            raise ValueError(str(exc).split(": ", 1)[-1]) from None
        value = base64.b64decode(answer["value"])
        _redact.remember(value.decode("utf-8", errors="replace"))
        return value

    def list(self, scope: str) -> builtins.list[SecretMetadata]:
        """The keys of a scope."""
        answer = _api.call("GET", "2.0/secrets/list", {"scope": scope})
        return [SecretMetadata(item["key"]) for item in answer.get("secrets", [])]

    def listScopes(self) -> builtins.list[SecretScope]:
        """Every scope of the workspace."""
        answer = _api.call("GET", "2.0/secrets/scopes/list")
        return [SecretScope(item["name"]) for item in answer.get("scopes", [])]
