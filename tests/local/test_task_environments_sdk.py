"""Task environments and libraries installed for the task (issue 13, item 6), through the official SDK.

Nothing is mocked and nothing reaches the internet: wheels are zipped in the test, uploaded with the
Workspace API or written under the local `/Volumes` root, and `pypi` libraries come from a PEP 503
index served on 127.0.0.1. The expected argv `['my_test_code', 'one', 'two']` is the one recorded on
Databricks' serverless compute for a wheel task with `parameters: ["one", "two"]` (issue 13).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.service import jobs
from databricks.sdk.service.workspace import ImportFormat
from env_helpers import simple_index, write_wheel
from runs_helpers import unique
from sdk_helpers import wait_for_run

from prefect_databricks.local import LocalWorkspace

_ARGV = "import sys\n\ndef main():\n    print(sys.argv)\n"


@pytest.fixture
def sdk(workspace: LocalWorkspace) -> Iterator[WorkspaceClient]:
    """A WorkspaceClient authenticated with the workspace's token."""
    yield WorkspaceClient(host=workspace.host, token=workspace.token)


def _upload(sdk: WorkspaceClient, wheel: Path) -> str:
    folder = f"/Workspace/Users/{sdk.current_user.me().user_name}/{unique('envs')}"
    sdk.workspace.mkdirs(folder)
    path = f"{folder}/{wheel.name}"
    sdk.workspace.upload(path, wheel.read_bytes(), format=ImportFormat.AUTO, overwrite=True)
    return path


def _submit(
    sdk: WorkspaceClient, task: dict[str, Any], environments: list[dict[str, Any]] | None = None
) -> int:
    envs = [jobs.JobEnvironment.from_dict(e) for e in environments or []]
    run_id = sdk.jobs.submit(run_name=unique("envs"), tasks=[jobs.SubmitTask.from_dict(task)],
                             environments=envs or None).run_id
    assert run_id is not None
    return run_id


def _task(run: jobs.Run) -> jobs.RunTask:
    assert run.tasks is not None
    return run.tasks[0]


def _script(sdk: WorkspaceClient, source: str) -> str:
    folder = f"/Workspace/Users/{sdk.current_user.me().user_name}/{unique('envs')}"
    sdk.workspace.mkdirs(folder)
    path = f"{folder}/main.py"
    sdk.workspace.upload(path, source.encode(), format=ImportFormat.AUTO, overwrite=True)
    return path


def test_serverless_wheel_from_environments_only(sdk: WorkspaceClient, tmp_path: Path) -> None:
    """Issue 13's done-when: the wheel named only in `environments` is installed; argv as recorded."""
    wheel = write_wheel(tmp_path, "my_test_code", _ARGV + f"# {uuid.uuid4().hex}\n", entry_point="main")
    dependency = _upload(sdk, wheel)
    job_id = sdk.jobs.create(
        name=unique("serverless-wheel"),
        environments=[jobs.JobEnvironment.from_dict(
            {"environment_key": "default", "spec": {"client": "1", "dependencies": [dependency]}})],
        tasks=[jobs.Task.from_dict({
            "task_key": "wheel", "environment_key": "default",
            "python_wheel_task": {"package_name": "my_test_code", "entry_point": "run",
                                  "parameters": ["one", "two"]}})],
    ).job_id
    assert job_id is not None
    first = wait_for_run(sdk, sdk.jobs.run_now(job_id).run_id)
    assert first.state.result_state == jobs.RunResultState.SUCCESS, first.state
    assert sdk.jobs.get_run_output(_task(first).run_id).logs == "['my_test_code', 'one', 'two']\n"
    again = wait_for_run(sdk, sdk.jobs.run_now(job_id, python_params=["three"]).run_id)
    assert sdk.jobs.get_run_output(_task(again).run_id).logs == "['my_test_code', 'three']\n"


def test_volume_wheel_requirements_file_and_relative_wheels(
    sdk: WorkspaceClient, workspace: LocalWorkspace, tmp_path: Path
) -> None:
    """A `/Volumes` wheel in `dependencies`, a `-r` requirements file naming a wheel beside it, and a
    relative dependency, read from the task code's folder [I]."""
    tag = uuid.uuid4().hex[:8]
    volume = workspace.data_dir / "dbfs" / "Volumes" / "main" / "default" / tag
    first = write_wheel(volume, f"vol_{tag}", "ANSWER = 'volume'\n")
    folder = f"/Workspace/Users/{sdk.current_user.me().user_name}/{unique('envs')}"
    sdk.workspace.mkdirs(f"{folder}/libs")
    second = write_wheel(tmp_path, f"req_{tag}", "ANSWER = 'beside requirements.txt'\n")
    third = write_wheel(tmp_path, f"rel_{tag}", "ANSWER = 'relative'\n")
    for path, content in ((f"{folder}/libs/{second.name}", second.read_bytes()),
                          (f"{folder}/libs/requirements.txt", f"# pinned\n./{second.name}\n".encode()),
                          (f"{folder}/libs/{third.name}", third.read_bytes()),
                          (f"{folder}/main.py", f"import vol_{tag} as a, req_{tag} as b, rel_{tag} as c\n"
                                                "print(a.ANSWER, b.ANSWER, c.ANSWER, sep=' | ')\n".encode())):
        sdk.workspace.upload(path, content, format=ImportFormat.AUTO)
    spec = {"client": "2", "dependencies": [f"/Volumes/main/default/{tag}/{first.name}",
                                            f"-r '{folder}/libs/requirements.txt'", f"./libs/{third.name}"]}
    run = wait_for_run(sdk, _submit(sdk, {"task_key": "t", "environment_key": "env",
                                   "spark_python_task": {"python_file": f"{folder}/main.py"}},
                             [{"environment_key": "env", "spec": spec}]))
    assert run.state.result_state == jobs.RunResultState.SUCCESS, run.state
    logs = sdk.jobs.get_run_output(_task(run).run_id).logs
    assert logs == "volume | beside requirements.txt | relative\n"


