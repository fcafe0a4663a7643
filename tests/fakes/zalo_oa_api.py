"""A fake Zalo Official Account platform for tests: OAuth v4, the OA message API v3
and the webhook that Zalo calls, on ``127.0.0.1`` over real HTTP.

It follows the OA documentation (copies and SDKs quoted in bot/channels/zalo_oa.py),
not our adapter::

    fake = FakeZaloOA()
    await fake.start()
    fake.deliver_to("http://127.0.0.1:8080/zalo-oa")   # the bot's webhook
    fake.user_text("u-42", "xin chào")                   # POSTed there, signed
    await fake.wait_for_sent("u-42", 1)
    await fake.stop()

* ``POST /v4/oa/access_token`` (form ``app_id``, ``grant_type=refresh_token``,
  ``refresh_token``; header ``secret_key``): a valid refresh token is spent and a new
  pair issued (``expires_in`` "90000", as a string like Zalo's); a spent or unknown one
  answers ``{"error": -14014, "error_name": "Invalid refresh token"}``.
* ``POST /v3.0/oa/message/{cs,transaction,promotion}`` (header ``access_token``):
  -216 for an unknown or revoked access token; -213 to a person who does not follow
  the OA (promotion) or unfollowed it; consultation messages only within
  ``window`` seconds of the person's last interaction (-230); promotion messages at
  most ``monthly_quota`` per person and calendar month (-218 "Out of quota receive");
  text 1-2000, up to 5 buttons (titles 1-100, payloads up to 1000); templates: header
  up to 100, at most 2 texts of up to 250, at most 4 buttons with titles up to 35.
* Each user action is POSTed to the bot's webhook in order, with ``X-ZEvent-Signature:
  mac=sha256(app_id + body + timestamp + OA secret key)``; each message the OA sends
  is echoed back as an ``oa_send_*`` event (Zalo does that when subscribed).
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
from aiohttp import web

from ..waits import GUARD
from .telegram_api import _is_loopback_url, _Signal

JSONDict = dict[str, Any]
KINDS = ("cs", "transaction", "promotion")
ERRORS = {
    -32: "Your application reached limit call api",
    -211: "Out of quota",
    -213: "User has not followed OA",
    -216: "Access token is invalid",
    -218: "Out of quota receive",
    -230: "User has not interacted with the OA in the past 7 days",
    -201: "Parameters are invalid",
}


@dataclass
class Call:
    kind: str  # "cs", "transaction", "promotion" or "oauth"
    body: JSONDict
    headers: dict[str, str]
    status: int | None = None
    response: JSONDict | None = None

    @property
    def ok(self) -> bool:
        return self.response is not None and self.response.get("error") == 0 \
            and self.status == 200

    @property
    def user(self) -> str | None:
        return (self.body.get("recipient") or {}).get("user_id")

    @property
    def message(self) -> JSONDict:
        return self.body.get("message") or {}


def message_text(message: JSONDict) -> str:
    """What the person reads of one message: its text, or a template's header and texts."""
    if "text" in message:
        return str(message["text"])
    payload = (message.get("attachment") or {}).get("payload") or {}
    parts = [e.get("content", "") for e in payload.get("elements") or []
             if e.get("type") in ("header", "text")]
    if payload.get("template_type") == "request_user_info":
        parts = [e.get("subtitle", "") for e in payload.get("elements") or []]
    return "\n\n".join(parts)


def message_buttons(message: JSONDict) -> list[JSONDict]:
    payload = (message.get("attachment") or {}).get("payload") or {}
    return list(payload.get("buttons") or [])


