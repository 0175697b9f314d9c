"""minio SDK on the stack's SeaweedFS S3: put/get/stat/list, and a presigned GET fetched over HTTP."""

from __future__ import annotations

import io
from datetime import timedelta
from urllib.parse import urlparse

import httpx
import pytest
from minio import Minio
from minio.error import S3Error


@pytest.fixture
def s3(stack_settings):
    ep = urlparse(stack_settings.s3_endpoint)
    return Minio(
        ep.netloc,
        access_key=stack_settings.s3_access_key,
        secret_key=stack_settings.s3_secret_key.get_secret_value(),
        secure=ep.scheme == "https",
        region=stack_settings.s3_region,
    )


def test_buckets_exist(s3, stack_settings):
    names = {b.name for b in s3.list_buckets()}
    assert {
        stack_settings.s3_lake_bucket,
        stack_settings.s3_documents_bucket,
        stack_settings.s3_mlflow_bucket,
    } <= names


def test_object_roundtrip_and_presigned_get(s3, stack_settings, unique):
    bucket = stack_settings.s3_documents_bucket
    prefix = f"it/{unique}/"
    body = "comprovante PIX ✓ ".encode() * 1000
    names = [f"{prefix}a.txt", f"{prefix}sub/b.txt"]
    try:
        for name in names:
            s3.put_object(bucket, name, io.BytesIO(body), len(body), content_type="text/plain; charset=utf-8")

        resp = s3.get_object(bucket, names[0])
        try:
            assert resp.read() == body
        finally:
            resp.close()
            resp.release_conn()

        st = s3.stat_object(bucket, names[0])
        assert st.size == len(body)
        assert st.content_type.startswith("text/plain")

        listed = sorted(o.object_name for o in s3.list_objects(bucket, prefix=prefix, recursive=True))
        assert listed == sorted(names)

        url = s3.presigned_get_object(bucket, names[1], expires=timedelta(minutes=5))
        got = httpx.get(url, timeout=10)
        assert got.status_code == 200
        assert got.content == body
        # the signature covers the object name: tampering is refused
        assert httpx.get(url.replace("b.txt", "a.txt"), timeout=10).status_code == 403
    finally:
        for name in names:
            s3.remove_object(bucket, name)
    with pytest.raises(S3Error):
        s3.stat_object(bucket, names[0])
