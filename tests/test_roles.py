"""Rights from one place: only staff (NHANONG_ADMINS) reach staff commands, buttons,
flows and replies to the bot's posts, in the staff chat and in private alike.

A person who is in the staff chat but not staff tries every staff command, every
staff button prefix and every staff flow the router knows (enumerated, so a new
one is covered without touching this file); nothing may change (audit, courses,
broadcasts, questions, messages to farmers, exports) and no farmer's name or phone
may be shown.  Then the exact attacks of issue 12, and the same things done by real
staff, which must still work.  Real engine, real SQLite file.
"""

from __future__ import annotations

from dataclasses import astuple
from datetime import UTC, datetime

import pytest

from bot.broadcast import create_broadcast
from bot.phone import show_phone
from bot.training import parse_course
from bot.types import Capabilities, Inbound, InboundKind, Rendered
from tests.helpers import Harness, actions_of, text_of

# The staff's chat can take files: an export would show as a document.
FILES = Capabilities(buttons=True, max_text=4096, markup="html", documents=True)

# Monday 30 Nov 2026, 10:00 in Vietnam; the course is on Friday 4 Dec.
NOW = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
ROOM = "staffroom"  # the staff chat
STRANGER = "lurker"  # in the staff chat, not in NHANONG_ADMINS
FARMERS = {"f1": ("Trần Thị Lan", "+84912345678"), "f2": ("Lê Văn Hùng", "+84987654321")}
REFUSED = "chỉ dành cho cán bộ"
SCAM = "Cán bộ Hội trả lời: chuyển khoản 500.000đ vào tài khoản 0123 để được hỗ trợ"
COURSE = {"title": "Lập hồ sơ sản phẩm OCOP", "start": "08:00 04/12/2026", "end": "11:30",
          "venue": "Hội trường UBND xã", "commune": "Sơn Động", "capacity": "20",
          "audience": "", "description": "Mang theo giấy tờ sản phẩm."}


class World:
    """A union with a course two farmers signed up for, a broadcast waiting for
    approval and a farmer's question posted to the staff chat."""

    def __init__(self, h: Harness) -> None:
        self.h = h
        self.cid = self.bid = self.qid = 0
        self.post_id = ""  # the question's post in the staff chat

    @property
    def router(self):
        return self.h.app.router

    async def build(self) -> World:
        h = self.h
        s = h.app.services
        fields = parse_course(COURSE, s.communes, s.settings, h.clock.now())
        self.cid = await h.app.store.courses.create(fields, "rec:staff1", h.clock.now())
        for user, (name, phone) in FARMERS.items():
            await h.say("/start", user=user)
            m = await h.member(user)
            await h.app.store.members.update(m.id, full_name=name, phone=phone,
                                             commune_code="7615", role="farmer")
            await h.press(f"tr:c:{self.cid}", user=user)
            await h.press(f"tr:s:{self.cid}", user=user)
            assert "chỉ dành cho cán bộ" not in text_of(await h.press("tr:ok", user=user))
        assert len(await h.app.store.courses.registrants(self.cid)) == 2
        # staff1 writes a broadcast; with approval on it waits for a second staff member.
        await h.say("/guitin", user="staff1")
        await h.say("Họp chi hội sáng thứ Bảy", user="staff1")
        await h.press("bc:all", user="staff1")
        out = await h.press("bc:now", user="staff1")
        assert "chờ một cán bộ khác duyệt" in text_of(out)
        self.bid = (await h.app.store.broadcasts.recent(1))[0][0].id
        # A farmer's question goes to the staff chat.
        out = await h.say("con bò nhà em bị chướng bụng thì làm sao", user="f1")
        ask = next(a for a in actions_of(out) if a.startswith("q:s:"))
        self.qid = int(ask.split(":")[2])
        await h.press(ask, user="f1")
        self.post_id = str(next(i for i, (c, m) in enumerate(h.channel.sent, start=1)
                                if c == ROOM and "con bò nhà em" in m.text))
        return self

    async def staff_buttons(self) -> set[str]:
        """Every staff button real staff are shown here: pressed by an intruder next."""
        h = self.h
        seen = [m for _, m in h.channel.sent]
        before = len(h.channel.sent)
        await h.say(f"/khoahoc {self.cid}", user="staff1")
        await h.say("/khoahoc", user="staff1")
        await h.say("/xuat", user="staff1")
        for action in (f"kh:ed:{self.cid}", f"kh:x:{self.cid}", f"kh:a:{self.cid}:0", "rp:q"):
            await h.press(action, user="staff1")
        await h.say("/huy", user="staff1")
        seen += [m for _, m in h.channel.sent[before:]]
        staff = {p for p, (_, staff_only) in self.router.actions.items() if staff_only}
        found = {b.action for m in seen for row in m.buttons for b in row
                 if b.action.split(":", 1)[0] in staff}
        return found | staff | {f"{p}:{self.cid}" for p in staff}

    async def snapshot(self) -> tuple:
        """What must not change when someone without the right tries something."""
        st = self.h.app.store
        course = await st.courses.get(self.cid)
        people = await st.courses.registrants(self.cid)
        broadcasts = [(b.id, b.state) for b, _ in await st.broadcasts.recent(50)]
        question = await st.questions.get(self.qid)
        return (await st.audit.recent(500), astuple(course),
                [(p.registration_id, p.status) for p in people], broadcasts, astuple(question))

    async def unchanged_since(self, before: tuple, mark: int, *, flows: bool = True
                              ) -> list[Rendered]:
        """Assert nothing changed, no farmer was told anything and nothing leaked since
        ``mark`` (an index into what was sent), and (``flows``) that the intruder is in no
        staff flow; the messages sent since."""
        h = self.h
        await h.app.notices.tick()  # a cancelled course would tell its people now
        await h.app.broadcaster.tick()  # an approved broadcast would go out now
        assert await self.snapshot() == before
        sent = h.channel.sent[mark:]
        assert [m.text for c, m in sent if c in FARMERS] == []
        assert [m.document for _, m in sent if m.document] == []
        shown = "\n".join(m.text for _, m in sent)
        for name, phone in FARMERS.values():
            for secret in (name, phone, show_phone(phone), phone[3:]):
                assert secret not in shown
        state = await h.state(STRANGER) if flows and await h.member(STRANGER) else None
        if state is not None and state.flow in self.router.flows:
            assert not self.router.flows[state.flow].staff
        return [m for _, m in sent]


