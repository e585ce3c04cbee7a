"""`LocalWorkspace(tls=True)`: https on loopback, with a generated CA that https-only clients trust.

Independent clients: the official databricks-sdk (requests, trusting `REQUESTS_CA_BUNDLE`) and Python's
`ssl` with its default, strict verification. Nothing is mocked.
"""

from __future__ import annotations

import asyncio
import ssl
import stat
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from databricks.sdk import WorkspaceClient

from prefect_databricks.local import LocalWorkspace
from prefect_databricks.local.tls import ensure_certificate


@pytest.fixture(scope="module")
def tls_workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalWorkspace]:
    with LocalWorkspace(tmp_path_factory.mktemp("tls"), tls=True) as ws:
        yield ws


def test_the_url_is_https_and_the_files_are_private(tls_workspace: LocalWorkspace) -> None:
    assert tls_workspace.host.startswith("https://127.0.0.1:")
    files = tls_workspace.tls
    assert files is not None and tls_workspace.ca_file == files.ca
    for path in (files.ca, files.cert, files.key):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE(files.ca.parent.stat().st_mode) == 0o700
    assert not list(files.ca.parent.glob("*ca*key*")), "the CA key is never written"


def test_the_certificate_names_loopback(tls_workspace: LocalWorkspace) -> None:
    assert tls_workspace.tls is not None
    cert = x509.load_pem_x509_certificate(tls_workspace.tls.cert.read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    assert {str(ip) for ip in names.get_values_for_type(x509.IPAddress)} == {"127.0.0.1", "::1"}


def test_strict_verification_passes_with_the_ca_and_fails_without(tls_workspace: LocalWorkspace) -> None:
    assert tls_workspace.ca_file is not None
    trusted = ssl.create_default_context(cafile=str(tls_workspace.ca_file))
    for base in (tls_workspace.host, tls_workspace.host.replace("127.0.0.1", "localhost")):
        response = httpx.get(
            f"{base}/api/2.2/jobs/list",
            verify=trusted,
            headers={"Authorization": f"Bearer {tls_workspace.token}"},
        )
        assert response.status_code == 200, base
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(f"{tls_workspace.host}/api/2.2/jobs/list")


def test_the_sdk_works_with_only_the_ca_bundle_set(
    tls_workspace: LocalWorkspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls_workspace.ca_file))
    sdk = WorkspaceClient(host=tls_workspace.host, token=tls_workspace.token)
    job_id = sdk.jobs.create(name="over-tls").job_id
    assert [job.job_id for job in sdk.jobs.list(name="over-tls")] == [job_id]


def test_the_credentials_block_trusts_the_ca(tls_workspace: LocalWorkspace) -> None:
    async def names() -> list[str]:
        client = tls_workspace.credentials().get_jobs_client()
        jobs = (await client.call("jobs/list")).get("jobs", [])
        return [job["settings"]["name"] for job in jobs]

    assert isinstance(asyncio.run(names()), list)


def test_the_certificate_is_kept_across_restarts_and_cert_key_can_be_given(
    tls_workspace: LocalWorkspace, tmp_path: Path
) -> None:
    assert tls_workspace.tls is not None
    # a second server may not open a served data dir (its lock), so the restart reads the files it would use
    again = ensure_certificate(tls_workspace.data_dir)
    assert again.cert.read_bytes() == tls_workspace.tls.cert.read_bytes()
    with LocalWorkspace(tmp_path, cert=tls_workspace.tls.cert, key=tls_workspace.tls.key) as own:
        trusted = ssl.create_default_context(cafile=str(tls_workspace.tls.ca))
        response = httpx.get(
            f"{own.host}/api/2.2/jobs/list", verify=trusted, headers={"Authorization": f"Bearer {own.token}"}
        )
        assert response.status_code == 200
    with pytest.raises(ValueError, match="--cert and --key go together"):
        LocalWorkspace(tmp_path / "x", cert=tls_workspace.tls.cert)
