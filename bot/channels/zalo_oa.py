"""Zalo Official Account (OA), on the OA Open API v3 and OAuth v4 (httpx).

What the union's OA followers see: the same bot as on Telegram, with real buttons.
Where the values below come from (public copies of Zalo's documentation, SDKs and
integrations; the README says which defaults were chosen where they disagree):

* **Sending**: ``POST {base}/v3.0/oa/message/{cs|transaction|promotion}`` with the
  header ``access_token`` and ``{"recipient": {"user_id"}, "message": {…}}``; the
  answer is ``{"error": 0, "message": "Success", "data": {"message_id", "user_id"}}``
  or ``{"error": <negative code>, "message": …}`` (HTTP 200 either way).  The kind
  follows :attr:`Rendered.purpose`: a reply is a consultation message ("tin tư
  vấn", text up to 2000 characters, allowed only within the interaction window), a
  notice (training confirmation or reminder) a transaction message, a broadcast a
  promotion message (per-follower monthly quota, daytime hours).  Transaction and
  promotion messages are templates: a header of up to 100 characters, at most two
  text paragraphs of up to 250, at most 4 buttons with titles of up to 35.
* **Buttons**: a consultation message carries ``attachment.type = "template"`` with
  up to 5 ``buttons`` (titles up to 100 characters, payloads up to 1000).  Each is an
  ``oa.query.hide`` button: pressing it sends its payload back as a text from the
  person (hidden on their screen, so no action id shows there), which
  :meth:`ZaloOAChannel.to_inbound` turns into the action.
* **Phone numbers**: ``template_type = "request_user_info"`` shows Zalo's form; the
  person's answer arrives as the ``user_submit_info`` event with ``info.phone``.
* **Errors** (the OA API's error table): -216 "Access token is invalid" and -220
  "access_token is expired or removed" (also -124) → refresh once, then
  :class:`~bot.errors.Unauthorized`; -230 "User has not interacted with the OA in the
  past 7 days", -232 (interaction expired), -305 (no reply after 48 hours) and -234
  (not at night) → :class:`~bot.errors.OutsideWindow`; -211 "Out of quota", -218 "Out
  of quota receive", -311 → :class:`~bot.errors.OverQuota`; -213 "User has not
  followed OA", -217, -222/-227 (banned or inactive 45 days), -244 (the person
  restricted this kind of message) → :class:`~bot.errors.Blocked`; -32 (limit of API
  calls) and HTTP 429 → RetryLater; HTTP 5xx and network faults → Transient; any
  other code → Permanent.
* **Tokens**: ``POST {oauth}/v4/oa/access_token`` (form ``app_id``, ``grant_type =
  refresh_token``, ``refresh_token``; header ``secret_key``) answers ``access_token``
  (about 25 hours), a **new** ``refresh_token`` (the old one is spent: single use)
  and ``expires_in``, or ``{"error": -14014 …}`` (invalid), -14020 (expired).  The new
  pair is committed to the store (:class:`bot.store.Tokens`) before the access token
  is used, and read back at start; the configured refresh token only seeds it (a
  different configured one means the app was authorised again).  A refused refresh
  at start stops the bot with one line; later, the channel answers Unauthorized.
* **Webhook**: Zalo POSTs each event (``event_name`` ``user_send_text``,
  ``user_send_image``, ``user_send_sticker``, ``user_send_audio``, ``user_send_link``,
  ``user_send_location``, ``follow``, ``unfollow``, ``user_submit_info``, the OA's own
  ``oa_send_*`` …) with ``X-ZEvent-Signature: mac=<sha256 hex of app_id + raw body +
  timestamp + OA secret key>`` (``timestamp`` from the body).  A request whose
  signature does not match is refused (403) and not stored; an event is stored in
  the inbound journal (keyed by its ``msg_id``) before the 200.  The OA has no
  polling: a webhook URL is required.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from datetime import datetime, time, timedelta
from typing import Any, Literal
from urllib.parse import urlparse

import httpx
from aiohttp import web
from pydantic import Field, field_validator, model_validator

from ..clock import Clock
from ..errors import (
    Blocked,
    OutsideWindow,
    OverQuota,
    Permanent,
    RetryLater,
    SendError,
    Transient,
    Unauthorized,
)
from ..types import Button, Capabilities, Constraints, Inbound, InboundKind, Rendered, Sent
from . import (
    ChannelKind,
    ChannelSettings,
    OptionalUrl,
    Rate,
    Secret,
    Sink,
    Url,
    Wiring,
)
from .webserver import WebServer, hand_over

log = logging.getLogger(__name__)
logging.getLogger("httpx").setLevel(logging.WARNING)

NAME = "zalo_oa"
OPENAPI = "https://openapi.zalo.me"
OAUTH = "https://oauth.zaloapp.com"
SIGNATURE_HEADER = "X-ZEvent-Signature"
DEFAULT_PAUSE = 1.0  # seconds to pause after a rate error that names no wait
BUTTON_PREFIX = "#nn:"  # a pressed button's payload: this, then the action
MAX_TEXT = 2000
MAX_BUTTONS = 5  # per consultation message
MAX_TITLE = 100
TEMPLATE_HEADER = 100
TEMPLATE_TEXT = 250
TEMPLATE_TEXTS = 2
TEMPLATE_BUTTONS = 4
TEMPLATE_TITLE = 35
MORE = "⋯"  # the text of a message that only carries more buttons

TOKEN_ERRORS = frozenset({-216, -220, -124})
WINDOW_ERRORS = frozenset({-230, -232, -305, -234})
QUOTA_ERRORS = frozenset({-211, -218, -311})
BLOCKED_ERRORS = frozenset({-213, -217, -222, -227, -244})
RATE_ERRORS = frozenset({-32})
ENDPOINTS = {"reply": "cs", "notice": "transaction", "broadcast": "promotion"}
_MEDIA = {"user_send_image": InboundKind.PHOTO, "user_send_gif": InboundKind.PHOTO,
          "user_send_audio": InboundKind.VOICE}


def _hours(value: Any) -> Any:
    if isinstance(value, str):
        try:
            a, b = (datetime.strptime(p.strip(), "%H:%M").time() for p in value.split("-"))
        except ValueError:
            raise ValueError(f"{value!r} is not HH:MM-HH:MM") from None
        return (a, b)
    return value


class ZaloOASettings(ChannelSettings):
    """The OA channel's settings; the field aliases are the configuration keys."""

    webhook_fields = ("webhook_url",)

    app_id: str | None = Field(None, alias="ZALO_OA_APP_ID")
    # The app's secret key (developers.zalo.me → the app → "Khóa bí mật"): OAuth header.
    secret_key: Secret = Field(None, alias="ZALO_OA_SECRET_KEY")
    # The OA secret key of the app's Webhook page: signs every webhook request.
    webhook_secret: Secret = Field(None, alias="ZALO_OA_WEBHOOK_SECRET")
    refresh_token: Secret = Field(None, alias="ZALO_OA_REFRESH_TOKEN")
    access_token: Secret = Field(None, alias="ZALO_OA_ACCESS_TOKEN")
    base_url: Url = Field(OPENAPI, alias="ZALO_OA_BASE_URL")
    oauth_url: Url = Field(OAUTH, alias="ZALO_OA_OAUTH_URL")
    webhook_url: OptionalUrl = Field(None, alias="ZALO_OA_WEBHOOK_URL")
    rate: Rate = Field(10.0, alias="ZALO_OA_RATE")
    # Consultation messages: only this long after the person's last interaction.
    window_hours: float = Field(168.0, alias="ZALO_OA_WINDOW_HOURS")
    # Broadcasts: promotion messages (quota) or consultation messages (window).
    broadcast_as: Literal["promotion", "consultation"] = Field("promotion",
                                                                alias="ZALO_OA_BROADCAST_AS")
    monthly_quota: int = Field(1, alias="ZALO_OA_MONTHLY_QUOTA")
    daily_quota: int = Field(1, alias="ZALO_OA_DAILY_QUOTA")
    broadcast_hours: tuple[time, time] | None = Field((time(8, 0), time(22, 0)),
                                                      alias="ZALO_OA_BROADCAST_HOURS")
    # The picture of the "share your phone number" form (request_user_info).
    info_image_url: OptionalUrl = Field(None, alias="ZALO_OA_INFO_IMAGE_URL")

    @field_validator("app_id", "webhook_url", "info_image_url", mode="before")
    @classmethod
    def _empty(cls, v: Any) -> Any:
        return None if isinstance(v, str) and not v.strip() else v

    @field_validator("app_id")
    @classmethod
    def _app_id(cls, v: str | None) -> str | None:
        if v is not None and not v.strip().isdigit():
            raise ValueError("must be the app's numeric id (developers.zalo.me)")
        return v.strip() if v else v

    @field_validator("base_url", "oauth_url")
    @classmethod
    def _no_slash(cls, v: str) -> str:
        return v.rstrip("/")  # paths are joined to it

    @field_validator("window_hours")
    @classmethod
    def _window(cls, v: float) -> float:
        if not 0 < v <= 24 * 31:
            raise ValueError("must be a number of hours above 0 (at most 744)")
        return v

    @field_validator("monthly_quota", "daily_quota")
    @classmethod
    def _quota(cls, v: int) -> int:
        if not 0 <= v <= 10_000:
            raise ValueError("must be a number of messages from 0 to 10000")
        return v

    @field_validator("broadcast_hours", mode="before")
    @classmethod
    def _bh(cls, v: Any) -> Any:
        if isinstance(v, str) and not v.strip():
            return None
        return _hours(v)

    @model_validator(mode="after")
    def _complete(self) -> ZaloOASettings:
        if self.enabled:
            for key, value in (("ZALO_OA_SECRET_KEY", self.secret_key),
                               ("ZALO_OA_REFRESH_TOKEN", self.refresh_token),
                               ("ZALO_OA_WEBHOOK_URL", self.webhook_url),
                               ("ZALO_OA_WEBHOOK_SECRET", self.webhook_secret)):
                if value is None:
                    raise ValueError(f"{key}: must be set with ZALO_OA_APP_ID")
        return self

    @property
    def enabled(self) -> bool:
        return self.app_id is not None

    def constraints(self) -> Constraints:
        """What a broadcast copy on the OA must respect (see the module docstring)."""
        if self.broadcast_as == "consultation":
            return Constraints(window=self.window_hours * 3600, hours=self.broadcast_hours)
        return Constraints(monthly_quota=self.monthly_quota, daily_quota=self.daily_quota,
                           hours=self.broadcast_hours)


