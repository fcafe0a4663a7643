"""What members read: every opening of an article, and when each member last
looked at the news list (to count what is new for them)."""

from __future__ import annotations

from datetime import datetime

from .db import Database


class Reads:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def record(self, member_id: int, article_id: str, now: datetime) -> None:
        """One opening; the article's counts (``article_stats``) move with it."""
        async with self.db.transaction() as conn:
            async with conn.execute(
                "SELECT 1 FROM article_reads WHERE member_id = ? AND article_id = ? LIMIT 1",
                (member_id, article_id),
            ) as cur:
                first = await cur.fetchone() is None
            await conn.execute(
                "INSERT INTO article_reads (member_id, article_id, at) VALUES (?, ?, ?)",
                (member_id, article_id, now.isoformat()),
            )
            await conn.execute(
                "INSERT INTO article_stats (article_id, openings, readers) VALUES (?, 1, ?)"
                " ON CONFLICT (article_id) DO UPDATE SET openings = openings + 1,"
                " readers = readers + excluded.readers",
                (article_id, 1 if first else 0),
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
        """(article id, openings, distinct readers), most read first (from the counts
        kept as members read, not from the reads themselves)."""
        rows = await self.db.fetchall(
            "SELECT article_id, openings, readers FROM article_stats"
            " ORDER BY readers DESC, article_id LIMIT ?",
            (limit,),
        )
        return [(r[0], int(r[1]), int(r[2])) for r in rows]

    async def rebuild_stats(self) -> None:
        """Count ``article_stats`` again from the reads (after reads were written in bulk)."""
        async with self.db.transaction() as conn:
            await conn.execute("DELETE FROM article_stats")
            await conn.execute(
                "INSERT INTO article_stats (article_id, openings, readers)"
                " SELECT article_id, COUNT(*), COUNT(DISTINCT member_id) FROM article_reads"
                " GROUP BY article_id")

    async def compact(self, before: datetime, step: int = 20_000) -> int:
        """Summarise reads older than ``before``: a member's repeated openings of one
        article become their first one (the counts stay in ``article_stats``; what each
        member has opened stays known).  Done ``step`` row ids at a time, each in its own
        short transaction, so people's writes never wait long.  Returns the rows removed."""
        row = await self.db.fetchone("SELECT MIN(id), MAX(id) FROM article_reads")
        if row is None or row[0] is None:
            return 0
        removed, low, high = 0, int(row[0]) - 1, int(row[1])
        while low < high:
            removed += await self.db.execute(
                "DELETE FROM article_reads WHERE id > ? AND id <= ? AND at < ? AND EXISTS"
                " (SELECT 1 FROM article_reads o WHERE o.member_id = article_reads.member_id"
                " AND o.article_id = article_reads.article_id AND o.id < article_reads.id)",
                (low, low + step, before.isoformat()))
            low += step
        return removed
