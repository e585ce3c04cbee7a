"""The warm launcher (a fork server) starts tasks exactly as a fresh interpreter does, only sooner.

Real processes throughout: the fork server is a real child interpreter, each task a real fork of it.
The cold path is chosen by stubbing the fork server's `spawn` to decline, which is what it does when
it is not up; the task process itself is never faked.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from prefect_databricks.local.executor import TaskContext, TaskOutcome, TaskProcess, start_task
from prefect_databricks.local.executor import process as process_module
from prefect_databricks.local.executor.forkserver import WARM

_PROBE = b"""import json, os, signal, sys
print(json.dumps({
    "argv": sys.argv, "cwd": os.getcwd(), "env": dict(os.environ), "path": sys.path,
    "main": sys.modules["__main__"].__file__,
    "sigint": signal.getsignal(signal.SIGINT) is signal.default_int_handler,
    "sigterm": signal.getsignal(signal.SIGTERM) == signal.SIG_DFL, "session": os.getsid(0) == os.getpid(),
    "stdin": sys.stdin.read(), "ppid": os.getppid(),
}))
"""


@pytest.fixture(autouse=True)
def warm() -> int:
    """The fork server, up before each test (the first launch in a process otherwise goes cold)."""
    assert WARM.warm_up(timeout=30), "the fork server did not start"
    pid = WARM.pid()
    assert pid is not None
    return pid


def _ctx(workdir: Path, objects: dict[str, bytes], **fields: Any) -> TaskContext:
    return TaskContext(workdir=workdir, task_key="main", read_object=objects.get, **fields)


def _wait(process: TaskProcess, timeout: float = 20.0) -> TaskOutcome:
    deadline = time.monotonic() + timeout
    while (outcome := process.poll()) is None:
        assert time.monotonic() < deadline, "task did not finish in time"
        time.sleep(0.01)
    return outcome


def _file_task(path: str) -> dict[str, Any]:
    return {"task_key": "main", "spark_python_task": {"python_file": path}}


def _probe(workdir: Path) -> dict[str, Any]:
    ctx = _ctx(workdir, {"/probe.py": _PROBE}, args=["--day", "1"], env={"GREETING": "hi"})
    outcome = _wait(start_task(_file_task("/probe.py"), ctx))
    assert outcome.success, outcome.logs
    probe: dict[str, Any] = json.loads(outcome.logs.replace(str(workdir), "<workdir>"))
    return probe


def test_a_forked_task_sees_what_a_fresh_interpreter_sees(
    tmp_path: Path, warm: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """argv, cwd, environment, sys.path, signal handlers, own session, no stdin: same warm and cold."""
    forked = _probe(tmp_path / "warm")
    monkeypatch.setattr(WARM, "spawn", lambda *args, **kwargs: None)
    cold = _probe(tmp_path / "cold")
    assert forked.pop("ppid") == warm and cold.pop("ppid") == os.getpid()
    assert forked == cold
    assert forked["cwd"] == "<workdir>" and forked["path"][0] == "<workdir>/sources"
    assert forked["argv"] == ["<workdir>/sources/probe.py", "--day", "1"]
    assert forked["env"]["GREETING"] == "hi"
    assert forked["sigint"] and forked["sigterm"] and forked["session"] and forked["stdin"] == ""


def test_no_module_state_carries_from_one_task_to_the_next(tmp_path: Path, warm: int) -> None:
    """Each task is a new fork of a server that never ran a task: a module a task changed is fresh again."""
    script = (b"import json, os, sys, dbutils\n"
              b"print(os.getppid(), hasattr(json, 'leak'), 'leaky' in sys.modules,\n"
              b"      dbutils.dbutils.widgets.getAll())\n"
              b"json.leak = 1\nsys.modules['leaky'] = json\n")
    seen = []
    for index in range(2):
        ctx = _ctx(tmp_path / str(index), {"/leak.py": script}, parameters={"n": str(index)})
        outcome = _wait(start_task(_file_task("/leak.py"), ctx))
        assert outcome.success, outcome.logs
        seen.append(outcome.logs.strip())
    assert seen == [f"{warm} False False {{'n': '0'}}", f"{warm} False False {{'n': '1'}}"]


def test_a_forked_task_ends_as_a_script_does(tmp_path: Path, warm: int) -> None:
    """Its non-daemon threads finish, atexit handlers run, a file left open in a global is flushed."""
    script = (b"import atexit, os, sys, threading, time\n"
              b"print('parent', os.getppid())\n"
              b"left_open = open(sys.argv[1], 'w')\nleft_open.write('buffered')\n"
              b"atexit.register(print, 'atexit ran')\n"
              b"threading.Thread(target=lambda: (time.sleep(0.3), print('thread done'))).start()\n")
    target = tmp_path / "left-open.txt"
    ctx = _ctx(tmp_path, {"/end.py": script}, args=[str(target)])
    outcome = _wait(start_task(_file_task("/end.py"), ctx))
    assert outcome.success, outcome.logs
    assert outcome.logs.splitlines() == [f"parent {warm}", "thread done", "atexit ran"]
    assert target.read_text() == "buffered"


@pytest.mark.parametrize(("body", "error"), [
    (b"import sys\nsys.exit(3)\n", "The task process exited with code 3"),
    (b"import os\nos._exit(5)\n", "The task process exited with code 5"),
    (b"import os, signal\nos.kill(os.getpid(), signal.SIGTERM)\n", "terminated by signal SIGTERM"),
])
def test_exit_codes_are_relayed(tmp_path: Path, body: bytes, error: str) -> None:
    outcome = _wait(start_task(_file_task("/exit.py"), _ctx(tmp_path, {"/exit.py": body})))
    assert not outcome.success and error in (outcome.error or "")


def test_kill_ends_a_forked_task_and_what_it_started(tmp_path: Path, warm: int) -> None:
    """The fork is its own group leader: kill() (cancel, timeout) takes its children with it."""
    script = (b"import os, subprocess, sys, time\n"
              b"child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
              b"open(sys.argv[1], 'w').write(f'{os.getpid()} {child.pid} {os.getppid()}')\ntime.sleep(60)\n")
    pids = tmp_path / "pids"
    process = start_task(_file_task("/sleep.py"), _ctx(tmp_path, {"/sleep.py": script}, args=[str(pids)]))
    deadline = time.monotonic() + 20
    while not (pids.exists() and pids.read_text()):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    task, child, parent = map(int, pids.read_text().split())
    assert parent == warm
    process.kill()
    outcome = _wait(process)
    assert outcome.error == "The task process was killed"
    for pid in (task, child):
        assert _gone(pid, time.monotonic() + 5)


def test_a_killed_task_nobody_waits_for_is_still_reaped(tmp_path: Path, warm: int) -> None:
    """kill() waits 1 s for the exit; a task that ends later is reaped when it does, not left a zombie."""
    script, spec = tmp_path / "nap.py", tmp_path / "task.json"
    script.write_text("import time\ntime.sleep(30)\n")
    spec.write_text(json.dumps({"kind": "file", "path": str(script), "task_key": "nap",
                                "result_path": str(tmp_path / "result.json")}))
    runner = [sys.executable, str(process_module.CHILD_DIR / "_task_runner.py"), str(spec)]
    with (tmp_path / "log").open("wb") as log:
        warm_child = WARM.spawn(runner, tmp_path, _forkable_env(), log.fileno())
    assert warm_child is not None and warm_child.pid is not None
    warm_child.wait(0)  # gives up at once: the task still runs
    os.killpg(warm_child.pid, signal.SIGKILL)
    assert _gone_entirely(warm_child.pid, time.monotonic() + 10)


def _forkable_env() -> dict[str, str]:
    """The environment a task gets, as far as the fork server compares it."""
    return {**os.environ, "PYTHONPATH": str(process_module.CHILD_DIR), "PYTHONUNBUFFERED": "1",
            "PYTHONIOENCODING": os.environ.get("PYTHONIOENCODING", "utf-8")}


def _gone_entirely(pid: int, deadline: float) -> bool:
    """Whether the pid has no /proc entry any more (reaped, not a zombie)."""
    while Path(f"/proc/{pid}").exists():
        if time.monotonic() > deadline:
            return False
        WARM.exit_status(pid)
        time.sleep(0.02)
    return True


def test_a_crashed_fork_server_is_replaced_and_its_task_ends_clearly(tmp_path: Path, warm: int) -> None:
    """kill -9 of the fork server mid-task: that task ends failed saying why, the next ones start again."""
    script = b"import time\ntime.sleep(0.5)\n"
    running = start_task(_file_task("/nap.py"), _ctx(tmp_path / "a", {"/nap.py": script}))
    os.kill(warm, signal.SIGKILL)
    outcome = _wait(running)
    assert not outcome.success and "fork server" in (outcome.error or "")
    after = _wait(start_task(_file_task("/nap.py"), _ctx(tmp_path / "b", {"/nap.py": script})))
    assert after.success, after.logs
    assert WARM.warm_up(timeout=30) and WARM.pid() not in (None, warm)
    assert _probe(tmp_path / "c")["ppid"] == WARM.pid()


def _task_in_a_forked_copy(workdir: str, results: Any) -> None:
    """In the forked copy: the first task goes cold (its own server is starting), the next one warm."""
    objects = {"/ppid.py": b"import os\nprint(os.getppid())\n"}
    first = _wait(start_task(_file_task("/ppid.py"), _ctx(Path(workdir) / "1", objects)))
    WARM.warm_up(timeout=30)
    second = _wait(start_task(_file_task("/ppid.py"), _ctx(Path(workdir) / "2", objects)))
    results.put((first.success, second.success, int(second.logs), WARM.pid(), os.getpid()))


def test_a_forked_copy_of_the_workspace_process_starts_its_own_fork_server(tmp_path: Path, warm: int) -> None:
    """A process forked from the workspace's (multiprocessing, say) never talks to, or kills, the parent's."""
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    child = context.Process(target=_task_in_a_forked_copy, args=(str(tmp_path), results))
    child.start()
    first_ok, second_ok, second_parent, its_server, its_pid = results.get(timeout=60)
    child.join(timeout=30)
    assert first_ok and second_ok
    assert second_parent == its_server and its_server not in (None, warm)
    assert WARM.pid() == warm and _probe(tmp_path / "after")["ppid"] == warm
    assert its_pid != os.getpid()


def _gone(pid: int, deadline: float) -> bool:
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return True
        if state == "Z":
            return True
        time.sleep(0.01)
    return False


def test_the_cold_path_is_kept_behind_one_function() -> None:
    """Other interpreters (per-task environments) go through `start_child` and are spawned cold."""
    assert WARM.spawn(["/usr/bin/python3-other", "x", "y"], Path("/"), {}, 1) is None
    assert WARM.spawn([sys.executable, "-c", "pass"], Path("/"), {}, 1) is None
    assert callable(process_module.start_child)


_ECHO = b"""import dbutils, json, os, sys
print(json.dumps({"widgets": dbutils.dbutils.widgets.getAll(), "argv": sys.argv[1:], "ppid": os.getppid(),
                  "files": sorted(os.listdir("."))}, ensure_ascii=False))