def test_pypi_library_from_a_repo_and_the_workspace_packages_stay_visible(
    sdk: WorkspaceClient, tmp_path: Path
) -> None:
    """`libraries: [{pypi: {package, repo}}]` installs from `repo`; dbutils and the workspace's own
    packages (httpx here) stay importable in the task's environment."""
    name = f"tiny_{uuid.uuid4().hex[:8]}"
    wheel = write_wheel(tmp_path / "dist", name, "ANSWER = 42\n", version="1.0")
    source = (f"import httpx, sys, {name}\nfrom dbutils import dbutils\n"
              f"print({name}.ANSWER, sys.prefix != sys.base_prefix, callable(dbutils.widgets.get))\n")
    code = _script(sdk, source)
    with simple_index(tmp_path / "index", wheel) as index:
        task = {"task_key": "t", "spark_python_task": {"python_file": code},
                "libraries": [{"pypi": {"package": f"{name}==1.0", "repo": index}}]}
        run = wait_for_run(sdk, _submit(sdk, task))
    assert run.state.result_state == jobs.RunResultState.SUCCESS, run.state
    assert sdk.jobs.get_run_output(_task(run).run_id).logs == "42 True True\n"


def test_a_failed_install_fails_the_task_with_the_installer_error(
    sdk: WorkspaceClient, tmp_path: Path
) -> None:
    """The installer's error, trimmed and without the repo's password, is the task's state_message."""
    wheel = write_wheel(tmp_path / "dist", "present_pkg", "X = 1\n", version="1.0")
    code = _script(sdk, "print('never')\n")
    with simple_index(tmp_path / "index", wheel) as index:
        repo = index.replace("http://", "http://user:s3cret-pw@")
        name = f"absent-{uuid.uuid4().hex[:8]}"
        task = {"task_key": "t", "spark_python_task": {"python_file": code},
                "libraries": [{"pypi": {"package": name, "repo": repo}}]}
        run = wait_for_run(sdk, _submit(sdk, task))
    state = _task(run).state
    assert state.result_state == jobs.RunResultState.FAILED
    assert state.state_message.startswith("Library installation failed: ")
    assert name in state.state_message and "s3cret-pw" not in state.state_message
    assert len(state.state_message) < 2200


def test_library_kinds_that_cannot_be_installed_are_refused(sdk: WorkspaceClient) -> None:
    """egg: "not supported in Databricks Runtime 14.0 and above" (the Libraries API's field doc); jar,
    maven and cran on a Python task: the task fails naming the kind, it is never run without them."""
    code = _script(sdk, "print('never')\n")
    cases = {
        "egg": ({"egg": "/Workspace/Shared/x.egg"}, "is not supported in Databricks Runtime 14.0 and above"),
        "jar": ({"jar": "/Volumes/main/default/lib/x.jar"}, "cannot install jar libraries"),
        "maven": ({"maven": {"coordinates": "org.example:x:1.0"}}, "cannot install maven libraries"),
        "cran": ({"cran": {"package": "forecast"}}, "cannot install cran libraries"),
    }
    for kind, (library, expected) in cases.items():
        run = wait_for_run(sdk, _submit(sdk, {"task_key": "t", "spark_python_task": {"python_file": code},
                                       "libraries": [library]}))
        state = _task(run).state
        assert state.result_state == jobs.RunResultState.FAILED, kind
        assert f"libraries.{kind}" in state.state_message and expected in state.state_message, kind
    java = {"environment_key": "env", "spec": {"client": "2", "java_dependencies": ["/Volumes/a/b/c/x.jar"]}}
    run = wait_for_run(sdk, _submit(sdk, {"task_key": "t", "environment_key": "env",
                                   "spark_python_task": {"python_file": code}}, [java]))
    assert "environments.spec.java_dependencies" in _task(run).state.state_message


