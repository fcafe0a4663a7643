"""A hand-built dataset of members, courses and check-in answers with known totals
(written row by row with ``store.db.execute``), shared by the reporting tests.

Period 2026-Q3 is [1 Jul, 1 Oct) 2026 in Vietnam; 2026-Q2 the quarter before.
Expected values are in :data:`EXPECTED` (Q3) and :data:`EXPECTED_Q2`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.content import load_library
from bot.store import Store

CONTENT = Path(__file__).resolve().parent.parent / "content"
A, B, C = "7615", "7627", "7616"  # Xã Sơn Động, Xã Đại Sơn, Xã Tây Yên Tử
VN = timedelta(hours=7)

EXPECTED = {"units_informing": 100 * 1 / 99, "officials_trained": 50.0, "directors_trained": 50.0,
            "ocop_3_stars": 2, "ocop_online": 3, "chain_products": 1, "chain_models": 1, "new_groups": 3}
EXPECTED_Q2 = {"units_informing": 100 * 1 / 99, "officials_trained": 0.0, "directors_trained": 0.0,
               "ocop_3_stars": 2, "ocop_online": 1, "chain_products": 1, "chain_models": 0,
               "new_groups": 4}


def local(y: int, mo: int, d: int, h: int = 9) -> datetime:
    """A Vietnam local time as aware UTC."""
    return datetime(y, mo, d, h, tzinfo=UTC) - VN


class Data:
    """Small writers for the tables the reports read."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.library = load_library(CONTENT)
        self._n = 0
        self.versions: dict[str, int] = {}

    async def member(self, role: str, commune: str | None = A, name: str | None = None) -> int:
        self._n += 1
        return await self.store.db.execute(
            "INSERT INTO members (channel, user_id, chat_id, full_name, phone, commune_code, role,"
            " subscribed, profile_done, created_at) VALUES ('rec', ?, ?, ?, ?, ?, ?, 1, 1, ?)",
            (f"m{self._n}", f"m{self._n}", name or f"Hội viên {self._n}", "+84912000" + f"{self._n:03d}",
             commune, role, local(2026, 1, 1).isoformat()))

    async def version(self, checkin_id: str, relabel: dict[str, str] | None = None) -> int:
        """The shipped questionnaire as a version (``relabel``: other labels for stars)."""
        definition = self.library.checkins[checkin_id].definition()
        digest = "shipped"
        if relabel:
            for q in definition["questions"]:
                if q["id"] == "stars":
                    q["options"] = [[k, relabel.get(k, v)] for k, v in q["options"]]
            digest = "old"
        return await self.store.db.execute(
            "INSERT INTO checkin_versions (checkin_id, digest, definition, created_at)"
            " VALUES (?, ?, ?, ?)", (checkin_id, digest, json.dumps(definition, ensure_ascii=False),
                                     local(2026, 1, 1).isoformat()))

    async def run(self, checkin_id: str, period: str, opens: datetime) -> int:
        return await self.store.db.execute(
            "INSERT INTO checkin_runs (checkin_id, period, opens_at, closes_at, created_at)"
            " VALUES (?, ?, ?, ?, ?)", (checkin_id, period, opens.isoformat(),
                                        (opens + timedelta(days=28)).isoformat(), opens.isoformat()))

    async def response(self, run: int, member: int, version: int, at: datetime,
                       answers: dict[str, object], submitted: bool = True) -> int:
        rid = await self.store.db.execute(
            "INSERT INTO checkin_responses (run_id, member_id, version_id, state, started_at,"
            " updated_at, submitted_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (run, member, version, "submitted" if submitted else "open", at.isoformat(),
             at.isoformat(), at.isoformat() if submitted else None))
        row = await self.store.db.fetchone(
            "SELECT u.checkin_id FROM checkin_runs u WHERE u.id = ?", (run,))
        checkin = self.library.checkins[row[0]]
        for qid, value in answers.items():
            kind = checkin.question(qid).type
            number = float(value) if kind == "number" else None
            text = json.dumps(value) if kind == "multi" else str(value)
            await self.store.db.execute(
                "INSERT INTO checkin_answers (response_id, question_id, kind, value, number, answered_at)"
                " VALUES (?, ?, ?, ?, ?, ?)", (rid, qid, kind, text, number, at.isoformat()))
        return rid

    async def attended(self, member: int, course: int) -> None:
        await self.store.db.execute(
            "INSERT INTO registrations (course_id, member_id, status, created_at, updated_at)"
            " VALUES (?, ?, 'attended', ?, ?)", (course, member, local(2026, 1, 1).isoformat(),
                                                 local(2026, 1, 1).isoformat()))

    async def course(self, ends: datetime) -> int:
        return await self.store.courses.create(
            {"title": "Quản trị HTX", "description": "", "starts_at": ends - timedelta(hours=3),
             "ends_at": ends, "venue": "Hội trường", "capacity": 50, "audience": (),
             "deadline_at": ends - timedelta(hours=3)}, "test", ends - timedelta(days=30))


