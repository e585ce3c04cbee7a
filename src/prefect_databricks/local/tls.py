"""TLS for the local workspace: a private CA and a certificate for 127.0.0.1, ::1 and localhost.

https-only clients (prefect-databricks 0.4, Terraform, the Go CLI) trust the workspace once
`SSL_CERT_FILE`/`REQUESTS_CA_BUNDLE` name the CA file. The files are generated once into `<data dir>/tls/`,
each readable by its owner only, and made anew when one is missing or within a week of expiring. The CA's
key is never written: nothing else can be signed with it.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["TlsFiles", "ensure_certificate"]

_VALID_DAYS = 365
_RENEW_WITHIN = datetime.timedelta(days=7)
_NAMES = ("localhost",)
_ADDRESSES = ("127.0.0.1", "::1")


@dataclass(frozen=True)
class TlsFiles:
    """The PEM files a TLS workspace serves with (`cert`, `key`) and the one clients trust (`ca`)."""

    ca: Path
    cert: Path
    key: Path


def ensure_certificate(data_dir: Path) -> TlsFiles:
    """The TLS files under `data_dir/tls`, generated if missing or about to expire."""
    folder = Path(data_dir) / "tls"
    files = TlsFiles(folder / "ca.pem", folder / "server.pem", folder / "server-key.pem")
    if not _still_valid(files):
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        _generate(files)
    return files


def _still_valid(files: TlsFiles) -> bool:
    if not all(path.is_file() for path in (files.ca, files.cert, files.key)):
        return False
    cert = x509.load_pem_x509_certificate(files.cert.read_bytes())
    return cert.not_valid_after_utc - _RENEW_WITHIN > datetime.datetime.now(datetime.timezone.utc)


def _generate(files: TlsFiles) -> None:
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("prefect-databricks local workspace CA")
    ca = (
        _builder(ca_name, ca_name, ca_key.public_key(), now)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    alt_names: list[x509.GeneralName] = [x509.DNSName(name) for name in _NAMES]
    alt_names += [x509.IPAddress(ipaddress.ip_address(address)) for address in _ADDRESSES]
    ca_ski = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    server = (
        _builder(_name("localhost"), ca_name, server_key.public_key(), now)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(cert_sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(server_key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key_pem = server_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    _write_private(files.key, key_pem)
    _write_private(files.cert, server.public_bytes(serialization.Encoding.PEM))
    _write_private(files.ca, ca.public_bytes(serialization.Encoding.PEM))


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _builder(
    subject: x509.Name, issuer: x509.Name, key: ec.EllipticCurvePublicKey, now: datetime.datetime
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=_VALID_DAYS))
    )


def _usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
        key_agreement=False, key_cert_sign=cert_sign, crl_sign=cert_sign, encipher_only=False,
        decipher_only=False,
    )


def _write_private(path: Path, data: bytes) -> None:
    """Write `data` to `path` with mode 0600 from the start (replacing a previous file)."""
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
