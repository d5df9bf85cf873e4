"""A throwaway PostgreSQL server for the test suite (standard library only).

``running_postgres()`` starts a private PostgreSQL cluster in a fresh temporary folder, on
127.0.0.1 and a free port, creates the database ``portal_test`` and yields an asyncpg
SQLAlchemy URL for it. On exit the server is stopped (even when the body raises) and the
folder is removed. Settings favour speed over durability: this is for tests only.

If the environment variable ``PORTAL_TEST_POSTGRES_URL`` is set, its value is yielded
unchanged and nothing is started.

PostgreSQL's binaries are looked up under ``/usr/lib/postgresql/*/bin`` (Debian's layout,
newest version first) and then on ``PATH``. When they are missing and we run as root on a
machine with ``apt-get``, Debian's ``postgresql`` package is installed; otherwise a
``RuntimeError`` explains how to install it. ``initdb`` refuses to run as root, so as root
the server runs as an unprivileged user (``postgres`` if it exists, else a system user
created for the purpose) through ``runuser`` (or ``setpriv``).
"""

from __future__ import annotations

import atexit
import glob
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ENV_URL = "PORTAL_TEST_POSTGRES_URL"
DB_USER = "portal"
DB_NAME = "portal_test"
HOST = "127.0.0.1"

# Unprivileged account used when running as root: Debian's package creates ``postgres``;
# without it we create this one.
_FALLBACK_SYSTEM_USER = "portal-pgtest"

# The longest Unix socket path is 107 bytes; ".s.PGSQL.65535" takes 15 of them.
_MAX_SOCKET_DIR_LEN = 90

_START_ATTEMPTS = 3  # the free port can be taken between picking and binding it
_START_TIMEOUT_S = 60
_STOP_TIMEOUT_S = 30

INSTALL_HINT = (
    "PostgreSQL server binaries (initdb, pg_ctl) were not found under "
    "/usr/lib/postgresql/*/bin or on PATH.\n"
    "Install them, e.g. on Debian/Ubuntu:\n"
    "    sudo apt-get update && sudo apt-get install -y --no-install-recommends postgresql\n"
    "(other systems: install the PostgreSQL server package and put its bin folder on PATH),\n"
    f"or point the tests at an existing database with {ENV_URL}="
    "postgresql+asyncpg://USER@HOST:PORT/DBNAME"
)


