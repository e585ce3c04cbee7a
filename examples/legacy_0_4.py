"""prefect-databricks 0.4 code, unchanged: the models, the task and the flow of the 0.4 documentation.

The credentials come from a block saved once, as in 0.4:

    from prefect_databricks import DatabricksCredentials
    DatabricksCredentials(databricks_instance="dbc-….cloud.databricks.com", token="dapi…").save("my-block")

and the notebook path is given on the command line:

    python examples/legacy_0_4.py /Users/me@example.com/my-notebook

Nothing here had to change: the 0.4 class names are aliases of the 2.2 models, the task and
flow keep their names and parameters, and requests now go to the 2.2 endpoints.
"""

import asyncio
import sys

from prefect import flow

from prefect_databricks import DatabricksCredentials
from prefect_databricks.flows import jobs_runs_submit_and_wait_for_completion
from prefect_databricks.jobs import jobs_runs_submit
from prefect_databricks.models.jobs import (
    AutoScale,
    AwsAttributes,
    JobTaskSettings,
    NewCluster,
    NotebookTask,
)


def _task_settings(notebook_path, base_parameters):
    aws_attributes = AwsAttributes(
        availability="SPOT",
        zone_id="us-west-2a",
        ebs_volume_type="GENERAL_PURPOSE_SSD",
        ebs_volume_count=3,
        ebs_volume_size=100,
    )
    auto_scale = AutoScale(min_workers=1, max_workers=2)
    new_cluster = NewCluster(
        aws_attributes=aws_attributes,
        autoscale=auto_scale,
        node_type_id="m4.large",
        spark_version="10.4.x-scala2.12",
        spark_conf={"spark.speculation": True},
    )
    notebook_task = NotebookTask(notebook_path=notebook_path, base_parameters=base_parameters)
    return JobTaskSettings(new_cluster=new_cluster, notebook_task=notebook_task, task_key="prefect-task")


@flow
def jobs_runs_submit_flow(notebook_path, block_name="my-block", **base_parameters):
    databricks_credentials = DatabricksCredentials.load(block_name)
    job_task_settings = _task_settings(notebook_path, base_parameters)
    run = jobs_runs_submit(
        databricks_credentials=databricks_credentials,
        run_name="prefect-job",
        tasks=[job_task_settings],
    )
    return run


@flow
async def jobs_runs_submit_and_wait_for_completion_flow(
    notebook_path, block_name="my-block", **base_parameters
):
    databricks_credentials = await DatabricksCredentials.load(block_name)
    job_task_settings = _task_settings(notebook_path, base_parameters)
    multi_task_runs = await jobs_runs_submit_and_wait_for_completion(
        databricks_credentials=databricks_credentials,
        run_name="prefect-job",
        tasks=[job_task_settings],
    )
    return multi_task_runs


if __name__ == "__main__":
    print(asyncio.run(jobs_runs_submit_and_wait_for_completion_flow(sys.argv[1])))
