"""`make run`: database (embedded unless DATABASE_URL), migrations, demo data, then the API, two Celery
workers (the default queue, and webhook deliveries on their own) and beat, until Ctrl-C stops everything
this script started.

Stopping (Ctrl-C, `kill`, or both, in any order and as often as one likes): the first SIGINT or SIGTERM asks
for a stop; further ones while stopping are only reported, so they never cut the cleanup short. Each child
runs in a process group of its own (a terminal's Ctrl-C reaches this script alone, which stops the children in
order): each gets SIGTERM, gunicorn has its whole `--graceful-timeout` to finish its requests, and whatever of
a group is still alive after that plus a margin is killed with SIGKILL, its workers included. Then the embedded
PostgreSQL server is stopped, if this script started it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
BIN = Path(sys.executable).parent
HOST, PORT = os.environ.get("HOST", "127.0.0.1"), os.environ.get("PORT", "8000")
# gunicorn's own graceful timeout, passed explicitly: a stop waits that long for it, plus a margin, before SIGKILL.
GRACEFUL_TIMEOUT = 30
STOP_MARGIN = 10
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Stopped(Exception):
    """A stop was asked for (Ctrl-C or `kill`) while starting up."""


class _StopRequest:
    """Signal handling that cannot break the cleanup: a signal only sets a flag, never raises."""

    def __init__(self) -> None:
        self.signal_name: str | None = None

    def install(self) -> None:
        # A background start may have inherited SIGINT ignored: Ctrl-C and a plain `kill` both stop everything.
        for number in STOP_SIGNALS:
            signal.signal(number, self._received)

    def _received(self, number: int, _frame) -> None:
        name = signal.Signals(number).name
        if self.signal_name is None:
            self.signal_name = name
            message = f"\n{name}: stopping …\n"
        else:
            message = f"{name}: already stopping, please wait (at most {GRACEFUL_TIMEOUT + STOP_MARGIN} s) …\n"
        # os.write, not print: the signal may arrive inside a print of the main code, and a buffered stream
        # refuses a reentrant write (RuntimeError), which would break the very cleanup this protects.
        with contextlib.suppress(OSError):
            os.write(sys.stdout.fileno(), message.encode())

    @property
    def requested(self) -> bool:
        return self.signal_name is not None

    def check(self) -> None:
        """Raises: Stopped when a stop was asked for."""
        if self.requested:
            raise Stopped


STOP = _StopRequest()


def celery_commands() -> list[list[str]]:
    """The Celery processes: a worker for the default queue (imports, audit sealing, settlements …), a worker of
    its own for webhook deliveries, so a slow receiver never holds up the other jobs, and beat."""
    celery = [str(BIN / "celery"), "-A", "pharmex"]
    worker = [*celery, "worker", "--loglevel", "info", "--concurrency", "2"]
    return [
        [*worker, "--queues", "celery", "--hostname", "default@%h"],
        [*worker, "--queues", "webhooks", "--hostname", "webhooks@%h"],
        [*celery, "beat", "--loglevel", "info"],
    ]


def gunicorn_command() -> list[str]:
    """The API: 2 workers × 4 threads, gunicorn's graceful timeout explicit (the stop waits for it), and no
    control socket (gunicorn 27 puts it at one path in the home folder, which two checkouts would share)."""
    return [
        str(BIN / "gunicorn"),
        "pharmex.wsgi",
        "--bind",
        f"{HOST}:{PORT}",
        "--workers",
        "2",
        "--threads",
        "4",
        "--graceful-timeout",
        str(GRACEFUL_TIMEOUT),
        "--no-control-socket",
        "--access-logfile",
        "-",
    ]


def _start(command: list[str], env: dict[str, str]) -> subprocess.Popen:
    # A process group of its own: the terminal's Ctrl-C reaches this script only, and the group can be killed whole
    # (gunicorn's and Celery's worker processes included) if its leader does not stop in time.
    return subprocess.Popen(command, env=env, start_new_session=True)


def _run_step(command: list[str], env: dict[str, str]) -> None:
    """One start-up command, to its end; a stop asked for meanwhile ends it. Raises: Stopped, SystemExit."""
    child = _start(command, env)
    try:
        while child.poll() is None:
            if STOP.requested:
                _stop_children([child], timeout=STOP_MARGIN)
                raise Stopped
            time.sleep(0.2)
    finally:
        _kill_group(child)
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(command[1:3])} failed (exit status {child.returncode}); see the log above")


def _kill_group(child: subprocess.Popen) -> None:
    """SIGKILL whatever is left of `child`'s process group (orphaned workers); nothing if it is gone."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, signal.SIGKILL)


