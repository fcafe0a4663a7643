"""A fake Zalo Bot Platform API server for tests.

`FakeZalo` is a small aiohttp server on ``127.0.0.1`` (a free port) that speaks
the Zalo Bot API as its documentation describes it::

    fake = FakeZalo()
    await fake.start()
    fake.user_text("u-42", "xin chào")      # the next getUpdates answers it
    await fake.wait_for_sent("u-42", 1)      # what the bot answered
    await fake.stop()

* ``/bot<token>/<method>``, JSON (or form) bodies, answers ``{"ok": true,
  "result": …}`` or ``{"ok": false, "error_code": …, "description": …}``; a wrong
  token gives 401, an unknown method 404.  Method names are case-sensitive.
* ``getUpdates`` long-polls (no offset: each answer is one event and takes it
  off the queue); when nothing arrives within ``timeout`` it answers 408 (the
  documentation lists 408 "request timeout" and says nothing more precise).
  It refuses to run while a webhook is set.
* ``setWebhook`` wants an https URL and a ``secret_token`` of 8-256 characters.
* ``sendMessage`` text 1-2000 characters, ``sendPhoto`` a photo URL and an
  optional caption of 1-2000, ``sendChatAction`` ``typing``; ids are strings.
* Failures on demand with `FakeZalo.fail_next`, with the codes of the
  documentation's error table.
* Events shaped as real traffic (a public capture of webhook payloads, the
  official SDK ``python-zalo-bot``, goclaw's Zalo channel): pictures carry
  ``photo_url`` (``message_type`` ``CHAT_PHOTO``; ``user_image(legacy=True)``
  sends the documentation's older ``photo``), voice ``voice_url`` to an ``.aac``
  file (``CHAT_VOICE``), protected accounts ``message.unsupported.received``
  without content.  Every successful send to a private chat comes back as an
  event from the bot's own id (from ``getMe``; ``is_bot`` false), as Zalo
  re-delivers the bot's sends (``echoes=False`` turns that off); `redeliver`
  queues an event again with the same ``message_id``; `post_probe` posts the
  empty requests Zalo makes to a webhook address.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web

from ..waits import GUARD
from .telegram_api import Call, _is_loopback_url, _Signal

JSONDict = dict[str, Any]
MAX_TEXT = 2000
SEND_METHODS = frozenset({"sendMessage", "sendPhoto"})
FAILURES = {
    "400": (400, "Bad request"),
    "401": (401, "Unauthorized"),
    "403": (403, "Internal server error"),  # sic: the documentation's wording for 403
    "404": (404, "Not found"),
    "408": (408, "Request timeout"),
    "429": (429, "Quota exceeded"),
    "500": (500, "Internal server error"),
}


class _Refused(Exception):
    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


@dataclass
class _Failure:
    method: str
    kind: str
    chat_id: str | None
    remaining: int


class FakeZalo:
    """An in-process Zalo Bot API for one bot, with helpers to script users."""

    def __init__(self, token: str = "1459232241454765289:zalo-TEST-secret", *,
                 echoes: bool = True) -> None:
        self.token = token
        self.bot_id = token.split(":", 1)[0]
        self.echoes = echoes
        self._groups: set[str] = set()
        self.calls: list[Call] = []
        self.webhook: JSONDict | None = None
        self._updates: list[JSONDict] = []
        self._failures: list[_Failure] = []
        self._ids = itertools.count(1)
        self._pollers = 0
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._calls_signal = _Signal()
        self._updates_signal = _Signal()
        self._handlers = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "sendMessage": self._send_message,
            "sendPhoto": self._send_photo,
            "sendChatAction": self._send_chat_action,
        }

    # -- lifecycle ------------------------------------------------------------------
    async def start(self) -> None:
        self._closing = False
        self._calls_signal, self._updates_signal = _Signal(), _Signal()
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, handler_cancellation=True, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, backlog=2048)
        await site.start()
        self._port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        self._closing = True
        self._updates_signal.notify()
        if self._runner is not None:
            await self._runner.cleanup()
        self._runner = None

    @property
    def base_url(self) -> str:
        """ZALO_BASE_URL for the bot (the token follows ``/bot``)."""
        return f"http://127.0.0.1:{self._port}/bot"

    @property
    def webhook_url(self) -> str:
        return self.webhook["url"] if self.webhook else ""

    @property
    def webhook_secret(self) -> str | None:
        return self.webhook["secret_token"] if self.webhook else None

    # -- users ----------------------------------------------------------------------
    def _event(self, event_name: str, user_id: str, chat_id: str | None, display_name: str,
               chat_type: str = "PRIVATE", **content: Any) -> JSONDict:
        message = {
            "from": {"id": str(user_id), "display_name": display_name, "is_bot": False},
            "chat": {"id": str(chat_id or user_id), "chat_type": chat_type},
            "message_id": f"m{next(self._ids):06x}",
            "date": int(time.time() * 1000),
            **content,
        }
        event = {"event_name": event_name, "message": message}
        if chat_type == "GROUP":
            self._groups.add(message["chat"]["id"])
        self._updates.append(event)
        self._updates_signal.notify()
        return event

    def user_text(self, user_id: str, text: str, *, display_name: str = "Nông",
                  chat_id: str | None = None) -> JSONDict:
        """Queue a text message (private chat unless ``chat_id`` names a group)."""
        return self._event("message.text.received", user_id, chat_id, display_name,
                           "GROUP" if chat_id else "PRIVATE", text=text)

    def user_image(self, user_id: str, url: str, caption: str | None = None,
                   *, display_name: str = "Nông", legacy: bool = False) -> JSONDict:
        """Queue a picture: ``photo_url`` as real events carry it (``legacy``: the
        documentation's ``photo``)."""
        extra: JSONDict = {"caption": caption} if caption else {}
        if legacy:
            extra["photo"] = url
        else:
            extra.update(photo_url=url, message_type="CHAT_PHOTO")
        return self._event("message.image.received", user_id, None, display_name, **extra)

    def user_voice(self, user_id: str, url: str | None = None, *,
                   display_name: str = "Nông") -> JSONDict:
        """Queue a voice message (an ADTS AAC file on Zalo's CDN)."""
        url = url or f"https://f2-voice-aac-dl.zdn.vn/{next(self._ids):08x}/voice.aac"
        return self._event("message.voice.received", user_id, None, display_name,
                           voice_url=url, message_type="CHAT_VOICE")

    def redeliver(self, event: JSONDict) -> JSONDict:
        """Queue an event again, unchanged (same ``message_id``): Zalo delivers twice."""
        self._updates.append(event)
        self._updates_signal.notify()
        return event

    def _echo(self, chat_id: str, params: JSONDict, sent: JSONDict) -> None:
        """Zalo delivers the bot's own send back as an event from the bot."""
        if not self.echoes or chat_id in self._groups:  # private chats only
            return
        if "photo" in params:
            content: JSONDict = {"photo_url": params["photo"], "message_type": "CHAT_PHOTO"}
            if params.get("caption"):
                content["caption"] = params["caption"]
            name = "message.image.received"
        else:
            content, name = {"text": params.get("text", "")}, "message.text.received"
        message = {
            "from": {"id": self.bot_id, "display_name": "Bot Nhà Nông", "is_bot": False},
            "chat": {"id": chat_id, "chat_type": "PRIVATE"},
            "message_id": sent["message_id"], "date": sent["date"], **content,
        }
        self._updates.append({"event_name": name, "message": message})
        self._updates_signal.notify()

    async def post_probe(self, url: str, body: bytes = b"", secret: str | None = None) -> int:
        """POST an empty check to a webhook address (no body by default, no content
        type), as Zalo does; the HTTP status answered."""
        if not _is_loopback_url(url):
            raise ValueError(f"post_probe only posts to loopback addresses, not {url!r}")
        headers = {"X-Bot-Api-Secret-Token": secret} if secret is not None else {}
        if body:
            headers["Content-Type"] = "application/json"
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=GUARD)) as session,
            session.post(url, data=body, headers=headers) as response,
        ):
            await response.read()
            return response.status

    def user_sticker(self, user_id: str, *, display_name: str = "Nông") -> JSONDict:
        return self._event("message.sticker.received", user_id, None, display_name,
                           sticker="0e078a2fb66a5f34067b", url="https://stickers.zaloapp.com/x.png")

    def user_unsupported(self, user_id: str, *, display_name: str = "Nông") -> JSONDict:
        return self._event("message.unsupported.received", user_id, None, display_name)

    async def post_webhook(self, url: str, event: Mapping[str, Any], secret: str | None) -> int:
        """POST one event to the bot's webhook as Zalo does; the HTTP status answered."""
        if not _is_loopback_url(url):
            raise ValueError(f"post_webhook only posts to loopback addresses, not {url!r}")
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Bot-Api-Secret-Token"] = secret
        body = json.dumps({"ok": True, "result": event})
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=GUARD)) as session,
            session.post(url, data=body, headers=headers) as response,
        ):
            await response.read()
            status = response.status
        if 200 <= status < 300 and event in self._updates:
            self._updates.remove(event)
        return status

    # -- observing the bot ------------------------------------------------------------
    def _send_calls(self, chat_id: str | None) -> list[Call]:
        return [c for c in self.calls if c.method in SEND_METHODS and c.ok
                and (chat_id is None or c.params.get("chat_id") == str(chat_id))]

    def sent(self, chat_id: str | None = None) -> list[JSONDict]:
        """Parameters of the successful sendMessage/sendPhoto calls (to ``chat_id``)."""
        return [c.params for c in self._send_calls(chat_id)]

    def texts(self, chat_id: str) -> list[str]:
        return [p.get("text", p.get("caption", "")) for p in self.sent(chat_id)]

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def wait_for_sent(self, chat_id: str, count: int, timeout: float = GUARD) -> list[JSONDict]:  # noqa: ASYNC109 - part of the fake's interface
        if await self._calls_signal.wait_until(lambda: len(self._send_calls(chat_id)) >= count, timeout):
            return self.sent(chat_id)
        raise AssertionError(f"expected {count} message(s) to {chat_id} within {timeout}s, got "
                             f"{self.texts(chat_id)!r}; calls: {[c.method for c in self.calls[-20:]]}")

    async def wait_for_call(self, method: str, count: int = 1, timeout: float = GUARD) -> list[Call]:  # noqa: ASYNC109 - part of the fake's interface
        def answered() -> list[Call]:
            return [c for c in self.calls if c.method == method and c.status is not None]

        if await self._calls_signal.wait_until(lambda: len(answered()) >= count, timeout):
            return answered()
        raise AssertionError(f"expected {count} answered {method} call(s) within {timeout}s")

    async def wait_for_polling(self, timeout: float = GUARD) -> None:  # noqa: ASYNC109 - part of the fake's interface
        if not await self._updates_signal.wait_until(lambda: self._pollers > 0, timeout):
            raise AssertionError(f"no long-polling getUpdates within {timeout}s")

    def fail_next(self, method: str, kind: str, *, chat_id: str | None = None, count: int = 1) -> None:
        """The next ``count`` calls of ``method`` (to ``chat_id``) fail with the error
        ``kind`` ("400", "401", "403", "404", "408", "429", "500") or "drop" (no answer)."""
        if kind not in FAILURES and kind != "drop":
            raise ValueError(f"unknown failure kind {kind!r}")
        self._failures.append(_Failure(method, kind, None if chat_id is None else str(chat_id), count))

    def _take_failure(self, method: str, params: Mapping[str, Any]) -> _Failure | None:
        for f in self._failures:
            if f.method == method and (f.chat_id is None or params.get("chat_id") == f.chat_id):
                f.remaining -= 1
                if f.remaining <= 0:
                    self._failures.remove(f)
                return f
        return None

    # -- HTTP -------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        params: JSONDict = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    body = None
                if not isinstance(body, dict):
                    return self._error(400, "Bad request")
                params.update(body)
            else:
                params.update({k: v for k, v in (await request.post()).items() if isinstance(v, str)})
        call = Call(request.match_info["method"], params, time.monotonic())
        self.calls.append(call)
        self._calls_signal.notify()
        try:
            status, body = await self._answer(request.match_info["token"], call)
        except asyncio.CancelledError:
            call.status = 499
            self._calls_signal.notify()
            raise
        if status == 0:  # dropped
            call.status = 0
            self._calls_signal.notify()
            if request.transport is not None:
                request.transport.close()
            return web.Response()
        call.status, call.response = status, body
        self._calls_signal.notify()
        return web.json_response(body, status=status,
                                 dumps=lambda o: json.dumps(o, ensure_ascii=False))

    @staticmethod
    def _error(code: int, description: str) -> web.Response:
        return web.json_response({"ok": False, "error_code": code, "description": description},
                                 status=code)

    async def _answer(self, token: str, call: Call) -> tuple[int, JSONDict]:
        if token != self.token:
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        handler = self._handlers.get(call.method)
        if handler is None:
            return 404, {"ok": False, "error_code": 404, "description": "Not found"}
        failure = self._take_failure(call.method, call.params)
        if failure is not None:
            if failure.kind == "drop":
                return 0, {}
            code, description = FAILURES[failure.kind]
            return code, {"ok": False, "error_code": code, "description": description}
        try:
            result = await handler(call.params)
        except _Refused as e:
            return e.code, {"ok": False, "error_code": e.code, "description": e.description}
        return 200, {"ok": True, "result": result} if result is not None else {"ok": True}

    # -- methods ----------------------------------------------------------------------
    async def _get_me(self, params: JSONDict) -> JSONDict:
        return {"id": self.bot_id, "account_name": "bot.NhaNong", "account_type": "BASIC",
                "can_join_groups": False}

    async def _get_updates(self, params: JSONDict) -> JSONDict:
        if self.webhook is not None:
            raise _Refused(400, "Bad request: webhook is set, use deleteWebhook first")
        try:
            timeout = float(params.get("timeout", 30))
        except (TypeError, ValueError):
            raise _Refused(400, "Bad request: timeout") from None
        ready = lambda: self._closing or bool(self._updates)  # noqa: E731
        if not ready():
            self._pollers += 1
            self._updates_signal.notify()
            try:
                await self._updates_signal.wait_until(ready, timeout)
            finally:
                self._pollers -= 1
        if not self._updates:
            raise _Refused(408, "Request timeout")
        return self._updates.pop(0)

    async def _set_webhook(self, params: JSONDict) -> JSONDict:
        url, secret = params.get("url"), params.get("secret_token")
        if not isinstance(url, str) or not url.startswith("https://"):
            raise _Refused(400, "Bad request: url must be https")
        if not isinstance(secret, str) or not 8 <= len(secret) <= 256:
            raise _Refused(400, "Bad request: secret_token must be 8-256 characters")
        self.webhook = {"url": url, "secret_token": secret}
        self._updates_signal.notify()
        return {"url": url, "updated_at": int(time.time() * 1000)}

    async def _delete_webhook(self, params: JSONDict) -> JSONDict:
        self.webhook = None
        return {"url": "", "updated_at": int(time.time() * 1000)}

    async def _get_webhook_info(self, params: JSONDict) -> JSONDict:
        return {"url": self.webhook_url, "updated_at": int(time.time() * 1000)}

    @staticmethod
    def _chat(params: JSONDict) -> str:
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, str) or not chat_id:
            raise _Refused(400, "Bad request: chat_id must be a non-empty string")
        return chat_id

    def _sent(self) -> JSONDict:
        return {"message_id": f"b{next(self._ids):08x}", "date": int(time.time() * 1000)}

    async def _send_message(self, params: JSONDict) -> JSONDict:
        chat_id = self._chat(params)
        text = params.get("text")
        if not isinstance(text, str) or not 1 <= len(text) <= MAX_TEXT:
            raise _Refused(400, "Bad request: text must be 1-2000 characters")
        sent = self._sent()
        self._echo(chat_id, params, sent)
        return sent

    async def _send_photo(self, params: JSONDict) -> JSONDict:
        self._chat(params)
        photo, caption = params.get("photo"), params.get("caption")
        if not isinstance(photo, str) or not photo.startswith(("http://", "https://")):
            raise _Refused(400, "Bad request: photo must be a URL")
        if caption is not None and not (isinstance(caption, str) and 1 <= len(caption) <= MAX_TEXT):
            raise _Refused(400, "Bad request: caption must be 1-2000 characters")
        sent = self._sent()
        self._echo(self._chat(params), params, sent)
        return sent

    async def _send_chat_action(self, params: JSONDict) -> None:
        self._chat(params)
        if params.get("action") != "typing":
            raise _Refused(400, "Bad request: action")
        return None
