"""Reading check-in answers, members and runs for the union's reports (no writes
except the reporting calendar's record of what was sent).

Only submitted responses count.  Times are compared as stored (UTC ISO text).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiosqlite

from .db import Database


def _utc(when: datetime) -> str:
    return when.astimezone(UTC).isoformat()


@dataclass(slots=True)
class Answered:
    """One submitted response with its answers (question id → typed value)."""

    id: int
    checkin_id: str
    period: str
    version_id: int
    member_id: int
    submitted_at: datetime
    commune_code: str | None
    role: str | None
    name: str | None
    phone: str | None
    organisation: str | None
    answers: dict[str, Any] = field(default_factory=dict)  # number: float, multi: list, else text


@dataclass(frozen=True, slots=True)
class Tally:
    """Responses alike in what an indicator reads: commune, role, the answers asked for."""

    commune_code: str | None
    role: str | None
    n: int
    answers: dict[str, Any]


@dataclass(frozen=True, slots=True)
class RunCount:
    id: int
    checkin_id: str
    period: str
    opens_at: datetime
    closes_at: datetime
    started: int
    submitted: int


def typed(kind: str, value: str | None, number: float | None) -> Any:
    """An answer as conditions and sums read it."""
    if kind == "number":
        return number if number is not None else (float(value) if value not in (None, "") else None)
    if kind == "multi":
        try:
            got = json.loads(value or "[]")
        except ValueError:
            return []
        return [str(x) for x in got] if isinstance(got, list) else []
    return value


_RESPONSE_COLS = (
    "r.id, u.checkin_id, u.period, r.version_id, r.member_id, r.submitted_at, m.commune_code, m.role,"
    " m.full_name, m.phone, m.organisation"
)


_LATEST_COLS = "checkin_id, member_id, response_id, run_id, version_id, submitted_at"
_LATEST_ANSWERS = (
    "INSERT INTO checkin_latest_answers"
    " (checkin_id, question_id, member_id, commune_code, role, kind, value, number)"
    " SELECT l.checkin_id, a.question_id, l.member_id, m.commune_code, m.role, a.kind, a.value,"
    " a.number FROM checkin_latest l JOIN checkin_answers a ON a.response_id = l.response_id"
    " JOIN members m ON m.id = l.member_id"
)


async def refresh_latest(conn: aiosqlite.Connection, response_id: int) -> None:
    """Inside a write: ``checkin_latest`` (and its answers) for the member and check-in
    of this response again, after it was submitted or reopened."""
    async with conn.execute(
        "SELECT u.checkin_id, r.member_id FROM checkin_responses r"
        " JOIN checkin_runs u ON u.id = r.run_id WHERE r.id = ?", (response_id,)
    ) as cur:
        row = await cur.fetchone()
    if row is None:
        return
    key = (row[0], row[1])
    await conn.execute("DELETE FROM checkin_latest WHERE checkin_id = ? AND member_id = ?", key)
    await conn.execute(
        "DELETE FROM checkin_latest_answers WHERE checkin_id = ? AND member_id = ?", key)
    await conn.execute(
        f"INSERT INTO checkin_latest ({_LATEST_COLS})"
        " SELECT u.checkin_id, r.member_id, r.id, r.run_id, r.version_id, r.submitted_at"
        " FROM checkin_responses r JOIN checkin_runs u ON u.id = r.run_id"
        " WHERE u.checkin_id = ? AND r.member_id = ? AND r.state = 'submitted'"
        " ORDER BY r.submitted_at DESC, r.id DESC LIMIT 1", key)
    await conn.execute(_LATEST_ANSWERS + " WHERE l.checkin_id = ? AND l.member_id = ?", key)


class Reporting:
    """Read queries behind the indicators, the report and the export."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def submitted(self, checkin_id: str | None, *, since: datetime | None = None,
                        until: datetime, latest: bool = False) -> list[Answered]:
        """Responses submitted in [since, until) (to one check-in, or all), oldest first;
        with ``latest`` only each member's newest (per check-in) before ``until``."""
        conds, params = ["r.state = 'submitted'", "r.submitted_at < ?"], [_utc(until)]
        if since is not None:
            conds.append("r.submitted_at >= ?")
            params.append(_utc(since))
        if checkin_id is not None:
            conds.append("u.checkin_id = ?")
            params.append(checkin_id)
        where = " AND ".join(conds)
        if latest:
            source = (
                "SELECT * FROM (SELECT r.id, r.run_id, r.version_id, r.member_id, r.submitted_at,"
                " ROW_NUMBER() OVER (PARTITION BY u.checkin_id, r.member_id"
                " ORDER BY r.submitted_at DESC, r.id DESC) AS rn"
                f" FROM checkin_responses r JOIN checkin_runs u ON u.id = r.run_id WHERE {where}) x"
                " WHERE x.rn = 1"
            )
        else:
            source = (
                "SELECT r.id, r.run_id, r.version_id, r.member_id, r.submitted_at"
                f" FROM checkin_responses r JOIN checkin_runs u ON u.id = r.run_id WHERE {where}"
            )
        rows = await self.db.fetchall(
            f"SELECT {_RESPONSE_COLS}, a.question_id, a.kind, a.value, a.number"
            f" FROM ({source}) r JOIN checkin_runs u ON u.id = r.run_id"
            " JOIN members m ON m.id = r.member_id"
            " LEFT JOIN checkin_answers a ON a.response_id = r.id"
            " ORDER BY r.submitted_at, r.id", params)
        out: list[Answered] = []
        for row in rows:
            if not out or out[-1].id != row[0]:
                out.append(Answered(
                    id=row[0], checkin_id=row[1], period=row[2], version_id=row[3], member_id=row[4],
                    submitted_at=datetime.fromisoformat(row[5]), commune_code=row[6], role=row[7],
                    name=row[8], phone=row[9], organisation=row[10]))
            if row["question_id"] is not None:
                out[-1].answers[row["question_id"]] = typed(row["kind"], row["value"], row["number"])
        return out

    async def grouped(self, checkin_id: str, questions: Sequence[str], *,
                      since: datetime | None = None, until: datetime,
                      latest: bool = False) -> list[Tally]:
        """What the indicators read, counted in SQL: the responses to ``checkin_id``
        submitted in [since, until) (with ``latest``: each member's newest before
        ``until``) that answer every one of ``questions`` (at least one), grouped by the
        member's commune and role and those answers; a :class:`Tally` per group.

        The newest responses come from ``checkin_latest`` when nothing was submitted at
        or after ``until``, which is always so for a period that has not ended: then the
        count reads only the answers to those questions.  Otherwise they are ranked from
        every response."""
        qs = list(questions)
        if not qs:
            raise ValueError("grouped() needs a question to count")
        cols = "".join(f", a{i}.kind, a{i}.value, a{i}.number" for i in range(len(qs)))
        if latest and since is None and await self._latest_holds(checkin_id, until):
            joins = "".join(
                f" JOIN checkin_latest_answers a{i} ON a{i}.checkin_id = a0.checkin_id"
                f" AND a{i}.question_id = ? AND a{i}.member_id = a0.member_id"
                for i in range(1, len(qs)))
            sql = (f"SELECT a0.commune_code, a0.role, COUNT(*){cols} FROM checkin_latest_answers a0"
                   f"{joins} WHERE a0.checkin_id = ? AND a0.question_id = ?"
                   f" GROUP BY a0.commune_code, a0.role{cols}")
            params: list[Any] = [*qs[1:], checkin_id, qs[0]]
        else:
            conds = ["r.state = 'submitted'", "r.submitted_at < ?", "u.checkin_id = ?"]
            params = [_utc(until), checkin_id]
            if since is not None:
                conds.append("r.submitted_at >= ?")
                params.append(_utc(since))
            inner = " AND ".join(conds)
            rank = (", ROW_NUMBER() OVER (PARTITION BY r.member_id"
                    " ORDER BY r.submitted_at DESC, r.id DESC) AS rn") if latest else ", 1 AS rn"
            joins = "".join(
                f" JOIN checkin_answers a{i} ON a{i}.response_id = l.response_id"
                f" AND a{i}.question_id = ?" for i in range(len(qs)))
            sql = ("SELECT m.commune_code, m.role, COUNT(*)"
                   f"{cols} FROM (SELECT r.id AS response_id, r.member_id{rank}"
                   f" FROM checkin_responses r JOIN checkin_runs u ON u.id = r.run_id WHERE {inner}) l"
                   f" JOIN members m ON m.id = l.member_id{joins} WHERE l.rn = 1"
                   f" GROUP BY m.commune_code, m.role{cols}")
            params += qs
        out = []
        for row in await self.db.fetchall(sql, params):
            answers = {qid: typed(row[3 + 3 * i], row[4 + 3 * i], row[5 + 3 * i])
                       for i, qid in enumerate(qs)}
            out.append(Tally(row[0], row[1], int(row[2]), answers))
        return out

    async def _latest_holds(self, checkin_id: str, until: datetime) -> bool:
        """True when ``checkin_latest`` is each member's newest response before ``until``."""
        later = await self.db.fetchone(
            "SELECT 1 FROM checkin_responses r JOIN checkin_runs u ON u.id = r.run_id"
            " WHERE r.state = 'submitted' AND r.submitted_at >= ? AND u.checkin_id = ? LIMIT 1",
            (_utc(until), checkin_id))
        return later is None

    async def rebuild_latest(self) -> None:
        """Fill ``checkin_latest`` again from every response (after responses were
        written in bulk, as the benchmark's store builder does)."""
        async with self.db.transaction() as conn:
            await conn.execute("DELETE FROM checkin_latest")
            await conn.execute("DELETE FROM checkin_latest_answers")
            await conn.execute(
                f"INSERT INTO checkin_latest ({_LATEST_COLS})"
                " SELECT checkin_id, member_id, id, run_id, version_id, submitted_at FROM"
                " (SELECT r.*, u.checkin_id, ROW_NUMBER() OVER (PARTITION BY u.checkin_id, r.member_id"
                " ORDER BY r.submitted_at DESC, r.id DESC) AS rn"
                " FROM checkin_responses r JOIN checkin_runs u ON u.id = r.run_id"
                " WHERE r.state = 'submitted') WHERE rn = 1")
            await conn.execute(_LATEST_ANSWERS)

    async def versions(self, ids: set[int]) -> dict[int, dict[str, Any]]:
        """Questionnaire definitions as they were when answered, by version id."""
        if not ids:
            return {}
        marks = ", ".join("?" for _ in ids)
        rows = await self.db.fetchall(
            f"SELECT id, definition FROM checkin_versions WHERE id IN ({marks})", sorted(ids))
        return {r[0]: json.loads(r[1]) for r in rows}

    async def runs(self, since: datetime, until: datetime) -> list[RunCount]:
        """Runs open at some time in [since, until), with responses started and submitted."""
        rows = await self.db.fetchall(
            "SELECT u.id, u.checkin_id, u.period, u.opens_at, u.closes_at, COUNT(r.id),"
            " COALESCE(SUM(CASE WHEN r.state = 'submitted' THEN 1 ELSE 0 END), 0)"
            " FROM checkin_runs u LEFT JOIN checkin_responses r ON r.run_id = u.id"
            " WHERE u.opens_at < ? AND u.closes_at >= ?"
            " GROUP BY u.id, u.checkin_id, u.period, u.opens_at, u.closes_at"
            " ORDER BY u.opens_at, u.checkin_id", (_utc(until), _utc(since)))
        return [RunCount(r[0], r[1], r[2], datetime.fromisoformat(r[3]), datetime.fromisoformat(r[4]),
                         int(r[5]), int(r[6])) for r in rows]

    async def members_by_commune(self, roles: tuple[str, ...]) -> dict[str | None, int]:
        """Members with one of these roles, by commune (everyone known, subscribed or not)."""
        marks = ", ".join("?" for _ in roles)
        rows = await self.db.fetchall(  # grouped by role too: the (role, commune) index covers it
            f"SELECT commune_code, COUNT(*) FROM members WHERE role IN ({marks})"
            " GROUP BY role, commune_code", roles)
        out: dict[str | None, int] = {}
        for code, n in rows:
            out[code] = out.get(code, 0) + int(n)
        return out

    # -- the reporting calendar ----------------------------------------------------
    async def sent_reports(self) -> set[str]:
        return {r[0] for r in await self.db.fetchall("SELECT period FROM reports_sent")}

    async def claim_report(self, period: str, now: datetime) -> bool:
        """Record a report as sent; False when it already was (so it is never sent twice)."""
        row = await self.db.fetchone_write(
            "INSERT INTO reports_sent (period, sent_at) VALUES (?, ?)"
            " ON CONFLICT (period) DO NOTHING RETURNING period", (period, _utc(now)))
        return row is not None

    async def release_report(self, period: str) -> None:
        """Forget a claim whose sending failed, so the next tick tries again."""
        await self.db.execute("DELETE FROM reports_sent WHERE period = ?", (period,))
