"""Arbitrary JSON in job settings is answered 200 or 400 with an error body, never 500."""

from __future__ import annotations

from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prefect_databricks.local.jobs.schema import FIELDS

_NAMES = sorted({name for fields in FIELDS.values() for name in fields} | {"rocket_task"})
_KEYS = st.sampled_from(_NAMES) | st.text(max_size=4)
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(["a", "ALL_SUCCESS", "UTC", "0 0 * * * ?", "PYTHON", ""])
)
_JSON = st.recursive(
    _SCALARS,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(_KEYS, children, max_size=4),
    max_leaves=20,
)
_TASK = st.fixed_dictionaries(
    {"task_key": st.sampled_from(["a", "b", "bad key"])},
    optional={
        name: _JSON for name in ("notebook_task", "depends_on", "run_if", "rocket_task", "timeout_seconds")
    },
)
_SETTINGS = st.dictionaries(_KEYS, _JSON, max_size=5) | st.fixed_dictionaries(
    {"tasks": st.lists(_TASK, max_size=3)}, optional={"schedule": _JSON, "queue": _JSON, "tags": _JSON}
)
_FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _assert_answered(response: httpx.Response) -> None:
    assert response.status_code in (200, 400), response.text
    if response.status_code == 400:
        assert set(response.json()) == {"error_code", "message"}


@_FUZZ
@given(body=_SETTINGS)
def test_create_never_fails_with_500(http: httpx.Client, body: dict[str, Any]) -> None:
    _assert_answered(http.post("/api/2.2/jobs/create", json={**body, "name": "fuzz"}))


@_FUZZ
@given(new_settings=_JSON, removals=_JSON)
def test_update_never_fails_with_500(http: httpx.Client, new_settings: Any, removals: Any) -> None:
    job = http.post("/api/2.2/jobs/create", json={"name": "fuzz-update"}).json()
    body = {"job_id": job["job_id"], "new_settings": new_settings, "fields_to_remove": removals}
    _assert_answered(http.post("/api/2.2/jobs/update", json=body))
