"""Reading check-in answers, members and runs for the union's reports (no writes
except the reporting calendar's record of what was sent).

Only submitted responses count.  Times are compared as stored (UTC ISO text).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from sys import intern
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
class Newest:
    """Each member's newest responses before a time: those of ``checkin_latest``
    (``ids`` None), or these (a JSON array of response ids), ranked once."""

    ids: str | None


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


PAGE = 2000  # responses read per query when streamed
Key = tuple[str, int]  # a response's place in the streamed order: (submitted_at as stored, id)
_IDS = 500  # responses whose answers one query reads


def _same(text: str | None) -> str | None:
    """One copy of a short text repeated over many rows (a check-in, a period, a commune,
    a role, a question, a choice): tens of thousands of responses hold the same few."""
    return intern(text) if text is not None and len(text) <= 24 else text


def _head(h: Sequence[Any]) -> Answered:
    """A response's row (:data:`_RESPONSE_COLS`), its answers still to come."""
    return Answered(id=h[0], checkin_id=_same(h[1]), period=_same(h[2]), version_id=h[3],
                    member_id=h[4], submitted_at=datetime.fromisoformat(h[5]),
                    commune_code=_same(h[6]), role=_same(h[7]), name=h[8], phone=h[9],
                    organisation=h[10])


class Reporting:
    """Read queries behind the indicators, the report and the export."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def submitted(self, checkin_id: str | None, *, since: datetime | None = None,
                        until: datetime, latest: bool = False,
                        questions: Collection[str] | None = None,
                        people: bool = True) -> list[Answered]:
        """Responses submitted in [since, until) (to one check-in, or all), oldest first;
        with ``latest`` only each member's newest (per check-in) before ``until``; with
        ``questions`` only the answers to those (what an indicator reads: far fewer rows);
        without ``people`` no name, phone or organisation (an indicator counts by commune
        and role only: each row read is then a third of the size)."""
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
        cols = _RESPONSE_COLS if people else _RESPONSE_COLS.replace(
            " m.full_name, m.phone, m.organisation", " NULL, NULL, NULL")
        heads = await self.db.fetchall(
            f"SELECT {cols} FROM ({source}) r JOIN checkin_runs u ON u.id = r.run_id"
            " JOIN members m ON m.id = r.member_id ORDER BY r.submitted_at, r.id", params)
        out = [_head(h) for h in heads]
        del heads
        wanted = sorted(questions) if questions is not None else None
        if wanted == []:
            return out
        # The answers a few hundred responses at a time (by the primary key): the rows of
        # one query at a time in memory, not one row per answer of the whole period.
        await self._answers(out, wanted, _IDS)
        return out

    async def grouped(self, checkin_id: str, questions: Sequence[str], *,
                      since: datetime | None = None, until: datetime,
                      latest: bool = False, newest: Newest | None = None) -> list[Tally]:
        """What the indicators read, counted in SQL: the responses to ``checkin_id``
        submitted in [since, until) (with ``latest``: each member's newest before
        ``until``) that answer every one of ``questions`` (at least one), grouped by the
        member's commune and role and those answers; a :class:`Tally` per group.

        The newest responses come from ``checkin_latest`` when nothing was submitted at
        or after ``until``, which is always so for a period that has not ended: then the
        count reads only the answers to those questions.  Otherwise they are ranked from
        every response (once for several counts: pass the same :meth:`newest`)."""
        qs = list(questions)
        if not qs:
            raise ValueError("grouped() needs a question to count")
        cols = "".join(f", a{i}.kind, a{i}.value, a{i}.number" for i in range(len(qs)))
        if latest and since is None:
            newest = newest or await self.newest(checkin_id, until)
        else:
            newest = None
        if newest is not None and newest.ids is not None:
            joins = "".join(
                f" JOIN checkin_answers a{i} ON a{i}.response_id = r.id AND a{i}.question_id = ?"
                for i in range(len(qs)))
            sql = (f"SELECT m.commune_code, m.role, COUNT(*){cols} FROM json_each(?) j"
                   " JOIN checkin_responses r ON r.id = j.value JOIN members m ON m.id = r.member_id"
                   f"{joins} GROUP BY m.commune_code, m.role{cols}")
            params: list[Any] = [newest.ids, *qs]
        elif newest is not None:
            joins = "".join(
                f" JOIN checkin_latest_answers a{i} ON a{i}.checkin_id = a0.checkin_id"
                f" AND a{i}.question_id = ? AND a{i}.member_id = a0.member_id"
                for i in range(1, len(qs)))
            sql = (f"SELECT a0.commune_code, a0.role, COUNT(*){cols} FROM checkin_latest_answers a0"
                   f"{joins} WHERE a0.checkin_id = ? AND a0.question_id = ?"
                   f" GROUP BY a0.commune_code, a0.role{cols}")
            params = [*qs[1:], checkin_id, qs[0]]
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

    async def newest(self, checkin_id: str, until: datetime) -> Newest:
        """Which responses are each member's newest to ``checkin_id`` before ``until``:
        the kept table's when nothing was submitted since, else ranked here, once."""
        if await self._latest_holds(checkin_id, until):
            return Newest(None)
        rows = await self.db.fetchall(
            "SELECT id FROM (SELECT r.id, ROW_NUMBER() OVER (PARTITION BY r.member_id"
            " ORDER BY r.submitted_at DESC, r.id DESC) AS rn FROM checkin_responses r"
            " JOIN checkin_runs u ON u.id = r.run_id WHERE r.state = 'submitted'"
            " AND r.submitted_at < ? AND u.checkin_id = ?) WHERE rn = 1",
            (_utc(until), checkin_id))
        return Newest(json.dumps([r[0] for r in rows]))

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

    async def stream(self, *, since: datetime, until: datetime, page: int | None = None,
                     start: Key | None = None, stop: Key | None = None,
                     ) -> AsyncIterator[list[Answered]]:
        """Every response submitted in [since, until), oldest first (by submitted_at, id)
        as :meth:`submitted` gives them, in lists of at most ``page`` (default
        :data:`PAGE`): each list is two short queries — the page's responses by keyset
        pagination on the (state, submitted_at) index, then their answers by primary key —
        so memory holds a page or two whatever the period (the next page is read while the
        caller writes this one), and no read stays open between pages.  ``start`` and
        ``stop`` (keys from :meth:`cuts`) keep the responses from ``start`` on and before
        ``stop``: one part of the period's responses, for one of several writers."""
        page = page or PAGE
        bounds, fixed = "", []
        if start is not None:
            bounds += " AND (r.submitted_at, r.id) >= (?, ?)"
            fixed += list(start)
        if stop is not None:
            bounds += " AND (r.submitted_at, r.id) < (?, ?)"
            fixed += list(stop)

        async def read(after: tuple[str, int] | None) -> tuple[list[Answered], tuple[str, int]]:
            keyset = " AND (r.submitted_at, r.id) > (?, ?)" if after else ""
            heads = await self.db.fetchall(
                f"SELECT {_RESPONSE_COLS} FROM (SELECT r.id, r.run_id, r.version_id, r.member_id,"
                "  r.submitted_at FROM checkin_responses r WHERE r.state = 'submitted'"
                "  AND r.submitted_at >= ? AND r.submitted_at < ?" + bounds + keyset +
                "  ORDER BY r.submitted_at, r.id LIMIT ?) r"
                " JOIN checkin_runs u ON u.id = r.run_id JOIN members m ON m.id = r.member_id"
                " ORDER BY r.submitted_at, r.id",
                [_utc(since), _utc(until), *fixed, *(after or ()), page], tuples=True)
            out = [_head(h) for h in heads]
            await self._answers(out, None, max(1, len(out)))
            return out, ((heads[-1][5], heads[-1][0]) if heads else ("", 0))  # as stored

        pending = asyncio.ensure_future(read(None))
        try:
            while True:
                batch, last = await pending
                if not batch:
                    return
                more = len(batch) == page
                if more:  # the next page is read while this one is written
                    pending = asyncio.ensure_future(read(last))
                yield batch
                if not more:
                    return
        finally:
            if not pending.done():
                pending.cancel()
                with contextlib.suppress(BaseException):
                    await pending

    async def _answers(self, responses: list[Answered], questions: list[str] | None,
                       per_query: int) -> None:
        """Fill in the answers of ``responses`` (only to ``questions``, when given),
        ``per_query`` responses per query (by the primary key)."""
        by_id = {a.id: a for a in responses}
        ids = sorted(by_id)
        only = f" AND question_id IN ({', '.join('?' for _ in questions)})" if questions else ""
        for i in range(0, len(ids), per_query):
            part = ids[i:i + per_query]
            for row in await self.db.fetchall(
                    "SELECT response_id, question_id, kind, value, number FROM checkin_answers"
                    f" WHERE response_id IN ({', '.join('?' for _ in part)}){only}"
                    " ORDER BY response_id, question_id", [*part, *(questions or ())],
                    tuples=True):
                value = row[3]
                by_id[row[0]].answers[intern(row[1])] = typed(
                    row[2], _same(value) if isinstance(value, str) else value, row[4])

    async def cuts(self, since: datetime, until: datetime, shares: Sequence[float]) -> list[Key]:
        """Keys (submitted_at as stored, id) that cut the responses submitted in [since,
        until), in :meth:`stream`'s order, into runs whose lengths are about in the
        proportions ``shares`` (fewer runs when there are fewer responses): each run from
        one key to the next."""
        got = await self.db.fetchone(
            "SELECT COUNT(*) FROM checkin_responses WHERE state = 'submitted'"
            " AND submitted_at >= ? AND submitted_at < ?", (_utc(since), _utc(until)))
        total = int(got[0]) if got else 0
        whole, upto = sum(shares), 0.0
        out: list[Key] = []
        for share in shares[:-1]:
            upto += share
            at = int(total * upto / whole)
            if at <= 0 or at >= total:
                continue
            row = await self.db.fetchone(
                "SELECT submitted_at, id FROM checkin_responses WHERE state = 'submitted'"
                " AND submitted_at >= ? AND submitted_at < ? ORDER BY submitted_at, id"
                " LIMIT 1 OFFSET ?", (_utc(since), _utc(until), at))
            if row is not None and (not out or (row[0], row[1]) > out[-1]):
                out.append((row[0], int(row[1])))
        return out

    async def before(self, since: datetime, until: datetime, key: Key) -> dict[str, int]:
        """Per check-in, the responses submitted in [since, until) that come before
        ``key`` in :meth:`stream`'s order (the rows above a part in each sheet)."""
        rows = await self.db.fetchall(
            "SELECT u.checkin_id, COUNT(*) FROM checkin_responses r"
            " JOIN checkin_runs u ON u.id = r.run_id"
            " WHERE r.state = 'submitted' AND r.submitted_at >= ? AND r.submitted_at < ?"
            " AND (r.submitted_at, r.id) < (?, ?) GROUP BY u.checkin_id",
            (_utc(since), _utc(until), *key))
        return {r[0]: int(r[1]) for r in rows}

    async def answered_versions(self, since: datetime, until: datetime) -> list[tuple[str, int, int]]:
        """(check-in, version, responses) submitted in [since, until): what an export's
        sheets and columns are, known before its rows are read."""
        rows = await self.db.fetchall(
            "SELECT u.checkin_id, r.version_id, COUNT(*) FROM checkin_responses r"
            " JOIN checkin_runs u ON u.id = r.run_id"
            " WHERE r.state = 'submitted' AND r.submitted_at >= ? AND r.submitted_at < ?"
            " GROUP BY u.checkin_id, r.version_id ORDER BY u.checkin_id, r.version_id",
            (_utc(since), _utc(until)))
        return [(r[0], int(r[1]), int(r[2])) for r in rows]

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

    async def answered_by_commune(self, since: datetime, until: datetime
                                  ) -> list[tuple[str | None, int, int]]:
        """For the check-in runs open at some time in [since, until) (as :meth:`runs`):
        per commune, the members who started a response and those who submitted one."""
        rows = await self.db.fetchall(
            "SELECT m.commune_code, COUNT(DISTINCT r.member_id),"
            " COUNT(DISTINCT CASE WHEN r.state = 'submitted' THEN r.member_id END)"
            " FROM checkin_runs u JOIN checkin_responses r ON r.run_id = u.id"
            " JOIN members m ON m.id = r.member_id"
            " WHERE u.opens_at < ? AND u.closes_at >= ?"
            " GROUP BY m.commune_code ORDER BY 3 DESC, 2 DESC, 1", (_utc(until), _utc(since)))
        return [(r[0], int(r[1]), int(r[2])) for r in rows]

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
