"""FerretDB v1 (MongoDB wire protocol, SQLite backend) built from deploy/ferretdb and run on 127.0.0.1.

The binary is built once with the Go toolchain into ``$COFRE_HOME/bin/cofre-ferretdb``; a hash of the
module's sources, the Go version and the build tags is stored next to it, and the build is redone only
when that hash changes. Readiness is a real pymongo ``ping``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time
from pathlib import Path

from .base import DetachedServer
from .proc import StackError

SOURCE_FILES = ("go.mod", "go.sum", "main.go")
BUILD_TAGS = "ferretdb_no_postgresql"
GO_CANDIDATES = ("/usr/local/go/bin/go", "/usr/lib/go/bin/go")


def find_go() -> str:
    for cand in GO_CANDIDATES:
        if os.access(cand, os.X_OK):
            return cand
    found = shutil.which("go")
    if found:
        return found
    raise StackError(
        "the Go toolchain is needed to build FerretDB: not found at /usr/local/go/bin/go nor on PATH"
    )


class FerretDB(DetachedServer):
    name = "ferretdb"
    program = "cofre-ferretdb"

    def __init__(self, home: Path, stack_dir: Path, port: int, source_dir: Path) -> None:
        super().__init__(stack_dir / "run")
        self.port = port
        self.data = stack_dir / "ferretdb"
        self.log = stack_dir / "logs" / "ferretdb.log"
        self.build_log = stack_dir / "logs" / "ferretdb-build.log"
        self.source_dir = source_dir
        self.binary = home / "bin" / "cofre-ferretdb"
        self.hash_file = home / "bin" / "cofre-ferretdb.sha256"

    # --- build ------------------------------------------------------------------------------
    def source_hash(self, go: str) -> str:
        h = hashlib.sha256()
        for name in SOURCE_FILES:
            h.update(name.encode() + b"\0" + (self.source_dir / name).read_bytes() + b"\0")
        version = subprocess.run([go, "version"], capture_output=True, text=True, check=True).stdout
        h.update(version.encode() + BUILD_TAGS.encode())
        return h.hexdigest()

    def prepare(self) -> None:
        go = find_go()
        wanted = self.source_hash(go)
        if self.binary.exists() and self.hash_file.exists() and self.hash_file.read_text().strip() == wanted:
            return
        self.binary.parent.mkdir(parents=True, exist_ok=True)
        self.build_log.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.binary.with_name(self.binary.name + ".tmp")
        print(f"  {self.name}: building {self.binary} from {self.source_dir} (first time or sources changed)")
        t0 = time.monotonic()
        env = dict(os.environ, GOTOOLCHAIN="local", CGO_ENABLED="0")
        with open(self.build_log, "wb") as out:
            rc = subprocess.run(
                [go, "build", "-trimpath", "-tags", BUILD_TAGS, "-o", str(tmp), "."],
                cwd=self.source_dir,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            ).returncode
        if rc != 0:
            tmp.unlink(missing_ok=True)
            raise StackError(f"{self.name}: go build failed (exit {rc})", self.build_log)
        tmp.replace(self.binary)
        self.hash_file.write_text(wanted + "\n")
        print(f"  {self.name}: built in {time.monotonic() - t0:.1f} s")

    # --- run --------------------------------------------------------------------------------
    def argv(self) -> list[str]:
        return [
            str(self.binary),
            "-listen", f"127.0.0.1:{self.port}",
            "-sqlite-dir", str(self.data),
            "-log-level", "error",
        ]  # fmt: skip

    def uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.running_port() or self.port}/"

    def check(self) -> None:
        import pymongo

        client = pymongo.MongoClient(
            self.uri(), serverSelectionTimeoutMS=1000, connectTimeoutMS=1000, directConnection=True
        )
        try:
            client.admin.command("ping")
        finally:
            client.close()