class OAError(Exception):
    """An answer with a non-zero ``error`` (or an HTTP error status)."""

    def __init__(self, code: int, description: str, status: int = 200,
                 retry_after: float | None = None) -> None:
        super().__init__(f"{code}: {description}")
        self.code = code
        self.description = description
        self.status = status
        self.retry_after = retry_after


def send_error(e: OAError) -> SendError:
    """The delivery outcome for an OA error (token errors are handled before)."""
    if e.status == 429 or e.code in RATE_ERRORS:
        return RetryLater(e.retry_after if e.retry_after is not None else DEFAULT_PAUSE)
    if e.status >= 500:
        return Transient(str(e))
    if e.code in TOKEN_ERRORS:
        return Unauthorized(str(e))
    if e.code in WINDOW_ERRORS:
        return OutsideWindow(str(e))
    if e.code in QUOTA_ERRORS:
        return OverQuota(str(e))
    if e.code in BLOCKED_ERRORS:
        return Blocked(str(e))
    return Permanent(str(e))


def signature(app_id: str, body: bytes, timestamp: str, secret: str) -> str:
    """The webhook MAC: sha256 of app id + raw body + timestamp + OA secret key, in hex."""
    return hashlib.sha256(app_id.encode() + body + timestamp.encode() + secret.encode()).hexdigest()


