"""`make run`: database (embedded unless DATABASE_URL), migrations, demo data, then the API, two Celery
workers (the default queue, and webhook deliveries on their own) and beat, until Ctrl-C stops everything
this script started."""

from __future__ import annotations

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


def _interrupt(*_args) -> None:
    raise KeyboardInterrupt


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


def main() -> int:
    # Ctrl-C and a plain `kill` both stop everything; a background start may have inherited SIGINT ignored.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    os.chdir(BASE_DIR)
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "pharmex.settings.local")
    started_database = False
    if not env.get("DATABASE_URL"):
        from pharmex import embedded_pg

        print("Starting the embedded PostgreSQL server (data in .pgdata/) …", flush=True)
        env["DATABASE_URL"], started_database = embedded_pg.ensure_running()
    if not env.get("CELERY_BROKER_URL"):
        (BASE_DIR / ".celery" / "broker" / "processed").mkdir(parents=True, exist_ok=True)
    manage = [str(BIN / "python"), "manage.py"]
    children: list[subprocess.Popen] = []
    try:
        for command in (["migrate", "--noinput"], ["createcachetable"], ["setup_schedules"], ["load_demo_data"]):
            subprocess.run([*manage, *command], env=env, check=True)
        children = [
            subprocess.Popen(
                [
                    str(BIN / "gunicorn"),
                    "pharmex.wsgi",
                    "--bind",
                    f"{HOST}:{PORT}",
                    "--workers",
                    "2",
                    "--threads",
                    "4",
                    "--access-logfile",
                    "-",
                ],
                env=env,
            ),
            *(subprocess.Popen(command, env=env) for command in celery_commands()),
        ]
        _wait_ready(children)
        _print_welcome()
        while all(child.poll() is None for child in children):
            time.sleep(1)
        print("A process exited; stopping the others.", flush=True)
        return 1
    except KeyboardInterrupt:
        print("\nStopping …", flush=True)
        return 0
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                child.kill()
        if started_database:
            from pharmex import embedded_pg

            embedded_pg.stop()
            print("Embedded PostgreSQL stopped.", flush=True)


def _wait_ready(children: list[subprocess.Popen]) -> None:
    for _ in range(120):
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
        f"  Admin site  {base}/admin/",
        "  Demo logins (POST /api/v1/auth/token/ with email and password):",
        *(f"    {login['role']:<22} {login['email']:<32} {login['password']}" for login in logins),
        "Press Ctrl-C to stop everything.",
        "",
    ]
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    sys.exit(main())