"""


@pytest.mark.parametrize("size", [10, 200_000])
def test_the_spec_goes_in_the_request_or_by_file_when_large(tmp_path: Path, warm: int, size: int) -> None:
    """A forked task gets its spec (widgets, argv; non-ASCII kept) in the request, no spec file written;
    one too large for a socket message (200 kB here) still starts warm, from a file beside the task."""
    value = "héllo ☃ " + "x" * size
    ctx = _ctx(tmp_path, {"/echo.py": _ECHO}, parameters={"w": value}, args=["ñ", value[:50]])
    outcome = _wait(start_task(_file_task("/echo.py"), ctx))
    assert outcome.success, outcome.logs
    seen = json.loads(outcome.logs)
    assert seen["widgets"] == {"w": value} and seen["argv"] == ["ñ", value[:50]] and seen["ppid"] == warm
    assert ("task.json" in seen["files"]) == (size > 65536), seen["files"]


def test_the_task_token_is_in_no_file_and_no_command_line(tmp_path: Path, warm: int) -> None:
    """The task's own token reaches it in its environment only: not in argv (`/proc/<pid>/cmdline`, which
    other users can read) and in no file the launch leaves in the task's directory."""
    token = "dapi-warm-launch-secret-71c2"
    script = b"import os, sys, time\nprint(open(f'/proc/{os.getpid()}/cmdline').read(), os.environ['T'])\n"
    ctx = _ctx(tmp_path, {"/cmd.py": script}, env={"T": token})
    outcome = _wait(start_task(_file_task("/cmd.py"), ctx))
    assert outcome.success and outcome.logs.endswith(f" {token}\n"), outcome.logs
    assert token not in outcome.logs.rsplit(" ", 1)[0]
    left = [path for path in tmp_path.rglob("*") if path.is_file() and path.name != "output.log"]
    assert left and all(token.encode() not in path.read_bytes() for path in left), left


