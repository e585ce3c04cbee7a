"""The token-exchange grant (RFC 8693) of `/oidc/v1/token`: identity-provider JWTs for workspace tokens.

Databricks workload identity federation: the client posts `grant_type=urn:ietf:params:oauth:
grant-type:token-exchange`, `subject_token=<JWT>`, `subject_token_type=urn:ietf:params:oauth:
token-type:jwt`, `scope` and, for a service principal's policy, its `client_id`. The token is
matched against the workspace's federation policies by `iss`, `aud`, subject and `exp`. The
local workspace cannot reach an identity provider's keys, so signatures are not verified: the
workspace says so when it starts with a policy (`unverified_signatures_warning`).
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Mapping
from typing import Any

from ..state import FederationPolicy, Workspace

__all__ = ["GRANT_TYPE", "JWT_TOKEN_TYPE", "ExchangeRefused", "exchange", "unverified_signatures_warning"]

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:token-exchange"
JWT_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt"
_LEEWAY_SECONDS = 30


class ExchangeRefused(Exception):
    """A refused exchange: an OAuth error code (RFC 6749 §5.2) and a description naming the rule."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


def unverified_signatures_warning(policies: tuple[FederationPolicy, ...]) -> str | None:
    """The line to show when federation policies are configured (signatures are not checked)."""
    if not policies:
        return None
    return (
        f"The local workspace accepts identity-provider tokens for {len(policies)} federation "
        "polic(ies) by issuer, audience, subject and expiry; it does not verify their signatures."
    )


def exchange(ws: Workspace, form: Mapping[str, str], token_endpoint: str) -> str:
    """Check an exchange request against the policies; the client id or subject it signs in as."""
    subject_token = form.get("subject_token", "")
    if not subject_token:
        raise ExchangeRefused("invalid_request", "subject_token is required for the token-exchange grant.")
    if form.get("subject_token_type") != JWT_TOKEN_TYPE:
        raise ExchangeRefused("invalid_request", f"subject_token_type must be {JWT_TOKEN_TYPE}.")
    claims = _claims(subject_token)
    client_id = form.get("client_id", "")
    candidates = [p for p in ws.config.federation_policies if p.client_id == client_id]
    if not candidates:
        who = f"service principal {client_id}" if client_id else "account-wide federation"
        raise ExchangeRefused("invalid_client", f"No federation policy for {who}.")
    _check_times(claims)
    for policy in candidates:
        if _matches(policy, claims, token_endpoint):
            return client_id or str(claims.get(policy.subject_claim))
    raise ExchangeRefused(
        "invalid_grant", "The subject_token matches no federation policy (issuer, audience or subject)."
    )


def _claims(jwt: str) -> dict[str, Any]:
    """The payload of a compact JWT (header.payload.signature), unverified."""
    parts = jwt.split(".")
    if len(parts) != 3:
        raise ExchangeRefused("invalid_request", "subject_token must be a JWT (header.payload.signature).")
    try:
        payload = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        claims = json.loads(payload)
    except (binascii.Error, ValueError):
        raise ExchangeRefused("invalid_request", "subject_token payload is not base64url JSON.") from None
    if not isinstance(claims, dict):
        raise ExchangeRefused("invalid_request", "subject_token payload is not a JSON object.")
    return claims


def _check_times(claims: Mapping[str, Any]) -> None:
    now = time.time()
    exp = claims.get("exp")
    if not isinstance(exp, (int, float)):
        raise ExchangeRefused("invalid_grant", "subject_token has no exp claim.")
    if exp + _LEEWAY_SECONDS < now:
        raise ExchangeRefused("invalid_grant", "subject_token has expired.")
    nbf = claims.get("nbf")
    if isinstance(nbf, (int, float)) and nbf - _LEEWAY_SECONDS > now:
        raise ExchangeRefused("invalid_grant", "subject_token is not valid yet (nbf).")


def _matches(policy: FederationPolicy, claims: Mapping[str, Any], token_endpoint: str) -> bool:
    audience = claims.get("aud")
    audiences = {audience} if isinstance(audience, str) else set(audience or [])
    allowed = set(policy.audiences or (token_endpoint,))
    return (
        claims.get("iss") == policy.issuer
        and bool(audiences & allowed)
        and claims.get(policy.subject_claim) == policy.subject
    )
