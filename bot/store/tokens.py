"""Tokens a channel renews itself: one row per channel, replaced in one statement.

A refresh token that the platform accepts only once must never be lost between
the refresh and its use: :meth:`Tokens.put` commits the whole new pair (and the
seed it descends from) before it returns, and the channel uses the access token
only after that.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .db import Database, from_utc, utc


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str | None
    refresh_token: str
    expires_at: datetime | None
    seed: str


class Tokens:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, channel: str) -> TokenPair | None:
        row = await self.db.fetchone(
            "SELECT access_token, refresh_token, expires_at, seed FROM channel_tokens"
            " WHERE channel = ?", (channel,))
        if row is None:
            return None
        return TokenPair(row["access_token"], row["refresh_token"], from_utc(row["expires_at"]),
                         row["seed"])

    async def put(self, channel: str, pair: TokenPair, now: datetime) -> None:
        """Store the pair (committed on return), replacing the channel's previous one."""
        await self.db.execute(
            "INSERT INTO channel_tokens (channel, access_token, refresh_token, expires_at, seed,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (channel) DO UPDATE SET"
            " access_token = excluded.access_token, refresh_token = excluded.refresh_token,"
            " expires_at = excluded.expires_at, seed = excluded.seed,"
            " updated_at = excluded.updated_at",
            (channel, pair.access_token, pair.refresh_token,
             utc(pair.expires_at) if pair.expires_at else None, pair.seed, utc(now)))
