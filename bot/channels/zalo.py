"""Zalo, on the Zalo Bot Platform's HTTP API (httpx).

Every method is ``POST {base}{token}/{method}`` with a JSON body and answers
``{"ok": …, "result": …}`` or ``{"ok": false, "error_code": …, "description": …}``.
Updates come by long polling (``getUpdates``: one event per answer, no offset)
or by webhook: Zalo POSTs each event to our web server with the secret given to
``setWebhook`` in the ``X-Bot-Api-Secret-Token`` header, compared here in
constant time.  Each event goes to the core's sink (the inbound journal),
deduplicated by its message id: the webhook answers 200 once it is stored
(503 while stopping, 500 when it could not be stored, so Zalo tries again).
Polling has no offset, so an event is gone from the platform once fetched: it
is stored right after the fetch (also while stopping), and the few events
between a fetch and a crash are the platform's limit: polling is for trying the
bot out, the webhook for production (as Zalo's documentation says).

What is not a person's message is never stored: the bot's own sends, which Zalo
delivers back (their sender is the bot's id from ``getMe``), and Zalo's empty
probe requests (no body, ``{}``, no ``event_name``), which the webhook answers
200 before any secret is checked; every real event still needs the secret.
Pictures arrive as ``photo_url`` (older payloads: ``photo``), voice messages as
``voice_url`` (AAC); ``message.unsupported.received`` is what Zalo sends instead
of the content for the accounts it protects (children, people with
disabilities, people who cannot read).  A 401 on any call is
:class:`bot.errors.Unauthorized` (the token was reset).  Text only (up to 2000
characters), photos by URL, no buttons.
The token is part of every URL, so no URL and no httpx error text is logged
without the token taken out.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from typing import Any
from urllib.parse import urlparse

import httpx
from aiohttp import web
from pydantic import Field, field_validator

from ..errors import Permanent, RetryLater, SendError, Transient, Unauthorized
from ..types import NO_LIMITS, Capabilities, Inbound, InboundKind, Rendered, Sent
from . import (
    ChannelKind,
    ChannelSettings,
    OptionalUrl,
    Rate,
    Secret,
    Sink,
    Url,
    Wiring,
    cancel,
    reveal,
    secret_like,
)
from .webserver import WebServer, derived_secret, hand_over

log = logging.getLogger(__name__)
# httpx logs every request URL at INFO, and a Bot API URL holds the token: whoever
# embeds this channel, and at whatever level, that line must not be written.
logging.getLogger("httpx").setLevel(logging.WARNING)

SECRET_HEADER = "X-Bot-Api-Secret-Token"
DEFAULT_PAUSE = 1.0  # seconds to pause after a 429 that names no wait
_KINDS = {
    "message.text.received": InboundKind.TEXT,
    "message.image.received": InboundKind.PHOTO,
    "message.sticker.received": InboundKind.STICKER,
    "message.voice.received": InboundKind.VOICE,
    "message.unsupported.received": InboundKind.UNSUPPORTED,
}


class ZaloApiError(Exception):
    """An answer with ``ok: false`` (or an HTTP error status)."""

    def __init__(self, code: int, description: str, retry_after: float | None = None) -> None:
        super().__init__(f"{code}: {description}")
        self.code = code
        self.description = description
        self.retry_after = retry_after


def send_error(e: ZaloApiError) -> SendError:
    """The delivery outcome for a Zalo error code (the platform's table of codes:
    400 bad request, 401 token refused, 403 "internal server error", 404 not found,
    408 timeout, 429 quota exceeded)."""
    if e.code == 429:
        return RetryLater(e.retry_after if e.retry_after is not None else DEFAULT_PAUSE)
    if e.code == 401:  # the token was reset: nothing on this channel goes until it is fixed
        return Unauthorized(str(e))
    if e.code in (403, 408) or e.code >= 500:
        return Transient(str(e))
    return Permanent(str(e))  # 400, 404: this message will not go through as it is


class ZaloChannel:
    name = "zalo"
    caps = Capabilities(buttons=False, max_text=2000, markup="plain", max_caption=2000)
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
        poll_timeout: float = 30.0,
    ) -> None:
        self.token = token
        self.base_url = base_url.rstrip("/")
        self.rate = rate
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret or derived_secret(b"nhanong-zalo-webhook:", token)
        self.webserver = webserver
        self.poll_timeout = poll_timeout
        self.bot_id: str | None = None
        self._client = httpx.AsyncClient(timeout=httpx.Timeout(15.0, connect=10.0),
                                         limits=httpx.Limits(max_connections=128))
        self._sink: Sink | None = None
        self._poller: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    # -- the API ------------------------------------------------------------------
    def _scrub(self, text: str) -> str:
        return text.replace(self.token, "<token>")

    async def call(self, method: str, params: dict[str, Any] | None = None,
                   wait: float | None = None) -> Any:
        """One API call (``wait``: read timeout); its ``result``, or ZaloApiError /
        Transient (network)."""
        url = f"{self.base_url}{self.token}/{method}"
        extra = {"timeout": wait} if wait is not None else {}
        try:
            r = await self._client.post(url, json=params or {}, **extra)
        except httpx.HTTPError as e:
            raise Transient(self._scrub(f"{type(e).__name__}: {e}")) from None
        try:
            body = r.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise ZaloApiError(r.status_code, f"HTTP {r.status_code}, not a JSON answer")
        if not body.get("ok"):
            code = body.get("error_code") or (r.status_code if r.status_code >= 400 else 400)
            wait = (body.get("parameters") or {}).get("retry_after") or r.headers.get("Retry-After")
            raise ZaloApiError(int(code), self._scrub(str(body.get("description") or "error")),
                               float(wait) if _number(wait) else None)
        return body.get("result")

    # -- limits -----------------------------------------------------------------
    def chat_limit(self, chat_id: str) -> tuple[float, float]:
        # Zalo publishes no per-chat limit; one a second with a small burst, as a person reads.
        return (1.0, 3.0)

    # -- receiving --------------------------------------------------------------
    async def start(self, sink: Sink) -> None:
        self._sink = sink
        try:
            me = await self.call("getMe")
        except ZaloApiError as e:
            raise RuntimeError(f"zalo: getMe refused ({e}); check ZALO_BOT_TOKEN") from None
        except Transient as e:  # nobody answers there: say where (the token taken out)
            where = urlparse(self.base_url)
            raise RuntimeError(f"zalo: cannot reach the Bot API ({where.scheme}://{where.netloc}): "
                               f"{e}; check ZALO_BASE_URL and the network") from None
        self.bot_id = str((me or {}).get("id", "")) or None
        if self.webhook_url:
            if self.webserver is None:
                raise RuntimeError("zalo webhook mode needs the web server")
            path = urlparse(self.webhook_url).path or "/"
            self.webserver.add_post(path, self._webhook, header=SECRET_HEADER,
                                    secret=self.webhook_secret, probe=is_probe)
            await self.call("setWebhook", {"url": self.webhook_url, "secret_token": self.webhook_secret})
            log.info("zalo: webhook set (path %s)", path)
        else:
            await self.call("deleteWebhook")  # getUpdates answers nothing while a webhook is set
            self._poller = asyncio.get_running_loop().create_task(self._poll(), name="zalo-poll")
            log.info("zalo: polling for updates")

    async def stop(self) -> None:
        await cancel(self._poller)
        self._poller = None
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._client.aclose()

    async def _poll(self) -> None:
        """Long polling, one request at a time; network faults back off up to 30 s."""
        backoff = 1.0
        while True:
            try:
                result = await self.call("getUpdates", {"timeout": int(self.poll_timeout)},
                                         wait=self.poll_timeout + 10)
            except (ZaloApiError, Transient) as e:
                if isinstance(e, ZaloApiError) and e.code == 408:
                    continue  # nothing arrived during the long poll
                log.warning("zalo polling error: %s; retrying in %.0fs", e, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            backoff = 1.0
            for event in result if isinstance(result, list) else [result]:
                await self._keep(event)

    async def _keep(self, event: Any) -> None:
        """Store a polled event: Zalo will not give it again, so keep trying (also
        while stopping) until it is stored or the bot stops."""
        assert self._sink is not None
        if not self._wanted(event):
            return
        delay = 0.5
        while True:
            try:
                new = await self._sink(event_id(event), event, force=True)
            except Exception as e:
                log.error("zalo: event not stored (%s: %s); trying again in %.0fs",
                          type(e).__name__, e, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
                continue
            if new:
                self._received(event)
            return

    async def _webhook(self, request: web.Request) -> web.Response:
        """200 once the event is stored (or was stored before); see the module docstring."""
        assert self._sink is not None
        event = unwrap(await _json_body(request))
        if not isinstance(event, dict):
            return web.Response(status=400)
        if not self._wanted(event):  # the bot's own send coming back: nothing to store
            return web.json_response({"ok": True})
        new, refused = await hand_over(self._sink, event_id(event), event, "zalo: webhook event")
        if refused is not None:
            return refused
        if new:
            self._received(event)
        return web.json_response({"ok": True})

    def _wanted(self, event: Any) -> bool:
        """An event worth storing: a person's, not a probe nor the bot's own send."""
        if not isinstance(event, dict) or not event.get("event_name"):
            return False
        return not self._echo(event)

    def _echo(self, event: dict) -> bool:
        msg = event.get("message")
        sender = msg.get("from") if isinstance(msg, dict) else None
        return (self.bot_id is not None and isinstance(sender, dict)
                and ident(sender.get("id")) == self.bot_id)

    def _received(self, event: dict) -> None:
        """Show "typing…" at once for a stored text (the answer comes from the journal)."""
        inbound = self.to_inbound(event)
        if inbound is not None and inbound.kind is InboundKind.TEXT:
            self._spawn(self.typing(inbound.chat_id))

    def _spawn(self, coro) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def typing(self, chat_id: str) -> None:
        """Show "typing…" while the answer is prepared (best effort)."""
        try:
            await self.call("sendChatAction", {"chat_id": chat_id, "action": "typing"})
        except (ZaloApiError, Transient) as e:
            log.debug("zalo: sendChatAction failed: %s", e)

    def to_inbound(self, event: Any) -> Inbound | None:
        """The core's view of an event; None for what the bot does not read."""
        if not isinstance(event, dict) or not isinstance(event.get("message"), dict):
            return None
        msg = event["message"]
        sender, chat = msg.get("from"), msg.get("chat")
        if not isinstance(sender, dict) or not isinstance(chat, dict):
            return None

        user_id, chat_id = ident(sender.get("id")), ident(chat.get("id"))
        if sender.get("is_bot") or user_id is None or chat_id is None:
            return None  # an event without usable ids would make a junk member
        if self._echo(event):
            return None  # the bot's own send, stored before this version dropped them
        kind = _KINDS.get(str(event.get("event_name", "")), InboundKind.OTHER)
        text = msg.get("text") if kind is InboundKind.TEXT else msg.get("caption")
        media = None
        if kind is InboundKind.PHOTO:
            media = _url(msg.get("photo_url")) or _url(msg.get("photo"))
        elif kind is InboundKind.VOICE:
            media = _url(msg.get("voice_url"))
        name = sender.get("display_name") or sender.get("name")
        return Inbound(
            channel=self.name,
            user_id=user_id,
            chat_id=chat_id,
            kind=kind,
            text=text if isinstance(text, str) else None,
            display_name=name if isinstance(name, str) else None,
            message_id=ident(msg.get("message_id")),
            is_group=str(chat.get("chat_type", "PRIVATE")).upper() == "GROUP",
            media=media,
        )

    # -- sending ------------------------------------------------------------------
    async def send(self, chat_id: str, msg: Rendered) -> Sent:
        text = msg.text.strip()
        try:
            if msg.image and msg.image.startswith(("http://", "https://")):
                params: dict[str, Any] = {"chat_id": chat_id, "photo": msg.image}
                if text:
                    params["caption"] = text
                result = await self.call("sendPhoto", params)
            else:
                # Zalo sends pictures by URL only: a file kept on this machine or on
                # Telegram goes as its text.
                result = await self.call("sendMessage", {"chat_id": chat_id, "text": text or "…"})
        except ZaloApiError as e:
            raise send_error(e) from None
        mid = (result or {}).get("message_id") if isinstance(result, dict) else None
        return Sent(str(mid) if mid is not None else None)


