"""`prefect-databricks jobs …` end to end against the session's local workspace (in-process CliRunner)."""

from __future__ import annotations

from pathlib import Path

from cli_helpers import Invoke, MakeJob, json_of, py_task

from prefect_databricks.local import LocalWorkspace


def test_jobs_list_follows_pages_and_filters_by_name(
    invoke: Invoke, make_job: MakeJob, cli_scripts: Path
) -> None:
    job_id, name = make_job(py_task("a", cli_scripts / "ok.py"))
    result = invoke("jobs", "list", "--name", name, "--json")
    assert result.exit_code == 0, result.output
    assert [job["job_id"] for job in json_of(result.stdout)] == [job_id]
    table = invoke("jobs", "list", "--limit", "3")
    assert table.exit_code == 0
    assert "job_id" in table.stdout and len(table.stdout.splitlines()) <= 2 + 3


def test_jobs_get_shows_the_tasks(invoke: Invoke, make_job: MakeJob, cli_scripts: Path) -> None:
    job_id, name = make_job(
        py_task("first", cli_scripts / "ok.py"),
        py_task("second", cli_scripts / "ok.py", depends_on=[{"task_key": "first"}]),
    )
    table = invoke("jobs", "get", str(job_id))
    assert table.exit_code == 0, table.output
    assert name in table.stdout and "spark_python_task" in table.stdout
    assert [
        t["task_key"]
        for t in json_of(invoke("jobs", "get", str(job_id), "--json").stdout)["settings"]["tasks"]
    ] == [
        "first",
        "second",
    ]


def test_run_now_without_wait_prints_the_run_id(invoke: Invoke, make_job: MakeJob, cli_scripts: Path) -> None:
    job_id, _ = make_job(py_task("a", cli_scripts / "ok.py"))
    result = invoke("jobs", "run-now", str(job_id), "--json")
    assert result.exit_code == 0, result.output
    assert isinstance(json_of(result.stdout)["run_id"], int)


def test_run_now_by_name_waits_and_passes_parameters(
    invoke: Invoke, make_job: MakeJob, cli_scripts: Path
) -> None:
    task = py_task("greet", cli_scripts / "ok.py", "{{job.parameters.who}}")
    _, name = make_job(task, parameters=[{"name": "who", "default": "nobody"}])
    result = invoke(
        "jobs", "run-now", "--job-name", name, "--param", "who=ada", "--wait", "--interval", "0.2"
    )
    assert result.exit_code == 0, result.output
    assert "greet  SUCCESS" in result.stdout  # a line per state change: stdout is not a terminal
    assert "ok ada" in result.stdout  # the result table shows each task's output
    assert "Run page: http" in result.stdout


def test_run_now_wait_exits_1_when_the_run_fails(
    invoke: Invoke, make_job: MakeJob, cli_scripts: Path
) -> None:
    job_id, _ = make_job(py_task("load", cli_scripts / "fail.py"))
    result = invoke("jobs", "run-now", str(job_id), "--wait", "--interval", "0.2", "--json")
    assert result.exit_code == 1, result.output
    run = json_of(result.stdout)
    assert run["state"]["result_state"] == "FAILED"
    assert "the data is bad" in run["tasks"][0]["output"]["error"]


def test_a_job_name_matching_no_job_is_a_usage_error(invoke: Invoke) -> None:
    result = invoke("jobs", "run-now", "--job-name", "no job has this name")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: --job-name must name exactly one job; no job is named 'no job has this name'"
    )


def test_job_id_and_job_name_together_are_refused(invoke: Invoke) -> None:
    result = invoke("jobs", "run-now", "1", "--job-name", "x")
    assert result.exit_code == 2
    assert "not both" in result.stderr


def test_a_malformed_param_is_a_usage_error(invoke: Invoke) -> None:
    result = invoke("jobs", "run-now", "1", "--param", "novalue")
    assert result.exit_code == 2
    assert "KEY=VALUE" in result.output


def test_an_api_error_is_one_line_and_exit_3(invoke: Invoke) -> None:
    result = invoke("jobs", "get", "424242")
    assert result.exit_code == 3
    expected = "GET jobs/get (job_id=424242): HTTP 400 INVALID_PARAMETER_VALUE: Job 424242 does not exist."
    assert result.stderr == f"error: {expected}\n"
    assert result.stdout == ""


def test_a_rejected_token_is_exit_3_and_never_printed(invoke: Invoke) -> None:
    result = invoke("jobs", "list", env={"DATABRICKS_TOKEN": "dapi-wrong-secret-123"})
    assert result.exit_code == 3
    assert "HTTP 403" in result.stderr and len(result.stderr.splitlines()) == 1
    assert "dapi-wrong-secret-123" not in result.output


def test_missing_credentials_are_a_usage_error(invoke: Invoke) -> None:
    result = invoke("jobs", "list", env={"DATABRICKS_HOST": "", "DATABRICKS_TOKEN": ""})
    assert result.exit_code == 2
    assert result.stderr.startswith("error: No Databricks config file at ")


def test_plain_http_to_a_remote_host_is_refused(invoke: Invoke) -> None:
    result = invoke("jobs", "list", env={"DATABRICKS_HOST": "http://dbc-123.cloud.databricks.com"})
    assert result.exit_code == 2
    assert "must use https://" in result.stderr and len(result.stderr.splitlines()) == 1


def test_profile_from_the_config_file(invoke: Invoke, cli_env: dict[str, str], tmp_path: Path) -> None:
    config = tmp_path / "databrickscfg"
    config.write_text(
        f"[local]\nhost = {cli_env['DATABRICKS_HOST']}\ntoken = {cli_env['DATABRICKS_TOKEN']}\n"
    )
    env = {"DATABRICKS_HOST": "", "DATABRICKS_TOKEN": "", "DATABRICKS_CONFIG_FILE": str(config)}
    assert invoke("jobs", "list", "--limit", "1", "--profile", "local", env=env).exit_code == 0
    missing = invoke("jobs", "list", "--profile", "other", env=env)
    assert missing.exit_code == 2
    assert missing.stderr == f"error: No profile [other] in {config}.\n"


def test_a_service_principal_from_the_environment(invoke: Invoke, workspace: LocalWorkspace) -> None:
    ((client_id, secret),) = workspace.workspace.config.service_principals.items()
    env = {"DATABRICKS_TOKEN": "", "DATABRICKS_CLIENT_ID": client_id, "DATABRICKS_CLIENT_SECRET": secret}
    result = invoke("jobs", "list", "--limit", "1", "--json", env=env)
    assert result.exit_code == 0, result.output
    assert isinstance(json_of(result.stdout), list)
    assert secret not in result.output
