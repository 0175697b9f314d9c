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
    """A customer's message to the support assistant."""

    conversation_id: str | None = Field(
        default=None,
        pattern=CONVERSATION_ID,
        description="omit to start a new conversation",
        examples=["c0ffee00c0ffee00c0ffee00c0ffee00"],
    )
    text: str = Field(
        min_length=1,
        max_length=2000,
        description="the customer's question, in Portuguese",
        examples=["Como pego o comprovante do pix?"],
    )


class Source(BaseModel):
    """A knowledge-base article an answer comes from."""

    id: str = Field(description="the knowledge-base article's id", examples=["comprovante-pix"])
    title: str = Field(description="its title (Portuguese)", examples=["Comprovante de PIX e transferências"])
    topic: str = Field(description="its topic", examples=["comprovante"])


class ChatAction(BaseModel):
    """A button the app shows with an answer (the assistant itself never acts)."""

    type: Literal["open_screen", "ticket"] = Field(
        description="`open_screen` (a button that opens an app screen) or `ticket` (a handoff to a human was "
        "opened)",
        examples=["open_screen"],
    )
    label: str = Field(description="the button's label, in Portuguese", examples=["Ver extrato"])
    screen: str = Field(description="the app screen to open", examples=["extrato"])
    ticket_id: str | None = Field(default=None, description="the ticket opened, for `ticket` actions")


class ChatReply(BaseModel):
    """The support assistant's answer."""

    conversation_id: str = Field(
        description="send it with the next message to continue the conversation",
        examples=["c0ffee00c0ffee00c0ffee00c0ffee00"],
    )
    answer: str = Field(
        description="the answer shown to the customer, in Portuguese (personal data masked)",
        examples=["Para ver o comprovante de um PIX, abra o extrato e toque na transferência."],
    )
    topic: str | None = Field(
        description="the knowledge-base topic answered; null when not understood", examples=["comprovante"]
    )
    confidence: float = Field(
        ge=0,
        le=1,
        description="how sure the assistant is of the topic (0 to 1); low answers offer a human",
        examples=[0.87],
    )
    sources: list[Source] = Field(description="the knowledge-base articles the answer comes from")
    actions: list[ChatAction] = Field(description="app screens to open; the assistant itself never acts")


class StoredMessage(BaseModel):
    """One message of a stored conversation (masked)."""

    role: Literal["user", "assistant"] = Field(description="who wrote it", examples=["user"])
    text: str = Field(
        description="the text, with personal data (CPF, card numbers, e-mails...) masked",
        examples=["Como pego o comprovante do pix?"],
    )
    at: str = Field(
        description="when it was written: RFC 3339 date-time in UTC (ending in Z)",
        examples=["2026-12-03T17:30:00.000000Z"],
    )
    topic: str | None = Field(default=None, description="assistant messages: the topic answered")
    confidence: float | None = Field(default=None, description="assistant messages: the confidence (0 to 1)")
    sources: list[Source] = Field(default=[], description="assistant messages: the articles used")
    actions: list[ChatAction] = Field(default=[], description="assistant messages: the actions offered")
    flags: list[str] = Field(
        default=[],
        description="how the answer was made, e.g. `generated` (by the language model), `llm_unavailable`, "
        "`prompt_injection` (refused), `other_party` (asked about someone else's data)",
        examples=[["generated"]],
    )


class ConversationOut(BaseModel):
    """A conversation with the support assistant."""

    id: str = Field(description="the conversation's id", examples=["c0ffee00c0ffee00c0ffee00c0ffee00"])
    created_at: str = Field(
        description="when it started: RFC 3339 date-time in UTC (ending in Z)",
        examples=["2026-12-03T17:30:00.000000Z"],
    )
    messages: list[StoredMessage] = Field(description="its messages, oldest first")


class TicketOut(BaseModel):
    """A support ticket opened by a handoff to a person."""

    id: str = Field(description="the ticket's id", examples=["7e57ab1e7e57ab1e7e57ab1e7e57ab1e"])
    conversation_id: str = Field(
        description="the conversation handed off", examples=["c0ffee00c0ffee00c0ffee00c0ffee00"]
    )
    reason: Literal["requested", "low_confidence"] = Field(
        description="`requested` (the customer asked for a person) or `low_confidence` (the assistant could "
        "not answer)",
        examples=["requested"],
    )
    queue: Literal["atendimento", "ouvidoria"] = Field(
        description="`atendimento` (customer service) or `ouvidoria` (the ombudsman, for complaints)",
        examples=["atendimento"],
    )
    status: str = Field(description="`open` until a person closes it", examples=["open"])
    created_at: str = Field(
        description="when it was opened: RFC 3339 date-time in UTC (ending in Z)",
        examples=["2026-12-03T17:31:00.000000Z"],
    )
    updated_at: str = Field(
        description="the last change: RFC 3339 date-time in UTC (ending in Z)",
        examples=["2026-12-03T17:31:00.000000Z"],
    )
    transcript: list[StoredMessage] = Field(description="the conversation so far, masked, for the attendant")


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
