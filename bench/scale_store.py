"""A store the size of a province, built fast from the project's own migrations.

    python bench/scale_store.py PATH --members 250000

Members over the real communes of the configured province, with roles, phones, channels
(Telegram and Zalo), a mix of subscribed / stopped / blocked, topics; about 8 article
reads per member over the library's articles; a registration per 12.5 members over
40 courses; 8 quarters of check-ins (each quarterly questionnaire, about a third of its
audience answering each quarter, every answer typed as the bot stores it).  The file is
first opened by :class:`bot.store.Store` (so every migration applies), then filled with
plain ``sqlite3`` in large transactions.  At 250,000 members it is about 500 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import load_settings  # noqa: E402
from bot.content import load_library  # noqa: E402
from bot.geo import communes_of  # noqa: E402
from bot.store import Store  # noqa: E402

ROLES = ["farmer"] * 70 + ["official"] * 8 + ["coop"] * 10 + ["group"] * 6 + ["business"] * 3 \
    + [None] * 3
QUARTERS = 8


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat()


def _answer(q: dict, rnd: random.Random) -> tuple[str | None, float | None]:
    kind = q["type"]
    options = [o[0] for o in q.get("options", [])]
    if kind == "number":
        n = float(rnd.randint(0, 40))
        return str(int(n)), n
    if kind == "yesno":
        return rnd.choice(["yes", "no"]), None
    if kind == "choice":
        return rnd.choice(options), None
    if kind == "multi":
        return json.dumps(rnd.sample(options, rnd.randint(1, min(3, len(options))))), None
    if kind == "date":
        return "2025-05-14", None
    if kind == "photo":
        return None, None
    return "Ghi chú của hội viên", None


def build(path: Path, members: int, *, now: datetime | None = None, seed: int = 14) -> dict[str, int]:
    """Create ``path`` (must not exist) holding a province of ``members``; returns row counts."""
    path = Path(path)
    if path.exists():
        raise SystemExit(f"{path}: already exists")
    asyncio.run(_migrate(path))
    rnd = random.Random(seed)
    now = now or datetime.now(UTC)
    settings = load_settings(env={})
    communes = [c.code for c in communes_of(settings.province)]
    library = load_library(ROOT / "content")
    articles = list(library.articles["vi"])
    topics = list(library.topics)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA foreign_keys=OFF")
    counts: dict[str, int] = {}
    start = now - timedelta(days=2 * 365)

    def rows_members():
        for i in range(1, members + 1):
            channel = "telegram" if i % 3 else "zalo"
            state = rnd.random()
            created = start + timedelta(seconds=rnd.randint(0, 2 * 365 * 86400))
            subscribed = 1 if state < 0.9 else 0
            stopped = _iso(created + timedelta(days=3)) if 0.9 <= state < 0.95 else None
            blocked = _iso(created + timedelta(days=5)) if state >= 0.95 else None
            yield (i, channel, str(10_000_000 + i), str(10_000_000 + i), f"Người {i}",
                   f"Nguyễn Văn {i}", f"+8491{i:07d}", rnd.choice(communes), rnd.choice(ROLES),
                   subscribed, _iso(created), stopped, blocked, 1, _iso(created), _iso(created))

    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO members (id, channel, user_id, chat_id, display_name, full_name, phone,"
        " commune_code, role, subscribed, consent_at, stopped_at, blocked_at, profile_done,"
        " created_at, last_seen_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows_members())
    conn.executemany("INSERT OR IGNORE INTO member_topics (member_id, topic) VALUES (?, ?)",
                     ((rnd.randint(1, members), rnd.choice(topics)) for _ in range(members)))
    conn.execute("COMMIT")
    counts["members"] = members

    reads = members * 8
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO article_reads (member_id, article_id, at) VALUES (?, ?, ?)",
        ((rnd.randint(1, members), rnd.choice(articles),
          _iso(start + timedelta(seconds=rnd.randint(0, 2 * 365 * 86400)))) for _ in range(reads)))
    conn.execute("COMMIT")
    counts["article_reads"] = reads

    conn.execute("BEGIN")
    for c in range(1, 41):
        at = now + timedelta(days=rnd.randint(-600, 60))
        conn.execute(
            "INSERT INTO courses (id, title, description, starts_at, ends_at, venue, commune_code,"
            " capacity, deadline_at, state, created_by, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (c, f"Tập huấn số {c}", "", _iso(at), _iso(at + timedelta(hours=4)), "Hội trường xã",
             rnd.choice(communes), 5000, _iso(at - timedelta(days=1)), "open", "bench", _iso(at)))
    regs = members * 2 // 25
    conn.executemany(
        "INSERT OR IGNORE INTO registrations (course_id, member_id, status, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?)",
        ((rnd.randint(1, 40), rnd.randint(1, members), rnd.choice(["registered"] * 8 + ["attended"] * 2),
          _iso(now), _iso(now)) for _ in range(regs)))
    conn.execute("COMMIT")
    counts["registrations"] = conn.execute("SELECT COUNT(*) FROM registrations").fetchone()[0]

    # Check-ins: each questionnaire, 8 quarters back, a third of its audience answering.
    role_of = dict(conn.execute("SELECT id, role FROM members"))
    responses = answers = 0
    conn.execute("BEGIN")
    for cid, checkin in library.checkins.items():
        definition = checkin.definition()
        vid = conn.execute(
            "INSERT INTO checkin_versions (checkin_id, digest, definition, created_at)"
            " VALUES (?, 'bench', ?, ?) RETURNING id",
            (cid, json.dumps(definition, ensure_ascii=False), _iso(start))).fetchone()[0]
        wanted = set(checkin.audience.partition("=")[2].split("|"))
        audience = [m for m, r in role_of.items() if r in wanted]
        for q in range(QUARTERS):
            opens = now - timedelta(days=91 * (QUARTERS - q))
            period = f"{opens.year}-Q{(opens.month - 1) // 3 + 1}"
            run = conn.execute(
                "INSERT OR IGNORE INTO checkin_runs (checkin_id, period, opens_at, closes_at,"
                " invited_at, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                (cid, period, _iso(opens), _iso(opens + timedelta(days=20)), _iso(opens),
                 _iso(opens))).fetchone()
            if run is None:
                continue
            who = rnd.sample(audience, len(audience) // 3)
            for m in who:
                at = _iso(opens + timedelta(seconds=rnd.randint(0, 19 * 86400)))
                rid = conn.execute(
                    "INSERT INTO checkin_responses (run_id, member_id, version_id, state, started_at,"
                    " updated_at, submitted_at) VALUES (?, ?, ?, 'submitted', ?, ?, ?) RETURNING id",
                    (run[0], m, vid, at, at, at)).fetchone()[0]
                rows = []
                for question in definition["questions"]:
                    value, number = _answer(question, rnd)
                    if value is None:
                        continue
                    rows.append((rid, question["id"], question["type"], value, number, at))
                conn.executemany(
                    "INSERT INTO checkin_answers (response_id, question_id, kind, value, number,"
                    " answered_at) VALUES (?, ?, ?, ?, ?, ?)", rows)
                responses += 1
                answers += len(rows)
    conn.execute("COMMIT")
    counts["checkin_responses"] = responses
    counts["checkin_answers"] = answers
    conn.close()
    asyncio.run(_summarise(path))  # the counts the bot keeps as it goes, from the bulk rows
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("ANALYZE")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    path.chmod(0o600)
    return counts


async def _migrate(path: Path) -> None:
    store = await Store(path).open()
    await store.close()


async def _summarise(path: Path) -> None:
    store = await Store(path).open()
    try:
        await store.reads.rebuild_stats()
        await store.reporting.rebuild_latest()
    finally:
        await store.close()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("path", type=Path)
    p.add_argument("--members", type=int, default=250_000)
    a = p.parse_args()
    began = time.perf_counter()
    counts = build(a.path, a.members)
    size = a.path.stat().st_size / 1e6
    print(f"built {a.path} in {time.perf_counter() - began:.0f} s: {size:.0f} MB, "
          + ", ".join(f"{k} {v:,}" for k, v in counts.items()))


if __name__ == "__main__":
    main()
