"""Training courses, registrations and the notices owed to registrants.

Seats are taken inside one ``BEGIN IMMEDIATE`` transaction that counts and
inserts, so two people pressing "Đăng ký" for the last seat at the same moment
cannot both get it.  Reminders and notices (a seat freed up, the course was
cancelled, a feedback question) are rows with a due time; the sender works
through them, so none is lost to a restart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .db import Database
from .db import from_utc as _dt
from .db import utc as _utc

TAKEN = ("registered", "attended")  # statuses that hold a seat
ACTIVE = ("registered", "waitlisted")
REMINDER_PREFIX = "d"  # reminder kinds are d3, d1, d0 … (days before the start day)


@dataclass(frozen=True, slots=True)
class Course:
    id: int
    title: str
    description: str
    starts_at: datetime
    ends_at: datetime
    venue: str
    commune_code: str | None
    capacity: int
    audience: tuple[str, ...]  # roles; empty: everyone
    deadline_at: datetime
    state: str  # open / cancelled
    created_by: str
    taken: int = 0
    waiting: int = 0

    @property
    def seats_left(self) -> int:
        return max(0, self.capacity - self.taken)

    def open_for(self, role: str | None) -> bool:
        return not self.audience or role is None or role in self.audience


@dataclass(frozen=True, slots=True)
class Registration:
    id: int
    course_id: int
    member_id: int
    status: str
    created_at: datetime
    position: int = 0  # place on the waiting list (1 = next), 0 when not waiting


@dataclass(frozen=True, slots=True)
class Registrant:
    """A registration with the person's details, for organisers (personal data)."""

    registration_id: int
    member_id: int
    status: str
    created_at: datetime
    name: str | None
    phone: str | None
    commune_code: str | None
    role: str | None
    organisation: str | None
    feedback_score: int | None
    feedback_comment: str | None


@dataclass(frozen=True, slots=True)
class Notice:
    id: int
    kind: str
    registration_id: int
    status: str
    course_id: int
    member_id: int
    channel: str
    chat_id: str
    locale: str
    reachable: bool


_COURSE_COLS = (
    "c.id, c.title, c.description, c.starts_at, c.ends_at, c.venue, c.commune_code, c.capacity,"
    " c.audience, c.deadline_at, c.state, c.created_by,"
    " (SELECT COUNT(*) FROM registrations r WHERE r.course_id = c.id"
    "  AND r.status IN ('registered', 'attended')) AS taken,"
    " (SELECT COUNT(*) FROM registrations r WHERE r.course_id = c.id"
    "  AND r.status = 'waitlisted') AS waiting"
)
FIELDS = {"title", "description", "starts_at", "ends_at", "venue", "commune_code", "capacity",
          "audience", "deadline_at"}


def _course(row) -> Course:
    return Course(
        id=row["id"], title=row["title"], description=row["description"],
        starts_at=_dt(row["starts_at"]), ends_at=_dt(row["ends_at"]), venue=row["venue"],
        commune_code=row["commune_code"], capacity=row["capacity"],
        audience=tuple(a for a in row["audience"].split(",") if a),
        deadline_at=_dt(row["deadline_at"]), state=row["state"], created_by=row["created_by"],
        taken=row["taken"], waiting=row["waiting"],
    )


