"""Operator look-ups and erasure: ``members find``, ``members find --groups`` and
``members forget`` (a member's personal data deleted on their request).

What ``forget`` does, table by table (see :data:`FORGET_PLAN`): the person's rows
that only say *who* they are or *what they wrote* go; the rows that reports count
(registrations, attendance, check-in numbers and choices, deliveries, reads) stay,
tied to a member row that no longer says who it was, so that the figures already
reported do not change.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .db import Database, utc

# table: what happens to the person's rows (shown before the operator confirms).
FORGET_PLAN: tuple[tuple[str, str], ...] = (
    ("members", "anonymise"),          # name, phone, organisation, ids gone; commune and role kept
    ("member_topics", "delete"),
    ("dialog_state", "delete"),
    ("member_links", "delete"),
    ("link_codes", "delete"),
    ("series_progress", "delete"),
    ("questions", "delete"),           # what they asked, in their words, and staff's answers
    ("registrations", "anonymise"),    # status and rating kept for the counts, comment gone
    ("course_notices", "delete"),      # reminders not yet sent
    ("checkin_answers", "anonymise"),  # free-text answers emptied; numbers and choices kept
    ("inbound", "delete"),             # the journal's copies of their messages and the replies
    ("actor", "anonymise"),            # their account named as staff actor (audit, broadcasts…)
)


@dataclass(frozen=True, slots=True)
class Found:
    id: int
    channel: str
    user_id: str
    chat_id: str
    name: str | None
    full_name: str | None
    phone: str | None
    organisation: str | None
    commune_code: str | None
    role: str | None
    last_seen_at: datetime | None
    person: int | None  # linked accounts share this


@dataclass(frozen=True, slots=True)
class Group:
    channel: str
    chat_id: str
    title: str | None
    kind: str
    last_seen_at: datetime


_COLS = ("m.id, m.channel, m.user_id, m.chat_id, m.display_name, m.full_name, m.phone,"
         " m.organisation, m.commune_code, m.role, m.last_seen_at, l.person")


def _found(r: Any) -> Found:
    return Found(int(r[0]), r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9],
                 datetime.fromisoformat(r[10]) if r[10] else None,
                 int(r[11]) if r[11] is not None else None)


class People:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def by_ids(self, *, member_id: int | None = None, user_id: str | None = None,
                     phone: str | None = None) -> list[Found]:
        """Members whose member id, platform user/chat id or phone (E.164) is the one given."""
        rows = await self.db.fetchall(
            f"SELECT {_COLS} FROM members m LEFT JOIN member_links l ON l.member_id = m.id"
            " WHERE m.id = ? OR m.user_id = ? OR m.chat_id = ? OR m.phone = ? ORDER BY m.id",
            (member_id if member_id is not None else -1, user_id or "\x00", user_id or "\x00",
             phone or "\x00"))
        return [_found(r) for r in rows]

    async def search(self, *, folded: str | None = None, commune_code: str | None = None,
                     phone: str | None = None, offset: int = 0, limit: int = 20) -> list[Found]:
        """One page of members (by id) whose name, display name or organisation contains
        ``folded`` (compared folded: without accents or case), in ``commune_code``, with
        ``phone`` (E.164); the criteria given are all met.  The console's member search."""
        conds, params = [], []
        if phone:
            conds.append("m.phone = ?")
            params.append(phone)
        if commune_code:
            conds.append("m.commune_code = ?")
            params.append(commune_code)
        if folded:
            conds.append("m.name_folded LIKE ?")
            params.append("%" + folded.replace("%", "").replace("_", "") + "%")
        where = " AND ".join(conds) or "1"
        rows = await self.db.fetchall(
            f"SELECT {_COLS} FROM members m LEFT JOIN member_links l ON l.member_id = m.id"
            f" WHERE {where} ORDER BY m.id LIMIT ? OFFSET ?", (*params, limit, offset))
        return [_found(r) for r in rows]

    async def named(self) -> list[Found]:
        """Every member with a name or an organisation (the caller matches the text)."""
        rows = await self.db.fetchall(
            f"SELECT {_COLS} FROM members m LEFT JOIN member_links l ON l.member_id = m.id"
            " WHERE m.display_name IS NOT NULL OR m.full_name IS NOT NULL"
            " OR m.organisation IS NOT NULL ORDER BY m.id")
        return [_found(r) for r in rows]

    async def groups(self) -> list[Group]:
        """Group chats seen in the inbound journal (kept NHANONG_JOURNAL_KEEP hours):
        every channel's group chats (groups, supergroups); newest first."""
        rows = await self.db.fetchall(
            "SELECT channel, payload, received_at FROM inbound WHERE"
            " payload LIKE '%group%' OR payload LIKE '%GROUP%' ORDER BY id DESC LIMIT 5000")
        seen: dict[tuple[str, str], Group] = {}
        for channel, payload, at in rows:
            chat = _group_chat(payload)
            if chat is None or (channel, chat[0]) in seen:
                continue
            seen[(channel, chat[0])] = Group(channel, chat[0], chat[1], chat[2],
                                             datetime.fromisoformat(at))
        return list(seen.values())

    # -- forgetting -------------------------------------------------------------------------
    async def accounts(self, member_id: int) -> list[Found]:
        """The member and every account linked to it (one person), or [] if none."""
        rows = await self.db.fetchall(
            f"SELECT {_COLS} FROM members m LEFT JOIN member_links l ON l.member_id = m.id"
            " WHERE m.id = ? OR l.person IN (SELECT person FROM member_links WHERE member_id = ?)"
            " ORDER BY m.id", (member_id, member_id))
        return [_found(r) for r in rows]

    async def footprint(self, ids: list[int]) -> dict[str, int]:
        """How many rows per table ``forget`` changes for these member ids."""
        keys = [f"{a.channel}:{a.user_id}" for a in await self._keys(ids)]
        marks, kmarks = _marks(ids), _marks(keys)
        counts = {}
        for table, sql, params in [
            ("members", f"SELECT COUNT(*) FROM members WHERE id IN ({marks})", ids),
            ("member_topics", f"SELECT COUNT(*) FROM member_topics WHERE member_id IN ({marks})", ids),
            ("dialog_state", f"SELECT COUNT(*) FROM dialog_state WHERE member_id IN ({marks})", ids),
            ("member_links", f"SELECT COUNT(*) FROM member_links WHERE member_id IN ({marks})", ids),
            ("link_codes", f"SELECT COUNT(*) FROM link_codes WHERE member_id IN ({marks})", ids),
            ("series_progress", f"SELECT COUNT(*) FROM series_progress WHERE member_id IN ({marks})",
             ids),
            ("questions", f"SELECT COUNT(*) FROM questions WHERE member_id IN ({marks})", ids),
            ("registrations", f"SELECT COUNT(*) FROM registrations WHERE member_id IN ({marks})", ids),
            ("course_notices", "SELECT COUNT(*) FROM course_notices WHERE done_at IS NULL AND"
             f" registration_id IN (SELECT id FROM registrations WHERE member_id IN ({marks}))", ids),
            ("checkin_answers", "SELECT COUNT(*) FROM checkin_answers WHERE kind = 'text' AND"
             f" response_id IN (SELECT id FROM checkin_responses WHERE member_id IN ({marks}))", ids),
            ("inbound", f"SELECT COUNT(*) FROM inbound WHERE person IN ({kmarks})", keys),
            ("actor", f"SELECT (SELECT COUNT(*) FROM audit_log WHERE actor IN ({kmarks}))"
             f" + (SELECT COUNT(*) FROM broadcasts WHERE created_by IN ({kmarks})"
             f" OR approved_by IN ({kmarks}))"
             f" + (SELECT COUNT(*) FROM courses WHERE created_by IN ({kmarks}))"
             f" + (SELECT COUNT(*) FROM questions WHERE answered_by IN ({kmarks}))", keys * 5),
        ]:
            row = await self.db.fetchone(sql, params)
            counts[table] = int(row[0]) if row else 0
        return counts

    async def _keys(self, ids: list[int]) -> list[Found]:
        rows = await self.db.fetchall(
            f"SELECT {_COLS} FROM members m LEFT JOIN member_links l ON l.member_id = m.id"
            f" WHERE m.id IN ({_marks(ids)})", ids)
        return [_found(r) for r in rows]

    async def forget(self, ids: list[int], now: datetime) -> dict[str, int]:
        """Delete or anonymise the personal data of these members in one transaction
        (see :data:`FORGET_PLAN`); returns the rows changed per table."""
        accounts = await self._keys(ids)
        keys = [f"{a.channel}:{a.user_id}" for a in accounts]
        counts = await self.footprint(ids)
        marks, kmarks = _marks(ids), _marks(keys)
        async with self.db.transaction() as conn:
            for sql, params in [
                (f"DELETE FROM member_topics WHERE member_id IN ({marks})", ids),
                (f"DELETE FROM dialog_state WHERE member_id IN ({marks})", ids),
                (f"DELETE FROM member_links WHERE member_id IN ({marks})", ids),
                (f"DELETE FROM link_codes WHERE member_id IN ({marks})", ids),
                (f"DELETE FROM series_progress WHERE member_id IN ({marks})", ids),
                (f"DELETE FROM questions WHERE member_id IN ({marks})", ids),
                ("DELETE FROM course_notices WHERE done_at IS NULL AND registration_id IN"
                 f" (SELECT id FROM registrations WHERE member_id IN ({marks}))", ids),
                (f"UPDATE registrations SET feedback_comment = NULL WHERE member_id IN ({marks})",
                 ids),
                ("UPDATE checkin_answers SET value = NULL WHERE kind = 'text' AND response_id IN"
                 f" (SELECT id FROM checkin_responses WHERE member_id IN ({marks}))", ids),
                (f"DELETE FROM inbound WHERE person IN ({kmarks})", keys),
            ]:
                await conn.execute(sql, params)
            for a in accounts:
                gone = f"forgotten:{a.id}"
                old = f"{a.channel}:{a.user_id}"
                for sql in ("UPDATE audit_log SET actor = ? WHERE actor = ?",
                            "UPDATE broadcasts SET created_by = ? WHERE created_by = ?",
                            "UPDATE broadcasts SET approved_by = ? WHERE approved_by = ?",
                            "UPDATE courses SET created_by = ? WHERE created_by = ?",
                            "UPDATE questions SET answered_by = ? WHERE answered_by = ?"):
                    await conn.execute(sql, (gone, old))
                await conn.execute(
                    "DELETE FROM inbound_replies WHERE channel = ? AND chat_id = ?",
                    (a.channel, a.chat_id))
                await conn.execute(
                    "UPDATE members SET user_id = ?, chat_id = '', display_name = NULL,"
                    " full_name = NULL, phone = NULL, organisation = NULL, name_folded = NULL,"
                    " subscribed = 0,"
                    " consent_at = NULL, stopped_at = ?, last_seen_at = NULL, news_seen_at = NULL"
                    " WHERE id = ?", (gone, utc(now), a.id))
        return counts


def _marks(values: list[Any]) -> str:
    return ", ".join("?" for _ in values) or "NULL"


def _group_chat(payload: str) -> tuple[str, str | None, str] | None:
    """(chat id, title, kind) of a group chat an update came from, else None."""
    try:
        update = json.loads(payload)
    except ValueError:
        return None
    if not isinstance(update, dict):
        return None
    chats = []
    for key in ("message", "edited_message", "my_chat_member", "chat_member", "channel_post"):
        part = update.get(key)
        if isinstance(part, dict):
            chats.append(part.get("chat"))
    q = update.get("callback_query")
    if isinstance(q, dict) and isinstance(q.get("message"), dict):
        chats.append(q["message"].get("chat"))
    for chat in chats:
        if not isinstance(chat, dict) or chat.get("id") is None:
            continue
        kind = str(chat.get("type") or chat.get("chat_type") or "").lower()
        if kind in ("group", "supergroup"):
            title = chat.get("title") or chat.get("name") or chat.get("display_name")
            return str(chat["id"]), title if isinstance(title, str) else None, kind
    return None