def _stop_children(children: list[subprocess.Popen], timeout: float) -> None:
    """SIGTERM to each child (the group leader: gunicorn's master and Celery's main process stop their own
    workers), up to `timeout` seconds for all of them to exit, then SIGKILL to what remains of each process group.
    Never raises, whatever signals arrive meanwhile."""
    for child in children:
        if child.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while any(child.poll() is None for child in children) and time.monotonic() < deadline:
        time.sleep(0.2)
    for child in children:
        if child.poll() is None:
            print(f"{Path(child.args[0]).name} (pid {child.pid}) did not stop in {timeout:.0f} s: killed.", flush=True)
        _kill_group(child)
        try:
            child.wait(timeout=5)
        except subprocess.TimeoutExpired:
            print(f"pid {child.pid} survived SIGKILL.", flush=True)


def main() -> int:
    STOP.install()
    os.chdir(BASE_DIR)
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "pharmex.settings.local")
    embedded = not env.get("DATABASE_URL")
    database_was_running = True
    children: list[subprocess.Popen] = []
    try:
        if embedded:
            from pharmex import embedded_pg

            database_was_running = embedded_pg.is_running()
            print(f"Starting the embedded PostgreSQL server (data in {embedded_pg.PGDATA}) …", flush=True)
            env["DATABASE_URL"], _ = embedded_pg.ensure_running()
        if not env.get("CELERY_BROKER_URL"):
            folder = Path(env.get("CELERY_BROKER_FOLDER") or BASE_DIR / ".celery" / "broker")
            (folder / "processed").mkdir(parents=True, exist_ok=True)
        manage = [str(BIN / "python"), "manage.py"]
        for command in (["migrate", "--noinput"], ["createcachetable"], ["setup_schedules"], ["load_demo_data"]):
            STOP.check()
            _run_step([*manage, *command], env)
        STOP.check()
        children = [_start(gunicorn_command(), env), *(_start(command, env) for command in celery_commands())]
        _wait_ready(children)
        _print_welcome()
        while all(child.poll() is None for child in children):
            STOP.check()
            time.sleep(0.2)
        print("A process exited; stopping the others.", flush=True)
        return 1
    except Stopped:
        return 0
    finally:
        # From here on a signal only says "already stopping" (STOP never raises): the cleanup always completes.
        STOP.signal_name = STOP.signal_name or "exit"
        _stop_children(children, timeout=GRACEFUL_TIMEOUT + STOP_MARGIN)
        # The server this script started, even if the stop came while it was starting (pg_ctl detaches it).
        if embedded and not database_was_running:
            from pharmex import embedded_pg

            if embedded_pg.is_running():
                embedded_pg.stop()
                print("Embedded PostgreSQL stopped.", flush=True)
        print("Stopped.", flush=True)


def _wait_ready(children: list[subprocess.Popen]) -> None:
    for _ in range(120):
        STOP.check()
        if any(child.poll() is not None for child in children):
            raise SystemExit("a process failed to start; see the log above")
        try:
            with urllib.request.urlopen(f"http://{HOST}:{PORT}/readyz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit("the API did not become ready within 60 s")


def _print_welcome() -> None:
    logins = json.loads((BASE_DIR / ".run" / "demo-logins.json").read_text())
    base = f"http://{HOST}:{PORT}"
    lines = [
        "",
        "PharmEx is running.",
        f"  API         {base}/api/v1/",
        f"  Docs        {base}/api/docs/   (ReDoc: {base}/api/redoc/)",
        f"  Guide       {base}/api/guide/",
        f"  Admin site  {base}/admin/",
        "  Demo logins (POST /api/v1/auth/token/ with email and password):",
        *(f"    {login['role']:<22} {login['email']:<32} {login['password']}" for login in logins),
        "Press Ctrl-C to stop everything.",
        "",
    ]
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    sys.exit(main())
