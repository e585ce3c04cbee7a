"""Where a workspace and its credentials come from: `DATABRICKS_*` variables and `~/.databrickscfg`.

Prefect-free, so the command line starts fast; the `DatabricksCredentials` block reads the same
values through `lookup_env()` / `lookup_profile()` and picks the auth type with `check_auth()`.
Keys and variables are the SDK's (`auth_types.KEYS`).
"""

from __future__ import annotations

import configparser
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .auth import AuthProvider, OAuthM2MAuth, PatAuth
from .auth_types import FAST_TYPES, KEYS, SDK_KEYS, SECRET_KEYS, resolve_auth_type
from .sdk_auth import SdkAuth, require_sdk
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

ENV_VARS = dict(KEYS)
DEFAULT_CONFIG_FILE = "~/.databrickscfg"
# Set in the environment, these alone make `from_env()` skip the config file (as before 0.5's SDK types).
_DECIDING = ("host", "token", "client_id", "client_secret", "auth_type")


@dataclass(frozen=True)
class WorkspaceConfig:
    """A workspace URL and one way to authenticate: a token, a service principal's id and secret,
    or an `auth_type` of databricks-sdk with its keys in `options` (e.g. `oidc_token_filepath`).

    Secrets are kept out of the repr; the values are checked when the object is made.
    """

    host: str
    token: str | None = field(default=None, repr=False)
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    auth_type: str | None = None
    options: Mapping[str, str] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "host", normalize_host(self.host))
        values = {"token": self.token, "client_id": self.client_id, "client_secret": self.client_secret}
        object.__setattr__(self, "auth_type", check_auth({**values, **self.options}, self.auth_type))

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
        options = {key: values[key] for key in SDK_KEYS if key in values}
        try:
            return cls(
                host, values.get("token"), values.get("client_id"), values.get("client_secret"),
                values.get("auth_type"), options,
            )
        except ValueError as exc:
            raise ValueError(f"Invalid credentials in {source}: {exc}") from None

    def auth_provider(self) -> AuthProvider:
        """A new token provider: a PAT, OAuth M2M for a service principal, or the SDK's for other types."""
        values = {"token": self.token, "client_id": self.client_id, "client_secret": self.client_secret}
        return new_provider(self.host, self.auth_type or "", {**values, **self.options})

    def new_client(self, **options: Any) -> DatabricksClient:
        """A `DatabricksClient` of this workspace; `options` go to it (`retry`, `api_version`, …)."""
        return DatabricksClient(self.host, self.auth_provider(), **options)


def check_auth(values: Mapping[str, str | None], auth_type: str | None = None) -> str:
    """The auth type of these credentials (ValueError naming the rule when they do not add up).

    Without `auth_type`: a token is `pat`, client_id with client_secret `oauth-m2m` (tenant_id only
    with those), and an SDK key such as `azure_client_secret` selects its type as the SDK does.
    """
    kind = resolve_auth_type(auth_type, {key: bool(value) for key, value in values.items()})
    if kind not in FAST_TYPES:
        require_sdk(kind)
    return kind


def new_provider(host: str, auth_type: str, values: Mapping[str, str | None]) -> AuthProvider:
    """The token provider of a checked auth type; every type but pat and oauth-m2m goes to the SDK."""
    if auth_type == "pat":
        return PatAuth(values.get("token") or "")
    if auth_type == "oauth-m2m":
        return OAuthM2MAuth(
            host, values.get("client_id") or "", values.get("client_secret") or "",
            tenant_id=values.get("tenant_id") or None,
        )
    options = {key: value for key, value in values.items() if value and key in (*SDK_KEYS, "client_id",
                                                                                  "client_secret")}
    secrets = tuple(value for key, value in options.items() if key in SECRET_KEYS)
    return SdkAuth(host, auth_type, options, secrets=secrets)


def lookup_env() -> tuple[dict[str, str], str]:
    """(values with a host, where they came from) as the Databricks SDK finds them without arguments.

    A profile of `~/.databrickscfg` (or `DATABRICKS_CONFIG_FILE`) is read when
    `DATABRICKS_CONFIG_PROFILE` names one or when no `DATABRICKS_*` value is set.
    """
    env = _env_values()
    named = os.environ.get("DATABRICKS_CONFIG_PROFILE") or None
    if any(key in env for key in _DECIDING) and not named:
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
