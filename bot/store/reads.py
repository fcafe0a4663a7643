"""What members read: every opening of an article, and when each member last
looked at the news list (to count what is new for them)."""

from __future__ import annotations

from datetime import datetime

from .db import Database


class Reads:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def record(self, member_id: int, article_id: str, now: datetime) -> None:
        await self.db.execute(
            "INSERT INTO article_reads (member_id, article_id, at) VALUES (?, ?, ?)",
            (member_id, article_id, now.isoformat()),
        )

    async def opened(self, member_id: int) -> set[str]:
        rows = await self.db.fetchall(
            "SELECT DISTINCT article_id FROM article_reads WHERE member_id = ?", (member_id,)
        )
        return {r[0] for r in rows}

    async def mark_seen(self, member_id: int, now: datetime) -> None:
        await self.db.execute(
            "UPDATE members SET news_seen_at = ? WHERE id = ?", (now.isoformat(), member_id)
        )

    async def news_state(self, member_id: int) -> tuple[datetime | None, set[str]]:
        """(when they last looked at the news, the articles they opened), in one query."""
        rows = await self.db.fetchall(
            "SELECT m.news_seen_at, r.article_id FROM members m"
            " LEFT JOIN article_reads r ON r.member_id = m.id WHERE m.id = ?",
            (member_id,),
        )
        seen = rows[0][0] if rows else None
        return (datetime.fromisoformat(seen) if seen else None,
                {r[1] for r in rows if r[1] is not None})

    async def most_read(self, limit: int = 5) -> list[tuple[str, int, int]]:
        """(article id, openings, distinct readers), most read first."""
        rows = await self.db.fetchall(
            "SELECT article_id, COUNT(*), COUNT(DISTINCT member_id) FROM article_reads"
            " GROUP BY article_id ORDER BY COUNT(DISTINCT member_id) DESC, article_id LIMIT ?",
            (limit,),
        )
        return [(r[0], int(r[1]), int(r[2])) for r in rows]