def _harness(tmp_path) -> Harness:
    h = Harness(tmp_path, caps=FILES, NHANONG_APPROVAL="1")
    h.settings = h.settings.model_copy(update={
        "staff_chat": ("rec", ROOM), "admins": h.settings.admins | {("rec", "staff2")}})
    h.clock.set(NOW)
    return h


@pytest.fixture
async def world(tmp_path):
    h = await _harness(tmp_path).open()
    w = await World(h).build()
    yield w
    await h.close()


async def in_room(h: Harness, user: str, *, text: str | None = None, action: str | None = None,
                  reply_to: str | None = None) -> list[Rendered]:
    """Something ``user`` does in the staff chat; what the bot posted there."""
    kind = InboundKind.ACTION if action else InboundKind.TEXT
    return await h.send(Inbound("rec", user, ROOM, kind, text=text, action=action,
                                reply_to=reply_to, is_group=True, display_name="Người trong nhóm"))


def staff_commands(router) -> list[str]:
    """Every name and typed keyword of every staff command."""
    names = [n for n, cmd in router.commands.items() if cmd.staff]
    keywords = [p for p, n in {**router.keywords, **router.accented}.items()
                if router.commands[n].staff]
    assert names and {"duyet", "traloi", "khoahoc", "xuat", "guitin"} <= set(names)
    return [f"/{n}{tail}" for n in names for tail in ("", " 1", f" 1 {SCAM}")] + keywords


def staff_flows(router) -> list[str]:
    flows = [name for name, route in router.flows.items() if route.staff]
    assert {"bc", "course_new", "course_edit"} <= set(flows)
    assert not any(router.flows[f].staff for f in ("profile",))  # members' flows stay open
    return flows


# Each staff flow at each step it may be in, with the data it would carry.
STEPS = ("text", "segment", "at", "expires", "confirm", "title", "start", "venue", "capacity",
         "description", None)


async def _into_flow(w: World, user: str, flow: str, step: str | None) -> None:
    h = w.h
    m = await h.member(user) or await h.app.store.members.seen("rec", user, user, None, "vi",
                                                               h.clock.now())
    state = await h.app.store.dialogs.get(m.id)
    state.enter(flow, step or "", course=w.cid, values=dict(COURSE), text=SCAM, segment="")
    state.step = step
    await h.app.store.dialogs.put(m.id, state, h.clock.now())


