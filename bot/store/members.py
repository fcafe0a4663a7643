"""Members: one row per person per channel, with profile, consent and reachability."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .db import Database

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Member:
    id: int
    channel: str
    user_id: str
    chat_id: str
    display_name: str | None
    full_name: str | None
    phone: str | None
    commune_code: str | None
    role: str | None
    locale: str
    subscribed: bool
    blocked: bool
    profile_done: bool
    consented: bool
    created_at: str
    topics: list[str] = field(default_factory=list)
    organisation: str | None = None  # the cooperative, group or business they work for

    @property
    def key(self) -> str:
        return f"{self.channel}:{self.user_id}"


_COLUMNS = (
    "id, channel, user_id, chat_id, display_name, full_name, phone, commune_code, role,"
    " locale, subscribed, blocked_at, profile_done, consent_at, created_at, organisation"
)
SEEN = (
    "INSERT INTO members (channel, user_id, chat_id, display_name, locale,"
    " created_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (channel, user_id) DO UPDATE SET chat_id = excluded.chat_id,"
    " display_name = COALESCE(excluded.display_name, members.display_name),"
    " last_seen_at = excluded.last_seen_at, blocked_at = NULL"
    f" RETURNING {_COLUMNS}"
)
# The names searched by the console, folded (migration 0018); set after each change of them.
NAME_KEY = ("UPDATE members SET name_folded = nn_fold(COALESCE(full_name, '') || ' '"
            " || COALESCE(display_name, '') || ' ' || COALESCE(organisation, '')) WHERE id = ?")
NAMES = {"full_name", "organisation"}
PROFILE_FIELDS = {"full_name", "phone", "commune_code", "role", "locale", "organisation"}


def _member(row, topics: list[str]) -> Member:
    return Member(
        id=row["id"],
        channel=row["channel"],
        user_id=row["user_id"],
        chat_id=row["chat_id"],
        display_name=row["display_name"],
        full_name=row["full_name"],
        phone=row["phone"],
        commune_code=row["commune_code"],
        role=row["role"],
        locale=row["locale"],
        subscribed=bool(row["subscribed"]),
        blocked=row["blocked_at"] is not None,
        profile_done=bool(row["profile_done"]),
        consented=row["consent_at"] is not None,
        created_at=row["created_at"],
        topics=topics,
        organisation=row["organisation"],
    )


def _touch_failed(fut: Any) -> None:
    if not fut.cancelled() and fut.exception() is not None:
        log.warning("the time a member was last seen was not written: %s", fut.exception())


class Members:
    """Repository of members."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, member_id: int) -> Member | None:
        row = await self.db.fetchone(f"SELECT {_COLUMNS} FROM members WHERE id = ?", (member_id,))
        return _member(row, await self._topics(row["id"])) if row else None

    async def find(self, channel: str, user_id: str) -> Member | None:
        row = await self.db.fetchone(
            f"SELECT {_COLUMNS} FROM members WHERE channel = ? AND user_id = ?",
            (channel, str(user_id)),
        )
        return _member(row, await self._topics(row["id"])) if row else None

    async def seen(
        self,
        channel: str,
        user_id: str,
        chat_id: str,
        display_name: str | None,
        locale: str,
        now: datetime,
    ) -> Member:
        """The member for this person, created on first contact (not yet subscribed).

        Talking to the bot again also clears a block: the person is reachable.  This
        runs for every message, so topics are not read here (``get`` reads them), and
        when only the time last seen changes it is not waited for: it commits with
        (or before) the next grouped write, the inbound journal's finish of this
        message (see :meth:`Database.soon`).
        """
        at = now.isoformat()
        row = await self.db.fetchone(
            f"SELECT {_COLUMNS} FROM members WHERE channel = ? AND user_id = ?",
            (channel, str(user_id)),
        )
        if row is not None and row["chat_id"] == str(chat_id) and row["blocked_at"] is None \
                and display_name in (None, row["display_name"]):
            member_id = row["id"]

            async def touch(conn: Any) -> None:
                await conn.execute(
                    "UPDATE members SET last_seen_at = ? WHERE id = ?", (at, member_id))

            self.db.soon(touch).add_done_callback(_touch_failed)
            return _member(row, [])
        params = (channel, str(user_id), str(chat_id), display_name, locale, at, at)

        async def work(conn: Any) -> Any:
            async with conn.execute(SEEN, params) as cur:
                found = await cur.fetchone()
            if display_name is not None and found is not None:
                await conn.execute(NAME_KEY, (found["id"],))
            return found

        row = await self.db.together(work)  # committed with other people's writes
        assert row is not None
        return _member(row, [])

    async def subscribe(self, member_id: int, now: datetime) -> None:
        await self.db.execute(
            "UPDATE members SET subscribed = 1, stopped_at = NULL,"
            " consent_at = COALESCE(consent_at, ?) WHERE id = ?",
            (now.isoformat(), member_id),
        )

    async def stop(self, member_id: int, now: datetime) -> None:
        await self.db.execute(
            "UPDATE members SET subscribed = 0, stopped_at = ? WHERE id = ?",
            (now.isoformat(), member_id),
        )

    async def mark_blocked(self, channel: str, chat_id: str, now: datetime) -> int:
        """The platform said this chat blocked us; returns how many members that was."""
        return await self.db.execute(
            "UPDATE members SET blocked_at = ? WHERE channel = ? AND chat_id = ?"
            " AND blocked_at IS NULL",
            (now.isoformat(), channel, str(chat_id)),
        )

    async def move_chat(self, channel: str, old: str, new: str) -> None:
        await self.db.execute(
            "UPDATE members SET chat_id = ? WHERE channel = ? AND chat_id = ?",
            (str(new), channel, str(old)),
        )

    async def update(self, member_id: int, **fields: str | None) -> None:
        """Change profile fields (only those in PROFILE_FIELDS)."""
        bad = set(fields) - PROFILE_FIELDS
        if bad:
            raise ValueError(f"not profile fields: {sorted(bad)}")
        if not fields:
            return
        sets = ", ".join(f"{k} = ?" for k in fields)
        async with self.db.transaction() as conn:
            await conn.execute(f"UPDATE members SET {sets} WHERE id = ?",
                               (*fields.values(), member_id))
            if NAMES & set(fields):
                await conn.execute(NAME_KEY, (member_id,))

    async def set_profile_done(self, member_id: int) -> None:
        await self.db.execute("UPDATE members SET profile_done = 1 WHERE id = ?", (member_id,))

    async def set_topics(self, member_id: int, topics: list[str]) -> None:
        async with self.db.transaction() as conn:
            await conn.execute("DELETE FROM member_topics WHERE member_id = ?", (member_id,))
            await conn.executemany(
                "INSERT INTO member_topics (member_id, topic) VALUES (?, ?)",
                [(member_id, t) for t in dict.fromkeys(topics)],
            )

    async def _topics(self, member_id: int) -> list[str]:
        rows = await self.db.fetchall(
            "SELECT topic FROM member_topics WHERE member_id = ? ORDER BY topic", (member_id,)
        )
        return [r[0] for r in rows]

    async def reachable(self, channel: str | None = None) -> list[Member]:
        """Members who consented, did not stop and did not block the bot (topics not
        read: broadcasts select in SQL, this is for small checks)."""
        sql = f"SELECT {_COLUMNS} FROM members WHERE subscribed = 1 AND blocked_at IS NULL"
        params: tuple = ()
        if channel:
            sql += " AND channel = ?"
            params = (channel,)
        rows = await self.db.fetchall(sql + " ORDER BY id", params)
        return [_member(r, []) for r in rows]

    async def counts(self) -> dict[str, int]:
        row = await self.db.fetchone(
            "SELECT COUNT(*) AS total,"
            " SUM(CASE WHEN subscribed = 1 AND blocked_at IS NULL THEN 1 ELSE 0 END) AS reachable,"
            " SUM(CASE WHEN subscribed = 0 AND stopped_at IS NOT NULL THEN 1 ELSE 0 END)"
            " AS stopped,"
            " SUM(CASE WHEN blocked_at IS NOT NULL THEN 1 ELSE 0 END) AS blocked,"
            " SUM(CASE WHEN profile_done = 1 THEN 1 ELSE 0 END) AS profiled"
            " FROM members"
        )
        return {k: int(row[k] or 0) for k in row.keys()} if row else {}

    async def count_by(self, column: str) -> list[tuple[str | None, int]]:
        if column not in {"role", "commune_code", "channel", "locale"}:
            raise ValueError(column)
        rows = await self.db.fetchall(
            f"SELECT {column}, COUNT(*) FROM members WHERE subscribed = 1"
            f" GROUP BY {column} ORDER BY COUNT(*) DESC, {column}"
        )
        return [(r[0], int(r[1])) for r in rows]

    async def counts_by_channel(self) -> list[tuple[str, dict[str, int]]]:
        """Per channel: receiving news, stopped, blocked, total (one pass over the table:
        the console's overview keeps it a minute)."""
        rows = await self.db.fetchall(
            "SELECT channel, COUNT(*) AS total,"
            " SUM(CASE WHEN subscribed = 1 AND blocked_at IS NULL THEN 1 ELSE 0 END) AS reachable,"
            " SUM(CASE WHEN subscribed = 0 AND stopped_at IS NOT NULL THEN 1 ELSE 0 END)"
            " AS stopped,"
            " SUM(CASE WHEN blocked_at IS NOT NULL THEN 1 ELSE 0 END) AS blocked"
            " FROM members GROUP BY channel ORDER BY COUNT(*) DESC, channel"
        )
        return [(r["channel"], {k: int(r[k] or 0) for k in ("total", "reachable", "stopped",
                                                             "blocked")}) for r in rows]

    async def joined_by_hour(self, since: datetime) -> list[tuple[str, int]]:
        """Members who first wrote since ``since``, by the hour (UTC, "YYYY-MM-DDTHH"):
        the caller sums them into local weeks."""
        rows = await self.db.fetchall(
            "SELECT substr(created_at, 1, 13), COUNT(*) FROM members WHERE created_at >= ?"
            " GROUP BY 1 ORDER BY 1", (since.astimezone(UTC).isoformat(),))
        return [(r[0], int(r[1])) for r in rows]
