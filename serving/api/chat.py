"""Chat router: the support assistant for the logged-in customer (``/chat/...``).

* ``POST /chat/messages`` ``{conversation_id?, text}`` -> ``{conversation_id, answer, topic, confidence,
  sources, actions}``. With ``Accept: text/event-stream`` the answer is streamed as server-sent events
  (``meta``, then ``delta`` pieces, then ``done`` with the whole reply) — token by token on the LLM
  path, in one piece otherwise.
* ``GET /chat/conversations/{id}``: the caller's conversation with its (masked) messages.
* ``GET /chat/tickets``: the caller's support tickets (opened by a handoff).

The text is masked (:mod:`serving.chat.mask`) before anything is stored or sent to an LLM; the
hard per-user chat limit (``COFRE_CHAT_RATE_LIMIT``) answers 429 with Retry-After. A conversation of
another user is a 404, as one that does not exist. The assistant never moves money or changes data.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, FastAPI, Path, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from lake.settings import Settings
from serving.chat import mask as masking
from serving.chat.assistant import Reply, assistant_for
from serving.chat.intents import AccountDesk
from serving.chat.limits import ChatLimiter
from serving.chat.store import ConversationStore, conversation_store, now_iso
from serving.deps import CurrentPrincipal, NowDep, ServicesDep
from serving.errors import Problem
from serving.security.tokens import Principal
from serving.services import Services

router = APIRouter(tags=["chat"])
CONVERSATION_ID = r"^[0-9a-f]{32}$"


class MessageIn(BaseModel):
    conversation_id: str | None = Field(
        default=None, pattern=CONVERSATION_ID, description="omit to start a new conversation"
    )
    text: str = Field(min_length=1, max_length=2000, description="the customer's question, in Portuguese")


class Source(BaseModel):
    id: str
    title: str
    topic: str


class ChatAction(BaseModel):
    type: Literal["open_screen", "ticket"]
    label: str
    screen: str
    ticket_id: str | None = None


class ChatReply(BaseModel):
    conversation_id: str
    answer: str
    topic: str | None = Field(description="the knowledge-base topic answered; null when not understood")
    confidence: float = Field(ge=0, le=1)
    sources: list[Source]
    actions: list[ChatAction] = Field(description="app screens to open; the assistant itself never acts")


class StoredMessage(BaseModel):
    role: Literal["user", "assistant"]
    text: str
    at: str
    topic: str | None = None
    confidence: float | None = None
    sources: list[Source] = []
    actions: list[ChatAction] = []
    flags: list[str] = []


class ConversationOut(BaseModel):
    id: str
    created_at: str
    messages: list[StoredMessage]


class TicketOut(BaseModel):
    id: str
    conversation_id: str
    reason: Literal["requested", "low_confidence"]
    queue: Literal["atendimento", "ouvidoria"]
    status: str
    created_at: str
    updated_at: str
    transcript: list[StoredMessage]


def _limiter(services: Services) -> ChatLimiter:
    if services.chat_limiter is None:
        services.chat_limiter = ChatLimiter(services.settings)
    return services.chat_limiter


def _conversation(store: ConversationStore, conversation_id: str, user_id: int) -> dict[str, Any]:
    conv = store.conversation(conversation_id)
    if conv is None or conv["user_id"] != user_id:
        raise Problem(404, "conversation_not_found", "no such conversation")
    return conv


def _prepare(
    services: Services, principal: Principal, body: MessageIn, now: datetime, request_id: str | None
) -> tuple[str, Reply]:
    """Rate limit, mask, conversation, the user's message stored, the reply computed, the handoff."""
    _limiter(services).check(principal.user_id, now.timestamp())
    store = conversation_store(services)
    assistant = assistant_for(services)
    masked = masking.mask(body.text)
    at = now_iso()
    if body.conversation_id is None:
        cid = store.create_conversation(principal.user_id, at)
    else:
        cid = _conversation(store, body.conversation_id, principal.user_id)["id"]
    desk = AccountDesk(services, principal.user_id, tickets=store, request_id=request_id)
    reply = assistant.reply(masked, desk, raw=body.text)
    store.append_message(
        cid,
        {
            "role": "user",
            "user_id": principal.user_id,
            "text": masked,
            "at": at,
            "flags": [f"masked:{k.lower()}" for k in masking.found(body.text)] + reply.flags,
        },
    )
    if reply.handoff:
        transcript = store.messages(cid)
        ticket = store.upsert_ticket(principal.user_id, cid, reply.handoff, reply.queue, transcript, at)
        reply.actions.append(
            {"type": "ticket", "label": "Ver chamado", "screen": "chat/chamados", "ticket_id": ticket["id"]}
        )
        if reply.handoff == "requested":
            where = "da ouvidoria" if ticket["queue"] == "ouvidoria" else "de atendimento"
            reply.answer += (
                f"\n\nAbri o chamado {where} {ticket['id'][:8]}: um atendente vai continuar por aqui."
            )
    return cid, reply


