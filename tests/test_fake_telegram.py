"""Tests of the fake Telegram Bot API server, driven by a real PTB ``telegram.Bot``."""

from __future__ import annotations

import asyncio
import datetime as dtm
import time
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from aiohttp import web
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from tests.fakes.telegram_api import FakeTelegram, parse_html
from tests.waits import GUARD, guarded

USER = 4242


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    """A started fake server."""
    server = FakeTelegram()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest_asyncio.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    """A real PTB bot pointed at the fake (initialised: it has called getMe)."""
    async with Bot(fake.token, base_url=fake.base_url) as client:
        yield client


# ------------------------------------------------------------------ basics


@pytest.mark.asyncio
async def test_listens_on_loopback_only(fake: FakeTelegram) -> None:
    assert fake.base_url.startswith("http://127.0.0.1:")
    assert fake.base_url.endswith("/bot")
    assert fake.port > 0


@pytest.mark.asyncio
async def test_get_me(fake: FakeTelegram, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.id == 123456
    assert me.is_bot
    assert me.username == "nhanong_test_bot"
    assert bot.username == "nhanong_test_bot"
    assert [call.method for call in fake.calls].count("getMe") == 2  # initialize() + get_me()


@pytest.mark.asyncio
async def test_wrong_token_is_unauthorized(fake: FakeTelegram) -> None:
    with pytest.raises(InvalidToken, match="rejected by the server"):
        async with Bot("999:WRONG", base_url=fake.base_url):
            pass
    assert fake.calls[-1].status == 401


@pytest.mark.asyncio
async def test_unknown_and_unimplemented_methods(fake: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(InvalidToken):  # PTB maps Telegram's 404 "Not Found" to InvalidToken
        await bot._post("noSuchMethod")
    assert fake.calls[-1].status == 404
    with pytest.raises(BadRequest, match="not implemented by the fake"):
        await bot.send_dice(USER)


@pytest.mark.asyncio
async def test_raw_http_encodings(fake: FakeTelegram) -> None:
    keyboard = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    async with httpx.AsyncClient(base_url=fake.api_url) as client:
        as_json = await client.post(
            "/SENDMESSAGE", json={"chat_id": "7", "text": "json", "reply_markup": keyboard}
        )
        assert as_json.status_code == 200
        assert as_json.json()["result"]["reply_markup"] == keyboard
        as_query = await client.get("/sendMessage", params={"chat_id": 7, "text": "query"})
        assert as_query.json()["result"]["message_id"] == 2
        as_form = await client.post(
            "/sendMessage",
            data={"chat_id": "7", "text": "form", "disable_notification": "true", "reply_markup": "{oops"},
        )
        assert as_form.status_code == 400
        assert as_form.json() == {
            "ok": False,
            "error_code": 400,
            "description": "Bad Request: can't parse reply keyboard markup JSON object",
        }
        multipart = await client.post(
            "/sendDocument",
            data={"chat_id": "7", "document": "attach://file0"},
            files={"file0": ("a.txt", b"abc", "text/plain")},
        )
        assert multipart.json()["result"]["document"]["file_name"] == "a.txt"
        unknown = await client.post("/sendTeleport", data={"chat_id": "7"})
        assert unknown.status_code == 404
        assert unknown.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
    params = [call.params for call in fake.calls]
    assert params[0]["chat_id"] == 7 and params[0]["reply_markup"] == keyboard
    assert params[1]["chat_id"] == 7
    assert params[2]["disable_notification"] is True
    assert params[3]["document"].data == b"abc"
    assert [call.method for call in fake.calls[:4]] == ["sendMessage"] * 3 + ["sendDocument"]


# ------------------------------------------------------------------ sendMessage


@pytest.mark.asyncio
async def test_send_message_html_ok(fake: FakeTelegram, bot: Bot) -> None:
    message = await bot.send_message(
        USER,
        "  <b>Chào</b> bà con &amp; <i>cô <u>bác</u></i> 🌾 <a href='https://nhanong.vn'>web</a>\n",
        parse_mode=ParseMode.HTML,
    )
    assert message.message_id == 1
    assert message.chat.id == USER
    assert message.from_user is not None and message.from_user.id == bot.id
    assert message.text == "Chào bà con & cô bác 🌾 web"
    kinds = [(e.type, e.offset, e.length) for e in message.entities]
    assert ("bold", 0, 4) in kinds
    assert ("italic", 14, 6) in kinds
    assert ("underline", 17, 3) in kinds
    assert ("text_link", 24, 3) in kinds  # the emoji counts two UTF-16 units

    sent = fake.sent(USER)
    assert len(sent) == 1
    assert sent[0]["parse_mode"] == "HTML"
    assert sent[0]["text"].startswith("  <b>Chào</b>")  # what the bot sent, markup included
    assert fake.texts(USER) == [sent[0]["text"]]
    assert fake.plain_texts(USER) == ["Chào bà con & cô bác 🌾 web"]
    assert fake.sent_messages(USER)[0]["text"] == message.text

    second = await bot.send_message(USER, "lần hai")
    assert second.message_id == 2
    other_chat = await bot.send_message(777, "chat khác")
    assert other_chat.message_id == 1


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("<b>đậm", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("<div>khối</div>", 'Unsupported start tag "div" at byte offset 0'),
        ("giá < 5000đ", 'Unsupported start tag "" at byte offset 5'),
        ("lúa <giống mới>", 'Unsupported start tag "giống" at byte offset 5'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b", "Unclosed start tag at byte offset 0"),
        ("<span>s</span>", 'Tag "span" must have class "tg-spoiler"'),
        ("Tôm & cá", 'Unescaped "&" at byte offset 5'),
        ("a -> b", 'Unescaped ">" at byte offset 3'),
        ("<a href=x&y>l</a>", "Unexpected end of name token"),
    ],
)
async def test_send_message_broken_html_rejected(
    fake: FakeTelegram, bot: Bot, text: str, fragment: str
) -> None:
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(USER, text, parse_mode=ParseMode.HTML)
    assert fake.sent(USER) == []
    failed = fake.calls[-1]
    assert failed.status == 400
    assert failed.response is not None
    # PTB strips "Bad Request: " and lower-cases the rest of the message: check the raw answer.
    assert failed.response["description"].startswith("Bad Request: can't parse entities: ")
    assert fragment in failed.response["description"]


@pytest.mark.asyncio
async def test_lenient_html_mode_matches_telegram(fake: FakeTelegram, bot: Bot) -> None:
    fake.strict_html = False
    message = await bot.send_message(USER, "Tôm & cá -> chợ", parse_mode=ParseMode.HTML)
    assert message.text == "Tôm & cá -> chợ"


@pytest.mark.asyncio
async def test_html_supported_tags() -> None:
    html = (
        "<strong>1</strong><em>2</em><ins>3</ins><s>4</s><strike>5</strike><del>6</del>"
        '<tg-spoiler>7</tg-spoiler><span class="tg-spoiler">8</span><code>9</code>'
        '<pre><code class="language-python">x = 1</code></pre><pre>p</pre>'
        "<blockquote>q</blockquote><blockquote expandable>e</blockquote>"
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>&lt;&gt;&quot;&#65;&#x42;'
    )
    text, entities = parse_html(html)
    assert text == '123456789x = 1pqe👍<>"AB'
    types = [e["type"] for e in entities]
    assert types == [
        "bold",
        "italic",
        "underline",
        "strikethrough",
        "strikethrough",
        "strikethrough",
        "spoiler",
        "spoiler",
        "code",
        "pre",
        "pre",
        "blockquote",
        "expandable_blockquote",
        "custom_emoji",
    ]
    pre = entities[9]
    assert pre == {"offset": 9, "length": 5, "type": "pre", "language": "python"}


@pytest.mark.asyncio
async def test_text_length_limit_counts_utf16_after_parsing(fake: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(USER, "a" * 4097)
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(USER, "😀" * 2049)  # 2049 characters, 4098 UTF-16 units
    assert (await bot.send_message(USER, "a" * 4096)).text == "a" * 4096
    # Tags do not count: 4096 characters of text inside markup is fine.
    html = "<b>" + "ư" * 4096 + "</b>"
    assert (await bot.send_message(USER, html, parse_mode=ParseMode.HTML)).text == "ư" * 4096
    assert len(fake.sent(USER)) == 2


@pytest.mark.asyncio
async def test_empty_text_and_missing_chat(fake: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(USER, "   \n ")
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(USER, "<b> </b>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="Chat_id is empty"):
        await bot._post("sendMessage", {"text": "x"})


@pytest.mark.asyncio
async def test_markdown_is_reported_unsupported(bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)implements only HTML"):
        await bot.send_message(USER, "*x*", parse_mode=ParseMode.MARKDOWN_V2)


# ------------------------------------------------------------------ reply markup


@pytest.mark.asyncio
async def test_callback_data_limit_in_bytes(fake: FakeTelegram, bot: Bot) -> None:
    def keyboard(data: str) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup([[InlineKeyboardButton("Chọn", callback_data=data)]])

    ok = await bot.send_message(USER, "ok", reply_markup=keyboard("x" * 64))
    assert ok.reply_markup is not None
    assert ok.reply_markup.inline_keyboard[0][0].callback_data == "x" * 64
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(USER, "quá dài", reply_markup=keyboard("x" * 65))
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(USER, "đ = 2 bytes", reply_markup=keyboard("đ" * 33))  # 66 bytes
    assert fake.calls[-1].response == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: BUTTON_DATA_INVALID",
    }
    assert fake.sent(USER)[0]["reply_markup"] == {
        "inline_keyboard": [[{"text": "Chọn", "callback_data": "x" * 64}]]
    }


@pytest.mark.asyncio
async def test_button_text_must_not_be_empty(bot: Bot) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("", callback_data="a")]])
    with pytest.raises(BadRequest, match="non-empty"):
        await bot.send_message(USER, "x", reply_markup=markup)
    with pytest.raises(BadRequest, match=r"(?i)Text buttons are unallowed"):
        await bot._post(
            "sendMessage",
            {"chat_id": USER, "text": "x", "reply_markup": {"inline_keyboard": [[{"text": "a"}]]}},
        )


@pytest.mark.asyncio
async def test_reply_keyboards_accepted(fake: FakeTelegram, bot: Bot) -> None:
    contact = ReplyKeyboardMarkup(
        [[KeyboardButton("📱 Gửi số điện thoại", request_contact=True)], ["Bỏ qua"]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )
    message = await bot.send_message(USER, "Cho xin số điện thoại", reply_markup=contact)
    assert message.reply_markup is None  # Telegram returns only inline keyboards in a Message
    await bot.send_message(USER, "Cảm ơn", reply_markup=ReplyKeyboardRemove())
    first, second = fake.sent(USER)
    assert first["reply_markup"]["keyboard"][0][0] == {
        "text": "📱 Gửi số điện thoại",
        "request_contact": True,
    }
    assert first["reply_markup"]["resize_keyboard"] is True
    assert second["reply_markup"] == {"remove_keyboard": True}


# ------------------------------------------------------------------ failures on demand


@pytest.mark.asyncio
async def test_429_is_retry_after(fake: FakeTelegram, bot: Bot, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # PTB 22: int retry_after is deprecated
    fake.fail_next("sendMessage", "429", retry_after=3)
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(USER, "x")
    assert info.value.retry_after == dtm.timedelta(seconds=3)
    assert fake.calls[-1].response == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 3",
        "parameters": {"retry_after": 3},
    }
    # consumed: the next call succeeds
    await bot.send_message(USER, "x")
    assert fake.texts(USER) == ["x"]


@pytest.mark.asyncio
async def test_403_is_forbidden(fake: FakeTelegram, bot: Bot) -> None:
    fake.fail_next("sendMessage", "403", chat_id=USER)
    await bot.send_message(USER + 1, "someone else is not blocked")
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(USER, "x")
    assert fake.sent(USER) == []
    assert len(fake.sent()) == 1


@pytest.mark.asyncio
async def test_migrate_is_chat_migrated(fake: FakeTelegram, bot: Bot) -> None:
    fake.fail_next("sendMessage", "migrate", migrate_to_chat_id=-1009876543210)
    with pytest.raises(ChatMigrated) as info:
        await bot.send_message(-4567, "nhóm cũ")
    assert info.value.new_chat_id == -1009876543210
    fake.fail_next("sendMessage", "migrate")
    with pytest.raises(ChatMigrated) as info:
        await bot.send_message(-4567, "nhóm cũ")
    assert info.value.new_chat_id == -1004567


@pytest.mark.asyncio
async def test_400_500_drop_and_ordering(fake: FakeTelegram, bot: Bot) -> None:
    fake.fail_next("sendMessage", "400", description="Bad Request: chat not found")
    fake.fail_next("sendMessage", "500")
    fake.fail_next("sendMessage", "drop", count=2)
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(USER, "1")
    with pytest.raises(NetworkError, match="Internal Server Error"):
        await bot.send_message(USER, "2")
    for attempt in ("3", "4"):
        with pytest.raises(NetworkError, match="Server disconnected"):
            await bot.send_message(USER, attempt)
    assert [call.status for call in fake.calls_to("sendMessage")] == [400, 500, 0, 0]
    await bot.send_message(USER, "5")
    assert fake.texts(USER) == ["5"]
    with pytest.raises(ValueError, match="unknown failure kind"):
        fake.fail_next("sendMessage", "418")


# ------------------------------------------------------------------ getUpdates


@pytest.mark.asyncio
async def test_get_updates_and_offset_confirmation(fake: FakeTelegram, bot: Bot) -> None:
    first = fake.user_text(USER, "xin chào", last_name="Văn A")
    second = fake.user_command(USER, "/start ref_99")
    third = fake.user_callback(USER, "menu:gia_lua")
    fourth = fake.user_contact(USER, "+84912345678")
    fake.user_sticker(USER)
    fake.user_photo(USER, caption="lá lúa bị vàng")
    assert [u["update_id"] for u in (first, second, third, fourth)] == [1, 2, 3, 4]

    updates = await bot.get_updates()
    assert [u.update_id for u in updates] == [1, 2, 3, 4, 5, 6]
    assert updates[0].message is not None and updates[0].message.text == "xin chào"
    assert updates[0].effective_user is not None
    assert updates[0].effective_user.language_code == "vi"
    assert updates[0].effective_user.last_name == "Văn A"
    command = updates[1].message
    assert command is not None
    assert command.text == "/start ref_99"
    assert command.entities[0].type == "bot_command" and command.entities[0].length == 6
    query = updates[2].callback_query
    assert query is not None and query.data == "menu:gia_lua"
    assert query.message is not None and query.message.chat.id == USER
    contact = updates[3].message
    assert contact is not None and contact.contact is not None
    assert contact.contact.phone_number == "+84912345678"
    assert contact.contact.user_id == USER
    assert updates[4].message is not None and updates[4].message.sticker is not None
    photo = updates[5].message
    assert photo is not None and photo.caption == "lá lúa bị vàng" and len(photo.photo) == 3

    # Unconfirmed updates are delivered again; an offset confirms everything before it.
    assert len(await bot.get_updates()) == 6
    again = await bot.get_updates(offset=3, limit=2)
    assert [u.update_id for u in again] == [3, 4]
    assert [u["update_id"] for u in fake.pending_updates] == [3, 4, 5, 6]
    assert await bot.get_updates(offset=7) == ()
    assert fake.pending_updates == []


@pytest.mark.asyncio
async def test_long_poll_returns_as_soon_as_an_update_arrives(fake: FakeTelegram, bot: Bot) -> None:
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=GUARD))
    await fake.wait_for_polling()
    assert not poll.done()
    fake.user_text(USER, "có ai không?")
    updates = await guarded(poll)
    assert time.monotonic() - started < GUARD  # not held for the whole long poll
    assert [u.update_id for u in updates] == [1]


