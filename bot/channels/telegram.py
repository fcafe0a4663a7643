"""Telegram, on python-telegram-bot.

Updates arrive by long polling (our own loop on PTB's ``Bot.get_updates``) or on
our webhook server (Telegram's secret-token header checked).  Each one is handed
to the core's sink, which stores it in the inbound journal, and only then
acknowledged: the webhook answers 200 once the row is committed (503 while the
bot is stopping, 500 when it could not be stored, so Telegram tries again), and
the polling offset moves past an update only once it is stored (Telegram
confirms updates when getUpdates is called with a higher offset, and keeps
unconfirmed ones for the next call, also after a restart).  A stored payload
becomes an :class:`Inbound` in :meth:`TelegramChannel.to_inbound`.  Sends go
through PTB's ``Bot`` and its errors are mapped to :mod:`bot.errors`.

PTB talks HTTP through :class:`AiohttpRequest` (aiohttp's client, already a
dependency for the web server) rather than its default httpx transport: at a
few hundred sends per second httpx's connection pool cost milliseconds of CPU
per call on the bot's one core, aiohttp a small fraction of that.  PTB still
builds every request and turns every answer into its errors.
"""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

import aiohttp
from aiohttp import web

# Opt in to PTB's coming behaviour (time periods as timedelta, no deprecation
# warning on every 429); send() reads both kinds.
os.environ.setdefault("PTB_TIMEDELTA", "true")

from pydantic import Field, field_validator
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    LinkPreviewOptions,
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
    TelegramError,
    TimedOut,
)
from telegram.request import BaseRequest, RequestData

from ..errors import Blocked, ChatMoved, Permanent, RetryLater, Transient, Unauthorized
from ..types import NO_LIMITS, Capabilities, Inbound, InboundKind, Rendered, Sent
from . import (
    ChannelKind,
    ChannelSettings,
    Flag,
    OptionalUrl,
    Rate,
    Refused,
    Secret,
    Sink,
    Url,
    Wiring,
    cancel,
    file_ref,
    reveal,
    secret_like,
)
from .webserver import WebServer, derived_secret, hand_over

log = logging.getLogger(__name__)
# PTB logs a traceback for an answer that is not JSON, then raises an error that
# says the same (start-up prints it in one line; sends map it to a SendError).
logging.getLogger("telegram.request").setLevel(logging.CRITICAL)

NAME = "telegram"
FILE = file_ref(NAME, "")  # "telegram-file:", a picture Telegram keeps (its file_id follows)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = ["message", "callback_query"]


@dataclass(slots=True)
class CommandSets:
    """The command lists shown in Telegram's menu, per language, and for staff."""

    default: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # lang → [(name, desc)]
    staff: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    staff_chats: list[str] = field(default_factory=list)