def button_payload(action: str) -> str:
    return BUTTON_PREFIX + action


def _seed(refresh_token: str) -> str:
    return hashlib.sha256(b"nhanong-zalo-oa-seed:" + refresh_token.encode()).hexdigest()[:32]


def _title(label: str, limit: int) -> str:
    label = " ".join(label.split())
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


class ZaloOAChannel:
    name = NAME
    caps = Capabilities(buttons=True, max_text=MAX_TEXT, markup="plain", contact_button=True,
                        max_caption=MAX_TEXT)

    def __init__(self, settings: ZaloOASettings, *, store: Any, webserver: WebServer | None,
                 clock: Clock) -> None:
        assert settings.app_id and settings.secret_key and settings.refresh_token
        self.settings = settings
        self.app_id = settings.app_id
        self.store = store
        self.webserver = webserver
        self.clock = clock
        self.rate = settings.rate
        self.constraints = settings.constraints()
        self.base_url = settings.base_url
        self.oauth_url = settings.oauth_url
        self._secret = settings.secret_key.get_secret_value()
        self._oa_secret = (settings.webhook_secret.get_secret_value()
                           if settings.webhook_secret else "")
        self._refresh_token = settings.refresh_token.get_secret_value()
        self._unsaved: Any = None  # a renewed pair (TokenPair) not committed yet
        self._access: str | None = None
        self._expires: datetime | None = None
        self._generation = 0  # bumped by every refresh, so concurrent failures refresh once
        self._refreshing = asyncio.Lock()
        self._sink: Sink | None = None
        self._names: dict[str, str | None] = {}
        self._client = httpx.AsyncClient(timeout=httpx.Timeout(15.0, connect=10.0),
                                         limits=httpx.Limits(max_connections=64))

    # -- tokens -------------------------------------------------------------------------
    async def _load_tokens(self) -> None:
        """The stored pair, unless the configuration holds another refresh token (the app
        was authorised again); then that one seeds a new pair."""
        configured = self.settings.refresh_token.get_secret_value()  # type: ignore[union-attr]
        stored = await self.store.tokens.get(self.name)
        if stored is not None and stored.seed == _seed(configured):
            self._access, self._expires = stored.access_token, stored.expires_at
            self._refresh_token = stored.refresh_token
            return
        self._refresh_token = configured
        env_access = self.settings.access_token
        self._access = env_access.get_secret_value() if env_access else None
        self._expires = None
        from ..store import TokenPair

        await self.store.tokens.put(self.name, TokenPair(self._access, configured, None,
                                                         _seed(configured)), self.clock.now())

    def _fresh(self) -> bool:
        return self._access is not None and (
            self._expires is None or self.clock.now() < self._expires - timedelta(minutes=5))

    async def refresh(self, seen: int | None = None) -> None:
        """Spend the refresh token for a new pair, commit the pair, then use it.  With
        ``seen`` (the generation a failed call used), nothing is done if another call
        refreshed since.  Raises Unauthorized when Zalo refuses, Transient when it
        cannot be reached."""
        from ..store import TokenPair

        async with self._refreshing:
            if seen is not None and seen != self._generation:
                return
            spent = self._refresh_token
            try:
                r = await self._client.post(
                    f"{self.oauth_url}/v4/oa/access_token",
                    data={"app_id": self.app_id, "grant_type": "refresh_token",
                          "refresh_token": spent},
                    headers={"secret_key": self._secret})
            except httpx.HTTPError as e:
                raise Transient(f"zalo_oa: OAuth not reachable: {type(e).__name__}") from None
            body = _json(r)
            if r.status_code >= 500:
                raise Transient(f"zalo_oa: OAuth answered HTTP {r.status_code}")
            if not isinstance(body, dict) or not body.get("access_token") \
                    or not body.get("refresh_token"):
                what = body.get("error_name") or body.get("error_description") or body.get("error") \
                    if isinstance(body, dict) else f"HTTP {r.status_code}"
                code = body.get("error") if isinstance(body, dict) else None
                raise Unauthorized(f"zalo_oa: the refresh token was refused ({code}: {what})")
            try:
                seconds = float(body.get("expires_in") or 3600)
            except (TypeError, ValueError):
                seconds = 3600.0
            pair = TokenPair(str(body["access_token"]), str(body["refresh_token"]),
                             self.clock.now() + timedelta(seconds=seconds),
                             _seed(self.settings.refresh_token.get_secret_value()))  # type: ignore[union-attr]
            # The old refresh token is spent: the new pair is committed before anything
            # uses it, so that a crash from here on loses nothing.  Kept here until then.
            self._unsaved = pair
            self._refresh_token = pair.refresh_token
            self._access, self._expires = pair.access_token, pair.expires_at
            self._generation += 1
            await self._save()
            log.info("zalo_oa: access token renewed (valid %.0f h)", seconds / 3600)

    async def _save(self) -> None:
        """Commit a renewed pair not stored yet; Transient (and nothing used) if it cannot be."""
        pair = self._unsaved
        if pair is None:
            return
        try:
            await self.store.tokens.put(self.name, pair, self.clock.now())
        except Exception as e:
            log.error("zalo_oa: the renewed token could not be stored (%s); not used until it is",
                      type(e).__name__)
            raise Transient(f"zalo_oa: the renewed token is not stored yet ({type(e).__name__})"
                            ) from None
        if self._unsaved is pair:
            self._unsaved = None

    # -- the API ------------------------------------------------------------------------
    async def _post(self, kind: str, body: dict[str, Any]) -> dict[str, Any]:
        if not self._fresh():
            await self.refresh(self._generation)
        for attempt in (1, 2):
            await self._save()  # a renewed pair is used only once it is stored
            generation = self._generation
            try:
                r = await self._client.post(f"{self.base_url}/v3.0/oa/message/{kind}", json=body,
                                            headers={"access_token": self._access or ""})
            except httpx.HTTPError as e:
                raise Transient(f"{type(e).__name__}: {e}") from None
            data = _json(r)
            if r.status_code >= 400 or not isinstance(data, dict):
                wait = r.headers.get("Retry-After")
                raise send_error(OAError(r.status_code, f"HTTP {r.status_code}", r.status_code,
                                         float(wait) if wait and wait.isdigit() else None))
            code = int(data.get("error") or 0)
            if code == 0:
                return data.get("data") or {}
            e = OAError(code, str(data.get("message") or "error"))
            if code in TOKEN_ERRORS and attempt == 1:
                await self.refresh(generation)  # once; a second refusal is Unauthorized
                continue
            raise send_error(e)
        raise AssertionError("unreachable")

    # -- limits -------------------------------------------------------------------------
    def chat_limit(self, chat_id: str) -> tuple[float, float]:
        return (1.0, 3.0)  # Zalo publishes no per-chat limit: as a person reads

    # -- receiving ----------------------------------------------------------------------
    async def start(self, sink: Sink) -> None:
        """Read the stored tokens, renew the access token when needed and add the
        webhook route; a refused refresh token raises RuntimeError with one line."""
        self._sink = sink
        if self.webserver is None:
            raise RuntimeError("zalo_oa needs the web server (ZALO_OA_WEBHOOK_URL)")
        await self._load_tokens()
        if not self._fresh():
            try:
                await self.refresh()
            except Unauthorized as e:
                raise RuntimeError(f"{e}; authorise the app again and set ZALO_OA_REFRESH_TOKEN"
                                   ) from None
            except Transient as e:
                where = urlparse(self.oauth_url)
                raise RuntimeError(f"zalo_oa: cannot renew the access token at "
                                   f"{where.scheme}://{where.netloc}: {e}; check ZALO_OA_OAUTH_URL "
                                   "and the network") from None
        path = urlparse(self.settings.webhook_url or "/").path or "/"
        self.webserver.app.router.add_post(path, self._webhook)
        log.info("zalo_oa: webhook on path %s", path)

    async def stop(self) -> None:
        await self._client.aclose()

    def _signed(self, request: web.Request, raw: bytes, event: dict) -> bool:
        given = request.headers.get(SIGNATURE_HEADER, "").strip()
        given = given[4:].strip() if given.lower().startswith("mac=") else given
        app_id, ts = str(event.get("app_id", "")), str(event.get("timestamp", ""))
        if not given or not ts or not hmac.compare_digest(app_id.encode(), self.app_id.encode()):
            return False
        expected = signature(app_id, raw, ts, self._oa_secret)
        return hmac.compare_digest(given.lower().encode(), expected.encode())

    async def _webhook(self, request: web.Request) -> web.Response:
        """403 for a request not signed with the OA secret key (nothing stored); 200 once
        the event is stored (or was before); 503 while stopping, 500 when it could not
        be stored: Zalo tries again."""
        assert self._sink is not None
        raw = await request.read()
        try:
            event = json.loads(raw)
        except ValueError:
            event = None
        if not isinstance(event, dict) or not self._signed(request, raw, event):
            log.warning("zalo_oa webhook: request without a valid signature refused")
            return web.Response(status=403)
        key = event_id(event)  # (before the name is added: a redelivery has the same key)
        await self._add_name(event)
        _, refused = await hand_over(self._sink, key, event, "zalo_oa: webhook event")
        if refused is not None:
            return refused
        return web.json_response({"error": 0, "message": "Success"})

    async def _add_name(self, event: dict) -> None:
        """Events carry no name: the person's display name from the OA's user API, asked
        once per person (best effort, briefly), kept with the event as ``_name``."""
        if not str(event.get("event_name", "")).startswith(("user_", "follow")) \
                or self._unsaved is not None:
            return
        who = event.get("sender") or event.get("follower")
        user = ident(who.get("id")) if isinstance(who, dict) else None
        if user is None:
            return
        if user not in self._names:
            self._names[user] = None
            try:
                r = await self._client.get(
                    f"{self.base_url}/v3.0/oa/user/detail",
                    params={"data": json.dumps({"user_id": user})},
                    headers={"access_token": self._access or ""}, timeout=1.5)
                data = r.json()
                name = (data.get("data") or {}).get("display_name") if data.get("error") == 0 \
                    else None
                self._names[user] = name if isinstance(name, str) and name.strip() else None
            except (httpx.HTTPError, ValueError, AttributeError):
                self._names.pop(user, None)  # asked again next time
        if self._names.get(user):
            event["_name"] = self._names[user]

    def to_inbound(self, event: Any) -> Inbound | None:
        """The core's view of an event; None for the OA's own sends and what is not read."""
        if not isinstance(event, dict):
            return None
        name = str(event.get("event_name", ""))
        if name in ("follow", "unfollow"):
            who = event.get("follower")
            user = ident(who.get("id")) if isinstance(who, dict) else None
            if user is None:
                return None
            kind = InboundKind.FOLLOW if name == "follow" else InboundKind.UNFOLLOW
            shown = event.get("_name")
            return Inbound(channel=self.name, user_id=user, chat_id=user, kind=kind,
                           display_name=shown if isinstance(shown, str) else None)
        if not name.startswith("user_send_") and name != "user_submit_info":
            return None  # oa_send_* (our own sends echoed), seen/received receipts, …
        sender = event.get("sender")
        user = ident(sender.get("id")) if isinstance(sender, dict) else None
        if user is None:
            return None
        msg = event.get("message") if isinstance(event.get("message"), dict) else {}
        name_ = event.get("_name")
        base: dict[str, Any] = {"channel": self.name, "user_id": user, "chat_id": user,
                                "message_id": ident(msg.get("msg_id")),
                                "display_name": name_ if isinstance(name_, str) else None}
        if name == "user_submit_info":
            info = event.get("info") if isinstance(event.get("info"), dict) else {}
            phone = info.get("phone")
            return Inbound(kind=InboundKind.CONTACT,
                           phone=str(phone) if isinstance(phone, str | int) and phone else None,
                           **base)
        text = msg.get("text") if isinstance(msg.get("text"), str) else None
        if name == "user_send_text":
            if text and text.startswith(BUTTON_PREFIX):
                return Inbound(kind=InboundKind.ACTION, action=text[len(BUTTON_PREFIX):], **base)
            return Inbound(kind=InboundKind.TEXT, text=text, **base)
        if name == "user_send_sticker":
            return Inbound(kind=InboundKind.STICKER, **base)
        if name in _MEDIA:
            url = _attachment_url(msg)
            return Inbound(kind=_MEDIA[name], media=url, text=text if url else None, **base)
        return Inbound(kind=InboundKind.OTHER, **base)  # link, location, file, video, card

    # -- sending ------------------------------------------------------------------------
    async def send(self, chat_id: str, msg: Rendered) -> Sent:
        text = msg.text.strip() or "…"
        recipient = {"user_id": chat_id}
        buttons = [b for row in msg.buttons for b in row]
        kind = ENDPOINTS.get(msg.purpose, "cs")
        if kind == "promotion" and self.settings.broadcast_as == "consultation":
            kind = "cs"
        if kind != "cs":
            template = _template(kind, text, msg.image, buttons)
            if template is not None:
                data = await self._post(kind, {"recipient": recipient, "message": template})
                return _sent(data)
            if kind == "promotion":
                raise Permanent(f"too long for a Zalo OA promotion message (a header of "
                                f"{TEMPLATE_HEADER} and {TEMPLATE_TEXTS} paragraphs of "
                                f"{TEMPLATE_TEXT} characters)")
            # A notice too long for a transaction template goes as a consultation message.
        messages = _consultation(text, msg.image, buttons)
        if msg.ask_contact:
            element: dict[str, Any] = {"title": _title(msg.contact_label or text, MAX_TITLE),
                                       "subtitle": _title(text, 500)}
            if self.settings.info_image_url:
                element["image_url"] = self.settings.info_image_url
            messages.append({"attachment": {"type": "template", "payload": {
                "template_type": "request_user_info", "elements": [element]}}})
        data: dict[str, Any] = {}
        for message in messages:
            data = await self._post("cs", {"recipient": recipient, "message": message})
        return _sent(data)


