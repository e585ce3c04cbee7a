"""The workspace's Spark Connect server: pyspark's own `spark-submit` of `SparkConnectServer`, on loopback.

Started at most once (the first `spark` use of any task), stopped with the workspace. The driver, its
block manager and the gRPC endpoint are pinned to 127.0.0.1 (`SPARK_LOCAL_IP`, `spark.driver.*`,
`spark.connect.grpc.binding.address`). The same JVM serves the workspace's Hive metastore (embedded
Derby in the data dir) over Thrift on 127.0.0.1 (`WorkspaceMetastore` in the shipped jar): the server's
Spark and every JAR task use it by `thrift://` URI, so Derby has one owner. The jar also adds
`WorkspaceExtensions`: `main.` and `hive_metastore.` names for the one metastore, and a `delta` data
source that is parquet underneath (Delta's jars come from Maven, which the local workspace does not
download from), the default format.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import os
import queue
import secrets
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

__all__ = ["INSTALL_HINT", "SPARK_JAR", "SparkServer", "SparkUnavailable"]

INSTALL_HINT = "pip install 'prefect-databricks[spark]'"
_START_TIMEOUT = 180.0
_CLASS = "prefect_databricks.local.spark.WorkspaceMetastore"
_PID_FILE = "server.pid"
# Compiled against pyspark's jars (scripts/build_spark_jar.py); the spark extra pins that pyspark minor.
SPARK_JAR = Path(__file__).with_name("prefect-databricks-spark.jar")
_EXTENSIONS = "prefect_databricks.local.spark.WorkspaceExtensions"
_PR_SET_PDEATHSIG = 1


class SparkUnavailable(Exception):
    """Spark cannot run here: the extra is not installed, Java is missing, or the server died."""


class SparkServer:
    """Starts the server on first `remote()` and answers its `sc://` URL; `stop` ends its process group."""

    def __init__(self, data_dir: Path) -> None:
        self.home = Path(data_dir) / "spark"
        self.startup_seconds: float | None = None
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._port = 0
        self._metastore_port = 0
        self._token = ""
        self._stopped = threading.Event()

    def remote(self) -> str:
        """The server's URL, starting it (and waiting until it listens) if it is not running."""
        with self._lock:
            if self._process is None or self._process.poll() is not None:
                self._start()
            return f"sc://localhost:{self._port}"

    @property
    def token(self) -> str:
        """The bearer token the server asks of every client (new at each start; after `remote`).

        Clients send it from `SPARK_CONNECT_AUTHENTICATE_TOKEN`; pyspark sends a token without TLS only
        to `localhost`, which is why the URL names it rather than 127.0.0.1 (both are loopback).
        """
        return self._token

    @property
    def metastore(self) -> str:
        """The `thrift://` URI on loopback of the metastore the server serves (after `remote`)."""
        return _metastore_uri(self._metastore_port)

    def catalog_conf(self) -> dict[str, str]:
        """The catalog settings the server's Spark and every JVM task share (after `remote`)."""
        return _catalog_conf(self.home, self._metastore_port)

    def stop(self) -> None:
        """Kill the server's process group (the JVM and its launcher)."""
        with self._lock:
            if self._process is not None and self._process.poll() is None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(self._process.pid, signal.SIGKILL)
                self._process.wait()
            self._process = None
            self._stopped.set()

    def _start(self) -> None:
        home = _spark_home()
        self.home.mkdir(parents=True, exist_ok=True)
        self._kill_leftover()
        self._port, self._metastore_port = _free_ports(2)
        started = time.monotonic()
        command = _command(home, self.home, self._port, self._metastore_port)
        self._token = secrets.token_urlsafe(32)
        self._process = self._spawn_kept(command, _environment(home, self._token))
        (self.home / _PID_FILE).write_text(str(self._process.pid))
        self._wait_listening(started)
        self.startup_seconds = time.monotonic() - started

    def _spawn_kept(self, command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        """Start the server from a thread that lives until `stop`, the server dying with it (Linux).

        The parent-death signal fires when the starting thread ends, so a workspace process that is
        killed (even with SIGKILL) takes its server down instead of leaving a JVM behind.
        """
        self._stopped = threading.Event()
        started: queue.Queue[subprocess.Popen[bytes] | BaseException] = queue.Queue()

        def keep() -> None:
            try:
                with (self.home / "server.log").open("ab") as log:
                    started.put(subprocess.Popen(
                        command, cwd=self.home, env=env, stdin=subprocess.DEVNULL, stdout=log,
                        stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=_die_with_parent,
                    ))
            except BaseException as exc:
                started.put(exc)
                return
            self._stopped.wait()

        threading.Thread(target=keep, name="spark-server", daemon=True).start()
        process = started.get()
        if isinstance(process, BaseException):
            raise SparkUnavailable(f"The Spark Connect server could not start: {process}")
        return process

    def _kill_leftover(self) -> None:
        """Kill a server a crashed workspace left running (it would hold the metastore's lock).

        Only a group whose leader still works in this workspace's Spark directory is killed (Linux /proc).
        """
        try:
            pid = int((self.home / _PID_FILE).read_text())
            if Path(f"/proc/{pid}/cwd").resolve() == self.home.resolve():
                os.killpg(pid, signal.SIGKILL)
        except (OSError, ValueError):
            return

    def _wait_listening(self, started: float) -> None:
        assert self._process is not None
        while time.monotonic() - started < _START_TIMEOUT:
            if self._process.poll() is not None:
                raise SparkUnavailable(f"The Spark Connect server exited; see {self.home / 'server.log'}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self._port), 0.2):
                return
            time.sleep(0.1)
        raise SparkUnavailable(f"The Spark Connect server did not listen within {_START_TIMEOUT:.0f} s")


def _die_with_parent() -> None:
    """In the child before exec: ask Linux for SIGKILL when the starting thread ends (elsewhere: no-op)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _spark_home() -> Path:
    spec = importlib.util.find_spec("pyspark")
    if spec is None or spec.origin is None or importlib.util.find_spec("grpc") is None:
        raise SparkUnavailable(f"`spark` needs the spark extra: {INSTALL_HINT}")
    return Path(spec.origin).parent


def _catalog_conf(home: Path, metastore_port: int) -> dict[str, str]:
    """One metastore (served on `metastore_port`) and warehouse, the session extensions (three-part
    names, the delta stand-in) and delta as the default format: what every Spark of the workspace has."""
    return {
        "spark.sql.catalogImplementation": "hive",
        "spark.hadoop.hive.metastore.uris": _metastore_uri(metastore_port),
        "spark.sql.warehouse.dir": str(home / "warehouse"),
        "spark.sql.extensions": _EXTENSIONS,
        "spark.sql.sources.default": "delta",
    }


def _metastore_uri(port: int) -> str:
    return f"thrift://127.0.0.1:{port}"


def _command(spark_home: Path, home: Path, port: int, metastore_port: int) -> list[str]:
    conf = {
        "spark.driver.bindAddress": "127.0.0.1",
        "spark.driver.host": "127.0.0.1",
        "spark.connect.grpc.binding.address": "127.0.0.1",
        "spark.connect.grpc.binding.port": str(port),
        "spark.ui.enabled": "false",
        **_catalog_conf(home, metastore_port),
        "spark.prefect_databricks.metastore.port": str(metastore_port),
        "spark.prefect_databricks.metastore.db": str(home / "metastore_db"),
        "spark.sql.legacy.createHiveTableByDefault": "false",
    }
    flags = [item for key, value in conf.items() for item in ("--conf", f"{key}={value}")]
    return [
        str(spark_home / "bin" / "spark-submit"), "--master", "local[2]", "--class", _CLASS, *flags,
        "--driver-class-path", str(SPARK_JAR),
        "--driver-java-options", f"-Dderby.system.home={home}", "spark-internal",
    ]


def _environment(spark_home: Path, token: str) -> dict[str, str]:
    """The server's environment: its token travels here, never on the command line (`ps` shows that)."""
    return {**os.environ, "SPARK_HOME": str(spark_home), "SPARK_LOCAL_IP": "127.0.0.1",
            "SPARK_CONNECT_AUTHENTICATE_TOKEN": token}


def _free_ports(count: int) -> list[int]:
    """`count` distinct free ports on 127.0.0.1 (held together while chosen, so never the same one twice)."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]
