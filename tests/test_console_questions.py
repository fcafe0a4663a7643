"""The console's Questions area (issue #16): the inbox of questions handed to staff,
answering one from the page (relayed to the farmer as a reply in the staff chat is),
its history, and the questions the bot could not answer, grouped.

Farmers ask over the fake Telegram Bot API as they would; staff use a real Chromium
or httpx against the real app on 127.0.0.1."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from bot.store import Store
from tests.console_rig import csrf_of
from tests.helpers import record_reads
from tests.test_query_plans import plan, scans
from tests.waits import until_async

STAFF_CHAT = -100500
COW = "con bò nhà em bị chướng bụng thì làm sao"
BUFFALO = "con trâu nhà em bỏ ăn mấy hôm nay thì làm thế nào"


def offers(fake, user: int, action: str) -> bool:
    """The last message to ``user`` has a button for ``action``."""
    sent = fake.sent(user)
    rows = sent[-1].get("reply_markup", {}).get("inline_keyboard", []) if sent else []
    return any(b.get("callback_data") == action for row in rows for b in row)


async def profile(rig, user: int, name: str) -> None:
    """A farmer starts and fills in their profile (commune Sơn Động, a farmer)."""
    fake = rig.fake
    fake.user_command(user, "/start", first_name=name)
    await fake.wait_until(lambda: offers(fake, user, "pf:go"))
    fake.user_callback(user, "pf:go", first_name=name)
    await fake.wait_for_sent(user, 3)
    fake.user_text(user, "son dong", first_name=name)
    await fake.wait_until(lambda: offers(fake, user, "pf:r:farmer"))
    fake.user_callback(user, "pf:r:farmer", first_name=name)
    await fake.wait_until(lambda: offers(fake, user, "pf:skip"))  # the phone number
    fake.user_callback(user, "pf:skip", first_name=name)
    await fake.wait_until(lambda: offers(fake, user, "pf:t:ocop"))  # the topics
    fake.user_callback(user, "pf:skip", first_name=name)

    async def done() -> bool:
        m = await rig.store.members.find("telegram", str(user))
        return m is not None and m.profile_done

    await until_async(done, "the profile filled in")


async def hand_off(rig, user: int, question: str, name: str = "Nông") -> int:
    """A farmer asks what the FAQ cannot answer and presses "Ask the union's staff"."""
    fake = rig.fake
    if not fake.sent(user):
        fake.user_command(user, "/start", first_name=name)
        await fake.wait_for_sent(user, 2)
    n = len(fake.sent(user))
    fake.user_text(user, question, first_name=name)

    def staff_button() -> str | None:
        for m in fake.sent(user)[n:]:
            for row in m.get("reply_markup", {}).get("inline_keyboard", []):
                for b in row:
                    if str(b.get("callback_data", "")).startswith("q:s:"):
                        return b["callback_data"]
        return None

    await fake.wait_until(lambda: staff_button() is not None)
    action = staff_button()
    qid = int(action.split(":")[2])
    n = len(fake.sent(user))
    fake.user_callback(user, action, first_name=name)
    await fake.wait_until(lambda: any(f"#{qid}" in t for t in fake.texts(STAFF_CHAT)))
    await fake.wait_for_sent(user, n + 1)  # "sent to the union's staff"
    return qid


async def ask_only(rig, user: int, question: str) -> None:
    """A farmer asks what the FAQ cannot answer (and does not hand it to staff)."""
    fake = rig.fake
    if not fake.sent(user):
        fake.user_command(user, "/start")
        await fake.wait_for_sent(user, 2)
    n = len(fake.sent(user))
    fake.user_text(user, question)
    await fake.wait_for_sent(user, n + 1)


async def login(rig, page) -> None:
    link = await rig.link()
    await page.goto(link)
    await page.get_by_role("button", name="Đăng nhập").click()
    await page.wait_for_url("**/console/overview")


async def test_staff_answer_a_handed_off_question_from_the_page_and_the_farmer_gets_it_once(rig, page):
    await profile(rig, 4242, "Bà Tư")
    qid = await hand_off(rig, 4242, BUFFALO, name="Bà Tư")
    await login(rig, page)
    await page.get_by_role("navigation").get_by_role("link", name="Hỏi đáp").click()
    row = page.locator("tr", has_text="con trâu nhà em bỏ ăn")
    await row.get_by_text("Chờ trả lời").wait_for()
    await row.get_by_text("Bà Tư").wait_for()
    await row.get_by_text("Xã Sơn Động").wait_for()
    await row.get_by_text("Hội viên nông dân").wait_for()
    await row.get_by_text("Telegram").wait_for()  # the channel's title from the registry
    await row.get_by_role("link", name=str(qid)).click()
    await page.wait_for_url(f"**/console/questions/{qid}")
    answer = "Bà cho trâu uống nước ấm và gọi thú y xã ngay nhé."
    before = len(rig.fake.sent(4242))
    await page.get_by_label("Câu trả lời của bạn").fill(answer)
    await page.get_by_role("button", name="Gửi câu trả lời").click()
    await page.get_by_role("status").get_by_text("Đã gửi câu trả lời").wait_for()
    await page.locator(".q-answers").get_by_text(answer).wait_for()  # in the history
    # The farmer gets it as a reply in the staff chat brings it: once, with the rating buttons.
    await rig.fake.wait_for_sent(4242, before + 1)
    got = [m for m in rig.fake.sent(4242)[before:] if answer in str(m.get("text", ""))]
    assert len(got) == 1
    buttons = [b["callback_data"] for row in got[0]["reply_markup"]["inline_keyboard"] for b in row]
    assert buttons == [f"q:r:{qid}:1", f"q:r:{qid}:0"]
    # The staff chat learns the question was answered, and by whom.
    await rig.fake.wait_until(lambda: any(f"#{qid}" in t and answer in t
                                          for t in rig.fake.texts(STAFF_CHAT)))
    assert (await rig.store.questions.get(qid)).answered
    actions = [a["action"] for a in await rig.store.audit.recent()]
    assert "web.questions.answer" in actions and "faq.staff_answer" in actions
    await page.get_by_role("link", name="← Tất cả câu hỏi").click()
    await page.locator("tr", has_text="con trâu nhà em bỏ ăn").get_by_text("Đã trả lời").wait_for()
    rows = await rig.store.db.fetchall("SELECT state FROM direct_messages")
    assert [r[0] for r in rows] == ["sent"]
    assert sum(answer in t for t in rig.fake.texts(4242)) == 1


async def test_a_farmer_named_like_a_script_shows_as_text(rig, page):
    name = "<script>alert(1)</script>"
    qid = await hand_off(rig, 4343, COW, name=name)
    dialogs: list[str] = []
    page.on("dialog", lambda d: dialogs.append(d.message))
    await login(rig, page)
    await page.goto(rig.base + "/console/questions")
    await page.locator("tr", has_text="chướng bụng").get_by_text(name).wait_for()
    await page.goto(rig.base + f"/console/questions/{qid}")
    await page.locator("dl.q-meta").get_by_text(name).wait_for()
    assert dialogs == []


async def test_the_unanswered_list_groups_similar_questions(rig):
    await ask_only(rig, 5001, "con trâu nhà em bỏ ăn thì làm sao")
    await ask_only(rig, 5002, "Con trau nha em bo an thi lam sao?")
    await ask_only(rig, 5003, COW)
    async with rig.http(await rig.link()) as client:
        r = await client.get("/console/questions/unanswered")
        assert r.status_code == 200
        rows = re.findall(r"<tr>(.*?)</tr>", r.text, re.S)
        buffalo = [row for row in rows if "bo an thi lam sao" in row.lower()
                   or "bỏ ăn thì làm sao" in row.lower()]
        assert len(buffalo) == 1, rows  # the two ways of writing it are one group
        assert re.findall(r'<td class="num">(\d+)</td>', buffalo[0])[0] == "2"
        cow = [row for row in rows if "chướng bụng" in row]
        assert len(cow) == 1 and re.findall(r'<td class="num">(\d+)</td>', cow[0])[0] == "1"
        assert rows.index(buffalo[0]) < rows.index(cow[0])  # the most asked first


async def test_answering_without_the_csrf_token_is_refused(rig):
    qid = await hand_off(rig, 4242, BUFFALO)
    before = len(rig.fake.sent(4242))
    async with rig.http(await rig.link()) as client:
        r = await client.post(f"/console/questions/{qid}/answer", data={"answer": "Gọi thú y."})
        assert r.status_code == 403
        page = await client.get(f"/console/questions/{qid}")
        assert page.status_code == 200 and "Chờ trả lời" in page.text
    assert not (await rig.store.questions.get(qid)).answered
    assert await rig.store.db.fetchone("SELECT 1 FROM direct_messages") is None
    assert len(rig.fake.sent(4242)) == before


async def test_an_empty_answer_gets_a_polite_message_and_changes_nothing(rig):
    qid = await hand_off(rig, 4242, BUFFALO)
    async with rig.http(await rig.link()) as client:
        page = await client.get(f"/console/questions/{qid}")
        r = await client.post(f"/console/questions/{qid}/answer",
                              data={"csrf": csrf_of(page.text), "answer": "  \n "})
        assert r.status_code == 400 and "Vui lòng viết câu trả lời trước khi gửi." in r.text
    assert not (await rig.store.questions.get(qid)).answered
    assert await rig.store.questions.answers(qid) == []
    assert await rig.store.db.fetchone("SELECT 1 FROM direct_messages") is None


async def test_a_question_that_does_not_exist_is_a_404_page(rig):
    await ask_only(rig, 5001, COW)
    [(qid,)] = await rig.store.db.fetchall("SELECT id FROM questions")
    async with rig.http(await rig.link()) as client:
        shown = await client.get(f"/console/questions/{qid}")
        assert shown.status_code == 200 and "chướng bụng" in shown.text
        assert "Chưa chuyển cho cán bộ" in shown.text  # asked, not handed to staff
        r = await client.get(f"/console/questions/{qid + 1}")
        assert r.status_code == 404 and "Trang này không có." in r.text
        page = await client.get("/console/questions")
        r = await client.post("/console/questions/999999/answer",
                              data={"csrf": csrf_of(page.text), "answer": "x"})
        assert r.status_code == 404
    assert await rig.store.db.fetchone("SELECT 1 FROM direct_messages") is None


async def test_the_inbox_reads_use_indexes(tmp_path):
    """No read of the inbox scans the questions or the members (EXPLAIN QUERY PLAN)."""
    s = await Store(tmp_path / "q.db").open()
    seen = record_reads(s.db)
    q = s.questions
    await q.waiting_count()
    await q.answered_count()
    await q.waiting(25, 50)
    await q.answered(25, 0)
    await q.row(1)
    await q.answers(1)
    await q.of_member(1)
    await q.unanswered_groups(datetime(2026, 9, 1, tzinfo=UTC))
    await s.close()
    assert len(seen) == 8
    for sql, params in seen:
        lines = plan(tmp_path / "q.db", sql, params)
        bad = [ln for ln in lines if re.search(r"\bSCAN (q|g|m|questions|members)\b", ln)]
        assert bad == [] and scans(lines) == [], (sql, lines)