@pytest.mark.asyncio
async def test_long_poll_times_out_empty(bot: Bot) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=1) == ()
    assert 0.9 <= time.monotonic() - started < GUARD


@pytest.mark.asyncio
async def test_newer_get_updates_terminates_older(fake: FakeTelegram, bot: Bot) -> None:
    async with Bot(fake.token, base_url=fake.base_url) as other:
        older = asyncio.create_task(bot.get_updates(timeout=10))
        await fake.wait_for_polling()
        assert await other.get_updates(timeout=0) == ()
        with pytest.raises(Conflict, match="terminated by other getUpdates request"):
            await guarded(older)


@pytest.mark.asyncio
async def test_webhook_blocks_get_updates(fake: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)HTTPS URL must be provided"):
        await bot.set_webhook("http://example.org/hook")
    with pytest.raises(BadRequest, match="ports 80, 88, 443 or 8443"):
        await bot.set_webhook("https://example.org:8080/hook")
    fake.user_text(USER, "chờ")
    assert await bot.set_webhook("https://example.org/hook", secret_token="s3cr3t_-") is True
    assert fake.calls[-1].response is not None
    assert fake.calls[-1].response["description"] == "Webhook was set"
    assert fake.webhook_url == "https://example.org/hook"
    assert fake.webhook_secret == "s3cr3t_-"
    info = await bot.get_webhook_info()
    assert info.url == "https://example.org/hook"
    assert info.pending_update_count == 1
    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates()
    assert await bot.delete_webhook(drop_pending_updates=True) is True
    assert (await bot.get_webhook_info()).url == ""
    assert await bot.get_updates() == ()


