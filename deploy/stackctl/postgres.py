"""A private PostgreSQL 15 cluster for the local stack (never the system cluster).

``initdb``/``pg_ctl`` from Debian's versioned bin directory run as the ``postgres`` user when we are
root. The cluster lives in ``$COFRE_HOME/stack/postgres`` when the postgres user can reach and write
that folder; otherwise (say COFRE_HOME under /root, mode 700, or a socket path too long) in a
postgres-owned ``/var/tmp/cofre-pg-<hash of the stack path>``, and ``$COFRE_HOME/stack/postgres`` is a
symlink to it, so the choice is recorded on disk. Listens on 127.0.0.1 only, socket in ``<base>/run``,
trust auth for user postgres; ``provision`` creates the databases cofre, feast and mlflow.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import shutil
import subprocess
from pathlib import Path

from .base import Server
from .proc import StackError, alive, children, cmdline, find_pids, require_free, stop_group, wait_ready

PG_MAJOR = 15
PG_BIN = Path(f"/usr/lib/postgresql/{PG_MAJOR}/bin")
DATABASES = ("cofre", "feast", "mlflow")
SOCKET_MAX = 100  # sun_path is 108 bytes; PostgreSQL appends "/.s.PGSQL.<port>"


def _is_root() -> bool:
    return os.geteuid() == 0


class Postgres(Server):
    name = "postgres"

    def __init__(self, stack_dir: Path, port: int):
        self.stack_dir = stack_dir
        self.port = port
        self.link = stack_dir / "postgres"
        self.log = stack_dir / "logs" / "postgres.log"
        self.initdb_log = stack_dir / "logs" / "postgres-initdb.log"

    # --- where the cluster lives ------------------------------------------------------------
    @property
    def base(self) -> Path:
        return self.link.resolve() if self.link.is_symlink() else self.link

    @property
    def data(self) -> Path:  # type: ignore[override]
        return self.base / "data"

    @property
    def sockdir(self) -> Path:
        return self.base / "run"

    def _as_pg(self, argv: list[str]) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *argv] if _is_root() else argv

    def _chown_pg(self, path: Path) -> None:
        if _is_root():
            pw = pwd.getpwnam("postgres")
            os.chown(path, pw.pw_uid, pw.pw_gid)

    def _pg_can_write(self, path: Path) -> bool:
        if not _is_root():
            return os.access(path, os.W_OK | os.X_OK)
        probe = subprocess.run(  # nosec B607 # runuser from the system PATH, fixed argv
            ["runuser", "-u", "postgres", "--", "test", "-w", str(path), "-a", "-x", str(path)]
        )
        return probe.returncode == 0

    def _choose_base(self) -> None:
        """Create the cluster's base folder (or the symlink to a postgres-reachable one) once."""
        if self.link.is_symlink() or self.link.is_dir():
            if self.link.is_symlink() and not self.link.resolve().is_dir():
                self._make_base(self.link.resolve())  # /var/tmp was cleaned: recreate the target
            return
        sock = self.link / "run" / f".s.PGSQL.{self.port}"
        if len(str(sock)) <= SOCKET_MAX:
            self._make_base(self.link)
            if self._pg_can_write(self.link):
                return
            shutil.rmtree(self.link)
        digest = hashlib.sha256(str(self.stack_dir).encode()).hexdigest()[:12]
        target = Path("/var/tmp") / f"cofre-pg-{digest}"  # nosec B108 # a named, postgres-owned cluster folder, not a temp file
        self._make_base(target)
        if not self._pg_can_write(target):
            raise StackError(f"postgres: the postgres user cannot write {target}")
        self.link.symlink_to(target)
        print(f"  postgres: cluster placed in {target} (postgres cannot use {self.link}); linked from there")

    def _make_base(self, base: Path) -> None:
        base.mkdir(parents=True, exist_ok=True)
        (base / "run").mkdir(exist_ok=True)
        for p in (base, base / "run"):
            os.chmod(p, 0o755)  # nosec B103 # a directory the postgres user must traverse
            self._chown_pg(p)

    # --- binaries ----------------------------------------------------------------------------
    def ensure_binaries(self) -> None:
        if (PG_BIN / "initdb").exists() and (PG_BIN / "pg_ctl").exists():
            return
        if not _is_root() or shutil.which("apt-get") is None:
            raise StackError(
                f"PostgreSQL {PG_MAJOR} binaries missing in {PG_BIN}: install postgresql-{PG_MAJOR}"
            )
        print(f"  postgres: installing postgresql-{PG_MAJOR} with apt-get (binaries missing)")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        for argv in (["apt-get", "update"], ["apt-get", "install", "-y", f"postgresql-{PG_MAJOR}"]):
            if subprocess.run(argv, env=env).returncode != 0:
                raise StackError(f"postgres: `{' '.join(argv)}` failed")
        if not (PG_BIN / "initdb").exists():
            raise StackError(
                f"postgres: installed postgresql-{PG_MAJOR} but {PG_BIN / 'initdb'} is still missing"
            )

    # --- state -------------------------------------------------------------------------------
    def _postmaster(self) -> list[str]:
        try:
            return (self.data / "postmaster.pid").read_text().splitlines()
        except OSError:
            return []

    def pid(self) -> int | None:
        lines = self._postmaster()
        if lines and lines[0].strip().isdigit():
            pid = int(lines[0])
            if alive(pid) and str(self.data) in " ".join(cmdline(pid)):
                return pid
        found = find_pids(str(PG_BIN / "postgres"), f"-D {self.data}") if self.link.exists() else []
        return found[0] if found else None

    def running_port(self) -> int | None:
        lines = self._postmaster()
        return int(lines[3]) if len(lines) > 3 and lines[3].strip().isdigit() else None

    # --- start / stop ------------------------------------------------------------------------
    def _initdb(self) -> None:
        if (self.data / "PG_VERSION").exists():
            return
        if self.data.exists():  # a half-done initdb: ours to clear
            shutil.rmtree(self.data)
        with open(self.initdb_log, "wb") as out:
            rc = subprocess.run(
                self._as_pg(
                    [
                        str(PG_BIN / "initdb"),
                        "-D",
                        str(self.data),
                        "-U",
                        "postgres",
                        "--auth=trust",
                        "-E",
                        "UTF8",
                        "--locale=C.UTF-8",
                    ]
                ),  # fmt: skip
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd="/",
            ).returncode
        if rc != 0:
            raise StackError(f"postgres: initdb failed (exit {rc})", self.initdb_log)

    def start(self, timeout: float) -> None:
        self.ensure_binaries()
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self._choose_base()
        self._initdb()
        require_free({"postgres port": self.port})
        pg_log = self.base / "postgres.log"
        if not self.log.is_symlink():
            self.log.unlink(missing_ok=True)
            self.log.symlink_to(pg_log)
        opts = f"-p {self.port} -k {self.sockdir} -c listen_addresses=127.0.0.1"
        rc = subprocess.run(
            self._as_pg(
                [
                    str(PG_BIN / "pg_ctl"),
                    "-D",
                    str(self.data),
                    "-l",
                    str(pg_log),
                    "-o",
                    opts,
                    "-w",
                    "-t",
                    str(int(timeout)),
                    "start",
                ]
            ),  # fmt: skip
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            cwd="/",
        )
        if rc.returncode != 0:
            raise StackError(
                f"postgres: pg_ctl start failed (exit {rc.returncode}): {rc.stderr.strip()}", self.log
            )
        wait_ready(self.name, self.check, timeout, self.log, is_alive=lambda: self.pid() is not None)

    def _connect(self, dbname: str = "postgres"):
        import psycopg

        return psycopg.connect(
            host="127.0.0.1",
            port=self.running_port() or self.port,
            user="postgres",
            dbname=dbname,
            connect_timeout=2,
            autocommit=True,
        )

    def check(self) -> None:
        with self._connect() as conn:
            conn.execute("SELECT 1").fetchone()

    def provision(self) -> None:
        with self._connect() as conn:
            have = {r[0] for r in conn.execute("SELECT datname FROM pg_database").fetchall()}
            for db in DATABASES:
                if db not in have:
                    conn.execute(f'CREATE DATABASE "{db}"')

    def stop(self, timeout: float) -> None:
        pid = self.pid()
        if pid is None:
            return
        # backends run in sessions of their own: remember them to check that they are gone too
        family = [pid, *children(pid)]
        pg_ctl = str(PG_BIN / "pg_ctl")
        for mode in ("fast", "immediate"):
            rc = subprocess.run(
                self._as_pg(
                    [pg_ctl, "-D", str(self.data), "-m", mode, "-w", "-t", str(int(timeout)), "stop"]
                ),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                cwd="/",
            ).returncode
            if rc == 0 and not alive(pid):
                break
        for member in family:
            argv = cmdline(member)
            if alive(member) and argv and argv[0].startswith(("postgres", str(PG_BIN))):
                stop_group(member, self.name, 5.0, self.log)
