"""Fakes of Google's sign-in services: a service-account key, and an HTTPS proxy that plays Google's hosts.

Google's token endpoint (`oauth2.googleapis.com`) and IAM credentials API (`iamcredentials.googleapis.com`)
cannot be reached here. google-auth calls them at fixed https URLs, so the tests route them the way a
corporate proxy would: `HTTPS_PROXY` names `TlsProxy`, which ends TLS with a certificate of a throwaway
CA that `REQUESTS_CA_BUNDLE` trusts, and answers as the test says. No google-auth code is patched.
"""

from __future__ import annotations

import datetime
import functools
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from auth_fakes import Answer, json_handler, serving
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

GOOGLE_TOKEN_HOST = "oauth2.googleapis.com"  # where google-auth signs users in


@functools.cache
def _rsa_key(role: str) -> rsa.RSAPrivateKey:
    """One 2048-bit RSA key per role and test session (generating one takes up to a second)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem_key(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def service_account_key(email: str, token_uri: str) -> dict[str, str]:
    """A service-account key file's JSON (the fields Google's console writes)."""
    key = _rsa_key("service account")
    return {
        "type": "service_account",
        "project_id": "acme-etl",
        "private_key_id": "k1",
        "private_key": _pem_key(key),
        "client_email": email,
        "client_id": "1234567890",
        "token_uri": token_uri,
    }


def _cert(
    subject: str, key: rsa.RSAPrivateKey, issuer: tuple[x509.Name, rsa.RSAPrivateKey] | None, *, ca: bool
) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    issuer_name, issuer_key = issuer or (name, key)
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False
        )
    )
    if ca:
        usage = x509.KeyUsage(False, False, False, False, False, True, True, False, False)
        builder = builder.add_extension(usage, critical=True)
    else:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(subject)]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


class TlsProxy:
    """An HTTP proxy on loopback that answers CONNECT itself: TLS for `hosts` with a throwaway CA's
    certificates, then `answer(path, headers)` as JSON (headers get `host`). Records every request."""

    def __init__(self, hosts: tuple[str, ...], answer: Answer, directory: Path) -> None:
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.ca_file = directory / "fake-google-ca.pem"
        ca_key = _rsa_key("CA")
        ca = _cert("prefect-databricks test CA", ca_key, None, ca=True)
        self.ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        self._contexts = {host: self._context(host, (ca.subject, ca_key), directory) for host in hosts}
        inner = json_handler(answer, self.requests)
        owner = self

        class Connect(BaseHTTPRequestHandler):
            def do_CONNECT(self) -> None:
                host = self.path.rsplit(":", 1)[0]
                context = owner._contexts.get(host)
                if context is None:
                    self.send_error(403, f"the test proxy does not play {host}")
                    return
                self.send_response(200, "Connection established")
                self.end_headers()
                tls: socket.socket = context.wrap_socket(self.connection, server_side=True)
                try:
                    inner(tls, self.client_address, self.server)
                finally:
                    tls.close()
                self.close_connection = True

            def log_message(self, *args: Any) -> None:
                """Quiet."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Connect)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    @staticmethod
    def _context(host: str, issuer: tuple[x509.Name, rsa.RSAPrivateKey], directory: Path) -> ssl.SSLContext:
        key = _rsa_key("server")
        cert_file, key_file = directory / f"{host}.pem", directory / f"{host}.key"
        cert_file.write_bytes(_cert(host, key, issuer, ca=False).public_bytes(serialization.Encoding.PEM))
        key_file.write_text(_pem_key(key))
        key_file.chmod(0o600)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        return context

    @contextmanager
    def running(self) -> Iterator[TlsProxy]:
        with serving(self._server):
            yield self
