"""Messages to one person from outside a chat (bot/direct.py): stored, then sent once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .db import Database, utc


@dataclass(frozen=True, slots=True)
class DirectRow:
    id: int
    member_id: int
    channel: str
    chat_id: str
    locale: str
    reply: str  # JSON
    blocked: bool


class DirectMessages:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, member_id: int, reply: str, by: str, now: datetime) -> int:
        """Store one message (committed on return); its id."""
        return await self.db.execute(
            "INSERT INTO direct_messages (member_id, reply, by, created_at) VALUES (?, ?, ?, ?)",
            (member_id, reply, by, utc(now)))

    async def pending(self, limit: int = 50) -> list[DirectRow]:
        rows = await self.db.fetchall(
            "SELECT d.id, d.member_id, m.channel, m.chat_id, m.locale, d.reply, m.blocked_at IS NOT NULL"
            " FROM direct_messages d JOIN members m ON m.id = d.member_id"
            " WHERE d.state = 'pending' ORDER BY d.id LIMIT ?", (limit,))
        return [DirectRow(r[0], r[1], r[2], r[3], r[4] or "vi", r[5], bool(r[6])) for r in rows]

    async def claim(self, message_id: int) -> bool:
        """Mark it as being sent, before the call: a crash never sends it twice."""
        return await self.db.execute(
            "UPDATE direct_messages SET state = 'sending' WHERE id = ? AND state = 'pending'",
            (message_id,)) > 0

    async def release(self, message_id: int) -> None:
        """Back to pending: the call was not made (shutting down)."""
        await self.db.execute(
            "UPDATE direct_messages SET state = 'pending' WHERE id = ? AND state = 'sending'",
            (message_id,))

    async def finish(self, message_id: int, state: str, now: datetime, reason: str | None = None) -> None:
        await self.db.execute(
            "UPDATE direct_messages SET state = ?, reason = ?, done_at = ? WHERE id = ?",
            (state, reason, utc(now), message_id))

    async def recover(self, now: datetime) -> int:
        """At start: what was being sent when the process died is 'unknown' (not resent)."""
        return await self.db.execute(
            "UPDATE direct_messages SET state = 'unknown', reason = 'the bot stopped while"
            " sending', done_at = ? WHERE state = 'sending'", (utc(now),))

    async def state(self, message_id: int) -> tuple[str, str | None] | None:
        row = await self.db.fetchone(
            "SELECT state, reason FROM direct_messages WHERE id = ?", (message_id,))
        return (row[0], row[1]) if row else None

    async def forget(self, before: datetime) -> int:
        """Delete the messages that ended before ``before`` (the nightly retention)."""
        return await self.db.execute(
            "DELETE FROM direct_messages WHERE done_at < ? AND state NOT IN ('pending', 'sending')",
            (utc(before),))
