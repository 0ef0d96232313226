"""`make run` stops everything it started: Ctrl-C followed by `kill` while it stops leaves no process, no port and
no database server behind, within gunicorn's graceful timeout plus a margin (issue 11).

The script runs for real (`scripts/run.py` as `make run` starts it): its own embedded PostgreSQL server in a
fresh data folder on a free port (never a developer's server or the suite's), migrations, demo data, gunicorn,
two Celery workers and beat on a filesystem broker in a temporary folder. Slow: about a minute. A quick test
checks the last resort on its own: a process group that ignores SIGTERM (gunicorn's workers deadlocked) is
killed whole.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
RUN_SCRIPT = BASE_DIR / "scripts" / "run.py"
START_TIMEOUT = 240  # seconds: initdb, migrations and demo data on a busy 2-core machine
# What the stop may take after the signals: gunicorn's graceful timeout plus the script's margin (then SIGKILL),
# and the embedded server's fast shutdown.
DATABASE_STOP_MARGIN = 20


def _run_module():
    spec = importlib.util.spec_from_file_location("pharmex_run_script", RUN_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@dataclass(frozen=True)
class Process:
    pid: int
    start_time: str  # /proc/<pid>/stat field 22: tells a reused pid apart
    pgid: int
    command: str

    def alive(self) -> bool:
        stat = _stat(self.pid)
        return stat is not None and stat["start_time"] == self.start_time and stat["state"] != "Z"


def _stat(pid: int) -> dict | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name is in parentheses and may hold spaces: split after its closing one.
    fields = raw[raw.rindex(")") + 2 :].split()
    return {"state": fields[0], "ppid": int(fields[1]), "pgid": int(fields[2]), "start_time": fields[19]}


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return "?"


def _processes() -> dict[int, dict]:
    table = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat is not None:
                table[int(entry.name)] = stat
    return table


def _family(roots: list[int]) -> list[Process]:
    """`roots` and all their descendants, alive now."""
    table = _processes()
    children: dict[int, list[int]] = {}
    for pid, stat in table.items():
        children.setdefault(stat["ppid"], []).append(pid)
    found, queue = {}, [pid for pid in roots if pid in table]
    while queue:
        pid = queue.pop()
        if pid in found or table[pid]["state"] == "Z":
            continue
        found[pid] = Process(pid, table[pid]["start_time"], table[pid]["pgid"], _command(pid))
        queue.extend(children.get(pid, []))
    return list(found.values())


def _in_groups(pgids: set[int]) -> list[Process]:
    return [
        Process(pid, stat["start_time"], stat["pgid"], _command(pid))
        for pid, stat in _processes().items()
        if stat["pgid"] in pgids and stat["state"] != "Z"
    ]


def _gone(processes: list[Process], within: float = 5) -> list[Process]:
    """The processes still alive after `within` seconds (SIGKILL takes effect asynchronously)."""
    deadline = time.monotonic() + within
    while (alive := [process for process in processes if process.alive()]) and time.monotonic() < deadline:
        time.sleep(0.1)
    return alive


def _postmaster_pid(data: Path) -> int | None:
    try:
        return int((data / "postmaster.pid").read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return None


@pytest.fixture
def run_environment(tmp_path):
    """The environment of a `make run` isolated from everything else on the machine, and a cleanup that stops
    whatever of it survives a failing test."""
    data = BASE_DIR / ".run" / f"test-run-{uuid.uuid4().hex[:8]}" / "pgdata"  # the embedded server's user reaches it
    data.parent.mkdir(parents=True)
    home = tmp_path / "home"
    home.mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE"} and not key.startswith("PYTEST")
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "pharmex.settings.local",
            "HOST": "127.0.0.1",
            "PORT": str(_free_port()),
            "EMBEDDED_PG_DATA": str(data),
            "EMBEDDED_PG_PORT": str(_free_port()),
            "CELERY_BROKER_FOLDER": str(tmp_path / "broker"),
            "AUDIT_ANCHOR_PATH": str(tmp_path / "audit-anchor.json"),
            "HOME": str(home),  # gunicorn 27's default control socket would land here
            "PYTHONUNBUFFERED": "1",
        }
    )
    leftovers: list[Process] = []
    yield env, data, leftovers
    for process in leftovers:
        if process.alive():
            os.kill(process.pid, signal.SIGKILL)
    if _postmaster_pid(data) is not None:
        subprocess.run(
            [sys.executable, "-m", "pharmex.embedded_pg", "stop"], cwd=BASE_DIR, env=env, check=False, timeout=60
        )
    shutil.rmtree(data.parent, ignore_errors=True)


def _wait_until_ready(run: subprocess.Popen, port: int, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if run.poll() is not None:
            pytest.fail(f"scripts/run.py exited with {run.returncode} while starting:\n{log.read_text()[-5000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as response:
                if response.status == 200 and "PharmEx is running." in log.read_text():
                    return
        except OSError:
            pass
        time.sleep(1)
    pytest.fail(f"scripts/run.py was not ready in {START_TIMEOUT} s:\n{log.read_text()[-5000:]}")


@pytest.mark.slow
def test_ctrl_c_then_kill_stops_everything_it_started(run_environment, tmp_path):
    # given: `make run` up and answering, on its own embedded database server
    env, data, leftovers = run_environment
    port, database_port = int(env["PORT"]), int(env["EMBEDDED_PG_PORT"])
    script = _run_module()
    log = tmp_path / "run.log"
    with log.open("wb") as output:
        # A session of its own, as a terminal gives `make run` its foreground process group.
        run = subprocess.Popen(
            [sys.executable, str(RUN_SCRIPT)], cwd=BASE_DIR, env=env, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        _wait_until_ready(run, port, log)
        postmaster = _postmaster_pid(data)
        assert postmaster is not None, "the script started no embedded server"
        started = _family([run.pid, postmaster])
        leftovers.extend(started)
        commands = " | ".join(process.command for process in started)
        assert "gunicorn" in commands and commands.count("celery") >= 3 and "postgres" in commands, commands
        assert _listening(port) and _listening(database_port)

        # when: Ctrl-C (SIGINT to the foreground process group), then `kill` (SIGTERM) while it stops
        os.killpg(run.pid, signal.SIGINT)
        time.sleep(1.5)
        os.kill(run.pid, signal.SIGTERM)
        signalled = time.monotonic()

        # then: the script ends, in time and without an error …
        limit = script.GRACEFUL_TIMEOUT + script.STOP_MARGIN + DATABASE_STOP_MARGIN
        try:
            returncode = run.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            pytest.fail(f"scripts/run.py still runs {limit} s after the signals:\n{log.read_text()[-5000:]}")
        took = time.monotonic() - signalled
        output = log.read_text()
        assert returncode == 0, output[-5000:]
        assert "already stopping" in output  # the second signal was seen, and did not cut the cleanup short
        # … and nothing it started runs any more: no process, no process of their groups, no port, no database
        survivors = _gone(started)  # processes killed at the very end may take a moment to die
        survivors += _in_groups({p.pgid for p in started} - {os.getpgid(0)})
        assert survivors == [], f"still running {took:.1f} s after the signals: {survivors}\n{output[-3000:]}"
        assert not _listening(port), f"port {port} is still taken"
        assert not _listening(database_port), f"the embedded server's port {database_port} is still taken"
        assert _postmaster_pid(data) is None, "the embedded server's postmaster.pid is still there"
        assert not (Path(env["HOME"]) / ".gunicorn").exists(), "gunicorn wrote a control socket into the home folder"
        print(f"make run stopped in {took:.1f} s after SIGINT + SIGTERM")
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait(timeout=10)


STUBBORN = """
import signal, subprocess, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
ignore = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"
worker = subprocess.Popen([sys.executable, "-c", ignore])
time.sleep(600)
"""


def test_a_group_that_ignores_sigterm_is_killed_whole_after_the_timeout():
    # given: a leader and its worker that both ignore SIGTERM, like a gunicorn master whose workers deadlocked
    script = _run_module()
    leader = script._start([sys.executable, "-c", STUBBORN], dict(os.environ))
    try:
        deadline = time.monotonic() + 10
        while len(family := _family([leader.pid])) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(family) == 2, family
        # when
        started = time.monotonic()
        script._stop_children([leader], timeout=1)
        # then: both are gone, the worker too (no orphan keeps the port), soon after the timeout
        assert time.monotonic() - started < 10
        assert _gone(family) == []
    finally:
        script._kill_group(leader)
