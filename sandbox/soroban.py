"""The local Soroban RPC sandbox: build and run ``native/contracts/rpc_sandbox`` (Rust).

The server executes cofre's escrow and audit_anchor contracts natively in a soroban host (the
code ``cargo test`` exercises) next to the Stellar Asset Contract, speaks Soroban's JSON-RPC and
keeps its ledger under ``state_dir`` (default ``COFRE_HOME/soroban``), so a restart keeps balances
and escrows. ``cofre sandbox serve --system soroban`` and the stack start it through :func:`start`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
WORKSPACE = ROOT / "native" / "contracts"
BINARY = "soroban-rpc-sandbox"


class SandboxError(RuntimeError):
    pass


def binary_path() -> Path:
    target = Path(os.environ.get("CARGO_TARGET_DIR", WORKSPACE / "target"))
    return target / "debug" / BINARY


def build() -> Path:
    """``cargo build`` of the sandbox binary (incremental: seconds when up to date)."""
    cargo = shutil.which("cargo") or str(Path.home() / ".cargo" / "bin" / "cargo")
    subprocess.run(
        [cargo, "build", "--locked", "--quiet", "-p", "soroban_rpc_sandbox", "--bin", BINARY],
        cwd=WORKSPACE,
        check=True,
    )
    return binary_path()


@dataclass
class Running:
    process: subprocess.Popen[str]
    url: str

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start(
    state_dir: Path,
    deployer: str,
    passphrase: str,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    ready_timeout_s: float = 60.0,
    clock: Callable[[], float] = time.monotonic,
) -> Running:
    """Start the sandbox (port 0: any free port) and wait until ``getHealth`` answers."""
    exe = binary_path()
    if not exe.exists():
        exe = build()
    proc = subprocess.Popen(
        [
            str(exe),
            "--listen",
            f"{host}:{port}",
            "--state",
            str(state_dir),
            "--deployer",
            deployer,
            "--passphrase",
            passphrase,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    if proc.stdout is None:  # stdout=PIPE always gives one; a broken spawn must not pass silently
        raise RuntimeError("the Soroban RPC sandbox started without a stdout pipe")
    line = proc.stdout.readline()
    if "listening on " not in line:
        err = proc.stderr.read() if proc.stderr else ""
        proc.wait()
        raise SandboxError(f"soroban sandbox did not start: {line}{err}")
    url = line.split("listening on ", 1)[1].split()[0]
    running = Running(proc, url)
    deadline = clock() + ready_timeout_s
    while True:
        try:
            r = requests.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "getHealth"}, timeout=5)
            if r.ok and r.json().get("result", {}).get("status") == "healthy":
                return running
        except requests.RequestException:
            pass
        if clock() > deadline or proc.poll() is not None:
            running.stop()
            raise SandboxError(f"soroban sandbox at {url} is not healthy")
        time.sleep(0.05)  # readiness poll of a child process, not a test's clock
