"""Linked accounts: one person who uses the bot on two channels.

Linking is proved by a short code: the account that asks gets a 6-digit code
(valid 10 minutes, once) and sends it from the other account; both accounts
must have the same phone number in their profile.  Wrong codes count against
the waiting codes for that phone: after five, they are dropped.  Once linked,
pushes (broadcasts and series) go to the one account the person chose.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .db import Database

CODE_TTL = timedelta(minutes=10)
MAX_TRIES = 5

# Members left out of pushes: a linked account that is not the chosen one, unless the
# chosen one blocked the bot (then the person is still reached on this one).
PUSH_EXCLUDED = (
    "EXISTS (SELECT 1 FROM member_links l JOIN member_links c ON c.person = l.person"
    " AND c.pushes = 1 JOIN members cm ON cm.id = c.member_id"
    " WHERE l.member_id = m.id AND l.pushes = 0 AND cm.blocked_at IS NULL)"
)


@dataclass(frozen=True, slots=True)
class Linked:
    member_id: int
    channel: str
    pushes: bool


def _utc(when: datetime) -> str:
    return when.astimezone(UTC).isoformat()


class Links:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def issue_code(self, member_id: int, phone: str, now: datetime) -> str:
        """A new code for this account (replacing any earlier one)."""
        code = f"{secrets.randbelow(1_000_000):06d}"
        await self.db.execute(
            "INSERT INTO link_codes (member_id, code, phone, tries, expires_at) VALUES (?, ?, ?, 0, ?)"
            " ON CONFLICT (member_id) DO UPDATE SET code = excluded.code, phone = excluded.phone,"
            " tries = 0, expires_at = excluded.expires_at",
            (member_id, code, phone, _utc(now + CODE_TTL)),
        )
        return code

    async def redeem(self, member_id: int, channel: str, phone: str, code: str,
                     now: datetime) -> int | None:
        """Link this account with the one whose code this is; the other's member id,
        or None for a wrong or expired code (counted against that phone's codes)."""
        async with self.db.transaction() as conn:
            cur = await conn.execute(
                "SELECT c.member_id, c.code FROM link_codes c JOIN members o ON o.id = c.member_id"
                " WHERE c.phone = ? AND o.phone = ? AND o.channel <> ? AND c.expires_at > ?",
                (phone, phone, channel, _utc(now)),
            )
            waiting = await cur.fetchall()
            match = next((r[0] for r in waiting if hmac.compare_digest(r[1], code)), None)
            if match is None:
                await conn.execute("UPDATE link_codes SET tries = tries + 1 WHERE phone = ?", (phone,))
                await conn.execute("DELETE FROM link_codes WHERE tries >= ? OR expires_at <= ?",
                                   (MAX_TRIES, _utc(now)))
                return None
            await conn.execute("DELETE FROM link_codes WHERE member_id IN (?, ?)", (match, member_id))
            # One account per channel for a person: this one replaces any earlier link.
            await conn.execute("DELETE FROM member_links WHERE member_id = ?", (member_id,))
            cur = await conn.execute("SELECT person FROM member_links WHERE member_id = ?", (match,))
            row = await cur.fetchone()
            person = row[0] if row else match
            await conn.execute(
                "DELETE FROM member_links WHERE person = ? AND member_id IN"
                " (SELECT id FROM members WHERE channel = ?)", (person, channel))
            await conn.execute(
                "INSERT INTO member_links (member_id, person, pushes, linked_at) VALUES (?, ?, 1, ?)"
                " ON CONFLICT (member_id) DO NOTHING", (match, person, _utc(now)))
            await conn.execute(
                "INSERT INTO member_links (member_id, person, pushes, linked_at) VALUES (?, ?, 0, ?)",
                (member_id, person, _utc(now)))
        return match

    async def accounts(self, member_id: int) -> list[Linked]:
        """Every account linked with this one (itself included); empty when not linked."""
        rows = await self.db.fetchall(
            "SELECT l.member_id, m.channel, l.pushes FROM member_links l JOIN members m"
            " ON m.id = l.member_id WHERE l.person = (SELECT person FROM member_links"
            " WHERE member_id = ?) ORDER BY m.channel",
            (member_id,),
        )
        return [Linked(r[0], r[1], bool(r[2])) for r in rows] if len(rows) > 1 else []

    async def choose(self, member_id: int, channel: str) -> bool:
        """Pushes to this person's account on ``channel`` only; False if none is linked."""
        async with self.db.transaction() as conn:
            cur = await conn.execute(
                "SELECT l.member_id FROM member_links l JOIN members m ON m.id = l.member_id"
                " WHERE m.channel = ? AND l.person = (SELECT person FROM member_links"
                " WHERE member_id = ?)", (channel, member_id))
            row = await cur.fetchone()
            if row is None:
                return False
            await conn.execute(
                "UPDATE member_links SET pushes = CASE WHEN member_id = ? THEN 1 ELSE 0 END"
                " WHERE person = (SELECT person FROM member_links WHERE member_id = ?)",
                (row[0], member_id))
        return True

    async def unlink(self, member_id: int) -> int:
        """Undo the link; every account is a member on its own again."""
        return await self.db.execute(
            "DELETE FROM member_links WHERE person = (SELECT person FROM member_links"
            " WHERE member_id = ?)", (member_id,))
