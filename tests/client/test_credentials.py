"""The `DatabricksCredentials` block: fields, validation, env/profile constructors, client factories."""

from __future__ import annotations

import asyncio
import copy
import pickle
import threading
from pathlib import Path

import httpx
import pytest
from prefect.testing.standard_test_suites import BlockStandardTestSuite
from pydantic import ValidationError

from prefect_databricks import DatabricksCredentials
from prefect_databricks.client import DatabricksClient, OAuthM2MAuth, PatAuth
from prefect_databricks.local import LocalWorkspace

TOKEN = "dapi-credentials-test-token"
SECRET = "credentials-test-secret"
_ENV_VARS = (
    "DATABRICKS_HOST",
    "DATABRICKS_TOKEN",
    "DATABRICKS_CLIENT_ID",
    "DATABRICKS_CLIENT_SECRET",
    "DATABRICKS_CONFIG_PROFILE",
    "DATABRICKS_CONFIG_FILE",
)


class TestBlockStandards(BlockStandardTestSuite):
    @pytest.fixture
    def block(self) -> type[DatabricksCredentials]:
        return DatabricksCredentials

    def test_has_a_valid_image(self, block: type[DatabricksCredentials]) -> None:
        """The suite's own check downloads the logo, which cannot be reached here: check the URL."""
        assert str(block._logo_url).startswith("https://") and str(block._logo_url).endswith(".png")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No DATABRICKS_* variables, and HOME without a config file."""
    for var in _ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    return monkeypatch


@pytest.mark.parametrize(
    ("given", "stored", "host"),
    [
        ("dbc-1.cloud.databricks.com", "dbc-1.cloud.databricks.com", "https://dbc-1.cloud.databricks.com"),
        (
            "https://dbc-1.cloud.databricks.com/",
            "https://dbc-1.cloud.databricks.com",
            "https://dbc-1.cloud.databricks.com",
        ),
        ("http://127.0.0.1:8123", "http://127.0.0.1:8123", "http://127.0.0.1:8123"),
    ],
)
def test_host_with_or_without_scheme(given: str, stored: str, host: str) -> None:
    credentials = DatabricksCredentials(databricks_instance=given, token=TOKEN)
    assert credentials.databricks_instance == stored
    assert credentials.host == host


def test_plain_http_off_loopback_is_refused() -> None:
    with pytest.raises(ValidationError, match="databricks_instance must use https://"):
        DatabricksCredentials(databricks_instance="http://dbc.example.com", token=TOKEN)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"token": TOKEN, "client_id": "c", "client_secret": SECRET}, "not both"),
        ({"client_id": "c"}, "client_id and client_secret must be given together"),
        ({"client_secret": SECRET}, "client_id and client_secret must be given together"),
        ({}, "No credentials"),
        ({"token": ""}, "No credentials"),
        ({"token": TOKEN, "tenant_id": "t"}, "tenant_id is only used with client_id"),
    ],
)
def test_exactly_one_auth_method(fields: dict[str, str], message: str) -> None:
    with pytest.raises(ValidationError, match=message) as info:
        DatabricksCredentials(databricks_instance="dbc-1.cloud.databricks.com", **fields)
    assert TOKEN not in str(info.value) and SECRET not in str(info.value)


def test_secrets_stay_out_of_repr_and_str() -> None:
    credentials = DatabricksCredentials(
        databricks_instance="h.example.com", client_id="c", client_secret=SECRET
    )
    for text in (repr(credentials), str(credentials), repr(credentials.get_jobs_client())):
        assert SECRET not in text


def test_old_field_names_load_from_a_saved_block_document() -> None:
    """0.4 stored the host without a scheme; such documents keep loading."""
    saved = {
        "databricks_instance": "dbc-1.cloud.databricks.com",
        "token": TOKEN,
        "client_id": None,
        "client_secret": None,
        "tenant_id": None,
        "client_kwargs": {"timeout": 30},
    }
    credentials = DatabricksCredentials.model_validate(saved)
    assert credentials.token is not None and credentials.token.get_secret_value() == TOKEN


def test_from_env(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("DATABRICKS_HOST", "https://dbc-env.cloud.databricks.com/")
    clean_env.setenv("DATABRICKS_CLIENT_ID", "cid")
    clean_env.setenv("DATABRICKS_CLIENT_SECRET", SECRET)
    credentials = DatabricksCredentials.from_env()
    assert credentials.host == "https://dbc-env.cloud.databricks.com"
    assert isinstance(credentials.auth_provider(), OAuthM2MAuth)


def _write_config(path: Path) -> Path:
    path.write_text(
        "[DEFAULT]\nhost = https://dbc-default.cloud.databricks.com\ntoken = dapi-default\n\n"
        "[m2m]\nhost = dbc-m2m.cloud.databricks.com\nclient_id = cid\nclient_secret = csecret\n"
    )
    return path


def test_from_profile(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = _write_config(tmp_path / "cfg")
    default = DatabricksCredentials.from_profile(config_file=config)
    assert default.host == "https://dbc-default.cloud.databricks.com"
    assert isinstance(default.auth_provider(), PatAuth)
    m2m = DatabricksCredentials.from_profile("m2m", config_file=config)
    assert (m2m.host, m2m.client_id) == ("https://dbc-m2m.cloud.databricks.com", "cid")


def test_env_overrides_the_profile(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.setenv("DATABRICKS_HOST", "dbc-override.cloud.databricks.com")
    clean_env.setenv("DATABRICKS_CONFIG_PROFILE", "DEFAULT")
    clean_env.setenv("DATABRICKS_CONFIG_FILE", str(_write_config(tmp_path / "cfg")))
    credentials = DatabricksCredentials.from_env()
    assert credentials.host == "https://dbc-override.cloud.databricks.com"
    assert credentials.token is not None and credentials.token.get_secret_value() == "dapi-default"


def test_from_env_falls_back_to_the_default_config_file(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _write_config(tmp_path / ".databrickscfg")
    assert DatabricksCredentials.from_env().host == "https://dbc-default.cloud.databricks.com"


def test_from_env_with_nothing_is_a_clear_error(clean_env: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="No Databricks config file"):
        DatabricksCredentials.from_env()


def test_unknown_profile_is_a_clear_error(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"No profile \[prod\]"):
        DatabricksCredentials.from_profile("prod", config_file=_write_config(tmp_path / "cfg"))


async def test_one_pooled_client_per_credentials_and_loop() -> None:
    credentials = DatabricksCredentials(databricks_instance="h.example.com", token=TOKEN)
    first = credentials.get_jobs_client()
    assert credentials.get_jobs_client() is first
    assert isinstance(first, DatabricksClient)
    assert credentials.get_jobs_client(api_version="2.1").api_version == "2.1"
    other: list[DatabricksClient] = []

    def in_another_loop() -> None:
        async def get() -> DatabricksClient:
            return credentials.get_jobs_client()

        other.append(asyncio.run(get()))

    thread = threading.Thread(target=in_another_loop)
    thread.start()
    thread.join()
    assert other[0] is not first
    assert other[0].auth is first.auth
    assert credentials.get_jobs_client() is first
    assert len(credentials._cache.clients) == 1, "the closed loop's client is forgotten"


def test_copies_and_pickles_do_not_carry_clients() -> None:
    credentials = DatabricksCredentials(databricks_instance="h.example.com", token=TOKEN)

    async def make() -> None:
        credentials.get_jobs_client()

    asyncio.run(make())
    for clone in (copy.deepcopy(credentials), pickle.loads(pickle.dumps(credentials))):
        assert clone == credentials
        assert clone.token is not None and clone.token.get_secret_value() == TOKEN


async def test_jobs_client_talks_to_the_local_workspace(workspace: LocalWorkspace) -> None:
    credentials = DatabricksCredentials(databricks_instance=workspace.host, token=workspace.token)
    assert isinstance(await credentials.get_jobs_client().call("jobs/list"), dict)


async def test_service_principal_block_against_the_local_workspace(workspace: LocalWorkspace) -> None:
    client_id, secret = next(iter(workspace.workspace.config.service_principals.items()))
    credentials = DatabricksCredentials(
        databricks_instance=workspace.host, client_id=client_id, client_secret=secret
    )
    assert isinstance(await credentials.get_jobs_client().call("jobs/list"), dict)


async def test_get_client_is_compatible_with_0_4(workspace: LocalWorkspace) -> None:
    """0.4's get_client() returned an httpx.AsyncClient on <host>/api/; old code keeps working."""
    client_id, secret = next(iter(workspace.workspace.config.service_principals.items()))
    for credentials in (
        DatabricksCredentials(databricks_instance=workspace.host, token=workspace.token),
        DatabricksCredentials(databricks_instance=workspace.host, client_id=client_id, client_secret=secret),
    ):
        async with credentials.get_client() as client:
            assert isinstance(client, httpx.AsyncClient)
            assert str(client.base_url) == f"{workspace.host}/api/"
            response = await client.get("2.2/jobs/list")
        assert response.status_code == 200
