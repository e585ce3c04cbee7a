"""The token-exchange grant of `/oidc/v1/token` (workload identity federation), over real HTTP.

Request and answer shapes as Databricks documents them
(https://docs.databricks.com/aws/en/dev-tools/auth/oauth-federation-exchange): a form with
grant_type=urn:ietf:params:oauth:grant-type:token-exchange, subject_token, subject_token_type
urn:ietf:params:oauth:token-type:jwt, scope and client_id; an answer with access_token, token_type,
expires_in. Refusals are OAuth error objects (RFC 6749 §5.2).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from prefect_databricks.local import LocalWorkspace
from prefect_databricks.local.serve import parse_federation_policy
from prefect_databricks.local.state import FederationPolicy

sys.path.insert(0, str(Path(__file__).parent.parent / "client"))
from auth_fakes import jwt

ISSUER = "https://idp.example.test"
GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"
JWT_TYPE = "urn:ietf:params:oauth:token-type:jwt"


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalWorkspace]:
    policies = [
        FederationPolicy(issuer=ISSUER, subject="svc", client_id="sp-1"),
        FederationPolicy(issuer=ISSUER, subject="ci", audiences=("databricks",), client_id="sp-2"),
    ]
    with LocalWorkspace(tmp_path_factory.mktemp("exchange"), federation_policies=policies) as workspace:
        yield workspace


def _exchange(ws: LocalWorkspace, subject_token: str, **form: str) -> httpx.Response:
    data = {"grant_type": GRANT, "subject_token": subject_token, "subject_token_type": JWT_TYPE,
            "scope": "all-apis", "client_id": "sp-1", **form}
    return httpx.post(f"{ws.host}/oidc/v1/token", data=data)


def test_a_matching_token_is_exchanged_for_a_workspace_token(ws: LocalWorkspace) -> None:
    answer = _exchange(ws, jwt(iss=ISSUER, sub="svc", aud=f"{ws.host}/oidc/v1/token"))
    assert answer.status_code == 200
    body = answer.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600 and body["scope"] == "all-apis"
    bearer = {"Authorization": f"Bearer {body['access_token']}"}
    listed = httpx.get(f"{ws.host}/api/2.2/jobs/list", headers=bearer)
    assert listed.status_code == 200 and ws.workspace.caller(body["access_token"]) == "sp-1"
    configured = _exchange(ws, jwt(iss=ISSUER, sub="ci", aud=["x", "databricks"]), client_id="sp-2")
    assert configured.status_code == 200


@pytest.mark.parametrize(
    ("claims", "form", "status", "error", "says"),
    [
        ({"iss": "https://other.test", "sub": "svc"}, {}, 400, "invalid_grant", "matches no federation"),
        ({"iss": ISSUER, "sub": "someone-else"}, {}, 400, "invalid_grant", "matches no federation"),
        ({"iss": ISSUER, "sub": "ci", "aud": "elsewhere"}, {"client_id": "sp-2"}, 400, "invalid_grant", "no"),
        ({"iss": ISSUER, "sub": "svc", "exp": int(time.time()) - 120}, {}, 400, "invalid_grant", "expired"),
        ({"iss": ISSUER, "sub": "svc"}, {"client_id": "sp-9"}, 401, "invalid_client", "principal sp-9"),
        ({"iss": ISSUER, "sub": "svc"}, {"subject_token_type": "jwt"}, 400, "invalid_request", "token_type"),
    ],
)
def test_refusals_name_the_rule(
    ws: LocalWorkspace, claims: dict[str, object], form: dict[str, str], status: int, error: str, says: str
) -> None:
    claims = {"aud": f"{ws.host}/oidc/v1/token", **claims}
    answer = _exchange(ws, jwt(**claims), **form)
    assert (answer.status_code, answer.json()["error"]) == (status, error)
    assert says in answer.json()["error_description"]


def test_a_token_that_is_not_a_jwt_is_a_400(ws: LocalWorkspace) -> None:
    answer = _exchange(ws, "opaque")
    assert answer.status_code == 400 and "must be a JWT" in answer.json()["error_description"]


def test_discovery_lists_the_grant(ws: LocalWorkspace) -> None:
    discovery = httpx.get(f"{ws.host}/oidc/.well-known/oauth-authorization-server").json()
    assert GRANT in discovery["grant_types_supported"]


def test_the_serve_flag_parses_a_policy_and_names_bad_keys() -> None:
    policy = parse_federation_policy(f"issuer={ISSUER},subject=svc,audience=a,audience=b,client_id=sp")
    assert policy == FederationPolicy(ISSUER, "svc", ("a", "b"), "sp")
    with pytest.raises(ValueError, match="'colour=red' is not KEY=VALUE"):
        parse_federation_policy(f"issuer={ISSUER},subject=s,colour=red")
    with pytest.raises(ValueError, match="subject must be given"):
        parse_federation_policy(f"issuer={ISSUER}")