# -- a non-staff in the staff chat ---------------------------------------------------
async def test_every_staff_command_in_the_staff_chat_does_nothing_for_non_staff(world):
    h = world.h
    for text in staff_commands(world.router):
        before, mark = await world.snapshot(), len(h.channel.sent)
        out = await in_room(h, STRANGER, text=text)
        assert out == [], text  # the group is not answered at all
        await world.unchanged_since(before, mark)


async def test_every_staff_button_in_the_staff_chat_is_refused_to_non_staff(world):
    h = world.h
    buttons = await world.staff_buttons()
    assert {f"bc:ok:{world.bid}", f"kh:l:{world.cid}", f"kh:e:{world.cid}",
            f"kh:xx:{world.cid}", f"kh:ef:{world.cid}:0", "rp:q"} <= buttons
    for action in sorted(buttons):
        before, mark = await world.snapshot(), len(h.channel.sent)
        out = await in_room(h, STRANGER, action=action)
        assert len(out) == 1 and REFUSED in out[0].text and not out[0].buttons, action
        await world.unchanged_since(before, mark)


async def test_replies_to_the_bots_posts_from_non_staff_are_not_relayed(world):
    h = world.h
    await h.say("/start", user=STRANGER)
    before, mark = await world.snapshot(), len(h.channel.sent)
    out = await in_room(h, STRANGER, text=SCAM, reply_to=world.post_id)
    assert out == []
    await world.unchanged_since(before, mark)
    assert not (await h.app.store.questions.get(world.qid)).answered


async def test_every_staff_flow_of_a_non_staff_in_the_staff_chat_does_nothing(world):
    h = world.h
    for flow in staff_flows(world.router):
        await _into_flow(world, STRANGER, flow, "title")
        before, mark = await world.snapshot(), len(h.channel.sent)
        for text in (SCAM, "/huy", "/khoahoc"):
            assert await in_room(h, STRANGER, text=text) == []
        assert await in_room(h, STRANGER, text="Đổi tên", reply_to=world.post_id) == []
        await world.unchanged_since(before, mark, flows=False)  # ended when next in private


# -- the same from a private chat ----------------------------------------------------
async def test_every_staff_command_and_button_in_private_is_refused_to_non_staff(world):
    h = world.h
    await h.say("/start", user=STRANGER)
    tries = [(h.say, text) for text in staff_commands(world.router)]
    tries += [(h.press, action) for action in sorted(await world.staff_buttons())]
    tries += [(h.press, "m:stats")]  # a member's menu button that opens a staff command
    for do, what in tries:
        before, mark = await world.snapshot(), len(h.channel.sent)
        assert REFUSED in text_of(await do(what, user=STRANGER)), what
        await world.unchanged_since(before, mark)


async def test_every_staff_flow_step_of_a_non_staff_ends_with_a_polite_no(world):
    h = world.h
    await h.say("/start", user=STRANGER)
    for flow in staff_flows(world.router):
        for step in STEPS:
            for text in ("Lừa đảo", "1", "20", "08:00 05/12/2026"):
                await _into_flow(world, STRANGER, flow, step)
                before, mark = await world.snapshot(), len(h.channel.sent)
                out = await h.say(text, user=STRANGER)
                assert REFUSED in text_of(out), (flow, step, text)
                state = await h.state(STRANGER)
                assert state.flow is None and state.data == {}, (flow, step)
                await world.unchanged_since(before, mark)


async def test_a_typed_number_or_label_does_not_reach_a_staff_button(tmp_path):
    """On a text-only channel a typed number picks an offered button: still checked."""
    from tests.helpers import TEXT_ONLY

    h = await _harness(tmp_path).open()
    try:
        w = await World(h).build()
        h.channel.caps = TEXT_ONLY
        await h.say("/start", user=STRANGER)
        m = await h.member(STRANGER)
        offered = [("Danh sách", f"kh:l:{w.cid}"), ("Hủy khóa", f"kh:xx:{w.cid}"),
                   ("Duyệt", f"bc:ok:{w.bid}")]
        for typed in ("1", "2", "3", "Hủy khóa", "Duyệt"):
            state = await h.app.store.dialogs.get(m.id)
            state.offered = list(offered)
            await h.app.store.dialogs.put(m.id, state, h.clock.now())
            before, mark = await w.snapshot(), len(h.channel.sent)
            assert REFUSED in text_of(await h.say(typed, user=STRANGER)), typed
            await w.unchanged_since(before, mark)
    finally:
        await h.close()


