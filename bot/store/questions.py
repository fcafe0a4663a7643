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


@dataclass(frozen=True, slots=True)
class InboxRow:
    """A question handed to staff, with the member as the console shows them."""

    id: int
    text: str
    asked_at: str
    sent_at: str | None
    answered_at: str | None
    answered_by: str | None
    rating: int | None
    member_id: int
    name: str | None
    commune_code: str | None
    role: str | None
    channel: str


@dataclass(frozen=True, slots=True)
class AnswerRow:
    text: str
    by: str
    at: str


@dataclass(frozen=True, slots=True)
class Gap:
    """Questions the FAQ could not answer, asked alike (the same folded words)."""

    folded: str
    text: str  # one of them as asked
    asked: int
    answered: int
    last: str
    best_id: str | None  # the FAQ entry that came closest (rejected)
    score: float | None


_INBOX = ("SELECT q.id, q.text, q.asked_at, q.sent_at, q.answered_at, q.answered_by, q.rating,"
          " q.member_id, m.display_name, m.commune_code, m.role, m.channel"
          " FROM questions q JOIN members m ON m.id = q.member_id")


def _inbox(r) -> InboxRow:
    return InboxRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11])


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

    async def asked_by(self, member_id: int, limit: int = 50) -> list[tuple[Question, str, str | None]]:
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
        """The answer staff gave (the last one on the question; each one kept in order)."""
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE questions SET answer = ?, answered_by = ?, answered_at = ? WHERE id = ?",
                (text, by, now.isoformat(), qid),
            )
            await conn.execute(
                "INSERT INTO question_answers (question_id, text, answered_by, answered_at)"
                " VALUES (?, ?, ?, ?)",
                (qid, text, by, now.isoformat()),
            )

    # -- the console's inbox ---------------------------------------------------------------
    async def waiting_count(self) -> int:
        """Questions handed to staff and not answered yet (a partial index holds only them)."""
        row = await self.db.fetchone(
            "SELECT COUNT(*) FROM questions INDEXED BY questions_waiting"
            " WHERE sent_at IS NOT NULL AND answered_at IS NULL")
        return int(row[0]) if row else 0

    async def answered_count(self) -> int:
        row = await self.db.fetchone(
            "SELECT COUNT(*) FROM questions INDEXED BY questions_answered"
            " WHERE answered_at IS NOT NULL")
        return int(row[0]) if row else 0

    async def waiting(self, limit: int, offset: int = 0) -> list[InboxRow]:
        """Handed to staff, not answered: the longest waiting first."""
        rows = await self.db.fetchall(
            _INBOX.replace("questions q", "questions q INDEXED BY questions_waiting")
            + " WHERE q.sent_at IS NOT NULL AND q.answered_at IS NULL"
            " ORDER BY q.sent_at, q.id LIMIT ? OFFSET ?", (limit, offset))
        return [_inbox(r) for r in rows]

    async def answered(self, limit: int, offset: int = 0) -> list[InboxRow]:
        """Answered by staff: the last answered first."""
        rows = await self.db.fetchall(
            _INBOX.replace("questions q", "questions q INDEXED BY questions_answered")
            + " WHERE q.answered_at IS NOT NULL"
            " ORDER BY q.answered_at DESC, q.id DESC LIMIT ? OFFSET ?", (limit, offset))
        return [_inbox(r) for r in rows]

    async def row(self, qid: int) -> InboxRow | None:
        r = await self.db.fetchone(_INBOX + " WHERE q.id = ?", (qid,))
        return _inbox(r) if r else None

    async def answers(self, qid: int) -> list[AnswerRow]:
        """Every answer staff gave to a question, in order."""
        rows = await self.db.fetchall(
            "SELECT text, answered_by, answered_at FROM question_answers WHERE question_id = ?"
            " ORDER BY answered_at, id LIMIT 50", (qid,))
        return [AnswerRow(r[0], r[1], r[2]) for r in rows]

    async def of_member(self, member_id: int, limit: int = 20) -> list[InboxRow]:
        """A member's questions, the newest first."""
        rows = await self.db.fetchall(
            _INBOX + " WHERE q.member_id = ? ORDER BY q.asked_at DESC, q.id DESC LIMIT ?",
            (member_id, limit))
        return [_inbox(r) for r in rows]

    async def unanswered_groups(self, since: datetime, limit: int = 50) -> list[Gap]:
        """The questions the FAQ could not answer asked since ``since``, alike ones
        together (the same folded words), the most asked first, with the FAQ entry that
        came closest most often and its best score."""
        rows = await self.db.fetchall(
            "SELECT folded, MAX(text), COUNT(*), COUNT(answered_at), MAX(asked_at),"
            " (SELECT b.best_id FROM questions b WHERE b.folded = g.folded"
            "  AND b.best_id IS NOT NULL GROUP BY b.best_id ORDER BY COUNT(*) DESC LIMIT 1),"
            " MAX(score)"
            " FROM questions g INDEXED BY questions_asked WHERE asked_at >= ?"
            " GROUP BY folded ORDER BY COUNT(*) DESC, MAX(asked_at) DESC LIMIT ?",
            (since.isoformat(), limit))
        return [Gap(r[0], r[1], int(r[2]), int(r[3]), r[4], r[5], r[6]) for r in rows]

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
