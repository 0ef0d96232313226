"""A real Celery worker process for tests that must prove a path works asynchronously (not eager mode).

The worker loads pharmex.settings.test (so it shares the test run's isolated broker namespace) and
connects to the test database, so tests using it need `django_db(transaction=True)`: the worker is
another connection and only sees committed rows.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import connection

BASE_DIR = Path(__file__).resolve().parent.parent


def _test_database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] or "postgres"
    if db.get("PASSWORD"):
        auth += f":{db['PASSWORD']}"
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def prepare_broker() -> None:
    """Start from an empty queue: messages left by an earlier run must not be consumed now."""
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    if settings.CELERY_BROKER_URL == "filesystem://":
        shutil.rmtree(options["data_folder_in"], ignore_errors=True)
        Path(options["processed_folder"]).mkdir(parents=True, exist_ok=True)
    else:
        from pharmex.celery import app

        app.control.purge()


class WorkerProcess:
    """`queues`: the queues it consumes (-Q), by default all of them, as in a one-worker deployment; a second
    worker on the same broker passes `fresh_broker=False` so it does not empty the first one's queue."""

    def __init__(self, *, queues: str = "celery,webhooks", fresh_broker: bool = True) -> None:
        if fresh_broker:
            prepare_broker()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "pharmex.settings.test",
            "DATABASE_URL": _test_database_url(),
            "PYTEST_XDIST_WORKER": os.environ.get("PYTEST_XDIST_WORKER", "main"),
            # the test's own chain-head file (tests/conftest.py), not the checkout's .run/ shared by every run
            "AUDIT_ANCHOR_PATH": str(settings.AUDIT_ANCHOR_PATH),
        }
        name = f"worker-{settings.CELERY_TEST_NAMESPACE}-{queues.replace(',', '+')}"
        self.log_path = Path(tempfile.gettempdir()) / "pharmex-celery" / f"{name}.log"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "pharmex",
                "worker",
                "--queues",
                queues,
                "--hostname",
                f"{name}@%h",
                "--pool",
                "solo",
                "--concurrency",
                "1",
                "--loglevel",
                "info",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self._wait_for("ready.", timeout=60)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def _wait_for(self, text: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log():
                return
            if self.process.poll() is not None:
                raise RuntimeError(f"celery worker exited early:\n{self.log()}")
            time.sleep(0.2)
        raise TimeoutError(f"celery worker not ready after {timeout}s:\n{self.log()}")

    def wait_until(self, condition: Callable[[], bool], timeout: float = 60) -> None:
        """Poll `condition` (it should query the database) until true; fail with the worker's log."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.2)
        raise AssertionError(f"condition not met within {timeout}s; worker log:\n{self.log()}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._log.close()
