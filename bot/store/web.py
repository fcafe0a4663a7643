"""The console's one-time login links and browser sessions (issue #16).

Secrets are stored only as their SHA-256: the caller hashes, this module never sees
a link or a cookie.  A link is taken at most once, by one UPDATE that checks it is
unused and unexpired, so two clicks on one link can never both open a session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .db import Database, from_utc, utc


@dataclass(frozen=True, slots=True)
class WebSession:
    channel: str
    user_id: str
    csrf: str
    created_at: datetime
    expires_at: datetime

    @property
    def actor(self) -> str:
        return f"{self.channel}:{self.user_id}"


class WebAuth:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add_login(self, token_hash: str, channel: str, user_id: str, now: datetime,
                        expires_at: datetime) -> None:
        await self.db.execute(
            "INSERT INTO web_logins (token_hash, channel, user_id, created_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?)", (token_hash, channel, user_id, utc(now), utc(expires_at)))

    async def login_pending(self, token_hash: str, now: datetime) -> bool:
        """Whether the link is still good (unused, unexpired): the login page's question."""
        row = await self.db.fetchone(
            "SELECT 1 FROM web_logins WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?",
            (token_hash, utc(now)))
        return row is not None

    async def take_login(self, token_hash: str, now: datetime) -> tuple[str, str] | None:
        """(channel, user id) of an unused, unexpired link, marking it used; else None."""
        row = await self.db.fetchone_write(
            "UPDATE web_logins SET used_at = ? WHERE token_hash = ? AND used_at IS NULL"
            " AND expires_at > ? RETURNING channel, user_id", (utc(now), token_hash, utc(now)))
        return (row["channel"], row["user_id"]) if row else None

    async def add_session(self, id_hash: str, channel: str, user_id: str, csrf: str,
                          now: datetime, expires_at: datetime) -> None:
        await self.db.execute(
            "INSERT INTO web_sessions (id_hash, channel, user_id, csrf, created_at, seen_at,"
            " expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (id_hash, channel, user_id, csrf, utc(now), utc(now), utc(expires_at)))

    async def session(self, id_hash: str, now: datetime) -> WebSession | None:
        """The open session with this id (not ended, not expired), or None."""
        row = await self.db.fetchone(
            "SELECT channel, user_id, csrf, created_at, expires_at FROM web_sessions"
            " WHERE id_hash = ? AND ended_at IS NULL AND expires_at > ?", (id_hash, utc(now)))
        if row is None:
            return None
        return WebSession(row["channel"], row["user_id"], row["csrf"],
                          from_utc(row["created_at"]), from_utc(row["expires_at"]))

    async def end_session(self, id_hash: str, now: datetime) -> None:
        await self.db.execute(
            "UPDATE web_sessions SET ended_at = ? WHERE id_hash = ? AND ended_at IS NULL",
            (utc(now), id_hash))

    async def forget_expired(self, before: datetime) -> int:
        """Drop links and sessions that ended or expired before ``before`` (retention)."""
        n = await self.db.execute("DELETE FROM web_logins WHERE expires_at < ?", (utc(before),))
        n += await self.db.execute(
            "DELETE FROM web_sessions WHERE expires_at < ? OR ended_at < ?", (utc(before), utc(before)))
        return n
