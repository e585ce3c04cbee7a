"""Issue 14, "done when": requests generated from the Jobs 2.1 OpenAPI document never get a 5xx.

Each of the document's 16 operations gets bodies (or query strings) built from its own schema, with
some fields swapped for hostile values (wrong types, lone surrogates, huge numbers, deep nesting).
Every answer is a 2xx, or a 4xx with `{error_code, message}`; afterwards listing still works. Bounded:
`EXAMPLES` requests per operation, one workspace, the run processes cancelled at the end.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reliability_helpers import KNOWN_TOKEN

from prefect_databricks.local import LocalWorkspace

SPEC = yaml.safe_load((Path(__file__).parent / "spec" / "jobs-2.1-aws.openapi.yaml").read_text())
EXAMPLES = 100
OPERATIONS = [(method, path, op) for path, item in SPEC["paths"].items() for method, op in item.items()]
_HOSTILE = st.sampled_from(["\udfff", "\ud800x", 2**64, -(2**63) - 1, 1e308, None, True, "", "x" * 300,
                            [[[[[[]]]]]], {"": {}}, "%00", "1e400"])
_TALLY: Counter[str] = Counter()


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        node: Any = SPEC
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def _from_schema(schema: dict[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
    schema = _resolve(schema)
    parts = schema.get("allOf") or schema.get("oneOf") or schema.get("anyOf")
    if parts:
        merged: dict[str, Any] = {"type": "object", "properties": {}}
        for part in parts:
            merged["properties"].update(_resolve(part).get("properties", {}))
        schema = merged
    if "enum" in schema:
        return st.sampled_from(schema["enum"]) | _HOSTILE
    kind = schema.get("type", "object")
    if depth > 4:
        return _HOSTILE
    if kind == "object":
        props = {k: _from_schema(v, depth + 1) for k, v in (schema.get("properties") or {}).items()}
        if not props:
            return st.dictionaries(st.text(max_size=5), _HOSTILE, max_size=3)
        return st.fixed_dictionaries({}, optional=props)
    if kind == "array":
        return st.lists(_from_schema(schema.get("items") or {}, depth + 1), max_size=3) | _HOSTILE
    scalar = {"integer": st.integers(-(2**63), 2**63 - 1), "number": st.floats(allow_nan=False),
              "boolean": st.booleans(), "string": st.text(max_size=20)}
    return scalar.get(kind, st.text(max_size=5)) | _HOSTILE


def _query_value(value: Any) -> str:
    return json.dumps(value) if not isinstance(value, str) else value


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with LocalWorkspace(tmp_path_factory.mktemp("fuzz-spec"), token=KNOWN_TOKEN) as ws:
        headers = {"Authorization": f"Bearer {KNOWN_TOKEN}"}
        with httpx.Client(base_url=ws.host, headers=headers, timeout=60) as http:
            yield http
            http.post("/api/2.1/jobs/runs/cancel-all", json={"all_queued_runs": True})
            print(f"spec fuzz: {sum(_TALLY.values())} requests, answers {dict(sorted(_TALLY.items()))}")


@pytest.mark.parametrize(("method", "path", "op"), OPERATIONS, ids=[f"{m} {p}" for m, p, _ in OPERATIONS])
def test_generated_requests_never_get_a_5xx(
    fuzzed: httpx.Client, method: str, path: str, op: dict[str, Any]
) -> None:
    body_schema = (op.get("requestBody") or {}).get("content", {}).get("application/json", {}).get("schema")
    params = {p["name"]: _from_schema(p.get("schema") or {}) for p in map(_resolve, op.get("parameters", []))}
    strategy = _from_schema(body_schema) if body_schema else st.fixed_dictionaries({}, optional=params)

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def check(value: Any) -> None:
        url = f"/api{path}"
        if method == "get":
            query = {k: _query_value(v) for k, v in value.items()} if isinstance(value, dict) else {}
            answer = fuzzed.get(url, params={k: v.encode("utf-8", "surrogatepass") for k, v in query.items()})
        else:
            raw = json.dumps(value).encode()  # ASCII escapes: a lone surrogate arrives as \udfff
            answer = fuzzed.post(url, content=raw, headers={"Content-Type": "application/json"})
        _TALLY[str(answer.status_code)] += 1
        assert answer.status_code < 500, answer.text
        if answer.status_code >= 400:
            assert set(answer.json()) == {"error_code", "message"}, answer.text

    check()
    for listing in ("/api/2.1/jobs/list", "/api/2.1/jobs/runs/list"):
        assert fuzzed.get(listing, params={"expand_tasks": "true"}).status_code == 200
