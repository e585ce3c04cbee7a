"""google-credentials and google-id, signed in by databricks-sdk (google-auth), sent to a local workspace.

Fakes, as nothing of Google runs here: Google's OAuth token endpoint and IAM credentials API
(`google_fakes.py`: a loopback token endpoint named by the key's own `token_uri`, and an HTTPS proxy
playing Google's hosts), and Databricks' check of Google's ID-token signature (`auth_fakes.trust`).
The request and answer shapes are Google's documented ones: https://developers.google.com/identity/protocols/oauth2/service-account
(JWT-bearer grant, `id_token` for a `target_audience`), https://cloud.google.com/iam/docs/reference/credentials/rest
(`generateIdToken`, `generateAccessToken`). The headers are the ones Databricks documents for GCP:
https://docs.gcp.databricks.com/en/dev-tools/auth/gcp-id.html (a Google ID token as the bearer, and the
service account's access token as `X-Databricks-GCP-SA-Access-Token`).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from auth_fakes import TokenServer, jwt, rejected, sent_headers, trust
from google_fakes import GOOGLE_TOKEN_HOST, TlsProxy, service_account_key

from prefect_databricks import DatabricksCredentials
from prefect_databricks.client import Unauthenticated
from prefect_databricks.local import LocalWorkspace

SA = "etl-runner@acme-etl.iam.gserviceaccount.com"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No DATABRICKS_*, GOOGLE_* or proxy variables; HOME without gcloud's or Databricks' config."""
    for var in list(os.environ):
        if var.startswith(("DATABRICKS_", "GOOGLE_", "CLOUDSDK_")) or var.lower().endswith("_proxy"):
            monkeypatch.delenv(var)
    monkeypatch.setenv("HOME", str(tmp_path))


class FakeGoogle:
    """What Google's endpoints answer: ID tokens (trusted by `ws`) and access tokens, each new, counted."""

    def __init__(self, ws: LocalWorkspace, id_token_ttl: float = 3600) -> None:
        self.ws = ws
        self.ttl = id_token_ttl
        self.id_tokens: list[str] = []
        self.access_tokens: list[str] = []

    def id_token(self, audience: str, email: str) -> str:
        expiry = time.time() + self.ttl
        token = jwt(iss="https://accounts.google.com", aud=audience, email=email, sub="1234", exp=expiry)
        trust(self.ws, token, email, expiry)
        self.id_tokens.append(token)
        return token

    def access_token(self) -> str:
        token = f"ya29.fake-{len(self.access_tokens)}"
        self.access_tokens.append(token)
        return token


def _claims(assertion: str) -> dict[str, Any]:
    import google.auth.jwt

    return dict(google.auth.jwt.decode(assertion, verify=False))


def _wait_past(expiry: float) -> None:
    time.sleep(max(0.0, expiry - time.time()) + 0.05)


def _expiry(token: str) -> float:
    return float(_claims(token)["exp"])


def test_google_credentials_key_json_headers_and_refresh(workspace: LocalWorkspace) -> None:
    """The key's `token_uri` points at a loopback fake of Google's token endpoint; the SDK signs
    JWT-bearer grants with the key and asks for an ID token (audience: the workspace) and an access token.
    Their headers are reused until the ID token is within 40 s of its expiry (here: 41.5 s tokens)."""
    fake = FakeGoogle(workspace, id_token_ttl=41.5)
    key: dict[str, str] = {}

    def answer(path: str, headers: dict[str, str]) -> dict[str, Any]:
        import google.auth.jwt

        form = parse_qs(headers[""])
        assert form["grant_type"] == ["urn:ietf:params:oauth:grant-type:jwt-bearer"]
        # the fake checks that the grant is signed by the key it was given
        claims = google.auth.jwt.decode(form["assertion"][0], certs=_public_pem(key), verify=True)
        assert claims["iss"] == SA
        if "target_audience" in claims:
            return {"id_token": fake.id_token(claims["target_audience"], SA)}
        assert "https://www.googleapis.com/auth/cloud-platform" in claims["scope"]
        return {"access_token": fake.access_token(), "expires_in": 3600, "token_type": "Bearer"}

    with TokenServer(answer).running() as endpoint:
        key.update(service_account_key(SA, f"{endpoint.url}/token"))
        creds = DatabricksCredentials(databricks_instance=workspace.host, google_credentials=json.dumps(key))
        assert creds.auth_type is None and key["private_key"] not in repr(creds)
        first, kept, renewed = sent_headers(creds, calls=3, pause=1.0)
    assert first["authorization"] == f"Bearer {fake.id_tokens[0]}"
    assert first["x-databricks-gcp-sa-access-token"] == fake.access_tokens[0]
    assert _claims(fake.id_tokens[0])["aud"] == workspace.host
    assert kept["authorization"] == first["authorization"]
    assert renewed["authorization"] == f"Bearer {fake.id_tokens[1]}" != first["authorization"]
    assert renewed["x-databricks-gcp-sa-access-token"] == fake.access_tokens[1]
    assert (len(fake.id_tokens), len(fake.access_tokens)) == (2, 2)


