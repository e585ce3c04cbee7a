"""Task-graph rules the service enforces, refused with a 400 naming the field, sent by the official SDK.

Sources: the Jobs API reference (`TaskDependency.outcome`: "Can only be specified on condition task
dependencies"; values "true"/"false") and Databricks' for-each page ("You cannot add another For each task
as the nested task").
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import InvalidParameterValue
from databricks.sdk.service import jobs
from runs_helpers import unique

from prefect_databricks.local import LocalWorkspace


@pytest.fixture
def sdk(workspace: LocalWorkspace) -> Iterator[WorkspaceClient]:
    yield WorkspaceClient(host=workspace.host, token=workspace.token)


def _py(key: str, **extra: object) -> jobs.Task:
    python = jobs.SparkPythonTask(python_file="/tmp/x.py")
    return jobs.Task(task_key=key, spark_python_task=python, **extra)  # type: ignore[arg-type]


def test_an_outcome_on_a_dependency_that_is_not_a_condition_is_refused(sdk: WorkspaceClient) -> None:
    tasks = [_py("a"), _py("b", depends_on=[jobs.TaskDependency(task_key="a", outcome="true")])]
    with pytest.raises(InvalidParameterValue) as info:
        sdk.jobs.create(name=unique("graph"), tasks=tasks)
    assert "tasks[1].depends_on[0].outcome" in str(info.value) and "condition task" in str(info.value)


def test_an_outcome_must_be_true_or_false(sdk: WorkspaceClient) -> None:
    check = jobs.Task(task_key="c", condition_task=jobs.ConditionTask(
        op=jobs.ConditionTaskOp.EQUAL_TO, left="1", right="1"))
    tasks = [check, _py("b", depends_on=[jobs.TaskDependency(task_key="c", outcome="yes")])]
    with pytest.raises(InvalidParameterValue, match=r"'true' or 'false'"):
        sdk.jobs.create(name=unique("graph"), tasks=tasks)
    ok = [check, _py("b", depends_on=[jobs.TaskDependency(task_key="c", outcome="false")])]
    assert sdk.jobs.create(name=unique("graph"), tasks=ok).job_id


def test_a_for_each_inside_a_for_each_is_refused(sdk: WorkspaceClient) -> None:
    inner = jobs.Task(task_key="inner", for_each_task=jobs.ForEachTask(inputs="[1]", task=_py("leaf")))
    outer = jobs.SubmitTask(task_key="outer", for_each_task=jobs.ForEachTask(inputs="[1]", task=inner))
    with pytest.raises(InvalidParameterValue, match="cannot add another For each task as the nested task"):
        sdk.jobs.submit(tasks=[outer])
