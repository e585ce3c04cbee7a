"""`WorkspaceConfig`: the Prefect-free reading of DATABRICKS_* variables and ~/.databrickscfg profiles."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from prefect_databricks import DatabricksCredentials
from prefect_databricks.client import ClientValidationError, OAuthM2MAuth, PatAuth, WorkspaceConfig
from prefect_databricks.client.config import ENV_VARS
from prefect_databricks.local import LocalWorkspace

TOKEN = "dapi-config-test-token"
SECRET = "config-test-secret"
_ALL_VARS = (*ENV_VARS.values(), "DATABRICKS_CONFIG_PROFILE", "DATABRICKS_CONFIG_FILE")


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No DATABRICKS_* variables, and HOME without a config file."""
    for var in _ALL_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    return monkeypatch


def _write_config(path: Path, settings: str = "") -> Path:
    path.write_text(
        f"{settings}[DEFAULT]\nhost = https://dbc-default.cloud.databricks.com\ntoken = {TOKEN}\n\n"
        f"[m2m]\nhost = dbc-m2m.cloud.databricks.com\nclient_id = cid\nclient_secret = {SECRET}\n"
    )
    return path


def test_from_env_with_a_token(env: pytest.MonkeyPatch) -> None:
    env.setenv("DATABRICKS_HOST", "dbc-env.cloud.databricks.com/")
    env.setenv("DATABRICKS_TOKEN", TOKEN)
    config = WorkspaceConfig.from_env()
    assert (config.host, config.token, config.client_id) == (
        "https://dbc-env.cloud.databricks.com",
        TOKEN,
        None,
    )
    assert isinstance(config.auth_provider(), PatAuth)


def test_from_env_with_a_service_principal(env: pytest.MonkeyPatch) -> None:
    env.setenv("DATABRICKS_HOST", "https://dbc-env.cloud.databricks.com")
    env.setenv("DATABRICKS_CLIENT_ID", "cid")
    env.setenv("DATABRICKS_CLIENT_SECRET", SECRET)
    config = WorkspaceConfig.from_env()
    assert (config.client_id, config.client_secret) == ("cid", SECRET)
    assert isinstance(config.auth_provider(), OAuthM2MAuth)


def test_from_profile_and_the_settings_default(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config_file = _write_config(tmp_path / "cfg")
    assert WorkspaceConfig.from_profile(config_file=config_file).token == TOKEN
    m2m = WorkspaceConfig.from_profile("m2m", config_file)
    assert (m2m.host, m2m.client_id) == ("https://dbc-m2m.cloud.databricks.com", "cid")
    settings = "[__settings__]\ndefault_profile = m2m\n"
    env.setenv("DATABRICKS_CONFIG_FILE", str(_write_config(tmp_path / "cfg2", settings)))
    assert WorkspaceConfig.from_env().client_id == "cid"


def test_env_overrides_a_named_profile(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    env.setenv("DATABRICKS_HOST", "dbc-override.cloud.databricks.com")
    env.setenv("DATABRICKS_CONFIG_PROFILE", "DEFAULT")
    env.setenv("DATABRICKS_CONFIG_FILE", str(_write_config(tmp_path / "cfg")))
    config = WorkspaceConfig.from_env()
    assert (config.host, config.token) == ("https://dbc-override.cloud.databricks.com", TOKEN)


def test_falls_back_to_the_home_config_file(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _write_config(tmp_path / ".databrickscfg")
    assert WorkspaceConfig.from_env().host == "https://dbc-default.cloud.databricks.com"


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({}, "No Databricks config file at "),
        ({"DATABRICKS_TOKEN": TOKEN}, "No Databricks host in the DATABRICKS_\\* environment variables"),
        (
            {"DATABRICKS_HOST": "h.example.com", "DATABRICKS_TOKEN": TOKEN, "DATABRICKS_CLIENT_ID": "c",
             "DATABRICKS_CLIENT_SECRET": SECRET},
            "Invalid credentials in the DATABRICKS_\\* environment variables: .* not both",
        ),
        (
            {"DATABRICKS_HOST": "h.example.com", "DATABRICKS_CLIENT_SECRET": SECRET},
            "client_id and client_secret must be given together",
        ),
        ({"DATABRICKS_HOST": "h.example.com"}, "No credentials: give token"),
    ],
)  # fmt: skip
def test_bad_environments_are_clear_errors_without_secrets(
    env: pytest.MonkeyPatch, variables: dict[str, str], message: str
) -> None:
    for name, value in variables.items():
        env.setenv(name, value)
    with pytest.raises(ValueError, match=message) as info:
        WorkspaceConfig.from_env()
    assert TOKEN not in str(info.value) and SECRET not in str(info.value)


def test_unknown_profile_and_plain_http_are_clear_errors(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config_file = _write_config(tmp_path / "cfg")
    with pytest.raises(ValueError, match=r"^No profile \[prod\] in .*cfg\.$"):
        WorkspaceConfig.from_profile("prod", config_file)
    with pytest.raises(ClientValidationError, match="host: must use https://"):
        WorkspaceConfig("http://dbc.example.com", token=TOKEN)


def test_secrets_stay_out_of_repr_and_the_object_is_frozen() -> None:
    config = WorkspaceConfig("h.example.com", client_id="cid", client_secret=SECRET)
    assert SECRET not in repr(config) and "cid" in repr(config)
    assert TOKEN not in repr(WorkspaceConfig("h.example.com", token=TOKEN))
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.host = "other.example.com"  # type: ignore[misc]


@pytest.mark.parametrize("profile", ["DEFAULT", "m2m"])
def test_the_block_reads_the_same_values(env: pytest.MonkeyPatch, tmp_path: Path, profile: str) -> None:
    env.setenv("DATABRICKS_CONFIG_PROFILE", profile)
    env.setenv("DATABRICKS_CONFIG_FILE", str(_write_config(tmp_path / "cfg")))
    config, block = WorkspaceConfig.from_env(), DatabricksCredentials.from_env()
    secret = block.client_secret.get_secret_value() if block.client_secret else None
    token = block.token.get_secret_value() if block.token else None
    assert (config.host, config.token, config.client_id, config.client_secret) == (
        block.host, token, block.client_id, secret
    )  # fmt: skip


async def test_clients_reach_the_local_workspace(workspace: LocalWorkspace) -> None:
    client_id, secret = next(iter(workspace.workspace.config.service_principals.items()))
    for config in (
        WorkspaceConfig(workspace.host, token=workspace.token),
        WorkspaceConfig(workspace.host, client_id=client_id, client_secret=secret),
    ):
        async with config.new_client(api_version="2.1") as client:
            assert client.api_version == "2.1"
            assert isinstance(await client.call("jobs/list"), dict)
