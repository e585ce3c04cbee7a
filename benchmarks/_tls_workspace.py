"""One local workspace in a child process, reachable over plain HTTP and over TLS (self-signed).

prefect-databricks 0.4.2 builds `https://{instance}/api/` URLs, so it can only reach a workspace
behind TLS; the other clients use the plain-HTTP door. Both doors serve the same state (one
workspace, one scheduler), so every client is measured against the same server.
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["make_certificate", "serve_both"]

_TASK_PROCESSES = 256


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (key file, certificate file)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    san = x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(san, critical=False)
        .sign(key, hashes.SHA256())
    )
    key_file, cert_file = folder / "key.pem", folder / "cert.pem"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_file, cert_file


async def _serve(data_dir: Path, key_file: Path, cert_file: Path) -> None:
    import uvicorn

    from prefect_databricks.local.server import build_app, listen, open_workspace

    ws = open_workspace(data_dir)
    ws.config.max_task_processes = _TASK_PROCESSES  # 200 concurrent runs must not queue on 2 cores
    plain, tls = listen("127.0.0.1", 0), listen("127.0.0.1", 0)
    ws.config.host = f"http://127.0.0.1:{plain.getsockname()[1]}"
    app = build_app(ws)
    quiet = {"log_level": "warning", "access_log": False}
    certificate = {"ssl_keyfile": str(key_file), "ssl_certfile": str(cert_file)}
    servers = [
        (uvicorn.Server(uvicorn.Config(app, lifespan="on", **quiet)), plain),
        (uvicorn.Server(uvicorn.Config(app, lifespan="off", **certificate, **quiet)), tls),
    ]
    info = {"http": ws.config.host, "https": f"127.0.0.1:{tls.getsockname()[1]}", "token": ws.config.token}
    print(json.dumps(info), flush=True)
    await asyncio.gather(*(server.serve(sockets=[sock]) for server, sock in servers))


@contextmanager
def serve_both(data_dir: Path, folder: Path) -> Iterator[dict[str, str]]:
    """Serve the workspace at `data_dir` in a child process; yields `http`, `https` (host:port), `token`."""
    key_file, cert_file = make_certificate(folder)
    command = [sys.executable, __file__, str(data_dir), str(key_file), str(cert_file)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        yield json.loads(proc.stdout.readline())
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    asyncio.run(_serve(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])))