@pytest.mark.asyncio
async def test_post_webhook_sends_secret_header(fake: FakeTelegram) -> None:
    received: list[tuple[str | None, dict[str, object]]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append((request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json()))
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        update = fake.user_text(USER, "qua webhook")
        assert await fake.post_webhook(f"http://127.0.0.1:{port}/hook", update, "abc") == 200
        assert await fake.post_webhook(f"http://127.0.0.1:{port}/nope", update, None) == 404
    finally:
        await runner.cleanup()
    assert received == [("abc", update)]
    assert fake.pending_updates == []  # delivered with 2xx: confirmed
    with pytest.raises(ValueError, match="loopback"):
        await fake.post_webhook("https://example.org/hook", update, None)


# ------------------------------------------------------------------ other methods


@pytest.mark.asyncio
async def test_commands(fake: FakeTelegram, bot: Bot) -> None:
    assert await bot.set_my_commands([("start", "Bắt đầu"), ("gia", "Giá nông sản")])
    assert await bot.set_my_commands([("start", "Start")], language_code="en")
    commands = await bot.get_my_commands()
    assert [(c.command, c.description) for c in commands] == [("start", "Bắt đầu"), ("gia", "Giá nông sản")]
    assert fake.calls_to("setMyCommands")[0].params["commands"][1] == {
        "command": "gia",
        "description": "Giá nông sản",
    }
    assert [c.command for c in await bot.get_my_commands(language_code="en")] == ["start"]
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([("Giá", "có dấu")])
    assert await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()


@pytest.mark.asyncio
async def test_edit_delete_and_callback_answers(fake: FakeTelegram, bot: Bot) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Giá lúa", callback_data="gia:lua")]])
    message = await bot.send_message(USER, "Menu", reply_markup=markup)
    update = Update.de_json(fake.user_callback(USER, "gia:lua"), bot)
    query = update.callback_query
    assert query is not None and query.message is not None
    assert query.message.message_id == message.message_id
    assert await query.answer("Đang tải…")
    with pytest.raises(BadRequest, match="Query is too old"):
        await query.answer()  # a query can be answered once

    edited = await bot.edit_message_text(
        "<b>Giá lúa</b>: 7.000đ/kg", USER, message.message_id, parse_mode="HTML"
    )
    assert not isinstance(edited, bool)
    assert edited.text == "Giá lúa: 7.000đ/kg"
    assert edited.reply_markup is None  # editing without reply_markup removes the keyboard
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("<b>Giá lúa</b>: 7.000đ/kg", USER, message.message_id, parse_mode="HTML")
    edited = await bot.edit_message_reply_markup(USER, message.message_id, reply_markup=markup)
    assert not isinstance(edited, bool) and edited.reply_markup == markup
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", USER, 999)
    user_message = fake.user_text(USER, "tin của người dùng")["message"]
    with pytest.raises(BadRequest, match="Message can't be edited"):
        await bot.edit_message_text("x", USER, user_message["message_id"])

    assert await bot.delete_message(USER, message.message_id)
    assert fake.message(USER, message.message_id) is None
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(USER, message.message_id)
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query("123")


@pytest.mark.asyncio
async def test_reply_to_message(fake: FakeTelegram, bot: Bot) -> None:
    question = fake.user_text(-100777, "ai biết giá phân?", chat_id=-100777)["message"]
    reply = await bot.send_message(-100777, "Tôi biết", reply_to_message_id=question["message_id"])
    assert reply.chat.type == "supergroup"
    assert reply.reply_to_message is not None
    assert reply.reply_to_message.text == "ai biết giá phân?"
    with pytest.raises(BadRequest, match="Message to be replied not found"):
        await bot.send_message(-100777, "x", reply_to_message_id=555)
    await bot.send_message(-100777, "x", reply_to_message_id=555, allow_sending_without_reply=True)


@pytest.mark.asyncio
async def test_photo_document_and_chat_action(fake: FakeTelegram, bot: Bot) -> None:
    photo = await bot.send_photo(USER, b"\x89PNG fake bytes", caption="<i>Sâu</i> cuốn lá", parse_mode="HTML")
    assert photo.caption == "Sâu cuốn lá"
    assert photo.photo and photo.photo[-1].width == 800
    document = await bot.send_document(USER, b"%PDF-1.4 ...", filename="huong_dan.pdf")
    assert document.document is not None
    assert document.document.file_name == "huong_dan.pdf"
    assert document.document.file_size == len(b"%PDF-1.4 ...")
    by_id = await bot.send_photo(USER, "AgACAgIAAxkBAAIBfileid")
    assert by_id.caption is None
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await bot.send_photo(USER, "AgACAgIAAxkBAAIBfileid", caption="c" * 1025)
    sent = fake.sent(USER)
    assert len(sent) == 3
    assert sent[0]["photo"].data == b"\x89PNG fake bytes"
    assert sent[1]["document"].filename == "huong_dan.pdf"
    assert fake.texts(USER) == ["<i>Sâu</i> cuốn lá"]  # the uncaptioned photo has no text

    assert await bot.send_chat_action(USER, "typing")
    with pytest.raises(BadRequest, match="Wrong parameter action"):
        await bot._post("sendChatAction", {"chat_id": USER, "action": "dancing"})


@pytest.mark.asyncio
async def test_wait_helpers(fake: FakeTelegram, bot: Bot) -> None:
    async def later() -> None:
        await asyncio.sleep(0)  # the wait below has started: these sends end it
        await bot.send_message(USER, "một")
        await bot.send_message(USER, "hai")

    task = asyncio.create_task(later())
    sent = await fake.wait_for_sent(USER, 2)
    assert [p["text"] for p in sent] == ["một", "hai"]
    await task
    calls = await fake.wait_for_call("sendmessage", 2)
    assert [c.params["text"] for c in calls] == ["một", "hai"]
    with pytest.raises(AssertionError, match=r"expected 3 message\(s\) sent to chat 4242.*'một', 'hai'"):
        await fake.wait_for_sent(USER, 3, timeout=0.2)
    with pytest.raises(AssertionError, match="expected 1 answered deleteMessage"):
        await fake.wait_for_call("deleteMessage", timeout=0.1)


# ------------------------------------------------------------------ a whole PTB application


@pytest.mark.asyncio
async def test_ptb_application_polls_and_answers(fake: FakeTelegram) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Giá lúa", callback_data="gia:lua")]])
        await update.effective_message.reply_html(
            f"Chào <b>{update.effective_user.first_name if update.effective_user else ''}</b>!",
            reply_markup=keyboard,
        )

    async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer()
        await query.edit_message_text(f"Bạn chọn {query.data}")

    application = Application.builder().token(fake.token).base_url(fake.base_url).build()
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CallbackQueryHandler(button))
    async with application:
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0, timeout=5)
        await application.start()
        try:
            fake.user_command(USER, "/start", first_name="Tư")
            sent = await fake.wait_for_sent(USER, 1)
            assert sent[0]["text"] == "Chào <b>Tư</b>!"
            fake.user_callback(USER, "gia:lua")
            await fake.wait_for_call("editMessageText")
            assert fake.calls_to("answerCallbackQuery")[0].ok
            edited = fake.calls_to("editMessageText")[0]
            assert edited.ok and edited.result["text"] == "Bạn chọn gia:lua"
        finally:
            await application.updater.stop()
            await application.stop()
    assert fake.calls_to("deleteWebhook")  # PTB clears any webhook before polling
    assert fake.pending_updates == []  # PTB confirmed what it processed when stopping