def test_an_unknown_environment_key_is_a_400_naming_the_field(sdk: WorkspaceClient) -> None:
    """A task's environment_key must name one of the run's environments."""
    try:
        _submit(sdk, {"task_key": "t", "environment_key": "nope",
                      "spark_python_task": {"python_file": "/x.py"}})
    except Exception as exc:  # the SDK's InvalidParameterValue
        assert "tasks[0].environment_key" in str(exc) and "'nope' is not defined" in str(exc)
    else:
        raise AssertionError("submit accepted an undefined environment_key")


def test_environment_variables_entry_with_a_file_and_inline_variables(sdk: WorkspaceClient) -> None:
    """Jobs docs, "Configure environment variables for serverless jobs": the task gets only its entry's
    variables, inline ones win over `.env` files, runtime variables win over both; a bad line fails."""
    folder = f"/Workspace/Users/{sdk.current_user.me().user_name}/{unique('envs')}"
    sdk.workspace.mkdirs(folder)
    app_env = b"# settings\nMODE=file\nLEVEL=debug\n\n"
    sdk.workspace.upload(f"{folder}/app.env", app_env, format=ImportFormat.AUTO)
    sdk.workspace.upload(f"{folder}/bad.env", b"MODE=file\nnot a pair\n", format=ImportFormat.AUTO)
    code = _script(sdk, "import os\nprint(os.environ['MODE'], os.environ['LEVEL'], os.environ.get('OTHER'),\n"
                        "      os.environ['DATABRICKS_TASK_KEY'])\n")
    entries = [
        {"environment_variables_key": "app", "spec": {
            "files": [f"{folder}/app.env"], "variables": {"MODE": "inline", "DATABRICKS_TASK_KEY": "x"}}},
        {"environment_variables_key": "other", "spec": {"variables": {"OTHER": "no"}}},
        {"environment_variables_key": "bad", "spec": {"files": [f"{folder}/bad.env"]}},
    ]
    tasks = [{"task_key": key, "environment_variables_key": key, "spark_python_task": {"python_file": code}}
             for key in ("app", "bad")]
    job_id = sdk.api_client.do("POST", "/api/2.2/jobs/create", body={
        "name": unique("env-vars"), "environment_variables": entries, "tasks": tasks})["job_id"]
    run = wait_for_run(sdk, sdk.jobs.run_now(job_id).run_id)
    by_key = {task.task_key: task for task in run.tasks or []}
    assert sdk.jobs.get_run_output(by_key["app"].run_id).logs == "inline debug None app\n"
    assert by_key["bad"].state.result_state == jobs.RunResultState.FAILED
    assert "bad.env' line 2: expected KEY=VALUE" in by_key["bad"].state.state_message


def test_two_runs_needing_one_new_environment_share_it(sdk: WorkspaceClient, tmp_path: Path) -> None:
    """Submitted together, both runs wait for the one build and run in the same environment."""
    name = f"shared_{uuid.uuid4().hex[:8]}"
    dependency = _upload(sdk, write_wheel(tmp_path, name, "VALUE = 'shared'\n"))
    code = _script(sdk, f"import sys, {name}\nprint({name}.VALUE, sys.prefix)\n")
    environment = [{"environment_key": "e", "spec": {"client": "2", "dependencies": [dependency]}}]
    task = {"task_key": "t", "environment_key": "e", "spark_python_task": {"python_file": code}}
    runs = [_submit(sdk, task, environment) for _ in range(2)]
    logs = []
    for run_id in runs:
        run = wait_for_run(sdk, run_id)
        assert run.state.result_state == jobs.RunResultState.SUCCESS, run.state
        logs.append(sdk.jobs.get_run_output(_task(run).run_id).logs)
    assert logs[0] == logs[1] and logs[0].startswith("shared ") and "/environments/" in logs[0]


def test_a_run_cancelled_while_its_environment_builds_ends_at_once(
    sdk: WorkspaceClient, tmp_path: Path
) -> None:
    """The build goes on in the background; the run ends CANCELED and its task never starts."""
    name = f"slow_{uuid.uuid4().hex[:8]}"
    wheel = write_wheel(tmp_path / "dist", name, "X = 1\n", version="1.0")
    marker = tmp_path / "started"
    code = _script(sdk, f"open({str(marker)!r}, 'w').close()\n")
    with simple_index(tmp_path / "index", wheel, delay=3) as index:
        task = {"task_key": "t", "spark_python_task": {"python_file": code},
                "libraries": [{"pypi": {"package": name, "repo": index}}]}
        run_id = _submit(sdk, task)
        while sdk.jobs.get_run(run_id).state.life_cycle_state != jobs.RunLifeCycleState.RUNNING:
            time.sleep(0.05)
        started = time.monotonic()
        sdk.jobs.cancel_run(run_id)
        run = wait_for_run(sdk, run_id, timeout=10)
        assert time.monotonic() - started < 3, "the cancel waited for the build"
        assert run.state.result_state == jobs.RunResultState.CANCELED, run.state
        time.sleep(3.5)
    assert not marker.exists(), "the task started after its run was cancelled"