def _json(r: httpx.Response) -> Any:
    try:
        return r.json()
    except ValueError:
        return None


def _sent(data: dict[str, Any]) -> Sent:
    mid = data.get("message_id") if isinstance(data, dict) else None
    return Sent(str(mid) if mid is not None else None)


def _query(b: Button, limit: int) -> dict[str, Any]:
    if b.url:  # an article the union publishes on its OA: opened there
        return {"title": _title(b.label, limit), "type": "oa.open.url", "payload": {"url": b.url}}
    return {"title": _title(b.label, limit), "type": "oa.query.hide",
            "payload": button_payload(b.action)}


def _consultation(text: str, image: str | None, buttons: list[Button]) -> list[dict[str, Any]]:
    """The consultation messages for one rendered message: its text (with the picture,
    by URL), then the buttons, five to a message."""
    first: dict[str, Any] = {"text": text}
    if image and image.startswith(("http://", "https://")):
        first["attachment"] = {"type": "template", "payload": {
            "template_type": "media", "elements": [{"media_type": "image", "url": image}]}}
        out = [first]
        first = {"text": MORE}
        if not buttons:
            return out
    else:
        out = []
    groups = [buttons[i:i + MAX_BUTTONS] for i in range(0, len(buttons), MAX_BUTTONS)] or [[]]
    for i, group in enumerate(groups):
        message = first if i == 0 else {"text": MORE}
        if group:
            message["attachment"] = {"type": "template", "payload": {
                "buttons": [_query(b, MAX_TITLE) for b in group]}}
        out.append(message)
    return out


