"""The Databricks auth types, with the SDK's names, keys and environment variables, and which one applies.

`pat` and `oauth-m2m` (with Entra `tenant_id`) are this package's own fast path. Every other type
is delegated to databricks-sdk's unified auth (`sdk_auth.py`); this table only names them, so
reading a config stays free of the SDK import.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = [
    "AUTH_TYPES",
    "FAST_TYPES",
    "KEYS",
    "SDK_KEYS",
    "SECRET_KEYS",
    "UNSUPPORTED_TYPES",
    "resolve_auth_type",
]

# key (a `DatabricksCredentials` field, a ~/.databrickscfg key, a `databricks.sdk.core.Config` argument)
# -> its environment variable, as databricks-sdk names them.
KEYS: Mapping[str, str] = {
    "host": "DATABRICKS_HOST",
    "token": "DATABRICKS_TOKEN",
    "client_id": "DATABRICKS_CLIENT_ID",
    "client_secret": "DATABRICKS_CLIENT_SECRET",
    "auth_type": "DATABRICKS_AUTH_TYPE",
    "azure_client_id": "ARM_CLIENT_ID",
    "azure_client_secret": "ARM_CLIENT_SECRET",
    "azure_tenant_id": "ARM_TENANT_ID",
    "azure_workspace_resource_id": "DATABRICKS_AZURE_RESOURCE_ID",
    "azure_environment": "ARM_ENVIRONMENT",
    "oidc_token_env": "DATABRICKS_OIDC_TOKEN_ENV",
    "oidc_token_filepath": "DATABRICKS_OIDC_TOKEN_FILE",
    "token_audience": "DATABRICKS_TOKEN_AUDIENCE",
    "databricks_cli_path": "DATABRICKS_CLI_PATH",
    "metadata_service_url": "DATABRICKS_METADATA_SERVICE_URL",
    "google_credentials": "GOOGLE_CREDENTIALS",
    "google_service_account": "DATABRICKS_GOOGLE_SERVICE_ACCOUNT",
}
SECRET_KEYS = frozenset({"token", "client_secret", "azure_client_secret", "metadata_service_url",
                         "google_credentials"})
# The keys only the SDK's types read.
SDK_KEYS = (
    "azure_client_id",
    "azure_client_secret",
    "azure_tenant_id",
    "azure_workspace_resource_id",
    "azure_environment",
    "oidc_token_env",
    "oidc_token_filepath",
    "token_audience",
    "databricks_cli_path",
    "metadata_service_url",
    "google_credentials",
    "google_service_account",
)
FAST_TYPES = ("pat", "oauth-m2m")
AUTH_TYPES: Mapping[str, tuple[str, ...]] = {
    "pat": ("token",),
    "oauth-m2m": ("client_id", "client_secret"),
    "azure-client-secret": ("azure_client_id", "azure_client_secret"),
    "azure-cli": (),
    "github-oidc": ("client_id",),
    "github-oidc-azure": ("azure_client_id",),
    "azure-devops-oidc": ("client_id",),
    "env-oidc": (),
    "file-oidc": ("oidc_token_filepath",),
    "databricks-cli": (),
    "external-browser": (),
    "metadata-service": ("metadata_service_url",),
    "google-credentials": ("google_credentials",),
    "google-id": ("google_service_account",),
    "runtime": (),
    "model-serving": (),
}
UNSUPPORTED_TYPES: Mapping[str, str] = {
    "azure-msi": (
        "databricks-sdk for Python has no azure-msi strategy (only the Go SDK and the CLI have one); "
        "use azure-cli on a VM signed in with `az login --identity`, or azure-client-secret."
    ),
}

# With no auth_type and neither a token nor a client secret, the key that selects a type (the SDK's order).
_INFERRED = (
    ("metadata_service_url", "metadata-service"),
    ("azure_client_secret", "azure-client-secret"),
    ("oidc_token_filepath", "file-oidc"),
    ("google_credentials", "google-credentials"),
    ("google_service_account", "google-id"),
)


def resolve_auth_type(auth_type: str | None, given: Mapping[str, bool]) -> str:
    """The auth type that applies: `auth_type` when given (checked), else pat / oauth-m2m by the keys.

    Raises ValueError naming the field and the rule: an unknown type, a missing key, or an
    ambiguous or empty set of credentials when no type is named.
    """
    if auth_type:
        return _checked(auth_type, given)
    token, client_id, client_secret = (given.get(k, False) for k in ("token", "client_id", "client_secret"))
    if token and (client_id or client_secret):
        raise ValueError("Give either token or client_id and client_secret, not both.")
    if client_id != client_secret:
        raise ValueError("client_id and client_secret must be given together.")
    if given.get("tenant_id") and not client_id:
        raise ValueError("tenant_id is only used with client_id and client_secret.")
    if token:
        return "pat"
    if client_id:
        return "oauth-m2m"
    for key, inferred in _INFERRED:
        if given.get(key):
            return _checked(inferred, given)
    raise ValueError(
        "No credentials: give token (a personal access token), client_id and client_secret "
        "(a service principal), or auth_type (one of " + ", ".join(AUTH_TYPES) + ")."
    )


def _checked(auth_type: str, given: Mapping[str, bool]) -> str:
    if auth_type in UNSUPPORTED_TYPES:
        raise ValueError(f"auth_type {auth_type!r}: {UNSUPPORTED_TYPES[auth_type]}")
    if auth_type not in AUTH_TYPES:
        raise ValueError(f"auth_type {auth_type!r} is not one of: {', '.join(AUTH_TYPES)}.")
    missing = [key for key in AUTH_TYPES[auth_type] if not given.get(key)]
    if missing:
        raise ValueError(f"auth_type {auth_type!r} needs {', '.join(missing)}.")
    if auth_type == "pat" and given.get("client_secret"):
        raise ValueError("auth_type 'pat' takes token only, not client_secret.")
    return auth_type
