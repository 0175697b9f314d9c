"""Conversations and support tickets in the log store (the store the gateway's audit events use).

One :class:`ConversationStore` interface, two implementations chosen from ``settings.log_store_url``:
``sqlite:///path`` (embedded; tables ``chat_conversations``, ``chat_messages``, ``chat_tickets`` in
the same file as the audit events) and ``mongodb://...`` (collections of the same names in
``settings.log_store_db``; plain CRUD only, which FerretDB supports).

Only masked text is ever written here (:mod:`serving.chat.mask` runs before). Every record carries
the owner's ``user_id``, so the LGPD access export (:meth:`export_user`) and erasure
(:meth:`erase_user`) find all of a person's conversations, messages and tickets.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlparse

if TYPE_CHECKING:
    from pymongo import MongoClient

    from serving.services import Services


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def new_id() -> str:
    return uuid.uuid4().hex


class ConversationStore(Protocol):
    def create_conversation(self, user_id: int, at: str) -> str: ...
    def conversation(self, conversation_id: str) -> dict[str, Any] | None: ...
    def append_message(self, conversation_id: str, message: dict[str, Any]) -> None: ...
    def messages(self, conversation_id: str) -> list[dict[str, Any]]: ...
    def upsert_ticket(
        self,
        user_id: int,
        conversation_id: str,
        reason: str,
        queue: str,
        transcript: list[dict[str, Any]],
        at: str,
    ) -> dict[str, Any]: ...
    def tickets(self, user_id: int) -> list[dict[str, Any]]: ...
    def export_user(self, user_id: int) -> dict[str, list[dict[str, Any]]]: ...
    def erase_user(self, user_id: int) -> dict[str, int]: ...
    def close(self) -> None: ...


class SQLiteConversationStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=60)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA busy_timeout=60000")
        self._conn.executescript(
            """
            CREATE TABLE IF NOT EXISTS chat_conversations (
                id TEXT PRIMARY KEY, user_id INTEGER NOT NULL, created_at TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS ix_chat_conv_user ON chat_conversations(user_id);
            CREATE TABLE IF NOT EXISTS chat_messages (
                id INTEGER PRIMARY KEY, conversation_id TEXT NOT NULL, user_id INTEGER NOT NULL,
                at TEXT NOT NULL, body TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS ix_chat_msg_conv ON chat_messages(conversation_id);
            CREATE INDEX IF NOT EXISTS ix_chat_msg_user ON chat_messages(user_id);
            CREATE TABLE IF NOT EXISTS chat_tickets (
                id TEXT PRIMARY KEY, user_id INTEGER NOT NULL, conversation_id TEXT NOT NULL,
                status TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
                body TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS ix_chat_ticket_user ON chat_tickets(user_id);
            """
        )

    def _q(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._conn.execute(sql, args).fetchall()

    def create_conversation(self, user_id: int, at: str) -> str:
        cid = new_id()
        self._q("INSERT INTO chat_conversations VALUES (?,?,?)", (cid, user_id, at))
        return cid

    def conversation(self, conversation_id: str) -> dict[str, Any] | None:
        rows = self._q(
            "SELECT id, user_id, created_at FROM chat_conversations WHERE id = ?", (conversation_id,)
        )
        if not rows:
            return None
        cid, uid, at = rows[0]
        return {"id": cid, "user_id": uid, "created_at": at}

    def append_message(self, conversation_id: str, message: dict[str, Any]) -> None:
        self._q(
            "INSERT INTO chat_messages (conversation_id, user_id, at, body) VALUES (?,?,?,?)",
            (conversation_id, message["user_id"], message["at"], json.dumps(message, ensure_ascii=False)),
        )

    def messages(self, conversation_id: str) -> list[dict[str, Any]]:
        rows = self._q(
            "SELECT body FROM chat_messages WHERE conversation_id = ? ORDER BY id", (conversation_id,)
        )
        return [json.loads(b) for (b,) in rows]

    def upsert_ticket(
        self,
        user_id: int,
        conversation_id: str,
        reason: str,
        queue: str,
        transcript: list[dict[str, Any]],
        at: str,
    ) -> dict[str, Any]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                row = self._conn.execute(
                    "SELECT body FROM chat_tickets WHERE conversation_id = ? AND status = 'open'",
                    (conversation_id,),
                ).fetchone()
                if row:
                    t: dict[str, Any] = json.loads(row[0])
                    t.update(transcript=transcript, updated_at=at)
                    if queue == "ouvidoria":
                        t["queue"] = queue
                    self._conn.execute(
                        "UPDATE chat_tickets SET body = ?, updated_at = ? WHERE id = ?",
                        (json.dumps(t, ensure_ascii=False), at, t["id"]),
                    )
                else:
                    t = _ticket(user_id, conversation_id, reason, queue, transcript, at)
                    self._conn.execute(
                        "INSERT INTO chat_tickets VALUES (?,?,?,?,?,?,?)",
                        (
                            t["id"],
                            user_id,
                            conversation_id,
                            "open",
                            at,
                            at,
                            json.dumps(t, ensure_ascii=False),
                        ),
                    )
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        return t

    def tickets(self, user_id: int) -> list[dict[str, Any]]:
        rows = self._q("SELECT body FROM chat_tickets WHERE user_id = ? ORDER BY created_at DESC", (user_id,))
        return [json.loads(b) for (b,) in rows]

    def export_user(self, user_id: int) -> dict[str, list[dict[str, Any]]]:
        convs = self._q(
            "SELECT id, created_at FROM chat_conversations WHERE user_id = ? ORDER BY created_at", (user_id,)
        )
        return {
            "conversations": [
                {"id": cid, "created_at": at, "messages": self.messages(cid)} for cid, at in convs
            ],
            "tickets": self.tickets(user_id),
        }

    def erase_user(self, user_id: int) -> dict[str, int]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                counts = {
                    "messages": self._conn.execute(
                        "DELETE FROM chat_messages WHERE user_id = ?", (user_id,)
                    ).rowcount,
                    "tickets": self._conn.execute(
                        "DELETE FROM chat_tickets WHERE user_id = ?", (user_id,)
                    ).rowcount,
                    "conversations": self._conn.execute(
                        "DELETE FROM chat_conversations WHERE user_id = ?", (user_id,)
                    ).rowcount,
                }
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        return counts

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def _ticket(
    user_id: int, conversation_id: str, reason: str, queue: str, transcript: list[dict[str, Any]], at: str
) -> dict[str, Any]:
    return {
        "id": new_id(),
        "user_id": user_id,
        "conversation_id": conversation_id,
        "reason": reason,
        "queue": queue,
        "status": "open",
        "created_at": at,
        "updated_at": at,
        "transcript": transcript,
    }


class MongoConversationStore:
    def __init__(self, url: str, db_name: str) -> None:
        from pymongo import MongoClient

        self._client: MongoClient[dict[str, Any]] = MongoClient(
            url, serverSelectionTimeoutMS=5000, tz_aware=True
        )
        db = self._client[db_name]
        self._conv, self._msg, self._tix = db["chat_conversations"], db["chat_messages"], db["chat_tickets"]
        self._lock = threading.Lock()

    def create_conversation(self, user_id: int, at: str) -> str:
        cid = new_id()
        self._conv.insert_one({"_id": cid, "user_id": user_id, "created_at": at})
        return cid

    def conversation(self, conversation_id: str) -> dict[str, Any] | None:
        d = self._conv.find_one({"_id": conversation_id})
        return None if d is None else {"id": d["_id"], "user_id": d["user_id"], "created_at": d["created_at"]}

    def append_message(self, conversation_id: str, message: dict[str, Any]) -> None:
        self._msg.insert_one(
            {
                "_id": new_id(),
                "conversation_id": conversation_id,
                "user_id": message["user_id"],
                "at": message["at"],
                "seq_hint": now_iso(),
                "body": message,
            }
        )

    def messages(self, conversation_id: str) -> list[dict[str, Any]]:
        docs = list(self._msg.find({"conversation_id": conversation_id}))
        docs.sort(key=lambda d: (d["at"], d["seq_hint"]))
        return [d["body"] for d in docs]

    def upsert_ticket(
        self,
        user_id: int,
        conversation_id: str,
        reason: str,
        queue: str,
        transcript: list[dict[str, Any]],
        at: str,
    ) -> dict[str, Any]:
        with self._lock:  # one gateway process: the lock serialises the read-then-write
            d = self._tix.find_one({"conversation_id": conversation_id, "status": "open"})
            if d is not None:
                t: dict[str, Any] = d["body"]
                t.update(transcript=transcript, updated_at=at)
                if queue == "ouvidoria":
                    t["queue"] = queue
                self._tix.update_one({"_id": d["_id"]}, {"$set": {"body": t, "updated_at": at}})
                return t
            t = _ticket(user_id, conversation_id, reason, queue, transcript, at)
            self._tix.insert_one(
                {
                    "_id": t["id"],
                    "user_id": user_id,
                    "conversation_id": conversation_id,
                    "status": "open",
                    "created_at": at,
                    "updated_at": at,
                    "body": t,
                }
            )
            return t

    def tickets(self, user_id: int) -> list[dict[str, Any]]:
        docs = list(self._tix.find({"user_id": user_id}))
        docs.sort(key=lambda d: d["created_at"], reverse=True)
        return [d["body"] for d in docs]

    def export_user(self, user_id: int) -> dict[str, list[dict[str, Any]]]:
        convs = sorted(self._conv.find({"user_id": user_id}), key=lambda d: d["created_at"])
        return {
            "conversations": [
                {"id": d["_id"], "created_at": d["created_at"], "messages": self.messages(d["_id"])}
                for d in convs
            ],
            "tickets": self.tickets(user_id),
        }

    def erase_user(self, user_id: int) -> dict[str, int]:
        return {
            "messages": self._msg.delete_many({"user_id": user_id}).deleted_count,
            "tickets": self._tix.delete_many({"user_id": user_id}).deleted_count,
            "conversations": self._conv.delete_many({"user_id": user_id}).deleted_count,
        }

    def close(self) -> None:
        self._client.close()


def open_conversation_store(url: str, db_name: str) -> ConversationStore:
    """The conversation store for settings.log_store_url (sqlite:///path or mongodb://...)."""
    if url.startswith("mongodb://") or url.startswith("mongodb+srv://"):
        return MongoConversationStore(url, db_name)
    parsed = urlparse(url)
    if parsed.scheme != "sqlite":
        raise ValueError(f"unsupported log store URL {url!r}")
    return SQLiteConversationStore(
        Path(url[len("sqlite:///") :] if url.startswith("sqlite:///") else parsed.path)
    )


_OPEN_LOCK = threading.Lock()


def conversation_store(services: Services) -> ConversationStore:
    """The app's conversation store, opened once and kept on ``services.chat_store``."""
    store = services.chat_store
    if store is None:
        with _OPEN_LOCK:
            store = services.chat_store
            if store is None:
                s = services.settings
                store = services.chat_store = open_conversation_store(str(s.log_store_url), s.log_store_db)
    return store