def _url(value: Any) -> str | None:
    return value if isinstance(value, str) and value.startswith(("http://", "https://")) else None


async def _json_body(request: web.Request) -> Any:
    """The request's JSON; {} for an empty body (Zalo's probes), None for what is not JSON."""
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except ValueError:
        return None


def unwrap(data: Any) -> Any:
    """The event in a webhook body: Zalo posts ``{"ok": true, "result": event}`` (its
    documentation) or the bare event."""
    return data.get("result", data) if isinstance(data, dict) else None


def is_probe(raw: bytes) -> bool:
    """Zalo's empty probe requests: no body, ``{}``, or JSON without an ``event_name``
    (answered 200, never stored; everything else needs the secret)."""
    if not raw.strip():
        return True
    try:
        event = unwrap(json.loads(raw))
    except ValueError:
        return False
    return isinstance(event, dict) and not event.get("event_name")


def ident(value: Any) -> str | None:
    """An id as Zalo sends one (text, or a number); anything else is not one."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    return str(value).strip() or None


def event_id(event: dict) -> str:
    """An event's key in the journal: its message id, or a digest of the event
    when it has none (the same event delivered twice still has one key)."""
    msg = event.get("message")
    mid = ident(msg.get("message_id")) if isinstance(msg, dict) else None
    if mid is not None:
        return mid
    digest = hashlib.sha256(json.dumps(event, sort_keys=True, ensure_ascii=False).encode())
    return "sha256:" + digest.hexdigest()[:32]


def _number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


# -- registration ----------------------------------------------------------------------
class ZaloSettings(ChannelSettings):
    token: Secret = Field(None, alias="ZALO_BOT_TOKEN")
    base_url: Url = Field("https://bot-api.zaloplatforms.com/bot", alias="ZALO_BASE_URL")
    rate: Rate = Field(10.0, alias="ZALO_RATE")
    webhook_url: OptionalUrl = Field(None, alias="ZALO_WEBHOOK_URL")
    webhook_secret: Secret = Field(None, alias="ZALO_WEBHOOK_SECRET")

    webhook_fields = ("webhook_url",)

    _token = field_validator("token")(
        secret_like(r"[^\s:]+:\S+", "does not look like a Zalo Bot token (bot id:secret)"))
    # Zalo's setWebhook takes a secret_token of 8 to 256 characters.
    _secret = field_validator("webhook_secret")(
        secret_like(r"[A-Za-z0-9_-]{8,256}", "must be 8-256 characters of A-Z, a-z, 0-9, _ and -",
                    strip=False))


def build(s: ZaloSettings, w: Wiring) -> ZaloChannel | None:
    if s.token is None:
        return None
    return ZaloChannel(s.token.get_secret_value(), base_url=s.base_url, rate=s.rate,
                       webhook_url=s.webhook_url or None, webhook_secret=reveal(s.webhook_secret),
                       webserver=w.webserver)


KIND = ChannelKind("zalo", "Zalo", ZaloSettings, build, enabled_by="ZALO_BOT_TOKEN")
