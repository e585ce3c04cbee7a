"""Issue 14, items 1 and 4: input that used to answer 500, or to break later requests, gets a clear 4xx.

Every case asserts: a 4xx with `{error_code, message}` naming the field or rule; the listing that used to
break still answers 200; and the keep-alive connection the bad request came on serves the next one
(it used to be reset after a 500). Unpaired surrogates have no defined meaning (RFC 8259 §8.2, "the
behavior of software that receives JSON texts containing such values is unpredictable"), so they are
refused rather than stored.
"""

from __future__ import annotations

import base64
import http.client
import json
from collections.abc import Iterator
from typing import Any

import pytest
from reliability_helpers import KNOWN_TOKEN, SP_ID

from prefect_databricks.local import LocalWorkspace

_CHECK = {"task_key": "c", "condition_task": {"op": "EQUAL_TO", "left": "1", "right": "1"}}


class Connection:
    """One raw keep-alive connection: every request must come back on the same socket."""

    def __init__(self, ws: LocalWorkspace, token: str | bytes = KNOWN_TOKEN) -> None:
        host, port = ws.host.removeprefix("http://").rsplit(":", 1)
        self.conn = http.client.HTTPConnection(host, int(port), timeout=30)
        self.conn.connect()
        self.sock = self.conn.sock
        self.auth = token if isinstance(token, bytes) else token.encode()

    def send(self, method: str, path: str, body: bytes | None = None, auth: bytes | None = None,
             content_type: str = "application/json") -> tuple[int, Any]:
        self.conn.putrequest(method, path)
        self.conn.putheader("Authorization", b"Bearer " + (auth if auth is not None else self.auth))
        self.conn.putheader("Content-Type", content_type)
        self.conn.putheader("Content-Length", str(len(body or b"")))
        self.conn.endheaders(body)
        response = self.conn.getresponse()
        data = response.read()
        assert response.getheader("connection", "").lower() != "close", f"{path} closed the connection"
        assert self.conn.sock is self.sock, "the keep-alive connection was reset"
        return response.status, json.loads(data) if data else None

    def json(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        return self.send(method, path, json.dumps(body).encode())


@pytest.fixture
def conn(fresh_workspace: LocalWorkspace) -> Iterator[Connection]:
    connection = Connection(fresh_workspace)
    yield connection
    connection.conn.close()


def _refused(answer: tuple[int, Any], status: int, *words: str) -> None:
    code, body = answer
    assert code == status, body
    assert set(body) == {"error_code", "message"}, body
    for word in words:
        assert word in body["message"], body


def _lists_fine(conn: Connection) -> None:
    for path in ("/api/2.2/jobs/list?expand_tasks=true", "/api/2.2/jobs/runs/list?expand_tasks=true"):
        assert conn.send("GET", path)[0] == 200


def test_a_lone_surrogate_is_refused_with_its_field_named_and_listing_keeps_working(conn: Connection) -> None:
    raw = b'{"name": "j", "tasks": [%s], "tags": {"k": "\\udfff"}}' % json.dumps(_CHECK).encode()
    _refused(conn.send("POST", "/api/2.2/jobs/create", raw), 400, "tags.k", "Unicode")
    raw = b'{"run_name": "\\ud800x", "tasks": [%s]}' % json.dumps(_CHECK).encode()
    _refused(conn.send("POST", "/api/2.2/jobs/runs/submit", raw), 400, "run_name")
    raw = b'{"name": "j", "tasks": [%s], "tags": {"\\udc80": "v"}}' % json.dumps(_CHECK).encode()
    _refused(conn.send("POST", "/api/2.2/jobs/create", raw), 400, "tags.\\udc80")
    _lists_fine(conn)
    # A valid pair of surrogates is one character, stored and served back intact.
    raw = b'{"name": "j", "tasks": [%s], "tags": {"k": "\\ud83d\\ude00"}}' % json.dumps(_CHECK).encode()
    status, created = conn.send("POST", "/api/2.2/jobs/create", raw)
    assert status == 200
    status, job = conn.send("GET", f"/api/2.2/jobs/get?job_id={created['job_id']}")
    assert status == 200 and job["settings"]["tags"] == {"k": "\U0001f600"}


@pytest.mark.parametrize("depth", [65, 500, 100_000])
def test_deeply_nested_json_is_a_400(conn: Connection, depth: int) -> None:
    raw = b'{"name": "j", "tags": ' + b"[" * depth + b"]" * depth + b"}"
    _refused(conn.send("POST", "/api/2.2/jobs/create", raw), 400, "nested")
    _lists_fine(conn)


def _real_token(conn: Connection) -> dict[str, Any]:
    for name in ("a", "b"):
        assert conn.json("POST", "/api/2.2/jobs/create", {"name": name, "tasks": [_CHECK]})[0] == 200
    status, page = conn.send("GET", "/api/2.2/jobs/list?limit=1")
    assert status == 200 and page["next_page_token"]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(page["next_page_token"]))
    return decoded


