"""DocumentStore: put/get/delete bytes by key, plus a short-lived download URL.

* :class:`LocalDocumentStore` (a folder; embedded profile): the gateway serves downloads itself
  through signed links (HMAC over document id and expiry), see :mod:`serving.documents.links`.
* :class:`S3DocumentStore` (``s3://bucket[/prefix]``; stack profile): minio SDK; presigned GET URLs.
"""

from __future__ import annotations

import io
import os
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlparse

if TYPE_CHECKING:
    from lake.settings import Settings


class DocumentNotFound(KeyError):
    pass


class DocumentStore(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None: ...
    def get(self, key: str) -> bytes: ...
    def delete(self, key: str) -> None: ...
    def presigned_url(self, key: str, ttl_s: int) -> str | None:
        """A URL the client can fetch directly, or None when the gateway must sign its own link."""

    def ping(self) -> None: ...


class LocalDocumentStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        p = (self.root / key).resolve()
        if self.root.resolve() not in p.parents:
            raise ValueError("key escapes the document root")
        return p

    def put(self, key: str, data: bytes, content_type: str) -> None:
        p = self._path(key)
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.with_suffix(".part")
        tmp.write_bytes(data)
        os.replace(tmp, p)

    def get(self, key: str) -> bytes:
        p = self._path(key)
        if not p.exists():
            raise DocumentNotFound(key)
        return p.read_bytes()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def presigned_url(self, key: str, ttl_s: int) -> str | None:
        return None

    def ping(self) -> None:
        if not os.access(self.root, os.W_OK):
            raise OSError(f"document folder {self.root} is not writable")


class S3DocumentStore:
    def __init__(self, uri: str, *, endpoint: str, access_key: str, secret_key: str, region: str) -> None:
        from minio import Minio

        parsed = urlparse(uri)
        self.bucket = parsed.netloc
        self.prefix = parsed.path.strip("/")
        ep = urlparse(endpoint)
        self.client = Minio(
            ep.netloc,
            access_key=access_key,
            secret_key=secret_key,
            secure=ep.scheme == "https",
            region=region,
        )
        if not self.client.bucket_exists(self.bucket):
            self.client.make_bucket(self.bucket)

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.client.put_object(
            self.bucket, self._key(key), io.BytesIO(data), len(data), content_type=content_type
        )

    def get(self, key: str) -> bytes:
        from minio.error import S3Error

        try:
            resp = self.client.get_object(self.bucket, self._key(key))
        except S3Error as exc:
            if exc.code in ("NoSuchKey", "NoSuchObject"):
                raise DocumentNotFound(key) from None
            raise
        try:
            return resp.read()
        finally:
            resp.close()
            resp.release_conn()

    def delete(self, key: str) -> None:
        self.client.remove_object(self.bucket, self._key(key))

    def presigned_url(self, key: str, ttl_s: int) -> str | None:
        return self.client.presigned_get_object(self.bucket, self._key(key), expires=timedelta(seconds=ttl_s))

    def ping(self) -> None:
        self.client.bucket_exists(self.bucket)


def open_document_store(settings: Settings) -> DocumentStore:
    uri = str(settings.documents_uri)
    if uri.startswith("s3://"):
        return S3DocumentStore(
            uri,
            endpoint=settings.s3_endpoint or "http://127.0.0.1:9000",
            access_key=settings.s3_access_key,
            secret_key=settings.s3_secret_key.get_secret_value(),
            region=settings.s3_region,
        )
    if uri.startswith("file://"):
        uri = urlparse(uri).path
    return LocalDocumentStore(Path(uri))
