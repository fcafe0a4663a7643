"""Questions the FAQ could not answer: stored for editors (``faq gaps``), sent to
staff on request, answered by staff, rated by the person who asked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .db import Database


@dataclass(frozen=True, slots=True)
class Question:
    id: int
    member_id: int
    text: str
    sent: bool
    answered: bool


def _q(row) -> Question:
    return Question(row["id"], row["member_id"], row["text"], row["sent_at"] is not None,
                    row["answered_at"] is not None)


_COLS = "id, member_id, text, sent_at, answered_at"


class Questions:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, member_id: int, text: str, folded: str, best_id: str | None,
                  score: float, now: datetime) -> int:
        return await self.db.execute(
            "INSERT INTO questions (member_id, text, folded, best_id, score, asked_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (member_id, text, folded, best_id, score, now.isoformat()),
        )

    async def of_member(self, member_id: int, limit: int = 50) -> list[tuple[Question, str, str | None]]:
        """A member's questions, newest first: (question, asked at, answered at) as stored."""
        rows = await self.db.fetchall(
            f"SELECT {_COLS}, asked_at FROM questions WHERE member_id = ?"
            " ORDER BY id DESC LIMIT ?", (member_id, limit))
        return [(_q(r), r["asked_at"], r["answered_at"]) for r in rows]

    async def get(self, qid: int) -> Question | None:
        row = await self.db.fetchone(f"SELECT {_COLS} FROM questions WHERE id = ?", (qid,))
        return _q(row) if row else None

    async def sent_since(self, member_id: int, since: datetime) -> int:
        row = await self.db.fetchone(
            "SELECT COUNT(*) FROM questions WHERE member_id = ? AND sent_at >= ?",
            (member_id, since.isoformat()),
        )
        return int(row[0]) if row else 0

    async def mark_sent(self, qid: int, channel: str, chat: str, message_id: str | None,
                        now: datetime) -> None:
        await self.db.execute(
            "UPDATE questions SET sent_at = ?, staff_channel = ?, staff_chat = ?,"
            " staff_message_id = ? WHERE id = ?",
            (now.isoformat(), channel, str(chat), message_id, qid),
        )

    async def by_staff_post(self, channel: str, chat: str, message_id: str) -> Question | None:
        row = await self.db.fetchone(
            f"SELECT {_COLS} FROM questions WHERE staff_channel = ? AND staff_chat = ?"
            " AND staff_message_id = ?",
            (channel, str(chat), str(message_id)),
        )
        return _q(row) if row else None

    async def answer(self, qid: int, text: str, by: str, now: datetime) -> None:
        await self.db.execute(
            "UPDATE questions SET answer = ?, answered_by = ?, answered_at = ? WHERE id = ?",
            (text, by, now.isoformat(), qid),
        )

    async def rate(self, qid: int, member_id: int, rating: int) -> bool:
        n = await self.db.execute(
            "UPDATE questions SET rating = ? WHERE id = ? AND member_id = ? AND answered_at IS NOT NULL",
            (rating, qid, member_id),
        )
        return n > 0

    async def gaps(self, limit: int = 50) -> list[tuple[str, int, int, str]]:
        """(a question as asked, times asked, times staff answered, last asked), most asked first."""
        rows = await self.db.fetchall(
            "SELECT MAX(text), COUNT(*), COUNT(answered_at), MAX(asked_at) FROM questions"
            " GROUP BY folded ORDER BY COUNT(*) DESC, MAX(asked_at) DESC LIMIT ?",
            (limit,),
        )
        return [(r[0], int(r[1]), int(r[2]), r[3]) for r in rows]