def _template(kind: str, text: str, image: str | None,
              buttons: list[Button]) -> dict[str, Any] | None:
    """A transaction or promotion template for the text, or None when it does not fit."""
    lines = text.split("\n", 1)
    header = lines[0].strip()
    rest = lines[1].strip() if len(lines) > 1 else ""
    if len(header) > TEMPLATE_HEADER:
        header, rest = _title(header, TEMPLATE_HEADER), text
    paragraphs = [p.strip() for p in rest.split("\n\n") if p.strip()]
    texts: list[str] = []
    for p in paragraphs:
        if texts and len(texts[-1]) + 2 + len(p) <= TEMPLATE_TEXT:
            texts[-1] += "\n\n" + p
        elif len(p) <= TEMPLATE_TEXT:
            texts.append(p)
        else:
            return None
    if len(texts) > TEMPLATE_TEXTS or len(buttons) > TEMPLATE_BUTTONS:
        return None
    elements: list[dict[str, Any]] = []
    if image and image.startswith(("http://", "https://")):
        elements.append({"type": "banner", "image_url": image})
    elements.append({"type": "header", "content": header, "align": "left"})
    elements += [{"type": "text", "content": t, "align": "left"} for t in texts]
    payload: dict[str, Any] = {
        "template_type": "promotion" if kind == "promotion" else "transaction_event",
        "language": "VI", "elements": elements}
    if buttons:
        payload["buttons"] = [_query(b, TEMPLATE_TITLE) for b in buttons]
    return {"attachment": {"type": "template", "payload": payload}}