class TelegramChannel:
    name = NAME
    caps = Capabilities(
        buttons=True, max_text=4096, markup="html", contact_button=True, documents=True
    )
    constraints = NO_LIMITS

    def __init__(
        self,
        token: str,
        *,
        base_url: str,
        rate: float,
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        webserver: WebServer | None = None,
        commands: CommandSets | None = None,
        poll_timeout: float = 10.0,
        paid_broadcast: bool = False,
    ) -> None:
        self.token = token
        self.base_url = base_url
        self.rate = rate
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret or derived_secret(b"nhanong-webhook:", token)
        self.webserver = webserver
        self.commands = commands or CommandSets()
        self.poll_timeout = poll_timeout
        # Broadcasts as paid broadcasts (allow_paid_broadcast: up to 1000 messages/s, for Stars).
        self.paid_broadcast = paid_broadcast
        self._sink: Sink | None = None
        self._poller: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        file_url = base_url.rstrip("/").removesuffix("/bot") + "/file/bot"
        self._requests = [AiohttpRequest(pool=256), AiohttpRequest(pool=1)]
        self.bot = Bot(token, base_url=base_url, base_file_url=file_url,
                       request=self._requests[0], get_updates_request=self._requests[1])

    # -- limits ---------------------------------------------------------------
    def chat_limit(self, chat_id: str) -> tuple[float, float]:
        # Telegram: about 1 message/s in a private chat, 20/minute in a group.
        if str(chat_id).startswith("-"):
            return (20 / 60, 3.0)
        return (1.0, 3.0)

    # -- receiving --------------------------------------------------------------
    async def start(self, sink: Sink) -> None:
        """Start receiving; a Bot API that cannot be reached or refuses the token raises
        RuntimeError with one line saying so (and what was opened is closed)."""
        try:
            await self._start(sink)
        except TelegramError as e:
            await self.stop()
            where = urlparse(self.base_url)
            what = ("the Bot API refused the token; check TELEGRAM_BOT_TOKEN"
                    if isinstance(e, InvalidToken) else f"{type(e).__name__}: {e}")
            raise RuntimeError(f"telegram: cannot start ({where.scheme}://{where.netloc}): "
                               f"{what}".replace(self.token, "<token>")) from None

    async def _start(self, sink: Sink) -> None:
        self._sink = sink
        await self.bot.initialize()
        await self._set_commands()
        if self.webhook_url:
            if self.webserver is None:
                raise RuntimeError("webhook mode needs the web server")
            path = urlparse(self.webhook_url).path or "/"
            self.webserver.add_post(path, self._webhook, header=SECRET_HEADER,
                                    secret=self.webhook_secret)
            await self.bot.set_webhook(
                self.webhook_url, secret_token=self.webhook_secret, allowed_updates=ALLOWED_UPDATES
            )
            log.info("telegram: webhook set (path %s)", path)
        else:
            await self.bot.delete_webhook()
            self._poller = asyncio.get_running_loop().create_task(self._poll(), name="telegram-poll")
            log.info("telegram: polling for updates")

    async def stop(self) -> None:
        await cancel(self._poller)
        self._poller = None
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.bot.shutdown()
        for request in self._requests:  # also when initialize() failed half-way
            await request.shutdown()

    async def _poll(self) -> None:
        """Long polling, one request at a time.  The offset moves past an update only
        once the sink has stored it; network faults back off up to 30 s."""
        assert self._sink is not None
        offset: int | None = None
        backoff = 1.0
        while True:
            try:
                updates = await self.bot.get_updates(
                    offset=offset, timeout=timedelta(seconds=self.poll_timeout),
                    allowed_updates=ALLOWED_UPDATES)
            except TimedOut:
                continue  # a long poll that outlived its read timeout
            except InvalidToken as e:
                log.error("telegram: the Bot API refused the token (%s); polling stopped", e)
                return
            except RetryAfter as e:
                ra = e.retry_after
                await asyncio.sleep(ra.total_seconds() if isinstance(ra, timedelta) else float(ra))
                continue
            except (Conflict, NetworkError, TelegramError) as e:
                log.warning("telegram polling error: %s; retrying in %.0fs", e, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            backoff = 1.0
            if not updates:
                continue
            try:
                news = await self._sink.many([(str(u.update_id), u.to_dict()) for u in updates])
            except Refused:
                return  # stopping: Telegram keeps these for the next start
            except Exception as e:
                log.error("telegram: %d update(s) not stored (%s: %s); fetching them again",
                          len(updates), type(e).__name__, e)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
                continue  # the offset stays before them: the next getUpdates returns them again
            offset = updates[-1].update_id + 1
            for update, new in zip(updates, news, strict=True):
                if new:
                    self._received(update)

    def _received(self, update: Update) -> None:
        """What is done at once for a stored update: a pressed button is answered so
        that its spinner stops (the reply itself comes from the journal)."""
        if update.callback_query is not None:
            task = asyncio.get_running_loop().create_task(self._answer(update))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _set_commands(self) -> None:
        bot = self.bot
        try:
            for lang, cmds in self.commands.default.items():
                await bot.set_my_commands(
                    [BotCommand(n, d[:256]) for n, d in cmds],
                    language_code=None if lang == "vi" else lang,
                )
            for chat in self.commands.staff_chats:
                cmds = self.commands.staff.get("vi", [])
                await bot.set_my_commands(
                    [BotCommand(n, d[:256]) for n, d in cmds], scope=BotCommandScopeChat(int(chat))
                )
        except (BadRequest, Forbidden) as e:  # a wrong admin id must not stop the bot
            log.warning("telegram: could not set the command list: %s", e)

    async def _webhook(self, request: web.Request) -> web.Response:
        """200 only once the update is stored; 400 for what is not an update (Telegram
        would send it again for ever otherwise); 503 while stopping, 500 when it could
        not be stored: Telegram tries again later."""
        assert self._sink is not None
        try:
            data = await request.json()
        except ValueError:
            return web.Response(status=400)
        if not isinstance(data, dict) or type(data.get("update_id")) is not int:
            return web.Response(status=400)
        try:
            update = Update.de_json(data, self.bot)
        except (ValueError, TypeError, KeyError, AttributeError):
            return web.Response(status=400)
        new, refused = await hand_over(self._sink, str(update.update_id), data,
                                       f"telegram: webhook update {update.update_id}")
        if refused is not None:
            return refused
        if new:
            self._received(update)
        return web.Response()

    async def _answer(self, update: Update) -> None:
        try:
            await update.callback_query.answer()  # type: ignore[union-attr]
        except TelegramError as e:
            log.debug("telegram: answerCallbackQuery failed: %s", e)

    def to_inbound(self, payload: dict) -> Inbound | None:
        """The core's view of a stored update; None for what the bot does not read."""
        try:
            update = Update.de_json(payload, self.bot)
        except (ValueError, TypeError, KeyError, AttributeError):
            return None
        user = update.effective_user
        chat = update.effective_chat
        if user is None or chat is None or user.is_bot:
            return None
        base = dict(
            channel=self.name,
            user_id=str(user.id),
            chat_id=str(chat.id),
            display_name=user.full_name,
            language=user.language_code,
            is_group=chat.type != chat.PRIVATE,  # the core reads only the staff chat
        )
        q = update.callback_query
        if q is not None:
            return Inbound(kind=InboundKind.ACTION, action=q.data or "", **base)
        msg = update.message
        if msg is None:
            return None
        base["message_id"] = str(msg.message_id)
        if msg.reply_to_message:
            base["reply_to"] = str(msg.reply_to_message.message_id)
        if msg.text is not None:
            return Inbound(kind=InboundKind.TEXT, text=msg.text, **base)
        if msg.contact is not None:
            # Only a contact carrying the sender's own user id is theirs (the "share my
            # number" button sends that); one without a user id is someone from their
            # address book who is not on Telegram.
            own = msg.contact.user_id is not None and msg.contact.user_id == user.id
            return Inbound(
                kind=InboundKind.CONTACT, phone=msg.contact.phone_number, phone_is_own=own, **base
            )
        if msg.sticker is not None:
            return Inbound(kind=InboundKind.STICKER, **base)
        if msg.photo:
            media = file_ref(NAME, msg.photo[-1].file_id)  # the largest size
            return Inbound(kind=InboundKind.PHOTO, text=msg.caption, media=media, **base)
        audio = msg.voice or msg.audio  # a voice message, or a recording sent as a file
        if audio is not None:
            return Inbound(kind=InboundKind.VOICE, text=msg.caption,
                           media=f"telegram-file:{audio.file_id}", **base)
        return Inbound(kind=InboundKind.OTHER, **base)

    # -- sending --------------------------------------------------------------------
    def _markup(self, msg: Rendered):
        if msg.ask_contact:
            rows = [[KeyboardButton(msg.contact_label, request_contact=True)]]
            rows += [[KeyboardButton(b.label) for b in row] for row in msg.buttons]
            return ReplyKeyboardMarkup(rows, resize_keyboard=True, one_time_keyboard=True)
        if msg.buttons:
            return InlineKeyboardMarkup(
                [[InlineKeyboardButton(b.label, url=b.url) if b.url else
                  InlineKeyboardButton(b.label, callback_data=b.action) for b in row]
                 for row in msg.buttons]
            )
        if msg.remove_keyboard:
            return ReplyKeyboardRemove()
        return None

    async def send(self, chat_id: str, msg: Rendered) -> Sent:
        bot = self.bot
        parse_mode = ParseMode.HTML if msg.html else None
        markup = self._markup(msg)
        paid = {"allow_paid_broadcast": True} if self.paid_broadcast and msg.purpose == "broadcast" \
            else {}
        try:
            if msg.image:
                photo = _file_or_url(msg.image)
                m = await bot.send_photo(
                    chat_id, photo, caption=msg.text, parse_mode=parse_mode, reply_markup=markup, **paid
                )
            elif msg.audio and msg.audio.startswith("telegram-file:"):
                m = await self._voice(chat_id, msg, parse_mode, markup, paid)
            elif msg.document:
                m = await bot.send_document(
                    chat_id, _file_or_url(msg.document), caption=msg.text[:1024],
                    parse_mode=parse_mode, reply_markup=markup, **paid,
                )
            else:
                m = await bot.send_message(
                    chat_id,
                    msg.text,
                    parse_mode=parse_mode,
                    reply_markup=markup,
                    link_preview_options=LinkPreviewOptions(is_disabled=True),
                    **paid,
                )
        except RetryAfter as e:
            ra = e.retry_after
            raise RetryLater(ra.total_seconds() if isinstance(ra, timedelta) else float(ra)) from e
        except Forbidden as e:
            raise Blocked(str(e)) from e
        except ChatMigrated as e:
            raise ChatMoved(str(e.new_chat_id)) from e
        except InvalidToken as e:  # 401 (or 404): the token was revoked; the channel stops
            raise Unauthorized(str(e).replace(self.token, "<token>")) from e
        except BadRequest as e:
            raise Permanent(str(e)) from e
        except (TimedOut, NetworkError) as e:
            raise Transient(str(e)) from e
        except TelegramError as e:
            raise Permanent(str(e)) from e
        return Sent(str(m.message_id))


    async def _voice(self, chat_id: str, msg: Rendered, parse_mode, markup, paid: dict):
        """A voice message Telegram keeps (a farmer's, passed on to staff), with the text as
        its caption; a file Telegram will not send as a voice (a music file) goes as text."""
        try:
            return await self.bot.send_voice(
                chat_id, msg.audio.removeprefix("telegram-file:"), caption=msg.text,  # type: ignore[union-attr]
                parse_mode=parse_mode, reply_markup=markup, **paid)
        except BadRequest as e:
            log.info("telegram: the recording could not be sent as a voice (%s); text only", e)
        return await self.bot.send_message(
            chat_id, msg.text, parse_mode=parse_mode, reply_markup=markup,
            link_preview_options=LinkPreviewOptions(is_disabled=True), **paid)


class AiohttpRequest(BaseRequest):
    """PTB's HTTP transport on aiohttp (see the module docstring).

    Timeouts as before: connect 10 s (waiting for a free connection included),
    read 15 s unless PTB asks otherwise (long polling does), write 15 s."""

    def __init__(self, pool: int, *, connect: float = 10.0, read: float = 15.0) -> None:
        self.pool = pool
        self.connect = connect
        self.read = read
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self.read

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.pool), headers={"User-Agent": self.USER_AGENT}
            )

    async def shutdown(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout=BaseRequest.DEFAULT_NONE,
        write_timeout=BaseRequest.DEFAULT_NONE,
        connect_timeout=BaseRequest.DEFAULT_NONE,
        pool_timeout=BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None:
            await self.initialize()
        assert self._session is not None
        read = self.read if isinstance(read_timeout, _Default) else read_timeout
        connect = self.connect if isinstance(connect_timeout, _Default) else connect_timeout
        data: aiohttp.FormData | dict[str, str] | None = None
        if request_data is not None:
            data = request_data.json_parameters  # form fields, complex values as JSON
            if request_data.multipart_data:
                form = aiohttp.FormData()
                for name, value in data.items():
                    form.add_field(name, value)
                for name, (filename, content, mime) in request_data.multipart_data.items():
                    form.add_field(name, content, filename=filename, content_type=mime)
                data = form
        timeout = aiohttp.ClientTimeout(total=None, connect=connect, sock_read=read)
        try:
            async with self._session.request(method, url, data=data, timeout=timeout) as r:
                return r.status, await r.read()
        except TimeoutError as e:
            raise TimedOut from e
        except aiohttp.ClientError as e:
            raise NetworkError(f"aiohttp.{e.__class__.__name__}: {e}") from e


_Default = type(BaseRequest.DEFAULT_NONE)  # "not given" in PTB's timeout arguments


def _file_or_url(ref: str):
    if ref.startswith(FILE):  # a picture staff sent: Telegram keeps it
        return ref.removeprefix(FILE)
    if ref.startswith(("http://", "https://")):
        return ref
    return Path(ref).read_bytes()


# -- registration ----------------------------------------------------------------------
class TelegramSettings(ChannelSettings):
    token: Secret = Field(None, alias="TELEGRAM_BOT_TOKEN")
    base_url: Url = Field("https://api.telegram.org/bot", alias="TELEGRAM_BASE_URL")
    rate: Rate = Field(25.0, alias="TELEGRAM_RATE")
    paid_broadcast: Flag = Field(False, alias="TELEGRAM_PAID_BROADCAST")
    # Telegram's webhook (polling when not set) and its secret-token header.
    webhook_url: OptionalUrl = Field(None, alias="NHANONG_WEBHOOK_URL")
    webhook_secret: Secret = Field(None, alias="NHANONG_WEBHOOK_SECRET")

    webhook_fields = ("webhook_url",)

    _token = field_validator("token")(
        secret_like(r"\d+:[\w-]+", "does not look like a BotFather token (digits:letters)"))
    _secret = field_validator("webhook_secret")(
        secret_like(r"[A-Za-z0-9_-]{1,256}", "must be 1-256 characters of A-Z, a-z, 0-9, _ and -",
                    strip=False))


def build(s: TelegramSettings, w: Wiring) -> TelegramChannel | None:
    if s.token is None:
        return None
    return TelegramChannel(
        s.token.get_secret_value(),
        base_url=s.base_url,
        rate=s.rate,
        webhook_url=s.webhook_url or None,
        webhook_secret=reveal(s.webhook_secret),
        webserver=w.webserver,
        commands=CommandSets(default=w.commands, staff=w.staff_commands, staff_chats=list(w.admins)),
        paid_broadcast=s.paid_broadcast,
    )


KIND = ChannelKind(NAME, "Telegram", TelegramSettings, build, enabled_by="TELEGRAM_BOT_TOKEN")