class FakeZaloOA:
    def __init__(self, app_id: str = "4291763606161179100", secret_key: str = "app-SECRET-key",
                 oa_secret: str = "oa-WEBHOOK-secret", oa_id: str = "579745863508352884") -> None:
        self.app_id, self.secret_key, self.oa_secret, self.oa_id = app_id, secret_key, oa_secret, oa_id
        self.seed = "rt-" + secrets.token_urlsafe(12)  # the refresh token an operator pastes
        self._refresh: set[str] = {self.seed}
        self._access: set[str] = set()
        self.refresh_calls: list[str] = []  # every refresh token the bot sent, in order
        self.calls: list[Call] = []
        self.window = 7 * 24 * 3600.0
        self.monthly_quota = 6
        self.followers: set[str] = set()
        self.unfollowed: set[str] = set()
        self.last_interaction: dict[str, float] = {}
        self.promotions: dict[tuple[str, str], int] = {}
        self.echoes = True
        self.names: dict[str, str] = {}  # display names (``/v3.0/oa/user/detail``)
        self.now = time.time  # the platform's clock (tests may set it)
        self.target: str | None = None
        self.deliveries: list[tuple[JSONDict, int]] = []  # (event, status answered)
        self._queue: asyncio.Queue[JSONDict] = asyncio.Queue()
        self._worker: asyncio.Task | None = None
        self._failures: list[tuple[str, Any, str | None]] = []
        self._hold: asyncio.Event | None = None
        self._ids = itertools.count(1)
        self._signal = _Signal()
        self._runner: web.AppRunner | None = None
        self._port = 0

    # -- running ------------------------------------------------------------------------
    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/v4/oa/access_token", self._oauth)
        app.router.add_post("/v3.0/oa/message/{kind}", self._message)
        app.router.add_get("/v3.0/oa/user/detail", self._user_detail)
        self._runner = web.AppRunner(app, handler_cancellation=True, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = int(self._runner.addresses[0][1])
        self._worker = asyncio.get_running_loop().create_task(self._deliver())

    async def stop(self) -> None:
        if self._hold is not None:
            self._hold.set()
        if self._worker is not None:
            self._worker.cancel()
            try:
                await self._worker
            except asyncio.CancelledError:
                pass
        if self._runner is not None:
            await self._runner.cleanup()
        self._runner = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    def deliver_to(self, url: str) -> None:
        """Where this OA's webhook points (the bot's local address, in tests)."""
        if not _is_loopback_url(url):
            raise ValueError(f"the fake only posts to loopback addresses, not {url!r}")
        self.target = url
        self._signal.notify()

    # -- failures -----------------------------------------------------------------------
    def fail_next(self, kind: str, error: int | str, user: str | None = None) -> None:
        """The next message call of ``kind`` (to ``user``) answers ``error`` (a Zalo code,
        or "http500" / "http429")."""
        self._failures.append((kind, error, user))

    def hold_messages(self) -> None:
        """Message calls from now on wait (unanswered) until :meth:`release`."""
        self._hold = asyncio.Event()

    def release(self) -> None:
        if self._hold is not None:
            self._hold.set()
            self._hold = None

    def revoke_access_tokens(self) -> None:
        """Every access token issued so far is refused from now on (-216)."""
        self._access.clear()

    def authorise_again(self) -> str:
        """A new refresh token, as the OA admin authorising the app again gets one."""
        token = "rt-" + secrets.token_urlsafe(12)
        self._refresh.add(token)
        return token

    # -- users --------------------------------------------------------------------------
    def _event(self, event_name: str, user: str, **extra: Any) -> JSONDict:
        event = {"app_id": self.app_id, "user_id_by_app": f"9{user}", "event_name": event_name,
                 "timestamp": str(int(self.now() * 1000)), **extra}
        if event_name not in ("follow", "unfollow"):
            event.setdefault("sender", {"id": user})
            event.setdefault("recipient", {"id": self.oa_id})
        self.last_interaction[user] = self.now()
        self._queue.put_nowait(event)
        return event

    def _msg(self, **content: Any) -> JSONDict:
        return {"msg_id": f"{next(self._ids):08x}{secrets.token_hex(12)}", **content}

    def user_text(self, user: str, text: str) -> JSONDict:
        return self._event("user_send_text", user, message=self._msg(text=text))

    def user_image(self, user: str, url: str, caption: str | None = None) -> JSONDict:
        att = [{"type": "image", "payload": {"thumbnail": url, "url": url}}]
        extra = {"text": caption} if caption else {}
        return self._event("user_send_image", user, message=self._msg(attachments=att, **extra))

    def user_audio(self, user: str, url: str) -> JSONDict:
        att = [{"type": "audio", "payload": {"url": url}}]
        return self._event("user_send_audio", user, message=self._msg(attachments=att))

    def user_sticker(self, user: str) -> JSONDict:
        att = [{"type": "sticker", "payload": {"id": "bfe458bf64fa8da4d4eb",
                                               "url": "https://zalo-api.zadn.vn/api/emoticon/sticker/webpc?eid=1"}}]
        return self._event("user_send_sticker", user, message=self._msg(attachments=att))

    def user_location(self, user: str, lat: str = "21.18", long: str = "106.07") -> JSONDict:
        att = [{"type": "location", "payload": {"coordinates": {"latitude": lat, "longitude": long}}}]
        return self._event("user_send_location", user, message=self._msg(attachments=att))

    def user_link(self, user: str, url: str) -> JSONDict:
        att = [{"type": "link", "payload": {"url": url, "description": "", "thumbnail": ""}}]
        return self._event("user_send_link", user, message=self._msg(text=url, attachments=att))

    def user_submit_info(self, user: str, phone: str, name: str = "Nông") -> JSONDict:
        info = {"address": "", "phone": phone, "city": "", "district": "", "name": name, "ward": ""}
        return self._event("user_submit_info", user, info=info)

    def follow(self, user: str) -> JSONDict:
        self.followers.add(user)
        self.unfollowed.discard(user)
        return self._event("follow", user, oa_id=self.oa_id, follower={"id": user},
                           source="oa_profile")

    def unfollow(self, user: str) -> JSONDict:
        self.followers.discard(user)
        self.unfollowed.add(user)
        return self._event("unfollow", user, oa_id=self.oa_id, follower={"id": user},
                           source="oa_profile")

    def press(self, user: str, label: str) -> None:
        """Press the newest button called ``label`` that the OA sent this person: Zalo
        sends its payload back as a text from the person."""
        for call in reversed(self.ok_calls(user)):
            for b in message_buttons(call.message):
                if b.get("title") == label and b.get("type") in ("oa.query.show", "oa.query.hide"):
                    self.user_text(user, b["payload"])
                    return
        raise AssertionError(f"no button {label!r} sent to {user}")

    def signed(self, event: JSONDict, secret: str | None = None) -> tuple[bytes, dict[str, str]]:
        body = json.dumps(event, ensure_ascii=False).encode()
        mac = hashlib.sha256(self.app_id.encode() + body + str(event["timestamp"]).encode()
                             + (secret if secret is not None else self.oa_secret).encode())
        return body, {"Content-Type": "application/json",
                      "X-ZEvent-Signature": "mac=" + mac.hexdigest()}

    async def post_webhook(self, url: str, event: JSONDict, secret: str | None) -> int:
        """POST one event signed with ``secret`` (None: unsigned); the status answered."""
        if not _is_loopback_url(url):
            raise ValueError(f"post_webhook only posts to loopback addresses, not {url!r}")
        body, headers = self.signed(event, secret if secret is not None else "")
        if secret is None:
            headers.pop("X-ZEvent-Signature")
        async with (aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=GUARD)) as session,
                    session.post(url, data=body, headers=headers) as response):
            await response.read()
            return response.status

    async def _deliver(self) -> None:
        """Zalo's side of the webhook: each event in order, tried again while the bot does
        not answer 200 (or is not there yet)."""
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=GUARD)) as session:
            while True:
                event = await self._queue.get()
                await self._signal.wait_until(lambda: self.target is not None, GUARD)
                body, headers = self.signed(event)
                status = 0
                deadline = asyncio.get_running_loop().time() + GUARD
                while asyncio.get_running_loop().time() < deadline:
                    try:
                        async with session.post(self.target, data=body, headers=headers) as r:
                            await r.read()
                            status = r.status
                    except aiohttp.ClientError:
                        status = 0
                    if status == 200:
                        break
                    await asyncio.sleep(0.05)
                self.deliveries.append((event, status))
                self._signal.notify()

    # -- observing the bot --------------------------------------------------------------
    def ok_calls(self, user: str | None = None, kind: str | None = None) -> list[Call]:
        return [c for c in self.calls if c.kind in KINDS and c.ok
                and (user is None or c.user == str(user)) and (kind is None or c.kind == kind)]

    def texts(self, user: str) -> list[str]:
        return [message_text(c.message) for c in self.ok_calls(user)]

    def calls_to(self, kind: str) -> list[Call]:
        return [c for c in self.calls if c.kind == kind]

    async def wait_until(self, predicate, what: str, timeout: float = GUARD) -> None:  # noqa: ASYNC109
        if not await self._signal.wait_until(predicate, timeout):
            raise AssertionError(f"{what}: not within {timeout}s; calls: "
                                 f"{[(c.kind, c.status, c.response) for c in self.calls[-8:]]}")

    async def wait_for_sent(self, user: str, count: int, timeout: float = GUARD) -> list[Call]:  # noqa: ASYNC109
        await self.wait_until(lambda: len(self.ok_calls(user)) >= count,
                              f"{count} message(s) to {user}", timeout)
        return self.ok_calls(user)

    async def wait_for_call(self, kind: str, count: int = 1, timeout: float = GUARD) -> list[Call]:  # noqa: ASYNC109
        done = lambda: [c for c in self.calls if c.kind == kind and c.status is not None]  # noqa: E731
        await self.wait_until(lambda: len(done()) >= count, f"{count} answered {kind} call(s)",
                              timeout)
        return done()

    async def wait_delivered(self, count: int, timeout: float = GUARD) -> None:  # noqa: ASYNC109
        await self.wait_until(lambda: len(self.deliveries) >= count,
                              f"{count} webhook deliveries", timeout)

    # -- HTTP ---------------------------------------------------------------------------
    def _answer(self, call: Call, body: JSONDict, status: int = 200) -> web.Response:
        call.status, call.response = status, body
        self._signal.notify()
        return web.json_response(body, status=status, dumps=lambda o: json.dumps(o, ensure_ascii=False))

    async def _oauth(self, request: web.Request) -> web.Response:
        form = dict(await request.post())
        call = Call("oauth", {k: str(v) for k, v in form.items()}, dict(request.headers))
        self.calls.append(call)
        if form.get("app_id") != self.app_id or request.headers.get("secret_key") != self.secret_key:
            return self._answer(call, {"error": -14004, "error_name": "Invalid app secret key",
                                       "error_description": "app_id or secret_key is wrong"})
        if form.get("grant_type") != "refresh_token":
            return self._answer(call, {"error": -14003, "error_name": "Invalid parameter"})
        token = str(form.get("refresh_token", ""))
        self.refresh_calls.append(token)
        for kind, error, _ in list(self._failures):
            if kind == "oauth":
                self._failures.remove((kind, error, _))
                return self._answer(call, {"error": int(error), "error_name": "Refused"})
        if token not in self._refresh:
            return self._answer(call, {"error": -14014, "error_name": "Invalid refresh token",
                                       "error_description": "refresh token is invalid or used"})
        self._refresh.discard(token)  # single use
        access, refresh = "at-" + secrets.token_urlsafe(16), "rt-" + secrets.token_urlsafe(16)
        self._access.add(access)
        self._refresh.add(refresh)
        return self._answer(call, {"access_token": access, "refresh_token": refresh,
                                   "expires_in": "90000"})

    async def _user_detail(self, request: web.Request) -> web.Response:
        call = Call("user_detail", {"data": request.query.get("data", "")}, dict(request.headers))
        self.calls.append(call)
        if request.headers.get("access_token") not in self._access:
            return self._error(call, -216)
        try:
            user = str(json.loads(request.query.get("data", "")).get("user_id", ""))
        except (ValueError, AttributeError):
            return self._error(call, -201)
        if user not in self.names and user not in self.last_interaction:
            return self._answer(call, {"error": -207, "message": "Invalid user id"})
        return self._answer(call, {"error": 0, "message": "Success", "data": {
            "user_id": user, "user_id_by_app": f"9{user}", "display_name": self.names.get(user, ""),
            "user_alias": "", "user_is_follower": user in self.followers, "avatar": ""}})

    def _error(self, call: Call, code: int) -> web.Response:
        return self._answer(call, {"error": code, "message": ERRORS.get(code, "error")})

    async def _message(self, request: web.Request) -> web.StreamResponse:
        kind = request.match_info["kind"]
        try:
            body = await request.json()
        except ValueError:
            body = None
        call = Call(kind, body if isinstance(body, dict) else {}, dict(request.headers))
        self.calls.append(call)
        self._signal.notify()
        if self._hold is not None:
            await self._hold.wait()
        if kind not in KINDS:
            return self._answer(call, {"error": -209, "message": "Not supported this api"}, 404)
        if request.headers.get("access_token") not in self._access:
            return self._error(call, -216)
        user = call.user
        if not isinstance(body, dict) or not isinstance(user, str) or not user:
            return self._error(call, -201)
        for f in list(self._failures):
            if f[0] == kind and (f[2] is None or f[2] == user):
                self._failures.remove(f)
                if f[1] == "http500":
                    return self._answer(call, {"error": -1, "message": "Internal error"}, 500)
                if f[1] == "http429":
                    return self._answer(call, {"error": -32, "message": ERRORS[-32]}, 429)
                return self._error(call, int(f[1]))
        problem = self._check(kind, call.message)
        if problem:
            return self._answer(call, {"error": -201, "message": f"Parameters are invalid: {problem}"})
        if user in self.unfollowed:
            return self._error(call, -213)
        if kind == "cs" and self.now() - self.last_interaction.get(user, float("-inf")) > self.window:
            return self._error(call, -230)
        if kind == "promotion":
            if user not in self.followers:
                return self._error(call, -213)
            month = datetime.fromtimestamp(self.now(), UTC).strftime("%Y-%m")
            if self.promotions.get((user, month), 0) >= self.monthly_quota:
                return self._error(call, -218)
            self.promotions[(user, month)] = self.promotions.get((user, month), 0) + 1
        mid = secrets.token_hex(16)
        answer = self._answer(call, {"error": 0, "message": "Success",
                                     "data": {"message_id": mid, "user_id": user}})
        if self.echoes:
            echo = {"app_id": self.app_id, "event_name": "oa_send_text", "timestamp":
                    str(int(self.now() * 1000)), "sender": {"id": self.oa_id},
                    "recipient": {"id": user}, "message": {"msg_id": mid,
                                                           "text": message_text(call.message)}}
            self._queue.put_nowait(echo)
        return answer

    @staticmethod
    def _check(kind: str, message: JSONDict) -> str | None:
        payload = (message.get("attachment") or {}).get("payload") or {}
        buttons = payload.get("buttons") or []
        if kind == "cs":
            ttype = payload.get("template_type")
            if ttype == "request_user_info":
                elements = payload.get("elements") or []
                if len(elements) != 1 or not 1 <= len(elements[0].get("title", "")) <= 100:
                    return "request_user_info needs one element with a title"
                return None
            text = message.get("text")
            if not isinstance(text, str) or not 1 <= len(text) <= 2000:
                return "text must be 1-2000 characters"
            limit, title = 5, 100
        else:
            if payload.get("template_type") not in ("promotion", "transaction_event"):
                return "template_type"
            elements = payload.get("elements") or []
            headers = [e for e in elements if e.get("type") == "header"]
            texts = [e for e in elements if e.get("type") == "text"]
            if len(headers) != 1 or not 1 <= len(headers[0].get("content", "")) <= 100:
                return "one header of 1-100 characters"
            if len(texts) > 2 or any(not 1 <= len(t.get("content", "")) <= 250 for t in texts):
                return "at most 2 texts of 1-250 characters"
            limit, title = 4, 35
        if len(buttons) > limit:
            return f"at most {limit} buttons"
        for b in buttons:
            if not 1 <= len(b.get("title", "")) <= title or len(str(b.get("payload", ""))) > 1000:
                return f"button titles 1-{title} characters, payloads up to 1000"
            kind_of = b.get("type")
            if kind_of == "oa.open.url":  # payload {"url": …}
                url = (b.get("payload") or {}).get("url") if isinstance(b.get("payload"), dict) else None
                if not isinstance(url, str) or not url.startswith(("http://", "https://")):
                    return "oa.open.url needs payload.url"
            elif kind_of not in ("oa.query.show", "oa.query.hide", "oa.open.phone", "oa.open.sms"):
                return f"unknown button type {kind_of!r}"
        return None
