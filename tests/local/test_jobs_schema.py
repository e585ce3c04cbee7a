"""The generated local jobs schema is what the generator makes of the spec digest (never hand-edited)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

import prefect_databricks.local.jobs.schema as schema

_REPO = Path(__file__).parents[2]
_DIGEST = _REPO.parent / "shared" / "spec" / "jobs-api-2.2.sdk-digest.json"
_GENERATOR = _REPO / "scripts" / "gen_local_jobs_schema.py"


def test_generated_schema_is_current() -> None:
    if not _DIGEST.exists():
        pytest.skip(f"spec digest not available at {_DIGEST}")
    spec = importlib.util.spec_from_file_location("gen_local_jobs_schema", _GENERATOR)
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    assert generator.render(json.loads(_DIGEST.read_text())) == Path(schema.__file__).read_text()


def test_schema_covers_the_request_types_the_service_checks() -> None:
    for name in ("JobSettings", "Task", "SubmitTask", "JobAccessControlRequest", "QueueSettings"):
        assert name in schema.FIELDS
    assert schema.FIELDS["Task"]["task_key"] == ("str", True)
    assert "ALL_SUCCESS" in schema.ENUMS["RunIf"]