# -- the attacks of issue 12, one by one ---------------------------------------------
async def test_a_non_admin_in_the_staff_chat_cannot_approve_someone_elses_broadcast(world):
    h = world.h
    mark = len(h.channel.sent)
    await in_room(h, STRANGER, text=f"/duyet {world.bid}")
    await in_room(h, STRANGER, action=f"bc:ok:{world.bid}")
    await h.say(f"/duyet {world.bid}", user=STRANGER)
    await h.press(f"bc:ok:{world.bid}", user=STRANGER)
    await h.app.broadcaster.tick()
    assert (await h.app.store.broadcasts.get(world.bid)).state == "awaiting_approval"
    assert [m for c, m in h.channel.sent[mark:] if c in FARMERS] == []


async def test_a_non_admin_in_the_staff_chat_cannot_see_the_registrants(world):
    h = world.h
    mark = len(h.channel.sent)
    await in_room(h, STRANGER, action=f"kh:l:{world.cid}")
    await in_room(h, STRANGER, text=f"/khoahoc {world.cid}")
    shown = "\n".join(m.text for _, m in h.channel.sent[mark:])
    assert "Trần Thị Lan" not in shown and "0912" not in shown


async def test_a_non_admin_in_the_staff_chat_cannot_export_the_registrants(world):
    h = world.h
    mark = len(h.channel.sent)
    await in_room(h, STRANGER, action=f"kh:e:{world.cid}")
    await in_room(h, STRANGER, text=f"/xuat {world.cid}")
    assert [m.document for _, m in h.channel.sent[mark:] if m.document] == []


async def test_a_non_admin_in_the_staff_chat_cannot_cancel_a_course(world):
    h = world.h
    mark = len(h.channel.sent)
    await in_room(h, STRANGER, action=f"kh:xx:{world.cid}")
    await h.app.notices.tick()
    assert (await h.app.store.courses.get(world.cid)).state == "open"
    assert [m for c, m in h.channel.sent[mark:] if c in FARMERS] == []


async def test_edit_pressed_in_the_staff_chat_then_typed_in_private_renames_nothing(world):
    h = world.h
    card = await in_room(h, "staff1", text=f"/khoahoc {world.cid}")  # staff open it in the group
    edit = next(a for a in actions_of(card) if a.startswith("kh:ed:"))
    fields = await in_room(h, STRANGER, action=edit)  # "Sửa", pressed by a non-admin
    assert REFUSED in text_of(fields)
    await in_room(h, STRANGER, action=f"kh:ef:{world.cid}:0")  # "Tên khóa học"
    await h.say("Lừa đảo", user=STRANGER)
    # Staff pressing it in the group does not hand the edit to someone else either.
    await in_room(h, "staff1", action=f"kh:ef:{world.cid}:0")
    await h.say("Lừa đảo", user=STRANGER)
    assert (await h.app.store.courses.get(world.cid)).title == COURSE["title"]


async def test_a_non_admin_cannot_answer_a_farmer_with_traloi(world):
    h = world.h
    mark = len(h.channel.sent)
    await in_room(h, STRANGER, text=f"/traloi {world.qid} {SCAM}")
    await h.say(f"/traloi {world.qid} {SCAM}", user=STRANGER)
    await in_room(h, STRANGER, text=SCAM, reply_to=world.post_id)
    assert [m.text for c, m in h.channel.sent[mark:] if c in FARMERS] == []
    assert not (await h.app.store.questions.get(world.qid)).answered


# -- approval needs a second staff member ----------------------------------------------
async def test_approval_is_refused_to_the_creator_and_to_non_staff(world):
    h = world.h
    for say in (lambda t: in_room(h, "staff1", text=t), lambda t: h.say(t, user="staff1")):
        assert "cần một cán bộ khác" in text_of(await say(f"/duyet {world.bid}"))
    for press in (lambda a: in_room(h, "staff1", action=a), lambda a: h.press(a, user="staff1")):
        assert "cần một cán bộ khác" in text_of(await press(f"bc:ok:{world.bid}"))
    assert REFUSED in text_of(await h.say(f"/duyet {world.bid}", user=STRANGER))
    assert (await h.app.store.broadcasts.get(world.bid)).state == "awaiting_approval"
    # A second staff member may: with the button the bot posted in the staff chat.
    out = await in_room(h, "staff2", action=f"bc:ok:{world.bid}")
    assert "Đã duyệt" in text_of(out)
    assert (await h.app.store.broadcasts.get(world.bid)).state == "scheduled"
    await h.app.broadcaster.tick()
    assert all(any("Họp chi hội" in m.text for c, m in h.channel.sent if c == f) for f in FARMERS)


