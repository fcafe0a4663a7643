"""Check-ins: questionnaire versions, runs per period, each member's response
(where they are, what they answered) and the answers, typed.

Every answer belongs to a response that names the questionnaire version it was
given under, so an edited questionnaire never changes how older answers read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .db import Database
from .db import from_utc as _dt
from .db import utc as _utc
from .reporting import refresh_latest


@dataclass(frozen=True, slots=True)
class Run:
    id: int
    checkin_id: str
    period: str
    opens_at: datetime
    remind_at: datetime | None
    closes_at: datetime
    invited_at: datetime | None
    reminded_at: datetime | None


@dataclass(frozen=True, slots=True)
class Response:
    id: int
    run_id: int
    member_id: int
    version_id: int
    state: str  # open / submitted
    asked: list[str]  # questions answered (or skipped), in order: "back" pops the last
    submitted_at: datetime | None


_RUN = ("id, checkin_id, period, opens_at, remind_at, closes_at, invited_at, reminded_at")
_RESP = "id, run_id, member_id, version_id, state, asked, submitted_at"


def _run(r) -> Run:
    return Run(r[0], r[1], r[2], _dt(r[3]), _dt(r[4]), _dt(r[5]), _dt(r[6]), _dt(r[7]))


def _resp(r) -> Response:
    return Response(r[0], r[1], r[2], r[3], r[4], json.loads(r[5] or "[]"), _dt(r[6]))


def decode(kind: str, value: str | None, number: float | None) -> Any:
    if kind == "number":
        return number
    if kind == "multi":
        return json.loads(value or "[]")
    return value


class Checkins:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def version(self, checkin_id: str, digest: str, definition: dict, now: datetime) -> int:
        """The id of this questionnaire version, recorded the first time it is used."""
        await self.db.execute(
            "INSERT INTO checkin_versions (checkin_id, digest, definition, created_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (checkin_id, digest) DO NOTHING",
            (checkin_id, digest, json.dumps(definition, ensure_ascii=False), _utc(now)))
        row = await self.db.fetchone(
            "SELECT id FROM checkin_versions WHERE checkin_id = ? AND digest = ?", (checkin_id, digest))
        return row[0]

    # -- runs ------------------------------------------------------------------------
    async def ensure_run(self, checkin_id: str, period: str, opens_at: datetime,
                         remind_at: datetime | None, closes_at: datetime, now: datetime) -> Run:
        """The run of a check-in for a period, created on first need; a scheduled run
        found already opened on demand gets its reminder time and a later close."""
        await self.db.execute(
            "INSERT INTO checkin_runs (checkin_id, period, opens_at, remind_at, closes_at, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (checkin_id, period) DO UPDATE SET"
            " remind_at = COALESCE(checkin_runs.remind_at, excluded.remind_at),"
            " closes_at = MAX(checkin_runs.closes_at, excluded.closes_at)",
            (checkin_id, period, _utc(opens_at), _utc(remind_at) if remind_at else None,
             _utc(closes_at), _utc(now)))
        return await self.run_for(checkin_id, period)

    async def run_for(self, checkin_id: str, period: str) -> Run | None:
        row = await self.db.fetchone(
            f"SELECT {_RUN} FROM checkin_runs WHERE checkin_id = ? AND period = ?", (checkin_id, period))
        return _run(row) if row else None

    async def run(self, run_id: int) -> Run | None:
        row = await self.db.fetchone(f"SELECT {_RUN} FROM checkin_runs WHERE id = ?", (run_id,))
        return _run(row) if row else None

    async def claim(self, run_id: int, what: str, now: datetime) -> bool:
        """Mark the invitation (``invited``) or the reminder (``reminded``) as done;
        True only for the one caller that did it (so each goes out once)."""
        column = {"invited": "invited_at", "reminded": "reminded_at"}[what]
        n = await self.db.execute(
            f"UPDATE checkin_runs SET {column} = ? WHERE id = ? AND {column} IS NULL",
            (_utc(now), run_id))
        return n > 0

    # -- responses -----------------------------------------------------------------------
    async def response(self, run_id: int, member_id: int) -> Response | None:
        row = await self.db.fetchone(
            f"SELECT {_RESP} FROM checkin_responses WHERE run_id = ? AND member_id = ?",
            (run_id, member_id))
        return _resp(row) if row else None

    async def response_by_id(self, response_id: int) -> Response | None:
        row = await self.db.fetchone(f"SELECT {_RESP} FROM checkin_responses WHERE id = ?",
                                     (response_id,))
        return _resp(row) if row else None

    async def start(self, run_id: int, member_id: int, version_id: int, now: datetime) -> Response:
        await self.db.execute(
            "INSERT INTO checkin_responses (run_id, member_id, version_id, started_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (run_id, member_id) DO NOTHING",
            (run_id, member_id, version_id, _utc(now), _utc(now)))
        return await self.response(run_id, member_id)

    async def answers(self, response_id: int) -> dict[str, Any]:
        rows = await self.db.fetchall(
            "SELECT question_id, kind, value, number FROM checkin_answers WHERE response_id = ?",
            (response_id,))
        return {r[0]: decode(r[1], r[2], r[3]) for r in rows}

    async def answer(self, response_id: int, question_id: str, kind: str, value: Any,
                     asked: list[str], now: datetime) -> None:
        """Store one answer (replacing an earlier one) and where the person is, together.
        ``value`` None records a skipped question (no answer row)."""
        number = float(value) if kind == "number" and value is not None else None
        text = (json.dumps(value, ensure_ascii=False) if kind == "multi"
                else None if value is None else str(value))
        async with self.db.transaction() as conn:
            if value is None:
                await conn.execute("DELETE FROM checkin_answers WHERE response_id = ? AND question_id = ?",
                                   (response_id, question_id))
            else:
                await conn.execute(
                    "INSERT INTO checkin_answers (response_id, question_id, kind, value, number,"
                    " answered_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (response_id, question_id)"
                    " DO UPDATE SET kind = excluded.kind, value = excluded.value,"
                    " number = excluded.number, answered_at = excluded.answered_at",
                    (response_id, question_id, kind, text, number, _utc(now)))
            await conn.execute(
                "UPDATE checkin_responses SET asked = ?, updated_at = ? WHERE id = ? AND state = 'open'",
                (json.dumps(asked), _utc(now), response_id))

    async def set_asked(self, response_id: int, asked: list[str], now: datetime) -> None:
        await self.db.execute(
            "UPDATE checkin_responses SET asked = ?, updated_at = ? WHERE id = ? AND state = 'open'",
            (json.dumps(asked), _utc(now), response_id))

    async def submit(self, response_id: int, keep: list[str], now: datetime) -> bool:
        """Send the response: answers to questions that no longer apply are dropped."""
        marks = ", ".join("?" for _ in keep) or "''"
        async with self.db.transaction() as conn:
            cur = await conn.execute(
                "UPDATE checkin_responses SET state = 'submitted', submitted_at = ?, updated_at = ?"
                " WHERE id = ? AND state = 'open'", (_utc(now), _utc(now), response_id))
            if cur.rowcount == 0:
                return False
            await conn.execute(
                f"DELETE FROM checkin_answers WHERE response_id = ? AND question_id NOT IN ({marks})",
                (response_id, *keep))
            await refresh_latest(conn, response_id)
            return True

    async def reopen(self, response_id: int, version_id: int, now: datetime) -> None:
        """Start a submitted response again from the first question (answers cleared)."""
        async with self.db.transaction() as conn:
            await conn.execute("DELETE FROM checkin_answers WHERE response_id = ?", (response_id,))
            await conn.execute(
                "UPDATE checkin_responses SET state = 'open', asked = '[]', submitted_at = NULL,"
                " version_id = ?, updated_at = ? WHERE id = ?", (version_id, _utc(now), response_id))
            await refresh_latest(conn, response_id)

    async def open_for_member(self, member_id: int) -> list[tuple[Response, Run]]:
        """The member's unfinished responses, newest run first."""
        rows = await self.db.fetchall(
            f"SELECT r.id, r.run_id, r.member_id, r.version_id, r.state, r.asked, r.submitted_at,"
            f" u.{', u.'.join(_RUN.split(', '))} FROM checkin_responses r"
            " JOIN checkin_runs u ON u.id = r.run_id WHERE r.member_id = ? AND r.state = 'open'"
            " ORDER BY u.opens_at DESC", (member_id,))
        return [(_resp(row[:7]), _run(row[7:])) for row in rows]

    async def counts(self, run_id: int) -> dict[str, int]:
        rows = await self.db.fetchall(
            "SELECT state, COUNT(*) FROM checkin_responses WHERE run_id = ? GROUP BY state", (run_id,))
        return {r[0]: r[1] for r in rows}