def _attachment_url(msg: dict) -> str | None:
    for a in msg.get("attachments") or []:
        payload = a.get("payload") if isinstance(a, dict) else None
        url = payload.get("url") if isinstance(payload, dict) else None
        if isinstance(url, str) and url.startswith(("http://", "https://")):
            return url
    return None


def ident(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    return str(value).strip() or None


def event_id(event: dict) -> str:
    """An event's key in the inbound journal: its message id, or a digest of the event
    (a follow has none; the same event delivered twice still has one key)."""
    msg = event.get("message")
    mid = ident(msg.get("msg_id")) if isinstance(msg, dict) else None
    if mid is not None:
        return "oa:" + mid
    digest = hashlib.sha256(json.dumps(event, sort_keys=True, ensure_ascii=False).encode())
    return "oa:sha256:" + digest.hexdigest()[:32]


def build(settings: ZaloOASettings, *, store: Any, webserver: WebServer | None,
          clock: Clock) -> ZaloOAChannel | None:
    """The OA channel when ZALO_OA_APP_ID is set, else None."""
    if not settings.enabled:
        return None
    return ZaloOAChannel(settings, store=store, webserver=webserver, clock=clock)


def _build(settings: ZaloOASettings, w: Wiring) -> ZaloOAChannel | None:
    return build(settings, store=w.store, webserver=w.webserver, clock=w.clock)


KIND = ChannelKind("zalo_oa", "Zalo OA", ZaloOASettings, _build, enabled_by="ZALO_OA_APP_ID")
