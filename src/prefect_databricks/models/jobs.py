"""The 0.4 import path `prefect_databricks.models.jobs`: every 2.2 model plus the old class names.

Old names are aliases of the 2.2 models (same wire fields), so 0.4-era code keeps importing; the
2.2 names are the ones to use in new code.
"""

from __future__ import annotations

from ._generated import *  # noqa: F403
from ._generated import (
    ComputeClusterSpec,
    JobAccessControlRequest,
    JobPermissionLevel,
    SubmitTask,
    Task,
)
from ._index import MODEL_NAMES

__all__ = [
    "AccessControlRequest",
    "AccessControlRequestForGroup",
    "AccessControlRequestForServicePrincipal",
    "AccessControlRequestForUser",
    "JobTaskSettings",
    "NewCluster",
    "PermissionLevel",
    "RunSubmitTaskSettings",
    "TaskDependencies",
    *MODEL_NAMES,
]

JobTaskSettings = Task
RunSubmitTaskSettings = SubmitTask
NewCluster = ComputeClusterSpec
AccessControlRequest = JobAccessControlRequest
AccessControlRequestForUser = JobAccessControlRequest
AccessControlRequestForGroup = JobAccessControlRequest
AccessControlRequestForServicePrincipal = JobAccessControlRequest
PermissionLevel = JobPermissionLevel
TaskDependencies = list  # 0.4 made users wrap `depends_on` in this list type; plain lists work now
