"""Documents router: upload/list/download statements, contracts and receipts (owner only).

Uploads are checked against an allow-list (PDF, PNG, JPEG) by declared type and by magic bytes,
and against settings.documents_max_bytes (413). Bytes go to the DocumentStore (S3 or local folder),
metadata to SQL. ``GET /documents/{id}`` returns metadata and a short-lived download URL: an S3
presigned URL, or for the local store a gateway link signed with HMAC (``/documents/{id}/download``).
"""

from __future__ import annotations

import hashlib
import time
import uuid
from typing import Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, FastAPI, File, Form, Query, Request, Response, UploadFile
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from lake.settings import Settings
from serving.api.types import Instant
from serving.db.orm import Document
from serving.deps import current_principal, get_db, get_services
from serving.documents import links
from serving.documents.content import ALLOWED, sniff
from serving.documents.disposition import content_disposition
from serving.documents.store import DocumentNotFound
from serving.errors import Problem
from serving.openapi import problems
from serving.security.tokens import Principal
from serving.services import Services

router = APIRouter(tags=["documents"])
FILE_TYPES = {t: {"schema": {"type": "string", "format": "binary"}} for t in ALLOWED}
CHUNK = 64 * 1024


class DocumentOut(BaseModel):
    """A stored document's metadata (and, when asked, a download link)."""

    id: str = Field(description="the document's opaque id", examples=["d0c-2026-12-0001"])
    kind: str = Field(description="`statement`, `contract` or `receipt`", examples=["receipt"])
    filename: str = Field(description="the file name given at upload", examples=["comprovante-pix.pdf"])
    content_type: str = Field(
        description="`application/pdf`, `image/png` or `image/jpeg` (checked against the file's magic bytes)",
        examples=["application/pdf"],
    )
    size_bytes: int = Field(description="size of the stored file in bytes", examples=[48213])
    sha256: str = Field(
        description="hex SHA-256 of the file's bytes (to check a download)",
        examples=["9f86d081884c7d65...b0f00a08 (64 hex digits)"],
    )
    created_at: Instant = Field(
        description="when it was uploaded: RFC 3339 date-time with its UTC offset (served in UTC, ending in Z)",
        examples=["2026-12-03T17:30:00Z"],
    )
    download_url: str | None = Field(
        default=None,
        description="a short-lived download link (S3 presigned URL, or a signed gateway link); only in "
        "`GET /documents/{doc_id}`",
        examples=["/documents/d0c-2026-12-0001/download?exp=1796318400&sig=3f2a...e1"],
    )
    download_expires_at: int | None = Field(
        default=None,
        description="when `download_url` stops working, Unix time in seconds",
        examples=[1796318400],
    )


def _out(d: Document, url: str | None = None, exp: int | None = None) -> DocumentOut:
    return DocumentOut(
        id=d.id,
        kind=d.kind,
        filename=d.filename,
        content_type=d.content_type,
        size_bytes=d.size_bytes,
        sha256=d.sha256,
        created_at=d.created_at,
        download_url=url,
        download_expires_at=exp,
    )


def _too_large(limit: int) -> Problem:
    return Problem(413, "payload_too_large", f"documents are limited to {limit} bytes", limit_bytes=limit)


@router.post(
    "/documents",
    status_code=201,
    response_model=DocumentOut,
    responses=problems(
        {
            400: "the multipart body cannot be parsed",
            415: "`unsupported_media_type` (PDF, PNG, JPEG only) or `content_mismatch` (magic bytes)",
        }
    ),
)
async def upload(
    request: Request,
    file: UploadFile = File(..., description="the file: PDF, PNG or JPEG, within the size cap"),
    kind: Literal["statement", "contract", "receipt"] = Form(
        ..., description="`statement`, `contract` or `receipt`"
    ),
    principal: Principal = Depends(current_principal),
    services: Services = Depends(get_services),
) -> DocumentOut:
    limit = services.settings.documents_max_bytes
    declared_len = request.headers.get("content-length")
    if declared_len and declared_len.isdigit() and int(declared_len) > limit + 64 * 1024:
        raise _too_large(limit)
    chunks, total = [], 0
    while chunk := await file.read(CHUNK):
        total += len(chunk)
        if total > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    data = b"".join(chunks)
    declared = (file.content_type or "").split(";")[0].strip().lower()
    if declared not in ALLOWED:
        raise Problem(
            415,
            "unsupported_media_type",
            f"content type {declared or 'missing'!r} not allowed; use one of {', '.join(ALLOWED)}",
        )
    actual = sniff(data)
    if actual != declared:
        raise Problem(415, "content_mismatch", f"file content is not {declared} (magic bytes do not match)")
    doc_id = uuid.uuid4().hex
    storage_key = f"{principal.user_id}/{doc_id}"
    await run_in_threadpool(services.documents.put, storage_key, data, declared)
    filename = (file.filename or "document").replace("/", "_")[-255:]
    doc = Document(
        id=doc_id,
        user_id=principal.user_id,
        kind=kind,
        filename=filename,
        content_type=declared,
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        storage_key=storage_key,
    )

    def _save() -> Document:
        with services.sessions() as db, db.begin():
            db.add(doc)
        return doc

    await run_in_threadpool(_save)
    return _out(doc)


