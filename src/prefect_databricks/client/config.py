"""Where a workspace and its credentials come from: `DATABRICKS_*` variables and `~/.databrickscfg`.

Prefect-free, so the command line starts fast; the `DatabricksCredentials` block reads the same
values through `lookup_env()` / `lookup_profile()` and validates them with `check_auth()`.
"""

from __future__ import annotations

import configparser
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .auth import OAuthM2MAuth, PatAuth
from .transport import DatabricksClient
from .wire import normalize_host

__all__ = [
    "DEFAULT_CONFIG_FILE",
    "ENV_VARS",
    "WorkspaceConfig",
    "check_auth",
    "lookup_env",
    "lookup_profile",
]

ENV_VARS = {
    "host": "DATABRICKS_HOST",
    "token": "DATABRICKS_TOKEN",
    "client_id": "DATABRICKS_CLIENT_ID",
    "client_secret": "DATABRICKS_CLIENT_SECRET",
}
DEFAULT_CONFIG_FILE = "~/.databrickscfg"


@dataclass(frozen=True)
class WorkspaceConfig:
    """A workspace URL and one way to authenticate: a token, or a service principal's id and secret.

    Secrets are kept out of the repr; the values are checked when the object is made.
    """

    host: str
    token: str | None = field(default=None, repr=False)
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "host", normalize_host(self.host))
        check_auth(bool(self.token), bool(self.client_id), bool(self.client_secret), False)

    @classmethod
    def from_env(cls) -> WorkspaceConfig:
        """From `DATABRICKS_*` variables, or the profile of the config file they name (as the SDK does)."""
        return cls._from_values(*lookup_env())

    @classmethod
    def from_profile(
        cls, name: str = "DEFAULT", config_file: str | Path = DEFAULT_CONFIG_FILE
    ) -> WorkspaceConfig:
        """From a profile of a Databricks config file; `DATABRICKS_*` variables override its values."""
        return cls._from_values(*lookup_profile(name, config_file))

    @classmethod
    def _from_values(cls, values: dict[str, str], source: str) -> WorkspaceConfig:
        host = normalize_host(values["host"])
        try:
            return cls(host, values.get("token"), values.get("client_id"), values.get("client_secret"))
        except ValueError as exc:
            raise ValueError(f"Invalid credentials in {source}: {exc}") from None

    def auth_provider(self) -> PatAuth | OAuthM2MAuth:
        """A new token provider: a personal access token, or OAuth M2M for a service principal."""
        if self.token:
            return PatAuth(self.token)
        return OAuthM2MAuth(self.host, self.client_id or "", self.client_secret or "")

    def new_client(self, **options: Any) -> DatabricksClient:
        """A `DatabricksClient` of this workspace; `options` go to it (`retry`, `api_version`, …)."""
        return DatabricksClient(self.host, self.auth_provider(), **options)


def check_auth(token: bool, client_id: bool, client_secret: bool, tenant_id: bool) -> None:
    """Exactly one method: a token, or client_id with client_secret (tenant_id only with those)."""
    if token and (client_id or client_secret):
        raise ValueError("Give either token or client_id and client_secret, not both.")
    if client_id != client_secret:
        raise ValueError("client_id and client_secret must be given together.")
    if not token and not client_id:
        raise ValueError(
            "No credentials: give token (a personal access token) "
            "or client_id and client_secret (a service principal)."
        )
    if tenant_id and not client_id:
        raise ValueError("tenant_id is only used with client_id and client_secret.")


def lookup_env() -> tuple[dict[str, str], str]:
    """(values with a host, where they came from) as the Databricks SDK finds them without arguments.

    A profile of `~/.databrickscfg` (or `DATABRICKS_CONFIG_FILE`) is read when
    `DATABRICKS_CONFIG_PROFILE` names one or when no `DATABRICKS_*` value is set.
    """
    env = _env_values()
    named = os.environ.get("DATABRICKS_CONFIG_PROFILE") or None
    if env and not named:
        return _with_host(env, "the DATABRICKS_* environment variables")
    return _with_host(*_from_file(named, os.environ.get("DATABRICKS_CONFIG_FILE"), env))


def lookup_profile(name: str, config_file: str | Path | None) -> tuple[dict[str, str], str]:
    """(values with a host, where they came from) of profile `name`, overridden by `DATABRICKS_*`."""
    return _with_host(*_from_file(name, config_file, _env_values()))


def _from_file(
    name: str | None, config_file: str | Path | None, env: dict[str, str]
) -> tuple[dict[str, str], str]:
    path = Path(config_file or DEFAULT_CONFIG_FILE).expanduser()
    profile_name, profile = _read_profile(path, name)
    return {**profile, **env}, f"profile [{profile_name}] of {path}"


def _with_host(values: dict[str, str], source: str) -> tuple[dict[str, str], str]:
    """(values, source) when `values` name a host; else a ValueError saying where it is missing."""
    if not values.get("host"):
        raise ValueError(f"No Databricks host in {source}: set DATABRICKS_HOST or `host`.")
    return values, source


def _env_values() -> dict[str, str]:
    """The DATABRICKS_* variables that are set and not empty."""
    return {key: os.environ[var] for key, var in ENV_VARS.items() if os.environ.get(var)}


def _read_profile(path: Path, name: str | None) -> tuple[str, dict[str, str]]:
    """(profile name, its host and credential keys) from a Databricks INI config file."""
    parser = configparser.ConfigParser(default_section="__no_default__", interpolation=None)
    if not parser.read(path):
        raise ValueError(f"No Databricks config file at {path}: set DATABRICKS_HOST or create it.")
    settings = parser["__settings__"] if parser.has_section("__settings__") else {}
    name = name or settings.get("default_profile") or "DEFAULT"
    if not parser.has_section(name):
        raise ValueError(f"No profile [{name}] in {path}.")
    section = parser[name]
    return name, {key: section[key].strip() for key in ENV_VARS if section.get(key, "").strip()}