async def build(store: Store) -> Data:
    """Members in communes A, B, C; answers in Q2 and Q3 2026 (see the module doc)."""
    d = Data(store)
    hd = await d.version("hoat-dong-co-so")
    old = await d.version("ocop-quy", relabel={"3": "Ba sao (cũ)"})
    oq = await d.version("ocop-quy")
    hd2, hd3 = await d.run("hoat-dong-co-so", "2026-Q2", local(2026, 4, 6)), \
        await d.run("hoat-dong-co-so", "2026-Q3", local(2026, 7, 6))
    oq2, oq3 = await d.run("ocop-quy", "2026-Q2", local(2026, 4, 6)), \
        await d.run("ocop-quy", "2026-Q3", local(2026, 7, 6))
    o1, o2, o3, o4 = (await d.member("official", A, "Cán bộ A"), await d.member("official", B),
                      await d.member("official", C), await d.member("official", A))
    farmer = await d.member("farmer", B)
    # Unit activity: Q3 commune A active (o1, o4), B reported 0 meetings; Q2 commune C active.
    await d.response(hd3, o1, hd, local(2026, 7, 10), {"meetings": 3, "reached": 120, "new_groups": 2,
                                                       "notes": "Cần tài liệu OCOP"})
    await d.response(hd3, o2, hd, local(2026, 7, 11), {"meetings": 0, "new_groups": 1})
    await d.response(hd3, o4, hd, local(2026, 7, 12), {"meetings": 1, "reached": 30, "new_groups": 0})
    await d.response(hd3, farmer, hd, local(2026, 7, 12), {"meetings": 2, "new_groups": 0})
    await d.response(hd2, o3, hd, local(2026, 4, 20), {"meetings": 5, "reached": 200, "new_groups": 4})
    # Training: a course in August (o1, o2, c1), one after the quarter (o3).
    c1, g1, b1, b2, b3, b4 = (await d.member("coop", A, "HTX Mật ong"), await d.member("group", B),
                              await d.member("business", C), await d.member("business", A),
                              await d.member("business", B), await d.member("business", C))
    aug, nov = await d.course(local(2026, 8, 15, 11)), await d.course(local(2026, 11, 1, 11))
    for m in (o1, o2, c1):
        await d.attended(m, aug)
    await d.attended(o3, nov)
    # OCOP producers.
    await d.response(oq2, c1, old, local(2026, 4, 15), {
        "has_product": "yes", "product": "Mật ong rừng", "stars": "3", "certified_on": "2025-06-15",
        "online": "no", "chain": "yes", "partner": "Siêu thị X", "material_area": 10,
        "chain_model": "no", "channels": ["market", "fair"]})
    await d.response(oq3, c1, oq, local(2026, 7, 15), {
        "has_product": "yes", "product": "Mật ong rừng", "stars": "4", "certified_on": "2026-05-02",
        "online": "yes", "platforms": ["postmart", "shopee"], "chain": "yes", "partner": "Siêu thị X",
        "material_area": 0, "chain_model": "yes", "channels": ["shop", "online"]})
    await d.response(oq3, g1, oq, local(2026, 7, 16), {
        "has_product": "yes", "product": "Gà đồi", "stars": "none", "online": "yes",
        "platforms": ["voso"], "chain": "yes", "partner": "Công ty Y", "material_area": 5,
        "chain_model": "no", "channels": ["market"]})
    await d.response(oq2, b1, oq, local(2026, 5, 2), {
        "has_product": "yes", "product": "Vải thiều", "stars": "5", "certified_on": "2024-01-10",
        "online": "yes", "platforms": ["lazada"], "chain": "no", "material_area": 0,
        "channels": ["export"]})
    await d.response(oq3, b2, oq, local(2026, 7, 20), {"has_product": "no", "channels": ["market"]})
    await d.response(oq3, b3, oq, local(2026, 7, 21), {"has_product": "yes", "stars": "5"},
                     submitted=False)
    await d.response(oq3, b4, oq, local(2026, 10, 5), {"has_product": "yes", "stars": "3",
                                                       "online": "no", "chain": "no",
                                                       "material_area": 0, "channels": ["market"]})
    await store.reporting.rebuild_latest()  # rows written in bulk, as an import would
    return d