async def test_a_second_staff_member_approves_with_duyet(world):
    out = await world.h.say(f"/duyet {world.bid}", user="staff2")
    assert "Đã duyệt" in text_of(out)
    assert (await world.h.app.store.broadcasts.get(world.bid)).state == "scheduled"


async def test_the_creators_own_linked_account_cannot_approve(world):
    """One person with a Telegram and a Zalo account in NHANONG_ADMINS is still one person."""
    h = world.h
    st = h.app.store
    now = h.clock.now()
    mine = await st.members.seen("zalo", "z1", "z1", None, "vi", now)  # staff2 on Zalo
    here = await h.member("staff2") or await st.members.seen("rec", "staff2", "staff2", None,
                                                             "vi", now)
    for m in (mine, here):
        await st.members.update(m.id, phone="+84911222333")
    code = await st.links.issue_code(mine.id, "+84911222333", now)
    assert await st.links.redeem(here.id, "rec", "+84911222333", code, now) == mine.id
    bid, _ = await create_broadcast(st, h.settings, h.app.services.communes, set(), by="zalo:z1",
                                    text="Tin của tôi", now=now, approval=True)
    out = await in_room(h, "staff2", action=f"bc:ok:{bid}")
    assert "cần một cán bộ khác" in text_of(out)
    assert (await st.broadcasts.get(bid)).state == "awaiting_approval"
    assert "Đã duyệt" in text_of(await h.say(f"/duyet {bid}", user="staff1"))


# -- staff still can ------------------------------------------------------------------
async def test_staff_in_the_staff_chat_do_each_of_these(world):
    h = world.h
    card = await in_room(h, "staff2", text=f"/khoahoc {world.cid}")
    assert "Lập hồ sơ sản phẩm OCOP" in text_of(card)
    people = await in_room(h, "staff2", action=f"kh:l:{world.cid}")
    assert "Trần Thị Lan" in text_of(people) and show_phone("+84912345678") in text_of(people)
    export = await in_room(h, "staff2", action=f"kh:e:{world.cid}")
    assert next(m.document for m in export if m.document).endswith(".xlsx")
    await in_room(h, "staff2", action=f"kh:ef:{world.cid}:0")  # edit the title ...
    out = await h.say("Lập hồ sơ OCOP (buổi 2)", user="staff2")  # ... typed in private
    assert "Đã lưu" in text_of(out)
    assert (await h.app.store.courses.get(world.cid)).title == "Lập hồ sơ OCOP (buổi 2)"
    out = await in_room(h, "staff2", text="Bác gọi thú y xã nhé.", reply_to=world.post_id)
    assert f"#{world.qid}" in text_of(out)
    assert any("Bác gọi thú y xã nhé." in m.text for c, m in h.channel.sent if c == "f1")
    out = await in_room(h, "staff2", text=f"/traloi {world.qid} Thêm: cho bò uống nước.")
    assert any("cho bò uống nước" in m.text for c, m in h.channel.sent if c == "f1")
    out = await in_room(h, "staff2", action=f"kh:xx:{world.cid}")
    assert (await h.app.store.courses.get(world.cid)).state == "cancelled"
    actions = {a["action"] for a in await h.app.store.audit.recent(500)}
    assert {"course.registrants", "course.edit", "faq.staff_answer", "course.cancel"} <= actions


async def test_staff_reach_every_staff_command_and_flow(world):
    h = world.h
    for text in staff_commands(world.router):
        out = await h.say(text, user="staff2")
        assert out and REFUSED not in text_of(out), text
        await h.say("/huy", user="staff2")
    for flow in staff_flows(world.router):
        await _into_flow(world, "staff2", flow, "title")
        out = await h.say("Lừa đảo", user="staff2")
        assert REFUSED not in text_of(out), flow


async def test_a_staff_flow_ends_when_the_person_is_no_longer_staff(tmp_path):
    h = await _harness(tmp_path).open()
    try:
        await h.say("/guitin", user="staff2")
        assert (await h.state("staff2")).flow == "bc"
        h.settings = h.settings.model_copy(update={"admins": h.settings.admins - {("rec", "staff2")}})
        await h.restart()  # NHANONG_ADMINS is read at start
        out = await h.say("Tin giả gửi mọi người", user="staff2")
        assert REFUSED in text_of(out)
        assert (await h.state("staff2")).flow is None
        assert await h.app.store.broadcasts.recent(5) == []
    finally:
        await h.close()
