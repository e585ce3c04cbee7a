"""The fault switch: spec parsing, seeded shares, Retry-After, dropped and lost requests, latency, control."""

from __future__ import annotations

import collections
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from prefect_databricks.local import LocalWorkspace
from prefect_databricks.local.api.faults import parse_spec


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalWorkspace]:
    """A workspace of its own, so faults switched on here never reach other tests."""
    with LocalWorkspace(tmp_path_factory.mktemp("faulty")) as ws:
        yield ws


@pytest.fixture
def client(faulty: LocalWorkspace) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {faulty.token}"}
    with httpx.Client(base_url=faulty.host, headers=headers, timeout=10) as http:
        yield http
        http.post("/local-api/faults", json={"spec": None})


def _switch(client: httpx.Client, spec: str | None) -> None:
    response = client.post("/local-api/faults", json={"spec": spec})
    assert response.status_code == 200 and response.json() == {"spec": spec}


def test_parse_spec_reads_every_part() -> None:
    spec = parse_spec(
        "429=0.2,503=0.1,drop=0.05,lost=0.05,latency=0.1:50,seed=7,retry_after=2,only=jobs/get|jobs/list"
    )
    assert spec.shares == {"429": 0.2, "503": 0.1, "drop": 0.05, "lost": 0.05}
    assert spec.latency == (0.1, 50) and spec.seed == 7 and spec.retry_after == 2
    assert spec.only == frozenset({"jobs/get", "jobs/list"})


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("teapot=0.1", "teapot"),
        ("429=2", "429=2"),
        ("429=0.6,503=0.6", "add up"),
        ("latency=x:5", "latency"),
        ("oops", "oops"),
    ],
)
def test_parse_spec_errors_name_the_part(text: str, named: str) -> None:
    with pytest.raises(ValueError, match=named):
        parse_spec(text)


def test_shares_are_roughly_right_and_reproducible_with_a_seed(client: httpx.Client) -> None:
    _switch(client, "429=0.2,503=0.1,seed=7,retry_after=3")
    statuses = [client.get("/api/2.2/jobs/list") for _ in range(400)]
    counts = collections.Counter(r.status_code for r in statuses)
    assert (
        50 <= counts[429] <= 110
        and 20 <= counts[503] <= 60
        and counts[200] == 400 - counts[429] - counts[503]
    )
    for response in statuses:
        if response.status_code != 200:
            code = {429: "REQUEST_LIMIT_EXCEEDED", 503: "TEMPORARILY_UNAVAILABLE"}[response.status_code]
            assert response.headers["retry-after"] == "3" and response.json()["error_code"] == code
    _switch(client, "429=0.2,503=0.1,seed=7,retry_after=3")
    again = [client.get("/api/2.2/jobs/list").status_code for _ in range(30)]
    assert again == [r.status_code for r in statuses[:30]]


# A closed connection reaches the client as an incomplete response or, when the kernel answers the
# unread request with a reset, as a read error: both are "the connection was dropped".
_DROPPED = (httpx.RemoteProtocolError, httpx.ReadError)


def test_drop_closes_the_connection_before_acting(client: httpx.Client) -> None:
    name = f"dropped-{uuid.uuid4().hex}"
    _switch(client, "drop=1,only=jobs/create")
    with pytest.raises(_DROPPED):
        client.post("/api/2.2/jobs/create", json={"name": name})
    assert client.get("/api/2.2/jobs/list", params={"name": name}).json() == {}


def test_lost_acts_but_never_answers(client: httpx.Client) -> None:
    name = f"lost-{uuid.uuid4().hex}"
    _switch(client, "lost=1,only=jobs/create")
    with pytest.raises(_DROPPED):
        client.post("/api/2.2/jobs/create", json={"name": name})
    _switch(client, None)
    assert len(client.get("/api/2.2/jobs/list", params={"name": name}).json()["jobs"]) == 1


def test_latency_delays_the_chosen_share(client: httpx.Client) -> None:
    _switch(client, "latency=1:200,only=jobs/list")
    started = time.monotonic()
    assert client.get("/api/2.2/jobs/list").status_code == 200
    assert time.monotonic() - started >= 0.2


def test_only_api_paths_are_faulted(client: httpx.Client) -> None:
    _switch(client, "429=1")
    assert client.get("/api/2.2/jobs/list").status_code == 429
    assert client.get("/local-api/faults").json() == {"spec": "429=1"}
    assert client.get("/.well-known/databricks-config").status_code == 200


def test_a_bad_spec_is_a_400_naming_spec(client: httpx.Client) -> None:
    response = client.post("/local-api/faults", json={"spec": "429=lots"})
    assert response.status_code == 400 and "spec" in response.json()["message"]
    assert client.post("/local-api/faults", json={"spec": 5}).status_code == 400


def test_faults_given_at_start(tmp_path: Path) -> None:
    with LocalWorkspace(tmp_path, faults="503=1,retry_after=4") as ws:
        response = httpx.get(f"{ws.host}/api/2.2/jobs/list", headers={"Authorization": f"Bearer {ws.token}"})
    assert response.status_code == 503 and response.headers["retry-after"] == "4"


def test_control_needs_the_token(faulty: LocalWorkspace) -> None:
    assert httpx.get(f"{faulty.host}/local-api/faults").status_code == 401
    bad = {"Authorization": "Bearer nope"}
    assert httpx.post(f"{faulty.host}/local-api/reset", headers=bad).status_code == 403