@router.get("/documents", response_model=list[DocumentOut])
def list_documents(
    principal: Principal = Depends(current_principal), db: Session = Depends(get_db)
) -> list[DocumentOut]:
    rows = db.scalars(
        select(Document).where(Document.user_id == principal.user_id).order_by(Document.created_at)
    )
    return [_out(d) for d in rows]


def _owned(db: Session, doc_id: str, principal: Principal) -> Document:
    doc = db.get(Document, doc_id)
    if doc is None or doc.user_id != principal.user_id:
        # same answer for "not yours" and "does not exist": no existence oracle
        raise Problem(404, "document_not_found", "no such document")
    return doc


@router.get(
    "/documents/{doc_id}", response_model=DocumentOut, responses=problems({404: "`document_not_found`"})
)
def get_document(
    doc_id: str,
    request: Request,
    principal: Principal = Depends(current_principal),
    db: Session = Depends(get_db),
    services: Services = Depends(get_services),
) -> DocumentOut:
    doc = _owned(db, doc_id, principal)
    ttl = services.settings.document_link_ttl_s
    exp = int(time.time()) + ttl
    url = services.documents.presigned_url(doc.storage_key, ttl)
    if url is None:
        sig = links.sign(services.link_key, doc.id, exp)
        # a relative reference: a link built from the request's Host header could be steered to
        # another host by a forged Host (and carry a valid signature there)
        path = request.app.url_path_for("download_document", doc_id=doc.id)
        url = f"{path}?{urlencode({'exp': exp, 'sig': sig})}"
    return _out(doc, url, exp)


def _content(services: Services, doc: Document) -> Response:
    try:
        data = services.documents.get(doc.storage_key)
    except DocumentNotFound:
        raise Problem(404, "document_not_found", "document content is missing") from None
    return Response(
        data,
        media_type=doc.content_type,
        headers={
            "Content-Disposition": content_disposition(doc.filename),
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get(
    "/documents/{doc_id}/content",
    response_class=Response,
    responses={
        200: {"description": "the file", "content": FILE_TYPES},
        **problems({404: "`document_not_found`"}),
    },
)
def document_content(
    doc_id: str,
    principal: Principal = Depends(current_principal),
    db: Session = Depends(get_db),
    services: Services = Depends(get_services),
) -> Response:
    return _content(services, _owned(db, doc_id, principal))


@router.get(
    "/documents/{doc_id}/download",
    response_class=Response,
    name="download_document",
    responses={
        200: {"description": "the file", "content": FILE_TYPES},
        **problems({403: "`invalid_link`: invalid or expired", 404: "`document_not_found`"}),
    },
)
def download_document(
    doc_id: str,
    exp: int = Query(..., ge=0, le=2**40, description="expiry of the link, Unix time in seconds"),
    sig: str = Query(
        ..., min_length=64, max_length=64, description="hex HMAC-SHA256 of the document id and `exp`"
    ),
    db: Session = Depends(get_db),
    services: Services = Depends(get_services),
) -> Response:
    ttl = services.settings.document_link_ttl_s
    if not links.check(services.link_key, doc_id, exp, sig, time.time(), ttl):
        raise Problem(403, "invalid_link", "the download link is invalid or expired")
    doc = db.get(Document, doc_id)
    if doc is None:
        raise Problem(404, "document_not_found", "no such document")
    return _content(services, doc)


def create_app(settings: Settings | None = None) -> FastAPI:
    from serving.app import create_app as gateway

    return gateway(settings, routers=[router])