def _log(message: str) -> None:
    print(f"[postgres_server] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- binaries


def _version_key(bin_dir: Path) -> tuple[int, ...]:
    """Sort key for /usr/lib/postgresql/<version>/bin (``15``, ``9.6``...)."""
    return tuple(int(part) for part in re.findall(r"\d+", bin_dir.parent.name)) or (0,)


def find_bin_dir() -> Path | None:
    """The folder holding initdb and pg_ctl: newest Debian version, else the ones on PATH."""
    debian = [
        Path(p).parent
        for p in glob.glob("/usr/lib/postgresql/*/bin/initdb")
        if os.access(Path(p).parent / "pg_ctl", os.X_OK)
    ]
    if debian:
        return max(debian, key=_version_key)
    initdb = shutil.which("initdb")
    if initdb:
        # Follow symlinks (e.g. /usr/local/bin/initdb -> /usr/lib/postgresql/15/bin/initdb)
        # so that pg_ctl, createdb and postgres come from the same installation.
        for candidate in (Path(initdb).resolve().parent, Path(initdb).parent):
            if os.access(candidate / "pg_ctl", os.X_OK):
                return candidate
    return None


def _install_with_apt() -> None:
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    commands = [
        ["apt-get", "update"],
        ["apt-get", "install", "-y", "--no-install-recommends", "postgresql"],
    ]
    for command in commands:
        _log("PostgreSQL is missing; running: " + " ".join(command))
        result = subprocess.run(command, env=env, stdin=subprocess.DEVNULL)
        if result.returncode != 0:
            raise RuntimeError(
                f"{' '.join(command)} failed with exit code {result.returncode}.\n{INSTALL_HINT}"
            )


def ensure_bin_dir() -> Path:
    bin_dir = find_bin_dir()
    if bin_dir is not None:
        return bin_dir
    if os.geteuid() == 0 and shutil.which("apt-get"):
        _install_with_apt()
        bin_dir = find_bin_dir()
        if bin_dir is not None:
            _log(f"installed PostgreSQL binaries in {bin_dir}")
            return bin_dir
        raise RuntimeError("apt-get installed postgresql but initdb/pg_ctl are still missing.\n" + INSTALL_HINT)
    raise RuntimeError(INSTALL_HINT)


# --------------------------------------------------------------------------- users


@dataclass(frozen=True)
class _RunAs:
    """How to run the server's commands: directly, or as an unprivileged user when root."""

    user: str | None = None
    uid: int = field(default_factory=os.geteuid)
    gid: int = field(default_factory=os.getegid)

    def wrap(self, command: list[str]) -> list[str]:
        if self.user is None:
            return command
        if shutil.which("runuser"):
            return ["runuser", "-u", self.user, "--", *command]
        if shutil.which("setpriv"):
            return [
                "setpriv", f"--reuid={self.uid}", f"--regid={self.gid}", "--init-groups",
                "--", *command,
            ]
        raise RuntimeError(
            "Running as root, but neither runuser nor setpriv (util-linux) is available "
            "to start PostgreSQL as an unprivileged user."
        )


def _unprivileged_account() -> _RunAs:
    if os.geteuid() != 0:
        return _RunAs()
    for name in ("postgres", _FALLBACK_SYSTEM_USER):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        return _RunAs(name, entry.pw_uid, entry.pw_gid)
    useradd = shutil.which("useradd")
    if not useradd:
        raise RuntimeError(
            "Running as root: initdb refuses to run as root and no 'postgres' user exists; "
            "useradd is missing too. Create an unprivileged user or run the tests as one."
        )
    nologin = shutil.which("nologin") or "/bin/false"
    command = [
        useradd, "--system", "--user-group", "--no-create-home",
        "--home-dir", "/nonexistent", "--shell", nologin, _FALLBACK_SYSTEM_USER,
    ]
    _log("creating an unprivileged user for PostgreSQL: " + " ".join(command))
    subprocess.run(command, check=True, stdin=subprocess.DEVNULL)
    entry = pwd.getpwnam(_FALLBACK_SYSTEM_USER)
    return _RunAs(_FALLBACK_SYSTEM_USER, entry.pw_uid, entry.pw_gid)


# --------------------------------------------------------------------------- helpers


def _clean_env() -> dict[str, str]:
    """Our environment minus PG* variables that would redirect the client tools."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PG")}


def _run(command: list[str], *, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=_clean_env(),
        timeout=timeout,
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _make_workdir(run_as: _RunAs) -> Path:
    """A fresh temporary folder the server's user owns and can reach."""
    bases = [tempfile.gettempdir()]
    if run_as.user is not None:
        bases += ["/tmp", "/var/tmp"]  # TMPDIR's parents may not be traversable by that user
    tried = []
    for base in dict.fromkeys(bases):
        if not os.path.isdir(base):
            continue
        workdir = Path(tempfile.mkdtemp(prefix="portal-pg-", dir=base))
        if run_as.user is None:
            return workdir
        os.chown(workdir, run_as.uid, run_as.gid)
        os.chmod(workdir, 0o700)
        if _run(run_as.wrap(["test", "-w", str(workdir), "-a", "-x", str(workdir)])).returncode == 0:
            return workdir
        tried.append(base)
        shutil.rmtree(workdir, ignore_errors=True)
    raise RuntimeError(
        f"User {run_as.user!r} cannot reach a temporary folder under any of {tried}; "
        "make one of them traversable (chmod o+x on its parents) or set TMPDIR."
    )


def _read_log(path: Path, limit: int = 20_000) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        return f"(no server log: {exc})"
    return text[-limit:] if text else "(server log is empty)"


def _pid_alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie, waiting for a reaper, counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("State:"):
                return "Z" not in line.split()[1]
    except OSError:
        return False
    return True


def _postmaster_pid(data_dir: Path) -> int | None:
    try:
        return int((data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return None


# --------------------------------------------------------------------------- the server


@dataclass
class _Server:
    bin_dir: Path
    run_as: _RunAs
    workdir: Path
    port: int = 0
    pid: int | None = None
    stopped: bool = False

    @property
    def data_dir(self) -> Path:
        return self.workdir / "data"

    @property
    def log_file(self) -> Path:
        return self.workdir / "server.log"

    def tool(self, name: str) -> str:
        return str(self.bin_dir / name)

    def initdb(self) -> None:
        base = [
            self.tool("initdb"), "-D", str(self.data_dir), "-A", "trust", "-U", DB_USER,
            "--encoding=UTF8", "--no-sync",
        ]
        failures = []
        for locale_args in (["--locale=C.UTF-8"], ["--no-locale"]):
            result = _run(self.run_as.wrap(base + locale_args))
            if result.returncode == 0:
                return
            failures.append(f"$ {' '.join(base + locale_args)}\n{result.stdout}")
            shutil.rmtree(self.data_dir, ignore_errors=True)
        raise RuntimeError("initdb failed:\n" + "\n".join(failures))

    def start(self) -> None:
        # Unix socket in our folder; none at all ('') if its path would be too long.
        socket_dir = str(self.workdir) if len(str(self.workdir)) <= _MAX_SOCKET_DIR_LEN else "''"
        last_error = ""
        for _ in range(_START_ATTEMPTS):
            self.port = _free_port()
            self.pid = None
            log_start = self.log_file.stat().st_size if self.log_file.exists() else 0
            options = (
                f"-p {self.port} -k {socket_dir} -c listen_addresses={HOST} "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            )
            command = [
                self.tool("pg_ctl"), "-D", str(self.data_dir), "-l", str(self.log_file),
                "-w", "-t", str(_START_TIMEOUT_S), "-o", options, "start",
            ]
            result = _run(self.run_as.wrap(command), timeout=_START_TIMEOUT_S + 30)
            self.pid = _postmaster_pid(self.data_dir)
            if result.returncode == 0:
                return
            log = _read_log(self.log_file)
            last_error = (
                f"pg_ctl start failed (exit {result.returncode}):\n{result.stdout}\n"
                f"--- server log {self.log_file} ---\n{log}"
            )
            self.stop()  # in case it half-started
            self.stopped = False
            with open(self.log_file, "rb") as f:  # only this attempt's lines
                f.seek(log_start)
                this_attempt = f.read().decode(errors="replace")
            if "could not bind" not in this_attempt and "already in use" not in this_attempt:
                break
        raise RuntimeError(last_error)

    def create_database(self) -> None:
        command = [
            self.tool("createdb"), "-h", HOST, "-p", str(self.port), "-U", DB_USER, DB_NAME,
        ]
        result = _run(command)
        if result.returncode != 0:
            raise RuntimeError(
                f"createdb failed (exit {result.returncode}):\n{result.stdout}\n"
                f"--- server log ---\n{_read_log(self.log_file)}"
            )

    def stop(self) -> None:
        if self.stopped:
            return
        self.stopped = True
        pid = _postmaster_pid(self.data_dir) or self.pid
        if self.data_dir.exists():
            command = [
                self.tool("pg_ctl"), "-D", str(self.data_dir), "-m", "immediate", "-w",
                "-t", str(_STOP_TIMEOUT_S), "stop",
            ]
            try:
                _run(self.run_as.wrap(command), timeout=_STOP_TIMEOUT_S + 30)
            except subprocess.TimeoutExpired:
                pass
        if pid is None:
            return
        deadline = time.monotonic() + _STOP_TIMEOUT_S
        while _pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if _pid_alive(pid):
            try:
                os.kill(pid, signal.SIGKILL)  # its children exit when the postmaster dies
            except OSError:
                pass

    def url(self) -> str:
        return f"postgresql+asyncpg://{DB_USER}@{HOST}:{self.port}/{DB_NAME}"


# Servers still running at interpreter exit (e.g. a generator never closed) get stopped.
_live_servers: dict[int, _Server] = {}


@atexit.register
def _stop_leftovers() -> None:
    for server in list(_live_servers.values()):
        try:
            server.stop()
        finally:
            shutil.rmtree(server.workdir, ignore_errors=True)
    _live_servers.clear()


@contextmanager
def running_postgres() -> Iterator[str]:
    """Yields an asyncpg SQLAlchemy URL: postgresql+asyncpg://USER@127.0.0.1:PORT/DBNAME"""
    external = os.environ.get(ENV_URL)
    if external:
        yield external
        return

    bin_dir = ensure_bin_dir()
    run_as = _unprivileged_account()
    workdir = _make_workdir(run_as)
    server = _Server(bin_dir=bin_dir, run_as=run_as, workdir=workdir)
    _live_servers[id(server)] = server
    try:
        server.initdb()
        server.start()
        server.create_database()
        yield server.url()
    finally:
        try:
            server.stop()
        finally:
            _live_servers.pop(id(server), None)
            shutil.rmtree(workdir, ignore_errors=True)