@pytest.mark.parametrize(
    "change",
    [{"a": "x"}, {"a": 1e400}, {"b": 2**70}, {"a": None}, {"d": "sideways"}, {"a": [1]}, {"b": True}],
    ids=["text", "float", "past-int64", "null", "direction", "list", "bool"],
)
def test_a_forged_page_token_is_a_400(conn: Connection, change: dict[str, Any]) -> None:
    """An attacker decodes a real token (base64 JSON) and edits it: the right kind and scope, wrong fields."""
    forged = {**_real_token(conn), **change}
    token = base64.urlsafe_b64encode(json.dumps(forged).encode()).decode()
    _refused(conn.send("GET", f"/api/2.2/jobs/list?limit=1&page_token={token}"), 400, "page_token")
    _lists_fine(conn)


def test_a_forged_array_page_token_is_a_400(conn: Connection) -> None:
    """jobs/get pages a job's 101 tasks (2.2): its real token, with the page number edited."""
    tasks = [{**_CHECK, "task_key": f"c{i}"} for i in range(101)]
    status, created = conn.json("POST", "/api/2.2/jobs/create", {"name": "p", "tasks": tasks})
    path = f"/api/2.2/jobs/get?job_id={created['job_id']}"
    status, first = conn.send("GET", path)
    assert status == 200 and first["next_page_token"]
    real = json.loads(base64.urlsafe_b64decode(first["next_page_token"]))
    for page in ("x", -1, 1.5, 2**64, None):
        token = base64.urlsafe_b64encode(json.dumps({**real, "p": page}).encode()).decode()
        _refused(conn.send("GET", f"{path}&page_token={token}"), 400, "page_token")
    assert conn.send("GET", f"{path}&page_token={first['next_page_token']}")[0] == 200


@pytest.mark.parametrize("token", ["Bearer dapié".encode(), "Bearer dapi\u2603".encode(), b"Bearer \xff\xfe"])
def test_a_non_ascii_bearer_token_is_a_wrong_token(conn: Connection, token: bytes) -> None:
    """403 "Invalid access token." as the real service answers a wrong token (databricks-sdk-go#873)."""
    answer = conn.send("GET", "/api/2.2/jobs/list", auth=token.removeprefix(b"Bearer "))
    _refused(answer, 403, "Invalid access token")
    _lists_fine(conn)


def test_a_non_ascii_client_secret_is_a_401(conn: Connection) -> None:
    """The OAuth token endpoint answers `invalid_client` (RFC 6749 §5.2) for a wrong secret, ASCII or not."""
    pair = base64.b64encode(f"{SP_ID}:sécret".encode()).decode()
    for body, basic in ((f"grant_type=client_credentials&client_id={SP_ID}&client_secret=s%C3%A9cret", None),
                        ("grant_type=client_credentials", pair)):
        conn.conn.putrequest("POST", "/oidc/v1/token")
        conn.conn.putheader("Content-Type", "application/x-www-form-urlencoded")
        if basic:
            conn.conn.putheader("Authorization", f"Basic {basic}")
        conn.conn.putheader("Content-Length", str(len(body)))
        conn.conn.endheaders(body.encode())
        response = conn.conn.getresponse()
        assert response.status == 401 and json.loads(response.read())["error"] == "invalid_client"
    _lists_fine(conn)


def test_an_unexpected_error_is_a_500_that_keeps_the_connection(
    fresh_workspace: LocalWorkspace, conn: Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No input makes the workspace fail any more, so a failure is injected: the store raising (a mock)."""

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the store failed")

    monkeypatch.setattr(fresh_workspace.workspace.store, "list_jobs", broken)
    status, body = conn.send("GET", "/api/2.2/jobs/list")
    assert status == 500 and body == {"error_code": "INTERNAL_ERROR", "message": "Internal error."}
    monkeypatch.undo()
    _lists_fine(conn)


def test_bodies_over_the_documented_limits_are_refused_unread(conn: Connection) -> None:
    """10 MB for a Jobs API request ("The maximum allowed size of a request to the Jobs API is 10MB",
    Jobs API 2.0 reference); 16 MiB of body for workspace/import, whose content limit is 10485760 bytes
    (MAX_NOTEBOOK_SIZE_EXCEEDED, recorded in databricks/automl#112) once base64-encoded."""
    conn.conn.putrequest("POST", "/api/2.2/jobs/create")
    conn.conn.putheader("Authorization", b"Bearer " + conn.auth)
    conn.conn.putheader("Content-Type", "application/json")
    conn.conn.putheader("Content-Length", str(10 * 1024 * 1024 + 1))
    conn.conn.endheaders()
    response = conn.conn.getresponse()
    body = json.loads(response.read())
    assert response.status == 413 and body["error_code"] == "REQUEST_TOO_LARGE" and "10 MB" in body["message"]
    conn.conn.close()