def _public_pem(key: dict[str, str]) -> bytes:
    """The public half of a service-account key, PEM."""
    from cryptography.hazmat.primitives import serialization

    private = serialization.load_pem_private_key(key["private_key"].encode(), None)
    return private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@pytest.fixture
def adc_user(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Application default credentials of a user, as `gcloud auth application-default login` writes them."""
    adc = tmp_path / "application_default_credentials.json"
    adc.write_text(json.dumps({
        "type": "authorized_user",
        "client_id": "764086051850-fake.apps.googleusercontent.com",
        "client_secret": "fake-client-secret",
        "refresh_token": "1//fake-refresh-token",
        "quota_project_id": "acme-etl",
        "universe_domain": "googleapis.com",
    }))
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(adc))
    return adc


def test_google_id_impersonates_through_the_iam_credentials_api(
    workspace: LocalWorkspace, adc_user: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The user's ADC signs in at Google's token endpoint, then IAM's generateIdToken and
    generateAccessToken impersonate the service account; both hosts are played by the HTTPS proxy fake.
    The ID tokens last 1 s: the first expires mid-wait, and the next request carries a new one."""
    fake = FakeGoogle(workspace, id_token_ttl=1)

    def answer(path: str, headers: dict[str, str]) -> dict[str, Any]:
        host, body = headers["host"], headers[""]
        if host == GOOGLE_TOKEN_HOST:
            assert parse_qs(body)["grant_type"] == ["refresh_token"]
            return {"access_token": "ya29.user", "expires_in": 3600, "token_type": "Bearer"}
        assert host == "iamcredentials.googleapis.com" and headers["authorization"] == "Bearer ya29.user"
        prefix = f"/v1/projects/-/serviceAccounts/{SA}:"
        if path == prefix + "generateIdToken":
            asked = json.loads(body)
            assert asked["includeEmail"] is True
            return {"token": fake.id_token(asked["audience"], SA)}
        assert path == prefix + "generateAccessToken"
        expires = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
        return {"accessToken": fake.access_token(), "expireTime": expires}

    hosts = (GOOGLE_TOKEN_HOST, "iamcredentials.googleapis.com")
    with TlsProxy(hosts, answer, tmp_path).running() as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(proxy.ca_file))
        creds = DatabricksCredentials(databricks_instance=workspace.host, auth_type="google-id",
                                      google_service_account=SA)
        first, second = sent_headers(creds, calls=2, pause=1.1)
    assert first["authorization"] == f"Bearer {fake.id_tokens[0]}"
    assert first["x-databricks-gcp-sa-access-token"] == fake.access_tokens[0]
    assert _claims(fake.id_tokens[0])["aud"] == workspace.host
    assert any(headers["host"] == GOOGLE_TOKEN_HOST for _, _, headers in proxy.requests)
    _wait_past(_expiry(fake.id_tokens[1]))
    assert rejected(workspace.host, fake.id_tokens[0])
    assert second["authorization"] == f"Bearer {fake.id_tokens[1]}" != first["authorization"]
    assert (len(fake.id_tokens), len(fake.access_tokens)) == (2, 2)


def test_google_credentials_from_a_key_file_and_the_env_var(
    workspace: LocalWorkspace, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`GOOGLE_CREDENTIALS` may name a key file, as in the SDK; a token endpoint that does not answer
    is a sign-in error that shows neither the key nor its path."""
    key = service_account_key(SA, "http://127.0.0.1:9/token")  # port 9: nothing listens
    key_file = tmp_path / "key.json"
    key_file.write_text(json.dumps(key))
    monkeypatch.setenv("DATABRICKS_HOST", workspace.host)
    monkeypatch.setenv("GOOGLE_CREDENTIALS", str(key_file))
    creds = DatabricksCredentials.from_env()
    assert creds.auth_type is None and creds.auth_provider().kind == "google-credentials"
    with pytest.raises(Unauthenticated, match="google-credentials sign-in") as caught:
        sent_headers(creds)
    assert str(key_file) not in str(caught.value) and "PRIVATE KEY" not in str(caught.value)


@pytest.mark.parametrize("missing", ["google.auth", "databricks.sdk"])
def test_a_missing_sdk_package_is_a_clear_error(missing: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """An environment without google-auth (or the SDK) cannot be made here: `find_spec` says so instead."""
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == missing else real(name))
    message = rf"databricks-sdk; {missing.replace('.', '-')} is not installed. Install it with: pip install"
    with pytest.raises(ValueError, match=message + r" 'prefect-databricks\[sdk-auth\]'"):
        DatabricksCredentials(databricks_instance="dbc-1.cloud.databricks.com", auth_type="google-id",
                              google_service_account=SA)