def _store_answer(services: Services, principal: Principal, cid: str, reply: Reply) -> None:
    conversation_store(services).append_message(
        cid,
        {
            "role": "assistant",
            "user_id": principal.user_id,
            "text": masking.mask(reply.answer),
            "at": now_iso(),
            **{k: v for k, v in reply.public().items() if k != "answer"},
            "flags": reply.flags,
        },
    )


def _sse(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


@router.post(
    "/chat/messages",
    response_model=ChatReply,
    responses={
        200: {
            "description": "the reply; with Accept: text/event-stream, server-sent events "
            "(event meta, then delta pieces {text}, then done with the whole reply)",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        },
        404: {"description": "conversation_not_found"},
        429: {"description": "chat_rate_limited (Retry-After)"},
    },
)
async def post_message(
    body: MessageIn,
    request: Request,
    principal: CurrentPrincipal,
    services: ServicesDep,
    now: NowDep,
) -> ChatReply | StreamingResponse:
    rid = getattr(request.state, "request_id", None)
    cid, reply = await run_in_threadpool(_prepare, services, principal, body, now, rid)
    assistant = assistant_for(services)
    if "text/event-stream" in request.headers.get("accept", ""):

        def events() -> Iterator[str]:
            yield _sse(
                "meta", {"conversation_id": cid, **{k: v for k, v in reply.public().items() if k != "answer"}}
            )
            for piece in assistant.stream(reply):
                yield _sse("delta", {"text": piece})
            _store_answer(services, principal, cid, reply)
            yield _sse("done", {"conversation_id": cid, **reply.public()})

        return StreamingResponse(
            events(), media_type="text/event-stream", headers={"Cache-Control": "no-store"}
        )
    reply = await run_in_threadpool(assistant.generate, reply)
    await run_in_threadpool(_store_answer, services, principal, cid, reply)
    return ChatReply(conversation_id=cid, **reply.public())


@router.get("/chat/conversations/{conversation_id}", response_model=ConversationOut, responses={404: {}})
def get_conversation(
    principal: CurrentPrincipal,
    services: ServicesDep,
    conversation_id: str = Path(pattern=CONVERSATION_ID),
) -> ConversationOut:
    store = conversation_store(services)
    conv = _conversation(store, conversation_id, principal.user_id)
    return ConversationOut(id=conv["id"], created_at=conv["created_at"], messages=store.messages(conv["id"]))


@router.get("/chat/tickets", response_model=list[TicketOut])
def list_tickets(principal: CurrentPrincipal, services: ServicesDep) -> list[dict[str, Any]]:
    return conversation_store(services).tickets(principal.user_id)


def create_app(settings: Settings | None = None) -> FastAPI:
    from serving.app import create_app as gateway

    return gateway(settings, routers=[router])
