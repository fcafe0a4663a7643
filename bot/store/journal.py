"""The inbound journal: platform updates stored before they are acknowledged, and
the replies each one produced, with their own state.

An update is one row, unique by (channel, platform update id), holding the raw
payload as JSON text: ``new`` until handled, then ``done`` (``failed`` when it
could not be handled on several starts in a row).  Marking it done writes its
replies (one row per platform message, ``pending``) and the person's dialog state
in the same transaction.  A reply goes ``sending`` just before its API call and
``sent`` or ``failed`` after; one still ``sending`` when the process died is marked
``unknown`` at the next start and never sent again.  Done rows (the payload holds
what the person wrote) are deleted after a short time by :meth:`Journal.prune`.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from ..types import Button, Rendered
from .db import Database, utc
from .dialogs import UPSERT_DIALOG, DialogState, dialog_row

MAX_STARTS = 3  # an update that stopped the bot this often is given up (state 'failed')


@dataclass(slots=True)
class Entry:
    """One stored update."""

    id: int
    channel: str
    update_id: str
    payload: dict[str, Any]
    state: str = "new"
    person: str | None = None


@dataclass(slots=True)
class ReplyRow:
    """One message an update is answered with."""

    id: int
    channel: str
    chat_id: str
    message: Rendered
    state: str


def _dump(msg: Rendered) -> str:
    d = asdict(msg)
    d["buttons"] = [[[b.label, b.action] for b in row] for row in msg.buttons]
    return json.dumps(d, ensure_ascii=False)


def _load(text: str) -> Rendered:
    d = json.loads(text)
    d["buttons"] = tuple(tuple(Button(label, action) for label, action in row)
                         for row in d.get("buttons", ()))
    return Rendered(**d)


def _entry(row) -> Entry:
    return Entry(row["id"], row["channel"], row["update_id"], json.loads(row["payload"]),
                 row["state"], row["person"])


class Journal:
    """Repository of stored updates and their replies."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, channel: str, update_id: str, payload: dict[str, Any],
                  now: datetime) -> Entry | None:
        """Store an update (committed when this returns); None if it is already stored."""
        return (await self.add_many(channel, [(update_id, payload)], now))[0]

    async def add_many(self, channel: str, updates: list[tuple[str, dict[str, Any]]],
                       now: datetime) -> list[Entry | None]:
        """Store updates in order, in one transaction; None for each already stored."""
        out: list[Entry | None] = []
        async with self.db.transaction() as conn:
            for update_id, payload in updates:
                async with conn.execute(
                    "INSERT INTO inbound (channel, update_id, payload, received_at)"
                    " VALUES (?, ?, ?, ?) ON CONFLICT (channel, update_id) DO NOTHING RETURNING id",
                    (channel, update_id, json.dumps(payload, ensure_ascii=False), utc(now)),
                ) as cur:
                    row = await cur.fetchone()
                out.append(None if row is None else Entry(row[0], channel, update_id, payload))
        return out

    async def recover(self, now: datetime) -> tuple[int, int]:
        """At start: replies in flight at a crash become 'unknown'; updates that were
        unfinished on too many starts are given up.  (unknown, given up)."""
        async with self.db.transaction() as conn:
            cur = await conn.execute(
                "UPDATE inbound_replies SET state = 'unknown', updated_at = ?"
                " WHERE state = 'sending'", (utc(now),))
            unknown = cur.rowcount
            await cur.close()
            await conn.execute("UPDATE inbound SET starts = starts + 1 WHERE state = 'new'")
            cur = await conn.execute(
                "UPDATE inbound SET state = 'failed', done_at = ? WHERE state = 'new'"
                " AND starts > ?", (utc(now), MAX_STARTS))
            given_up = cur.rowcount
            await cur.close()
        return unknown, given_up

    async def unfinished(self) -> list[Entry]:
        """Updates not yet handled, and handled ones with replies still to send, in order."""
        rows = await self.db.fetchall(
            "SELECT id, channel, update_id, payload, state, person FROM inbound"
            " WHERE state = 'new' OR (state = 'done' AND id IN"
            " (SELECT inbound_id FROM inbound_replies WHERE state = 'pending'))"
            " ORDER BY id")
        return [_entry(r) for r in rows]

    async def finish(self, entry_id: int, person: str | None,
                     replies: list[tuple[str, str, Rendered]],
                     dialog: tuple[int, DialogState] | None, now: datetime) -> list[ReplyRow]:
        """Mark an update done with its replies (pending) and the person's new dialog
        state, in one transaction (which other people's finishes may share); the
        reply rows written, once committed."""
        at = utc(now)

        async def work(conn: Any) -> list[ReplyRow]:
            if dialog is not None:
                await conn.execute(UPSERT_DIALOG, dialog_row(dialog[0], dialog[1], now))
            rows = []
            for i, (ch, chat, msg) in enumerate(replies):
                async with conn.execute(
                    "INSERT INTO inbound_replies (inbound_id, seq, channel, chat_id, message,"
                    " updated_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                    (entry_id, i, ch, chat, _dump(msg), at),
                ) as cur:
                    row = await cur.fetchone()
                rows.append(ReplyRow(row[0], ch, chat, msg, "pending"))
            await conn.execute(
                "UPDATE inbound SET state = 'done', person = ?, done_at = ? WHERE id = ?",
                (person, at, entry_id))
            return rows

        # Committed with the other people's finishes and marks asked for meanwhile.
        return await self.db.together(work)

    async def pending(self, entry_id: int) -> list[ReplyRow]:
        rows = await self.db.fetchall(
            "SELECT id, channel, chat_id, message, state FROM inbound_replies"
            " WHERE inbound_id = ? AND state = 'pending' ORDER BY seq", (entry_id,))
        return [ReplyRow(r["id"], r["channel"], r["chat_id"], _load(r["message"]), r["state"])
                for r in rows]

    def mark_soon(self, reply_id: int, state: str, now: datetime, *,
                  message_id: str | None = None, reason: str | None = None) -> asyncio.Future[None]:
        """A reply's new state ('sending' just before its call; then its outcome), written
        in the next group commit, in the order asked; the future is done once it is
        committed (awaited for 'sending', before the call)."""
        async def work(conn: Any) -> None:
            await conn.execute(
                "UPDATE inbound_replies SET state = ?, message_id = ?, reason = ?,"
                " updated_at = ? WHERE id = ?", (state, message_id, reason, utc(now), reply_id))

        return self.db.soon(work)

    async def prune(self, before: datetime) -> int:
        """Delete handled updates (and their replies) finished before ``before``; replies
        still to send keep theirs."""
        return await self.db.execute(
            "DELETE FROM inbound WHERE state IN ('done', 'failed') AND done_at < ? AND id NOT IN"
            " (SELECT inbound_id FROM inbound_replies WHERE state = 'pending')", (utc(before),))

    async def counts(self) -> dict[str, int]:
        """Rows per state: updates as 'new'/'done'/'failed', replies as 'reply_<state>'."""
        out: dict[str, int] = {}
        for r in await self.db.fetchall("SELECT state, COUNT(*) FROM inbound GROUP BY state"):
            out[r[0]] = r[1]
        for r in await self.db.fetchall(
                "SELECT state, COUNT(*) FROM inbound_replies GROUP BY state"):
            out[f"reply_{r[0]}"] = r[1]
        return out
