"""`DatabricksCredentials`: the Block that holds a workspace host and one way to authenticate.

It keeps the 0.4 field names, so saved blocks load unchanged, and builds the pooled
`DatabricksClient` (one per credentials object and event loop).
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import httpx
from prefect.blocks.core import Block
from pydantic import ConfigDict, Field, HttpUrl, PrivateAttr, SecretStr, field_validator, model_validator

from .client.auth import AuthProvider, HttpxAuth, OAuthM2MAuth, PatAuth
from .client.auth_types import SDK_KEYS
from .client.config import DEFAULT_CONFIG_FILE, check_auth, lookup_env, lookup_profile, new_provider
from .client.errors import ClientValidationError
from .client.sdk_auth import SdkAuth, SdkHttpxAuth
from .client.transport import DatabricksClient
from .client.wire import normalize_host, with_user_agent

__all__ = ["DatabricksCredentials"]


class _ClientCache:
    """Per-loop clients and the shared token provider; never copied or pickled with the block."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.provider: AuthProvider | None = None
        self.clients: dict[asyncio.AbstractEventLoop, dict[str, DatabricksClient]] = {}

    def forget_closed_loops(self) -> None:
        """Drop the clients of loops that have closed (their connections died with the loop)."""
        for loop in [loop for loop in list(self.clients) if loop.is_closed()]:
            del self.clients[loop]

    def __deepcopy__(self, memo: dict[int, Any]) -> _ClientCache:
        return _ClientCache()

    def __copy__(self) -> _ClientCache:
        return _ClientCache()

    def __reduce__(self) -> tuple[Any, ...]:
        return (_ClientCache, ())

    def __eq__(self, other: object) -> bool:
        """Caches never make two blocks differ."""
        return isinstance(other, _ClientCache)

    __hash__ = object.__hash__


def _opt(title: str, description: str) -> Any:
    """An optional field of one auth type."""
    return Field(default=None, title=title, description=description)