def _values(fields: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in fields.items():
        if k not in FIELDS:
            raise ValueError(f"not a course field: {k}")
        if isinstance(v, datetime):
            v = _utc(v)
        elif k == "audience":
            v = ",".join(v)
        out[k] = v
    return out


class Courses:
    """Repository of courses, registrations and course notices."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- courses ---------------------------------------------------------------
    async def create(self, fields: dict[str, Any], by: str, now: datetime) -> int:
        vals = _values(fields)
        cols = ", ".join(vals)
        marks = ", ".join("?" for _ in vals)
        return await self.db.execute(
            f"INSERT INTO courses ({cols}, created_by, created_at) VALUES ({marks}, ?, ?)",
            (*vals.values(), by, _utc(now)),
        )

    async def get(self, course_id: int) -> Course | None:
        row = await self.db.fetchone(f"SELECT {_COURSE_COLS} FROM courses c WHERE c.id = ?",
                                     (course_id,))
        return _course(row) if row else None

    async def upcoming(self, now: datetime, limit: int = 20) -> list[Course]:
        """Open courses that have not started, soonest first."""
        rows = await self.db.fetchall(
            f"SELECT {_COURSE_COLS} FROM courses c WHERE c.state = 'open' AND c.starts_at > ?"
            " ORDER BY c.starts_at, c.id LIMIT ?", (_utc(now), limit))
        return [_course(r) for r in rows]

    async def listing(self, since: datetime, limit: int = 50) -> list[Course]:
        """Every course ending after ``since`` (staff's list), soonest first."""
        rows = await self.db.fetchall(
            f"SELECT {_COURSE_COLS} FROM courses c WHERE c.ends_at > ?"
            " ORDER BY c.starts_at, c.id LIMIT ?", (_utc(since), limit))
        return [_course(r) for r in rows]

    async def update(self, course_id: int, fields: dict[str, Any], plan, now: datetime) -> list[int]:
        """Change a course; re-plan pending reminders; fill seats a larger capacity
        opened.  ``plan(course) -> [(kind, due)]``.  Returns promoted registrations."""
        vals = _values(fields)
        async with self.db.transaction() as conn:
            if vals:
                sets = ", ".join(f"{k} = ?" for k in vals)
                await conn.execute(f"UPDATE courses SET {sets} WHERE id = ?",
                                   (*vals.values(), course_id))
            course = await self._get_in(conn, course_id)
            if course is None:
                return []
            await conn.execute(
                "DELETE FROM course_notices WHERE done_at IS NULL AND kind LIKE 'd%' AND"
                " registration_id IN (SELECT id FROM registrations WHERE course_id = ?"
                " AND status = 'registered')", (course_id,))
            regs = await (await conn.execute(
                "SELECT id FROM registrations WHERE course_id = ? AND status = 'registered'",
                (course_id,))).fetchall()
            for r in regs:
                await self._add_notices(conn, r[0], plan(course))
            return await self._promote(conn, course, plan, now)

    async def cancel(self, course_id: int, now: datetime) -> int:
        """Cancel a course: pending reminders dropped, every registrant told.  Returns
        how many will be told (0 when it was already cancelled or does not exist)."""
        async with self.db.transaction() as conn:
            cur = await conn.execute(
                "UPDATE courses SET state = 'cancelled', cancelled_at = ? WHERE id = ?"
                " AND state = 'open'", (_utc(now), course_id))
            if cur.rowcount == 0:
                return 0
            await conn.execute(
                "UPDATE course_notices SET done_at = ?, outcome = 'dropped' WHERE done_at IS NULL"
                " AND registration_id IN (SELECT id FROM registrations WHERE course_id = ?)",
                (_utc(now), course_id))
            cur = await conn.execute(
                "INSERT INTO course_notices (registration_id, kind, due_at)"
                " SELECT id, 'cancelled', ? FROM registrations WHERE course_id = ?"
                " AND status IN ('registered', 'waitlisted')"
                " ON CONFLICT (registration_id, kind) DO NOTHING", (_utc(now), course_id))
            return cur.rowcount

    # -- registrations -----------------------------------------------------------
    async def register(self, course_id: int, member_id: int, now: datetime, plan, *,
                       waitlist: bool) -> str:
        """Take a seat (or a place on the waiting list when ``waitlist`` and full).

        Returns "registered", "waitlisted", "full" (no seat, waiting list not asked
        for), "already" (holds a seat or a place), "closed" (cancelled, started or
        past the deadline) or "missing"."""
        at = _utc(now)
        async with self.db.transaction() as conn:
            course = await self._get_in(conn, course_id)
            if course is None:
                return "missing"
            if course.state != "open" or course.starts_at <= now or course.deadline_at < now:
                return "closed"
            row = await (await conn.execute(
                "SELECT status FROM registrations WHERE course_id = ? AND member_id = ?",
                (course_id, member_id))).fetchone()
            if row and row[0] in (*ACTIVE, "attended"):
                return "already"
            if course.taken < course.capacity:
                status = "registered"
            elif waitlist:
                status = "waitlisted"
            else:
                return "full"
            cur = await conn.execute(
                "INSERT INTO registrations (course_id, member_id, status, created_at, updated_at,"
                " queued_at) VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (course_id, member_id) DO UPDATE SET status = excluded.status,"
                " updated_at = excluded.updated_at, queued_at = excluded.queued_at"
                " RETURNING id",
                (course_id, member_id, status, at, at, at if status == "waitlisted" else None))
            reg_id = (await cur.fetchone())[0]
            if status == "registered":
                await self._add_notices(conn, reg_id, plan(course))
            return status

    async def withdraw(self, registration_id: int, member_id: int | None, now: datetime,
                       plan) -> tuple[bool, list[int]]:
        """Cancel one registration (only the member's own when ``member_id`` is given);
        the first on the waiting list takes a freed seat.  Returns (done, promoted)."""
        async with self.db.transaction() as conn:
            row = await (await conn.execute(
                "SELECT course_id, member_id, status FROM registrations WHERE id = ?",
                (registration_id,))).fetchone()
            if row is None or row[2] not in ACTIVE or (member_id is not None and row[1] != member_id):
                return False, []
            await conn.execute(
                "UPDATE registrations SET status = 'cancelled', updated_at = ?, queued_at = NULL"
                " WHERE id = ?", (_utc(now), registration_id))
            await conn.execute(
                "UPDATE course_notices SET done_at = ?, outcome = 'dropped' WHERE done_at IS NULL"
                " AND registration_id = ?", (_utc(now), registration_id))
            course = await self._get_in(conn, row[0])
            promoted = await self._promote(conn, course, plan, now) if course else []
            return True, promoted

    async def _promote(self, conn, course: Course, plan, now: datetime) -> list[int]:
        """Move the first people on the waiting list into free seats; tell them."""
        if course.state != "open" or course.starts_at <= now:
            return []
        free = course.capacity - course.taken
        if free <= 0:
            return []
        rows = await (await conn.execute(
            "SELECT id FROM registrations WHERE course_id = ? AND status = 'waitlisted'"
            " ORDER BY queued_at, id LIMIT ?", (course.id, free))).fetchall()
        promoted = [r[0] for r in rows]
        for reg_id in promoted:
            await conn.execute(
                "UPDATE registrations SET status = 'registered', updated_at = ?, queued_at = NULL"
                " WHERE id = ?", (_utc(now), reg_id))
            await self._add_notices(conn, reg_id, [("promoted", now), *plan(course)])
        return promoted

    async def _add_notices(self, conn, reg_id: int, due: list[tuple[str, datetime]]) -> None:
        await conn.executemany(
            "INSERT INTO course_notices (registration_id, kind, due_at) VALUES (?, ?, ?)"
            " ON CONFLICT (registration_id, kind) DO UPDATE SET due_at = excluded.due_at,"
            " done_at = NULL, outcome = NULL",
            [(reg_id, kind, _utc(when)) for kind, when in due])

    async def _get_in(self, conn, course_id: int) -> Course | None:
        cur = await conn.execute(f"SELECT {_COURSE_COLS} FROM courses c WHERE c.id = ?", (course_id,))
        row = await cur.fetchone()
        return _course(row) if row else None

    async def of_member(self, member_id: int, since: datetime) -> list[tuple[Registration, Course]]:
        """A member's registrations and waiting-list places for courses not yet ended."""
        rows = await self.db.fetchall(
            "SELECT r.id AS rid, r.status AS rstatus, r.created_at AS rcreated, r.queued_at,"
            f" {_COURSE_COLS} FROM registrations r JOIN courses c ON c.id = r.course_id"
            " WHERE r.member_id = ? AND r.status IN ('registered', 'waitlisted')"
            " AND c.ends_at > ? ORDER BY c.starts_at", (member_id, _utc(since)))
        out = []
        for row in rows:
            pos = 0
            if row["rstatus"] == "waitlisted":
                pos = (await self.db.fetchone(
                    "SELECT COUNT(*) FROM registrations WHERE course_id = ? AND status = 'waitlisted'"
                    " AND (queued_at < ? OR (queued_at = ? AND id <= ?))",
                    (row["id"], row["queued_at"], row["queued_at"], row["rid"])))[0]
            out.append((Registration(row["rid"], row["id"], member_id, row["rstatus"],
                                     _dt(row["rcreated"]), pos), _course(row)))
        return out

    async def history_of(self, member_id: int, limit: int = 50) -> list[tuple[Registration, Course]]:
        """Every registration of a member (any status), the newest course first."""
        rows = await self.db.fetchall(
            "SELECT r.id AS rid, r.status AS rstatus, r.created_at AS rcreated,"
            f" {_COURSE_COLS} FROM registrations r JOIN courses c ON c.id = r.course_id"
            " WHERE r.member_id = ? ORDER BY c.starts_at DESC LIMIT ?", (member_id, limit))
        return [(Registration(row["rid"], row["id"], member_id, row["rstatus"],
                              _dt(row["rcreated"])), _course(row)) for row in rows]

    async def registration(self, registration_id: int) -> Registration | None:
        row = await self.db.fetchone(
            "SELECT id, course_id, member_id, status, created_at FROM registrations WHERE id = ?",
            (registration_id,))
        return Registration(row[0], row[1], row[2], row[3], _dt(row[4])) if row else None

    async def registrants(self, course_id: int) -> list[Registrant]:
        rows = await self.db.fetchall(
            "SELECT r.id, r.member_id, r.status, r.created_at,"
            " COALESCE(m.full_name, m.display_name), m.phone, m.commune_code, m.role, m.organisation,"
            " r.feedback_score, r.feedback_comment FROM registrations r"
            " JOIN members m ON m.id = r.member_id WHERE r.course_id = ?"
            " ORDER BY CASE r.status WHEN 'waitlisted' THEN 1 WHEN 'cancelled' THEN 2 ELSE 0 END,"
            " COALESCE(r.queued_at, r.created_at), r.id", (course_id,))
        return [Registrant(r[0], r[1], r[2], _dt(r[3]), *r[4:]) for r in rows]

    async def set_attendance(self, course_id: int, present: set[int], absent: set[int],
                             now: datetime, feedback_at: datetime) -> int:
        """Mark registrations attended or no-show (one transaction); attendees get the
        feedback question at ``feedback_at``.  Returns the rows changed."""
        at = _utc(now)
        changed = 0
        async with self.db.transaction() as conn:
            for ids, status in ((present, "attended"), (absent, "no_show")):
                for reg_id in ids:
                    cur = await conn.execute(
                        "UPDATE registrations SET status = ?, updated_at = ? WHERE id = ?"
                        " AND course_id = ? AND status IN ('registered', 'attended', 'no_show')",
                        (status, at, reg_id, course_id))
                    changed += cur.rowcount
            await conn.executemany(
                "INSERT INTO course_notices (registration_id, kind, due_at) VALUES (?, 'feedback', ?)"
                " ON CONFLICT (registration_id, kind) DO NOTHING",
                [(r, _utc(feedback_at)) for r in present])
            if absent:
                marks = ", ".join("?" for _ in absent)
                await conn.execute(
                    "DELETE FROM course_notices WHERE kind = 'feedback' AND done_at IS NULL"
                    f" AND registration_id IN ({marks})", tuple(absent))
        return changed

    async def set_feedback(self, registration_id: int, member_id: int, score: int | None = None,
                           comment: str | None = None) -> bool:
        sets, params = [], []
        if score is not None:
            sets.append("feedback_score = ?")
            params.append(score)
        if comment is not None:
            sets.append("feedback_comment = ?")
            params.append(comment)
        n = await self.db.execute(
            f"UPDATE registrations SET {', '.join(sets)} WHERE id = ? AND member_id = ?"
            " AND status = 'attended'", (*params, registration_id, member_id))
        return n > 0

    # -- notices ---------------------------------------------------------------
    async def due_notices(self, now: datetime, limit: int = 200) -> list[Notice]:
        rows = await self.db.fetchall(
            "SELECT n.id, n.kind, n.registration_id, r.status, r.course_id, m.id, m.channel,"
            " m.chat_id, m.locale, (m.blocked_at IS NULL) FROM course_notices n"
            " JOIN registrations r ON r.id = n.registration_id JOIN members m ON m.id = r.member_id"
            " WHERE n.done_at IS NULL AND n.due_at <= ? ORDER BY n.due_at, n.id LIMIT ?",
            (_utc(now), limit))
        return [Notice(*r[:9], bool(r[9])) for r in rows]

    async def claim_notice(self, notice_id: int, now: datetime) -> bool:
        """Mark a notice as being sent (before the call: a crash never sends it twice)."""
        n = await self.db.execute(
            "UPDATE course_notices SET done_at = ?, outcome = 'sending' WHERE id = ?"
            " AND done_at IS NULL", (_utc(now), notice_id))
        return n > 0

    async def release_notice(self, notice_id: int) -> None:
        """Back to pending (the send was not tried: shutting down)."""
        await self.db.execute("UPDATE course_notices SET done_at = NULL, outcome = NULL WHERE id = ?",
                              (notice_id,))

    async def finish_notice(self, notice_id: int, outcome: str, now: datetime) -> None:
        await self.db.execute("UPDATE course_notices SET done_at = ?, outcome = ? WHERE id = ?",
                              (_utc(now), outcome, notice_id))

    async def notice_counts(self) -> dict[tuple[str, str], int]:
        rows = await self.db.fetchall(
            "SELECT kind, COALESCE(outcome, 'pending'), COUNT(*) FROM course_notices"
            " GROUP BY kind, COALESCE(outcome, 'pending')")
        return {(r[0], r[1]): r[2] for r in rows}

    # -- figures -----------------------------------------------------------------
    async def trained(self, since: datetime | None = None,
                      until: datetime | None = None) -> list[tuple[str | None, str | None, int]]:
        """People who attended at least one course (ending in the window), counted
        once each, by (role, commune)."""
        conds, params = ["r.status = 'attended'"], []
        if since is not None:
            conds.append("c.ends_at >= ?")
            params.append(_utc(since))
        if until is not None:
            conds.append("c.ends_at < ?")
            params.append(_utc(until))
        rows = await self.db.fetchall(
            "SELECT m.role, m.commune_code, COUNT(DISTINCT m.id) FROM registrations r"
            " JOIN courses c ON c.id = r.course_id JOIN members m ON m.id = r.member_id"
            f" WHERE {' AND '.join(conds)} GROUP BY m.role, m.commune_code", params)
        return [(r[0], r[1], r[2]) for r in rows]