def test_a_fork_that_cannot_create_its_directory_fails_saying_so(tmp_path: Path) -> None:
    """The fork server creates the task's directory and log; when it cannot, the task run fails with the
    reason (here: a file where the directory should be), not a bare exit code."""
    (tmp_path / "taken").write_text("a file, not a directory")
    script = tmp_path / "ok.py"
    script.write_text("pass\n")
    process = start_task(_file_task(str(script)), _ctx(tmp_path / "taken" / "run", {}))
    outcome = _wait(process)
    assert not outcome.success
    assert "the task's directory or log file could not be created" in (outcome.error or ""), outcome.error
    assert "Not a directory" in (outcome.error or "")


@pytest.mark.parametrize("size", [10, 100_000])
def test_a_result_comes_with_the_exit_or_by_file_when_large(tmp_path: Path, size: int) -> None:
    """A forked task's small result record (exit value, task values) comes back with its exit report, no
    result file written; a large one (100 kB, escaped non-ASCII) in the result file, intact either way."""
    value = "ü☃\"\\" * size
    notebook = (f"dbutils.jobs.taskValues.set('n', {size})\n"
                f"dbutils.notebook.exit({value!r})\n").encode()
    outcome = _wait(start_task({"task_key": "main", "notebook_task": {"notebook_path": "/nb"}},
                               _ctx(tmp_path, {"/nb": notebook})))
    assert outcome.success, outcome.error_trace
    assert outcome.notebook_result == value and outcome.task_values == {"n": size}
    assert (tmp_path / "result.json").exists() == (size > 1000)