class DatabricksCredentials(Block):
    """Credentials of a Databricks workspace: a personal access token, an OAuth service principal,
    or any other auth type of databricks-sdk's unified auth (`auth_type`, with the SDK's field names).

    Build it from fields, `from_env()` or `from_profile()`; `get_jobs_client()` gives the pooled
    async client the tasks use.
    """

    model_config = ConfigDict(hide_input_in_errors=True)

    _block_type_name = "Databricks Credentials"
    _logo_url = HttpUrl(
        "https://images.ctfassets.net/gm98wzqotmnx/5GTHI1PH2dTiantfps6Fnc/1c750fab7f4c14ea1b93a62b9fea6a94/databricks_logo_icon_file.png"
    )
    _documentation_url = HttpUrl("https://docs.prefect.io/integrations/prefect-databricks")
    _code_example = """```python
from prefect_databricks import DatabricksCredentials

databricks_credentials_block = DatabricksCredentials.load("BLOCK_NAME")
```"""

    databricks_instance: str = Field(
        default=...,
        title="Databricks Instance",
        description=(
            "The workspace host, e.g. dbc-a1b2345c-d6e7.cloud.databricks.com; "
            "https:// and a trailing / are optional."
        ),
    )
    token: SecretStr | None = Field(
        default=None,
        title="Token",
        description="A personal access token; leave empty when using a service principal.",
    )
    client_id: str | None = Field(
        default=None,
        title="Client ID",
        description="The service principal's client (application) ID, for OAuth M2M.",
    )
    client_secret: SecretStr | None = Field(
        default=None,
        title="Client Secret",
        description="The service principal's OAuth secret, for OAuth M2M.",
    )
    tenant_id: str | None = Field(
        default=None,
        title="Tenant ID",
        description="The Azure tenant of a Microsoft Entra ID service principal; empty otherwise.",
    )
    auth_type: str | None = Field(
        default=None,
        title="Auth Type",
        description=(
            "How to sign in, with the Databricks SDK's names: pat, oauth-m2m, azure-client-secret, "
            "azure-cli, github-oidc, env-oidc, file-oidc, databricks-cli, metadata-service, "
            "google-credentials, google-id, ... Empty: pat or oauth-m2m, by the fields given."
        ),
    )
    azure_client_id: str | None = _opt("Azure Client ID", "An Entra ID app's ID (azure-client-secret).")
    azure_client_secret: SecretStr | None = _opt("Azure Client Secret", "Its secret (azure-client-secret).")
    azure_tenant_id: str | None = _opt("Azure Tenant ID", "Its tenant (azure-client-secret, azure-cli).")
    azure_workspace_resource_id: str | None = _opt(
        "Azure Workspace Resource ID", "The workspace's Azure resource ID (Azure types)."
    )
    azure_environment: str | None = _opt("Azure Environment", "PUBLIC (default), USGOVERNMENT or CHINA.")
    oidc_token_env: str | None = _opt(
        "OIDC Token Variable", "The variable holding an identity-provider token (env-oidc)."
    )
    oidc_token_filepath: str | None = _opt("OIDC Token File", "A file holding such a token (file-oidc).")
    token_audience: str | None = _opt("Token Audience", "The audience identity-provider tokens are for.")
    databricks_cli_path: str | None = _opt("Databricks CLI Path", "The CLI to ask (databricks-cli).")
    metadata_service_url: SecretStr | None = _opt("Metadata Service URL", "Its URL (metadata-service).")
    google_credentials: SecretStr | None = _opt("Google Credentials", "A key's JSON (google-credentials).")
    google_service_account: str | None = _opt("Google Service Account", "The account to use (google-id).")
    client_kwargs: dict[str, Any] | None = Field(
        default=None,
        title="Client Options",
        description="Extra httpx.AsyncClient options, such as verify, timeout or headers.",
    )

    _cache: _ClientCache = PrivateAttr(default_factory=_ClientCache)

    @field_validator("databricks_instance")
    @classmethod
    def _check_instance(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        try:
            normalize_host(value)
        except ClientValidationError as exc:
            raise ValueError(f"databricks_instance {exc.rule}") from None
        return value

    @model_validator(mode="after")
    def _one_auth_method(self) -> DatabricksCredentials:
        check_auth(self._auth_values(), self.auth_type)
        return self

    def _auth_values(self) -> dict[str, str | None]:
        """The sign-in fields as plain values (secrets revealed: for the provider only, never logged)."""
        values = {key: getattr(self, key) for key in ("token", "client_id", "client_secret", "tenant_id",
                                                       *SDK_KEYS)}
        return {key: _plain(value) for key, value in values.items()}

    @property
    def host(self) -> str:
        """The workspace URL with its scheme, e.g. `https://dbc-….cloud.databricks.com`."""
        return normalize_host(self.databricks_instance)

    @classmethod
    def from_env(cls) -> DatabricksCredentials:
        """From `DATABRICKS_HOST`, `DATABRICKS_TOKEN` / `DATABRICKS_CLIENT_ID` + `_SECRET`.

        As the Databricks SDK does, a profile of `~/.databrickscfg` (or `DATABRICKS_CONFIG_FILE`)
        is read when `DATABRICKS_CONFIG_PROFILE` names one or when the environment gives neither
        a host nor credentials; environment values override the profile's.
        """
        values, _ = lookup_env()
        return cls._build(values)

    @classmethod
    def from_profile(
        cls, name: str = "DEFAULT", config_file: str | Path = DEFAULT_CONFIG_FILE
    ) -> DatabricksCredentials:
        """From a profile of a Databricks config file (INI: `host`, `token`, `client_id`, …).

        `DATABRICKS_*` environment variables override the profile's values, as in the SDK.
        """
        values, _ = lookup_profile(name, config_file)
        return cls._build(values)

    @classmethod
    def _build(cls, values: dict[str, str]) -> DatabricksCredentials:
        fields: dict[str, Any] = {key: value for key, value in values.items() if key != "host"}
        return cls(databricks_instance=values["host"], **fields)

    def auth_provider(self) -> AuthProvider:
        """The token provider of these credentials (one per block, so tokens are shared)."""
        with self._cache.lock:
            if self._cache.provider is None:
                self._cache.provider = self._new_provider()
            return self._cache.provider

    def _new_provider(self) -> AuthProvider:
        values = self._auth_values()
        return new_provider(self.host, check_auth(values, self.auth_type), values)

    def get_jobs_client(self, *, api_version: str = "2.2") -> DatabricksClient:
        """The pooled async Jobs client of these credentials for the running event loop.

        One client per credentials object, event loop and API version; called outside a
        running loop, it returns a new client the caller closes.
        """
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return self._new_client(api_version)
        with self._cache.lock:
            self._cache.forget_closed_loops()
            clients = self._cache.clients.setdefault(loop, {})
            if api_version not in clients:
                clients[api_version] = self._new_client(api_version)
            return clients[api_version]

    def _new_client(self, api_version: str) -> DatabricksClient:
        return DatabricksClient(
            self.host, self.auth_provider(), api_version=api_version, client_kwargs=self.client_kwargs
        )

    def get_client(self) -> httpx.AsyncClient:
        """A plain `httpx.AsyncClient` on `<host>/api/` that authenticates, as 0.4 returned.

        Kept for old code; new code uses `get_jobs_client()`, which retries and maps errors.
        """
        options = dict(self.client_kwargs or {})
        return httpx.AsyncClient(
            base_url=f"{self.host}/api/",
            headers=with_user_agent(options.pop("headers", None)),
            auth=_httpx_auth(self.auth_provider()),
            **options,
        )


def _httpx_auth(provider: AuthProvider) -> httpx.Auth:
    if isinstance(provider, SdkAuth):
        return SdkHttpxAuth(provider)
    assert isinstance(provider, (PatAuth, OAuthM2MAuth))
    return HttpxAuth(provider)


def _plain(value: str | SecretStr | None) -> str | None:
    return value.get_secret_value() if isinstance(value, SecretStr) else value
