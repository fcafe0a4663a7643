"""Telegram, on python-telegram-bot.

PTB's ``Application`` fetches updates (long polling, or from our webhook
server with Telegram's secret-token header checked) and runs inside our own
asyncio loop; every update becomes an :class:`Inbound`.  Sends go through
PTB's ``Bot`` and its errors are mapped to :mod:`bot.errors`.

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

from telegram import (
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
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import Application, ContextTypes, TypeHandler
from telegram.request import BaseRequest, RequestData

from ..errors import Blocked, ChatMoved, Permanent, RetryLater, Transient
from ..types import Capabilities, Inbound, InboundKind, Rendered, Sent
from . import InboundHandler
from .webserver import WebServer, derived_secret

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@dataclass(slots=True)
class CommandSets:
    """The command lists shown in Telegram's menu, per language, and for staff."""

    default: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # lang → [(name, desc)]
    staff: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    staff_chats: list[str] = field(default_factory=list)


class TelegramChannel:
    name = "telegram"
    caps = Capabilities(
        buttons=True, max_text=4096, markup="html", contact_button=True, documents=True
    )

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
    ) -> None:
        self.token = token
        self.base_url = base_url
        self.rate = rate
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret or derived_secret(b"nhanong-webhook:", token)
        self.webserver = webserver
        self.commands = commands or CommandSets()
        self.poll_timeout = poll_timeout
        self._on_inbound: InboundHandler | None = None
        file_url = base_url.rstrip("/").removesuffix("/bot") + "/file/bot"
        self._requests = [AiohttpRequest(pool=256), AiohttpRequest(pool=1)]
        self.app: Application = self._build(token, base_url, file_url, webhook_url is None,
                                            self._requests)

    @staticmethod
    def _build(token: str, base_url: str, file_url: str, polling: bool,
               requests: list[AiohttpRequest]) -> Application:
        builder = (
            Application.builder()
            .token(token)
            .base_url(base_url)
            .base_file_url(file_url)
            .concurrent_updates(256)
            .request(requests[0])
            .get_updates_request(requests[1])
        )
        if not polling:
            builder = builder.updater(None)
        return builder.build()

    # -- limits ---------------------------------------------------------------
    def chat_limit(self, chat_id: str) -> tuple[float, float]:
        # Telegram: about 1 message/s in a private chat, 20/minute in a group.
        if str(chat_id).startswith("-"):
            return (20 / 60, 3.0)
        return (1.0, 3.0)

    # -- receiving --------------------------------------------------------------
    async def start(self, on_inbound: InboundHandler) -> None:
        """Start receiving; a Bot API that cannot be reached or refuses the token raises
        RuntimeError with one line saying so (and what was opened is closed)."""
        try:
            await self._start(on_inbound)
        except TelegramError as e:
            await self.stop()
            where = urlparse(self.base_url)
            what = ("the Bot API refused the token; check TELEGRAM_BOT_TOKEN"
                    if isinstance(e, InvalidToken) else f"{type(e).__name__}: {e}")
            raise RuntimeError(f"telegram: cannot start ({where.scheme}://{where.netloc}): "
                               f"{what}".replace(self.token, "<token>")) from None

    async def _start(self, on_inbound: InboundHandler) -> None:
        self._on_inbound = on_inbound
        self.app.add_handler(TypeHandler(Update, self._on_update))
        self.app.add_error_handler(self._on_error)
        await self.app.initialize()
        await self._set_commands()
        await self.app.start()
        allowed = ["message", "callback_query"]
        if self.webhook_url:
            if self.webserver is None:
                raise RuntimeError("webhook mode needs the web server")
            path = urlparse(self.webhook_url).path or "/"
            self.webserver.add_post(path, self._webhook, header=SECRET_HEADER,
                                    secret=self.webhook_secret)
            await self.app.bot.set_webhook(
                self.webhook_url, secret_token=self.webhook_secret, allowed_updates=allowed
            )
            log.info("telegram: webhook set (path %s)", path)
        else:
            assert self.app.updater is not None
            await self.app.bot.delete_webhook()
            await self.app.updater.start_polling(
                timeout=timedelta(seconds=self.poll_timeout),
                allowed_updates=allowed,
                error_callback=self._poll_error,
            )
            log.info("telegram: polling for updates")

    async def stop(self) -> None:
        if self.app.updater and self.app.updater.running:
            await self.app.updater.stop()
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()
        for request in self._requests:  # also when initialize() failed half-way
            await request.shutdown()

    def _poll_error(self, error: TelegramError) -> None:
        log.warning("telegram polling error: %s", error)

    async def _set_commands(self) -> None:
        bot = self.app.bot
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
        try:
            data = await request.json()
            update = Update.de_json(data, self.app.bot)
        except (ValueError, TypeError, KeyError):
            return web.Response(status=400)
        await self.app.update_queue.put(update)
        return web.Response()

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("telegram: error while processing an update", exc_info=context.error)

    async def _on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        inbound = self.to_inbound(update)
        if update.callback_query is not None:
            asyncio.get_running_loop().create_task(self._answer(update))
        if inbound is not None and self._on_inbound is not None:
            await self._on_inbound(inbound)

    async def _answer(self, update: Update) -> None:
        try:
            await update.callback_query.answer()  # type: ignore[union-attr]
        except TelegramError as e:
            log.debug("telegram: answerCallbackQuery failed: %s", e)

    def to_inbound(self, update: Update) -> Inbound | None:
        """The core's view of an update; None for what the bot does not read."""
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
            own = msg.contact.user_id is None or msg.contact.user_id == user.id
            return Inbound(
                kind=InboundKind.CONTACT, phone=msg.contact.phone_number, phone_is_own=own, **base
            )
        if msg.sticker is not None:
            return Inbound(kind=InboundKind.STICKER, **base)
        if msg.photo:
            media = f"telegram-file:{msg.photo[-1].file_id}"  # the largest size
            return Inbound(kind=InboundKind.PHOTO, text=msg.caption, media=media, **base)
        return Inbound(kind=InboundKind.OTHER, **base)

    # -- sending --------------------------------------------------------------------
    def _markup(self, msg: Rendered):
        if msg.ask_contact:
            rows = [[KeyboardButton(msg.contact_label, request_contact=True)]]
            rows += [[KeyboardButton(b.label) for b in row] for row in msg.buttons]
            return ReplyKeyboardMarkup(rows, resize_keyboard=True, one_time_keyboard=True)
        if msg.buttons:
            return InlineKeyboardMarkup(
                [[InlineKeyboardButton(b.label, callback_data=b.action) for b in row]
                 for row in msg.buttons]
            )
        if msg.remove_keyboard:
            return ReplyKeyboardRemove()
        return None

    async def send(self, chat_id: str, msg: Rendered) -> Sent:
        bot = self.app.bot
        parse_mode = ParseMode.HTML if msg.html else None
        markup = self._markup(msg)
        paid = {"allow_paid_broadcast": True} if msg.paid else {}
        try:
            if msg.image:
                photo = _file_or_url(msg.image)
                m = await bot.send_photo(
                    chat_id, photo, caption=msg.text, parse_mode=parse_mode, reply_markup=markup, **paid
                )
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
        except (BadRequest, InvalidToken) as e:
            raise Permanent(str(e)) from e
        except (TimedOut, NetworkError) as e:
            raise Transient(str(e)) from e
        except TelegramError as e:
            raise Permanent(str(e)) from e
        return Sent(str(m.message_id))


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
    if ref.startswith("telegram-file:"):  # a picture staff sent: Telegram keeps it
        return ref.removeprefix("telegram-file:")
    if ref.startswith(("http://", "https://")):
        return ref
    return Path(ref).read_bytes()
