"""A fake Telegram Bot API server for tests.

`FakeTelegram` is a small aiohttp server bound to ``127.0.0.1`` on a free port
that speaks the Bot API wire protocol closely enough for python-telegram-bot
(PTB) 22 to run against it unchanged::

    fake = FakeTelegram()
    await fake.start()
    bot = telegram.Bot(fake.token, base_url=fake.base_url)
    fake.user_text(42, "xin chào")          # queued for getUpdates
    ...
    await fake.wait_for_sent(42, 1)          # what the bot answered
    await fake.stop()

What it emulates (modelled on the Bot API documentation and on how Telegram's
server answers, including its error descriptions):

* ``/bot<token>/<method>`` over GET or POST; a wrong token gives 401
  ``Unauthorized``, a malformed token or an unknown method 404 ``Not Found``.
  Method names are case-insensitive, as on Telegram.
* Bodies may be form-encoded (PTB's way: every value is a string, complex
  values are JSON strings), multipart (uploads, ``attach://`` references) or
  JSON.  Values are decoded to Python types per parameter name.
* ``getUpdates`` with ``offset`` (confirmation, negative offsets), ``limit``,
  (updates not confirmed by a higher offset are kept and given again to the
  next ``getUpdates``, also to a new process after a restart, as Telegram does),
  ``timeout`` (long polling on an event, no sleeping), ``allowed_updates``;
  409 ``Conflict`` while a webhook is set and for a poll superseded by a newer
  one.  Webhooks are stored (``setWebhook`` checks HTTPS, port and secret).
* Sending, editing and deleting messages with Telegram's validation of text
  length (UTF-16 code units, after entity parsing), HTML markup and reply
  markup; successful sends answer with a full ``Message``.
* Failures on demand with `FakeTelegram.fail_next`.
* Held answers with `FakeTelegram.hold_sends_after`: a send is carried out (the
  person has the message) but its HTTP answer never comes, as when the bot
  dies while Telegram is answering.

The one deliberate difference: by default the HTML parser is *stricter* than
Telegram, which silently accepts a bare ``&`` or ``>``.  The Bot API
documentation requires them to be escaped, so the fake rejects them to catch
unescaped user data early.  Set ``fake.strict_html = False`` for Telegram's
lenient behaviour.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import ipaddress
import itertools
import json
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from ..waits import GUARD

JSONDict = dict[str, Any]

__all__ = ["ApiError", "Call", "FakeTelegram", "HtmlParseError", "UploadedFile", "parse_html"]

# --------------------------------------------------------------------------------------
# Limits and descriptions (as Telegram words them)
# --------------------------------------------------------------------------------------

MAX_TEXT_LENGTH: Final = 4096
MAX_CAPTION_LENGTH: Final = 1024
MAX_CALLBACK_DATA_BYTES: Final = 64
MAX_CALLBACK_ANSWER_LENGTH: Final = 200
MAX_COMMANDS: Final = 100

ERR_CHAT_ID_EMPTY: Final = "Bad Request: chat_id is empty"
ERR_CHAT_NOT_FOUND: Final = "Bad Request: chat not found"
ERR_TEXT_EMPTY: Final = "Bad Request: message text is empty"
ERR_TEXT_TOO_LONG: Final = "Bad Request: message is too long"
ERR_CAPTION_TOO_LONG: Final = "Bad Request: message caption is too long"
ERR_PARSE_ENTITIES: Final = "Bad Request: can't parse entities: "
ERR_BUTTON_DATA: Final = "Bad Request: BUTTON_DATA_INVALID"
ERR_MARKUP_JSON: Final = "Bad Request: can't parse reply keyboard markup JSON object"
ERR_NOT_MODIFIED: Final = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
ERR_QUERY_INVALID: Final = "Bad Request: query is too old and response timeout expired or query ID is invalid"
ERR_WEBHOOK_ACTIVE: Final = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
ERR_POLL_TERMINATED: Final = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
)

VOICE_FILE_PREFIX: Final = "AwACAgIAAxkBAAI"  # the start of a voice's file id
SEND_METHODS: Final = frozenset({"sendMessage", "sendPhoto", "sendDocument", "sendVoice"})
FAILURE_KINDS: Final = frozenset({"429", "403", "400", "migrate", "500", "drop"})

CHAT_ACTIONS: Final = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)

ALL_UPDATE_TYPES: Final = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_connection",
    "business_message",
    "edited_business_message",
    "deleted_business_messages",
    "message_reaction",
    "message_reaction_count",
    "inline_query",
    "chosen_inline_result",
    "callback_query",
    "shipping_query",
    "pre_checkout_query",
    "purchased_paid_media",
    "poll",
    "poll_answer",
    "my_chat_member",
    "chat_member",
    "chat_join_request",
    "chat_boost",
    "removed_chat_boost",
)
#: Update types Telegram delivers when ``allowed_updates`` is unset or empty.
DEFAULT_UPDATE_TYPES: Final = frozenset(ALL_UPDATE_TYPES) - {
    "chat_member",
    "message_reaction",
    "message_reaction_count",
}

# Real Bot API methods the fake does not implement: answered with a clear 400 instead
# of 404, because PTB turns a 404 into ``InvalidToken``, which would be misleading.
KNOWN_UNIMPLEMENTED_METHODS: Final = (
    "forwardMessage",
    "forwardMessages",
    "copyMessage",
    "copyMessages",
    "sendAudio",
    "sendVideo",
    "sendAnimation",
    "sendVideoNote",
    "sendPaidMedia",
    "sendMediaGroup",
    "sendLocation",
    "sendVenue",
    "sendContact",
    "sendPoll",
    "sendDice",
    "sendSticker",
    "sendInvoice",
    "setMessageReaction",
    "getUserProfilePhotos",
    "getFile",
    "banChatMember",
    "unbanChatMember",
    "restrictChatMember",
    "promoteChatMember",
    "getChat",
    "getChatAdministrators",
    "getChatMemberCount",
    "getChatMember",
    "leaveChat",
    "pinChatMessage",
    "unpinChatMessage",
    "unpinAllChatMessages",
    "setMyName",
    "getMyName",
    "setMyDescription",
    "getMyDescription",
    "setMyShortDescription",
    "getMyShortDescription",
    "setChatMenuButton",
    "getChatMenuButton",
    "setMyDefaultAdministratorRights",
    "getMyDefaultAdministratorRights",
    "editMessageMedia",
    "editMessageLiveLocation",
    "stopMessageLiveLocation",
    "stopPoll",
    "deleteMessages",
    "answerInlineQuery",
    "answerWebAppQuery",
    "answerShippingQuery",
    "answerPreCheckoutQuery",
    "getStickerSet",
    "uploadStickerFile",
    "createChatInviteLink",
    "exportChatInviteLink",
)

# Parameter decoding: PTB sends every value as a string (JSON for non-strings).
_INT_PARAMS: Final = frozenset(
    {
        "message_id",
        "offset",
        "limit",
        "timeout",
        "reply_to_message_id",
        "message_thread_id",
        "max_connections",
        "cache_time",
        "from_chat_id",
        "user_id",
        "duration",
        "width",
        "height",
    }
)
_FLOAT_PARAMS: Final = frozenset({"timeout"})
_BOOL_PARAMS: Final = frozenset(
    {
        "disable_notification",
        "protect_content",
        "allow_sending_without_reply",
        "allow_paid_broadcast",
        "show_alert",
        "drop_pending_updates",
        "disable_web_page_preview",
        "disable_content_type_detection",
        "has_spoiler",
        "show_caption_above_media",
        "revoke_messages",
    }
)
_JSON_PARAMS: Final = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "commands",
        "allowed_updates",
        "scope",
        "link_preview_options",
        "reply_parameters",
        "media",
        "results",
        "message_ids",
        "options",
    }
)

# HTML parsing (the subset Telegram supports, see https://core.telegram.org/bots/api#html-style).
_HTML_TAGS: Final = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "code",
        "pre",
        "tg-spoiler",
        "span",
        "blockquote",
        "tg-emoji",
    }
)
_SIMPLE_TAG_ENTITIES: Final = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}
_HTML_ENTITY_RE: Final = re.compile(r"&(?:(lt|gt|amp|quot)|#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6}));")
_NAMED_HTML_ENTITIES: Final = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}

_INLINE_BUTTON_ACTIONS: Final = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_COMMAND_RE: Final = re.compile(r"[a-z0-9_]{1,32}")
_LEADING_COMMAND_RE: Final = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{1,64})?")
_SECRET_TOKEN_RE: Final = re.compile(r"[A-Za-z0-9_-]{1,256}")
_TOKEN_RE: Final = re.compile(r"[0-9]+:[A-Za-z0-9_-]+")
_WEBHOOK_PORTS: Final = frozenset({80, 88, 443, 8443})


# --------------------------------------------------------------------------------------
# Public helper types
# --------------------------------------------------------------------------------------


@dataclass
class Call:
    """One request the bot made to the fake Bot API.

    Attributes:
        method: Canonical method name (``sendMessage`` even if sent as ``sendmessage``).
        params: Decoded parameters: ints, bools and JSON values (``reply_markup``,
            ``entities``, ``commands``, ...) as Python objects; uploads as `UploadedFile`.
        at: ``time.monotonic()`` when the request arrived.
        status: HTTP status of the answer; ``None`` while still pending (a long
            poll), ``0`` when the connection was dropped on purpose, ``499`` when the
            client went away before the answer.
        response: The JSON body answered (``{"ok": ..., ...}``), ``None`` if none.
    """

    method: str
    params: dict[str, Any]
    at: float
    status: int | None = None
    response: JSONDict | None = None
    held: bool = False  # carried out, answer held back (`FakeTelegram.hold_sends_after`)

    @property
    def done(self) -> bool:
        """Whether the request has been answered (or dropped)."""
        return self.status is not None

    @property
    def ok(self) -> bool:
        """Whether Telegram would have reported success (``{"ok": true}``)."""
        return self.response is not None and bool(self.response.get("ok"))

    @property
    def result(self) -> Any:
        """The ``result`` of a successful call, else ``None``."""
        return self.response.get("result") if self.response is not None else None


@dataclass(frozen=True)
class UploadedFile:
    """A file the bot uploaded in a multipart request."""

    filename: str | None
    content_type: str | None
    data: bytes

    def __repr__(self) -> str:
        """Short form without the bytes, for readable assertion messages."""
        return f"UploadedFile({self.filename!r}, {self.content_type!r}, {len(self.data)} bytes)"


class ApiError(Exception):
    """An error answer of the Bot API (raised inside method handlers)."""

    def __init__(self, status: int, description: str, parameters: Mapping[str, Any] | None = None) -> None:
        """Remember the HTTP status, Telegram's description and optional parameters."""
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = dict(parameters) if parameters else None

    def body(self) -> JSONDict:
        """The JSON body Telegram sends for this error."""
        data: JSONDict = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            data["parameters"] = self.parameters
        return data


def _bad_request(description: str) -> ApiError:
    """A 400 error with the given description (which includes ``Bad Request: ``)."""
    return ApiError(400, description)


class HtmlParseError(ValueError):
    """Markup that Telegram's HTML parse mode rejects (message without the prefix)."""


# --------------------------------------------------------------------------------------
# Text helpers
# --------------------------------------------------------------------------------------


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units, the unit Telegram counts in."""
    return len(text.encode("utf-16-le")) // 2


def _decode_html_entity(match: re.Match[str]) -> str | None:
    """The character an ``&...;`` match stands for, ``None`` if it is not a valid one."""
    named, decimal, hexadecimal = match.groups()
    if named:
        return _NAMED_HTML_ENTITIES[named]
    code = int(decimal) if decimal else int(hexadecimal, 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code)


@dataclass
class _OpenTag:
    name: str
    argument: str | None
    start: int  # UTF-16 offset in the output text
    byte_offset: int  # of the "<" in the input


def parse_html(text: str, *, strict: bool = True) -> tuple[str, list[JSONDict]]:
    """Parse Telegram-flavoured HTML into plain text and ``MessageEntity`` dicts.

    Follows the algorithm of Telegram's server (tdlib ``parse_html``): supported
    tags only, properly nested and closed, attribute values quoted or simple
    tokens, entities ``&lt; &gt; &amp; &quot;`` and numeric ones.  Offsets and
    lengths of the entities are in UTF-16 code units.  The text is *not*
    stripped here.

    Args:
        text: The markup.
        strict: Also reject a bare ``&`` (not starting a valid entity) and a bare
            ``>``; Telegram itself accepts both literally.

    Raises:
        HtmlParseError: With the description Telegram gives after
            ``can't parse entities:``.
    """
    out: list[str] = []
    u16 = 0
    entities: list[JSONDict] = []
    code_languages: dict[int, str] = {}  # index in entities -> language of a <code class=...>
    stack: list[_OpenTag] = []
    n = len(text)
    i = 0

    def byte_offset(pos: int) -> int:
        return len(text[:pos].encode("utf-8"))

    def emit(chunk: str) -> None:
        nonlocal u16
        out.append(chunk)
        u16 += utf16_len(chunk)

    def skip_spaces(pos: int) -> int:
        while pos < n and text[pos].isspace():
            pos += 1
        return pos

    while i < n:
        char = text[i]
        if char == "&":
            match = _HTML_ENTITY_RE.match(text, i)
            decoded = _decode_html_entity(match) if match else None
            if match and decoded is not None:
                emit(decoded)
                i = match.end()
                continue
            if strict:
                raise HtmlParseError(
                    f'Unescaped "&" at byte offset {byte_offset(i)}; write it as &amp; '
                    "(the fake's strict mode, Telegram requires escaping)"
                )
            emit(char)
            i += 1
            continue
        if char == ">":
            if strict:
                raise HtmlParseError(
                    f'Unescaped ">" at byte offset {byte_offset(i)}; write it as &gt; '
                    "(the fake's strict mode, Telegram requires escaping)"
                )
            emit(char)
            i += 1
            continue
        if char != "<":
            emit(char)
            i += 1
            continue

        begin = i
        i += 1
        if i < n and text[i] == "/":
            # End tag.
            if not stack:
                raise HtmlParseError(f"Unexpected end tag at byte offset {byte_offset(begin)}")
            i += 1
            name_start = i
            while i < n and not text[i].isspace() and text[i] != ">":
                i += 1
            end_name = text[name_start:i].lower()
            i = skip_spaces(i)
            if i >= n or text[i] != ">":
                raise HtmlParseError(f"Unclosed end tag at byte offset {byte_offset(begin)}")
            i += 1
            top = stack.pop()
            if end_name and end_name != top.name:
                raise HtmlParseError(
                    f"Unmatched end tag at byte offset {byte_offset(begin)}, "
                    f'expected "</{top.name}>", found "</{end_name}>"'
                )
            _close_tag(top, u16, "".join(out), entities, code_languages)
            continue

        # Start tag.
        name_start = i
        while i < n and not text[i].isspace() and text[i] != ">":
            i += 1
        if i >= n:
            raise HtmlParseError(f"Unclosed start tag at byte offset {byte_offset(begin)}")
        name = text[name_start:i].lower()
        if name not in _HTML_TAGS:
            raise HtmlParseError(f'Unsupported start tag "{name}" at byte offset {byte_offset(begin)}')
        attributes: dict[str, str] = {}
        while True:
            i = skip_spaces(i)
            if i >= n:
                raise HtmlParseError(f'Unclosed start tag "{name}" at byte offset {byte_offset(begin)}')
            if text[i] == ">":
                i += 1
                break
            attr_start = i
            while i < n and not text[i].isspace() and text[i] not in "=>/\"'":
                i += 1
            attr_name = text[attr_start:i].lower()
            if not attr_name:
                raise HtmlParseError(
                    f'Empty attribute name in the tag "{name}" at byte offset {byte_offset(begin)}'
                )
            i = skip_spaces(i)
            if i >= n:
                raise HtmlParseError(f'Unclosed start tag "{name}" at byte offset {byte_offset(begin)}')
            if text[i] != "=":
                attributes[attr_name] = ""
                continue
            i = skip_spaces(i + 1)
            if i >= n:
                raise HtmlParseError(f'Unclosed start tag "{name}" at byte offset {byte_offset(begin)}')
            quote = text[i]
            if quote in "\"'":
                i += 1
                value_chars: list[str] = []
                while i < n and text[i] != quote:
                    if text[i] == "&":
                        match = _HTML_ENTITY_RE.match(text, i)
                        decoded = _decode_html_entity(match) if match else None
                        if match and decoded is not None:
                            value_chars.append(decoded)
                            i = match.end()
                            continue
                    value_chars.append(text[i])
                    i += 1
                if i >= n:
                    raise HtmlParseError(f'Unclosed start tag "{name}" at byte offset {byte_offset(begin)}')
                i += 1
                value = "".join(value_chars)
            else:
                token_start = i
                while i < n and text[i].isascii() and (text[i].isalnum() or text[i] in ".-"):
                    i += 1
                value = text[token_start:i].lower()
                if i >= n:
                    raise HtmlParseError(f'Unclosed start tag "{name}" at byte offset {byte_offset(begin)}')
                if not text[i].isspace() and text[i] != ">":
                    raise HtmlParseError(f"Unexpected end of name token at byte offset {byte_offset(i)}")
            attributes[attr_name] = value

        argument: str | None = None
        if name == "a":
            argument = attributes.get("href", "")
        elif name == "code":
            css_class = attributes.get("class", "")
            if css_class.startswith("language-"):
                argument = css_class.removeprefix("language-")
        elif name == "span":
            if attributes.get("class") != "tg-spoiler":
                raise HtmlParseError(
                    f'Tag "span" must have class "tg-spoiler" at byte offset {byte_offset(begin)}'
                )
        elif name == "tg-emoji":
            argument = attributes.get("emoji-id", "")
        elif name == "blockquote" and "expandable" in attributes:
            argument = "expandable"
        stack.append(_OpenTag(name, argument, u16, byte_offset(begin)))

    if stack:
        raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _close_tag(
    tag: _OpenTag,
    u16_end: int,
    plain_so_far: str,
    entities: list[JSONDict],
    code_languages: dict[int, str],
) -> None:
    """Append the entity for a closed tag (nothing for an empty one)."""
    length = u16_end - tag.start
    if tag.name == "tg-emoji" and not (tag.argument or "").isdigit():
        raise HtmlParseError("Invalid custom emoji identifier specified")
    if length <= 0:
        return
    entity: JSONDict = {"offset": tag.start, "length": length}
    if tag.name in _SIMPLE_TAG_ENTITIES:
        entity["type"] = _SIMPLE_TAG_ENTITIES[tag.name]
    elif tag.name == "a":
        url = tag.argument or _utf16_slice(plain_so_far, tag.start, u16_end)
        if not url:
            return
        entity.update(type="text_link", url=url)
    elif tag.name == "code":
        entity["type"] = "code"
        if tag.argument:
            code_languages[len(entities)] = tag.argument
    elif tag.name == "pre":
        last = entities[-1] if entities else None
        if (
            last is not None
            and last["type"] == "code"
            and last["offset"] == tag.start
            and last["length"] == length
        ):
            language = code_languages.pop(len(entities) - 1, None)
            entities.pop()
            if language:
                entity["language"] = language
        entity["type"] = "pre"
    elif tag.name == "blockquote":
        entity["type"] = "expandable_blockquote" if tag.argument else "blockquote"
    elif tag.name == "tg-emoji":
        entity.update(type="custom_emoji", custom_emoji_id=tag.argument)
    entities.append(entity)


def _utf16_slice(text: str, start: int, end: int) -> str:
    """``text[start:end]`` with UTF-16 offsets."""
    raw = text.encode("utf-16-le")
    return raw[start * 2 : end * 2].decode("utf-16-le", errors="replace")


def _strip_with_entities(text: str, entities: list[JSONDict]) -> tuple[str, list[JSONDict]]:
    """Strip surrounding whitespace as Telegram does, shifting and clipping entities."""
    stripped_left = text.lstrip()
    lead = utf16_len(text) - utf16_len(stripped_left)
    stripped = stripped_left.rstrip()
    total = utf16_len(stripped)
    result: list[JSONDict] = []
    for entity in entities:
        start = max(0, int(entity.get("offset", 0)) - lead)
        end = min(total, int(entity.get("offset", 0)) + int(entity.get("length", 0)) - lead)
        if end > start:
            result.append({**entity, "offset": start, "length": end - start})
    return stripped, result


# --------------------------------------------------------------------------------------
# Internal helpers
# --------------------------------------------------------------------------------------


class _Signal:
    """Broadcast wake-up: `notify` wakes every current waiter (no polling, no sleep)."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        """Wake all waiters; later waiters wait for the next notify."""
        self._event.set()
        self._event = asyncio.Event()

    async def wait_until(self, predicate: Callable[[], bool], timeout: float) -> bool:  # noqa: ASYNC109 - part of the fake's interface
        """Wait until ``predicate()`` is true (re-checked on each notify) or the timeout ends.

        Returns:
            The final value of ``predicate()``.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            event = self._event
            if predicate():
                return True
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                return predicate()


@dataclass
class _Failure:
    method: str
    kind: str
    chat_id: int | str | None
    remaining: int
    retry_after: int
    migrate_to_chat_id: int | None
    description: str | None


@dataclass(frozen=True)
class _Handler:
    name: str
    func: Callable[[dict[str, Any]], Awaitable[Any]]


class _Described:
    """A successful result that Telegram accompanies with a ``description``."""

    def __init__(self, result: Any, description: str) -> None:
        self.result = result
        self.description = description


def _coerce(name: str, value: Any) -> Any:
    """Decode one parameter value according to its Bot API type."""
    if name in _JSON_PARAMS:
        if isinstance(value, str | bytes):
            try:
                return json.loads(value)
            except ValueError:
                if name == "reply_markup":
                    raise _bad_request(ERR_MARKUP_JSON) from None
                if name in ("entities", "caption_entities"):
                    raise _bad_request("Bad Request: can't parse entities JSON object") from None
                raise _bad_request(f"Bad Request: can't parse {name} JSON object") from None
        return value
    if not isinstance(value, str):
        return value
    if name == "chat_id":
        return int(value) if re.fullmatch(r"-?[0-9]+", value) else value
    if name in _INT_PARAMS:
        if re.fullmatch(r"-?[0-9]+", value):
            return int(value)
        if name in _FLOAT_PARAMS:
            try:
                return float(value)
            except ValueError:
                return value
        return value
    if name in _BOOL_PARAMS:
        lowered = value.lower()
        if lowered in ("true", "1"):
            return True
        if lowered in ("false", "0", ""):
            return False
    return value


def _is_loopback_url(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _upload_seed(f: UploadedFile) -> str:
    if not f.data:
        raise _bad_request("Bad Request: file must be non-empty")
    return hashlib.sha1(f.data).hexdigest()


def _file_id(seed: str, prefix: str) -> tuple[str, str]:
    digest = hashlib.sha1(seed.encode()).hexdigest()
    return f"{prefix}{digest[:40]}", f"AQAD{digest[:16]}"


# --------------------------------------------------------------------------------------
# The fake server
# --------------------------------------------------------------------------------------


class FakeTelegram:
    """An in-process Bot API server for one bot, with helpers to script users.

    Attributes:
        token: The only token accepted.
        bot_username: ``username`` of the bot (``getMe``, ``from`` of its messages).
        bot_first_name: ``first_name`` of the bot.
        calls: Every request in arrival order, answered or not (see `Call`).
        strict_html: Reject a bare ``&`` / ``>`` in HTML (Telegram accepts them).
    """

    def __init__(self, token: str = "123456:TEST-TOKEN", bot_username: str = "nhanong_test_bot") -> None:
        """Prepare the fake; nothing listens until `start`."""
        if not _TOKEN_RE.fullmatch(token):
            raise ValueError(f"not a Bot API token: {token!r}")
        self.token = token
        self.bot_username = bot_username
        self.bot_first_name = "Nhà Nông"
        self.bot_id = int(token.split(":", 1)[0])
        self.strict_html = True
        self.calls: list[Call] = []

        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._closing = False
        self._calls_signal = _Signal()
        self._updates_signal = _Signal()

        self._updates: list[JSONDict] = []
        self._update_ids = itertools.count(1)
        self._allowed_updates: list[str] | None = None
        self._poll_generation = 0
        self._pollers = 0

        self._webhook: JSONDict | None = None
        self._commands: dict[tuple[str, str], list[JSONDict]] = {}
        self._failures: list[_Failure] = []
        self._hold_after: int | None = None
        self._release: asyncio.Event | None = None
        self._send_arrivals = 0

        self._users: dict[int, JSONDict] = {}
        self._messages: dict[int, dict[int, JSONDict]] = {}
        self._last_message_id: dict[int, int] = {}
        self._callback_ids = itertools.count(4_000_000_000_000_000_001)
        self._file_seeds = itertools.count(1)
        self._open_callback_queries: set[str] = set()

        self._handlers: dict[str, _Handler] = {}
        for name, func in (
            ("getMe", self._get_me),
            ("logOut", self._log_out),
            ("close", self._close),
            ("getUpdates", self._get_updates),
            ("setWebhook", self._set_webhook),
            ("deleteWebhook", self._delete_webhook),
            ("getWebhookInfo", self._get_webhook_info),
            ("setMyCommands", self._set_my_commands),
            ("getMyCommands", self._get_my_commands),
            ("deleteMyCommands", self._delete_my_commands),
            ("sendMessage", self._send_message),
            ("sendPhoto", self._send_photo),
            ("sendDocument", self._send_document),
            ("sendVoice", self._send_voice),
            ("sendChatAction", self._send_chat_action),
            ("answerCallbackQuery", self._answer_callback_query),
            ("editMessageText", self._edit_message_text),
            ("editMessageCaption", self._edit_message_caption),
            ("editMessageReplyMarkup", self._edit_message_reply_markup),
            ("deleteMessage", self._delete_message),
        ):
            self._handlers[name.lower()] = _Handler(name, func)
        self._unimplemented = {name.lower(): name for name in KNOWN_UNIMPLEMENTED_METHODS}

    # ---------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        """Listen on ``127.0.0.1`` on a free port."""
        if self._runner is not None:
            raise RuntimeError("FakeTelegram is already started")
        self._closing = False
        # Fresh signals: their events bind to the running loop on first use.
        self._calls_signal = _Signal()
        self._updates_signal = _Signal()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        runner = web.AppRunner(app, handler_cancellation=True, access_log=None)
        await runner.setup()
        # A deep backlog: a burst of hundreds of concurrent sends must not overflow
        # the accept queue (the default 128 turns into 1 s SYN retries).
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=2048)
        await site.start()
        self._runner = runner
        self._port = int(runner.addresses[0][1])

    async def stop(self) -> None:
        """Answer pending long polls and shut the server down."""
        self._closing = True
        self._updates_signal.notify()
        if self._runner is not None:
            await self._runner.cleanup()
        self._runner = None
        self._port = None

    async def __aenter__(self) -> FakeTelegram:
        """``async with FakeTelegram() as fake:`` starts and stops it."""
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        """Stop the server."""
        await self.stop()

    @property
    def port(self) -> int:
        """The TCP port the server listens on."""
        if self._port is None:
            raise RuntimeError("FakeTelegram is not started")
        return self._port

    @property
    def base_url(self) -> str:
        """``base_url`` for ``telegram.Bot`` / ``ApplicationBuilder`` (PTB appends the token)."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def api_url(self) -> str:
        """``base_url`` with the token, i.e. the prefix before ``/<method>``."""
        return f"{self.base_url}{self.token}"

    # ---------------------------------------------------------------- users & updates

    @property
    def bot_user(self) -> JSONDict:
        """The bot as a Telegram ``User``."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    @property
    def pending_updates(self) -> list[JSONDict]:
        """Updates not yet confirmed by the bot (``offset``)."""
        return list(self._updates)

    @property
    def webhook_url(self) -> str:
        """The webhook URL set by the bot, ``""`` when none."""
        return self._webhook["url"] if self._webhook else ""

    @property
    def webhook_secret(self) -> str | None:
        """The ``secret_token`` given with ``setWebhook``, if any."""
        return self._webhook.get("secret_token") if self._webhook else None

    def commands(self, scope: Mapping[str, Any] | None = None, language_code: str = "") -> list[JSONDict]:
        """The commands set with ``setMyCommands`` for that scope and language."""
        return list(self._commands.get(self._commands_key(scope, language_code), []))

    def _remember_user(
        self, user_id: int, first_name: str, last_name: str | None, language_code: str | None
    ) -> JSONDict:
        user: JSONDict = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name:
            user["last_name"] = last_name
        if language_code:
            user["language_code"] = language_code
        self._users[user_id] = user
        return user

    def _chat(self, chat_id: int | str) -> JSONDict:
        """A ``Chat`` object for any chat id (all chats exist)."""
        if isinstance(chat_id, str):
            name = chat_id.removeprefix("@")
            return {"id": self._chat_key(chat_id), "type": "channel", "title": name, "username": name}
        if chat_id > 0:
            user = self._users.get(chat_id, {})
            chat: JSONDict = {
                "id": chat_id,
                "type": "private",
                "first_name": user.get("first_name", "Nông"),
            }
            if user.get("last_name"):
                chat["last_name"] = user["last_name"]
            return chat
        if str(chat_id).startswith("-100"):
            return {"id": chat_id, "type": "supergroup", "title": f"Nhóm {chat_id}"}
        return {"id": chat_id, "type": "group", "title": f"Nhóm {chat_id}"}

    @staticmethod
    def _chat_key(chat_id: int | str) -> int:
        """Numeric key of a chat; ``@username`` maps to a stable fake channel id."""
        if isinstance(chat_id, int):
            return chat_id
        digest = int(hashlib.sha1(chat_id.lower().encode()).hexdigest()[:9], 16)
        return -1_000_000_000_000 - digest

    def _next_message_id(self, chat_key: int) -> int:
        message_id = self._last_message_id.get(chat_key, 0) + 1
        self._last_message_id[chat_key] = message_id
        return message_id

    def _store_message(self, message: JSONDict) -> None:
        chat_key = int(message["chat"]["id"])
        message_id = int(message["message_id"])
        self._messages.setdefault(chat_key, {})[message_id] = message
        if message_id > self._last_message_id.get(chat_key, 0):
            self._last_message_id[chat_key] = message_id

    def _register_update(self, update: Mapping[str, Any]) -> None:
        """Remember messages and callback queries contained in an update."""
        for key in ("message", "edited_message", "channel_post", "business_message"):
            message = update.get(key)
            if isinstance(message, dict) and "chat" in message and "message_id" in message:
                self._store_message(message)
                sender = message.get("from")
                if isinstance(sender, dict) and not sender.get("is_bot"):
                    self._users.setdefault(int(sender["id"]), sender)
        query = update.get("callback_query")
        if isinstance(query, dict) and "id" in query:
            self._open_callback_queries.add(str(query["id"]))

    def _enqueue(self, kind: str, payload: JSONDict) -> JSONDict:
        update = {"update_id": next(self._update_ids), kind: payload}
        self._register_update(update)
        self._updates.append(update)
        self._updates_signal.notify()
        return update

    def _user_message(
        self,
        user_id: int,
        *,
        first_name: str,
        last_name: str | None,
        language_code: str | None,
        chat_id: int | None,
        reply_to_message_id: int | None = None,
        **content: Any,
    ) -> JSONDict:
        user = self._remember_user(user_id, first_name, last_name, language_code)
        chat_key = user_id if chat_id is None else chat_id
        message: JSONDict = {
            "message_id": self._next_message_id(chat_key),
            "from": user,
            "chat": self._chat(chat_key),
            "date": int(time.time()),
        }
        if reply_to_message_id is not None:
            message["reply_to_message"] = self._reply_copy(chat_key, reply_to_message_id)
        message.update(content)
        return message

    def _reply_copy(self, chat_key: int, message_id: int) -> JSONDict:
        original = self._messages.get(chat_key, {}).get(message_id)
        if original is None:
            return {"message_id": message_id, "chat": self._chat(chat_key), "date": int(time.time())}
        reply = copy.deepcopy(original)
        reply.pop("reply_to_message", None)
        return reply

    def user_text(
        self,
        user_id: int,
        text: str,
        *,
        first_name: str = "Nông",
        last_name: str | None = None,
        language_code: str = "vi",
        chat_id: int | None = None,
        reply_to_message_id: int | None = None,
    ) -> JSONDict:
        """Queue a text message from a user (private chat unless ``chat_id`` is given).

        Returns:
            The update dict as it will be delivered.
        """
        message = self._user_message(
            user_id,
            first_name=first_name,
            last_name=last_name,
            language_code=language_code,
            chat_id=chat_id,
            reply_to_message_id=reply_to_message_id,
            text=text,
        )
        return self._enqueue("message", message)

    def user_command(
        self,
        user_id: int,
        text: str,
        *,
        first_name: str = "Nông",
        last_name: str | None = None,
        language_code: str = "vi",
        chat_id: int | None = None,
        reply_to_message_id: int | None = None,
    ) -> JSONDict:
        """Like `user_text`, with the ``bot_command`` entity Telegram adds for ``/command``.

        ``text`` must start with the command, e.g. ``"/start ref_123"`` or
        ``"/help@nhanong_test_bot"``.
        """
        match = _LEADING_COMMAND_RE.match(text)
        if match is None:
            raise ValueError(f"a command must start with /name, got {text!r}")
        message = self._user_message(
            user_id,
            first_name=first_name,
            last_name=last_name,
            language_code=language_code,
            chat_id=chat_id,
            reply_to_message_id=reply_to_message_id,
            text=text,
            entities=[{"type": "bot_command", "offset": 0, "length": utf16_len(match.group())}],
        )
        return self._enqueue("message", message)

    def user_callback(
        self,
        user_id: int,
        data: str,
        *,
        message_id: int | None = None,
        chat_id: int | None = None,
        first_name: str = "Nông",
        last_name: str | None = None,
        language_code: str = "vi",
    ) -> JSONDict:
        """Queue a ``callback_query``: the user pressed an inline button with ``data``.

        The query carries the bot's message with that ``message_id`` (default: the
        bot's latest message in the chat that has an inline keyboard, else its
        latest message); an unknown message is made up and stored, so that the bot
        can edit it.  Its id can be answered exactly once with ``answerCallbackQuery``.
        """
        user = self._remember_user(user_id, first_name, last_name, language_code)
        chat_key = user_id if chat_id is None else chat_id
        stored = self._messages.get(chat_key, {})
        message: JSONDict | None = None
        if message_id is None:
            own = [m for m in stored.values() if m.get("from", {}).get("id") == self.bot_id]
            with_keyboard = [m for m in own if "reply_markup" in m]
            candidates = with_keyboard or own
            if candidates:
                message = max(candidates, key=lambda m: int(m["message_id"]))
        else:
            message = stored.get(message_id)
        if message is None:
            message = {
                "message_id": message_id if message_id is not None else self._next_message_id(chat_key),
                "from": self.bot_user,
                "chat": self._chat(chat_key),
                "date": int(time.time()),
                "text": "…",
                "reply_markup": {"inline_keyboard": [[{"text": "…", "callback_data": data}]]},
            }
            self._store_message(message)
        query: JSONDict = {
            "id": str(next(self._callback_ids)),
            "from": user,
            "message": copy.deepcopy(message),
            "chat_instance": str(abs(chat_key) * 7919 + 4_242_424_242),
            "data": data,
        }
        return self._enqueue("callback_query", query)

    def user_contact(
        self,
        user_id: int,
        phone: str,
        *,
        contact_user_id: int | None = None,
        first_name: str = "Nông",
        last_name: str | None = None,
        language_code: str = "vi",
        chat_id: int | None = None,
    ) -> JSONDict:
        """Queue a shared contact.

        ``contact_user_id`` defaults to ``user_id`` (the user shared their own
        number, as with a ``request_contact`` button); pass another id for someone
        else's contact, or ``0`` for a contact without ``user_id``.
        """
        contact: JSONDict = {"phone_number": phone, "first_name": first_name}
        if last_name:
            contact["last_name"] = last_name
        owner = user_id if contact_user_id is None else contact_user_id
        if owner:
            contact["user_id"] = owner
        message = self._user_message(
            user_id,
            first_name=first_name,
            last_name=last_name,
            language_code=language_code,
            chat_id=chat_id,
            contact=contact,
        )
        return self._enqueue("message", message)

    def user_sticker(
        self,
        user_id: int,
        *,
        emoji: str = "👍",
        first_name: str = "Nông",
        language_code: str = "vi",
        chat_id: int | None = None,
    ) -> JSONDict:
        """Queue a (regular, static) sticker message."""
        file_id, unique_id = _file_id(f"sticker:{user_id}:{emoji}", "CAACAgIAAxkBAAI")
        sticker = {
            "file_id": file_id,
            "file_unique_id": unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "file_size": 24_576,
        }
        message = self._user_message(
            user_id,
            first_name=first_name,
            last_name=None,
            language_code=language_code,
            chat_id=chat_id,
            sticker=sticker,
        )
        return self._enqueue("message", message)

    def user_photo(
        self,
        user_id: int,
        caption: str | None = None,
        *,
        first_name: str = "Nông",
        language_code: str = "vi",
        chat_id: int | None = None,
    ) -> JSONDict:
        """Queue a photo message (three sizes, like Telegram), optionally captioned."""
        seed = f"photo:{user_id}:{next(self._file_seeds)}"
        content: JSONDict = {"photo": self._photo_sizes(seed)}
        if caption is not None:
            content["caption"] = caption
        message = self._user_message(
            user_id,
            first_name=first_name,
            last_name=None,
            language_code=language_code,
            chat_id=chat_id,
            **content,
        )
        return self._enqueue("message", message)

    def user_voice(
        self,
        user_id: int,
        *,
        duration: int = 7,
        first_name: str = "Nông",
        language_code: str = "vi",
    ) -> JSONDict:
        """Queue a voice message (OGG/Opus, as Telegram's apps record them)."""
        seed = f"voice:{user_id}:{next(self._file_seeds)}"
        file_id, unique_id = _file_id(seed, VOICE_FILE_PREFIX)
        voice = {"file_id": file_id, "file_unique_id": unique_id, "duration": duration,
                 "mime_type": "audio/ogg", "file_size": 2_000 * duration}
        message = self._user_message(
            user_id,
            first_name=first_name,
            last_name=None,
            language_code=language_code,
            chat_id=None,
            voice=voice,
        )
        return self._enqueue("message", message)

    @staticmethod
    def _photo_sizes(seed: str) -> list[JSONDict]:
        sizes = []
        for width, height, size in ((90, 67, 1_234), (320, 240, 15_678), (800, 600, 67_890)):
            file_id, unique_id = _file_id(f"{seed}:{width}", "AgACAgIAAxkBAAI")
            sizes.append(
                {
                    "file_id": file_id,
                    "file_unique_id": unique_id,
                    "width": width,
                    "height": height,
                    "file_size": size,
                }
            )
        return sizes

    async def post_webhook(self, url: str, update: Mapping[str, Any], secret: str | None) -> int:
        """POST ``update`` as JSON to the bot's webhook server, as Telegram does.

        Sends ``X-Telegram-Bot-Api-Secret-Token`` when ``secret`` is not ``None``.
        Only loopback URLs are allowed (tests never leave the machine).  A 2xx
        answer confirms the update if it was queued.

        Returns:
            The HTTP status of the answer.
        """
        if not _is_loopback_url(url):
            raise ValueError(f"post_webhook only posts to loopback addresses, not {url!r}")
        self._register_update(update)
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        timeout = aiohttp.ClientTimeout(total=GUARD)
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.post(url, data=json.dumps(update), headers=headers) as response,
        ):
            await response.read()
            status = response.status
        if 200 <= status < 300:
            update_id = update.get("update_id")
            self._updates = [u for u in self._updates if u["update_id"] != update_id]
        return status

    # ---------------------------------------------------------------- observing the bot

    def _send_calls(self, chat_id: int | str | None) -> list[Call]:
        return [
            call
            for call in self.calls
            if call.method in SEND_METHODS
            and call.ok
            and (chat_id is None or call.params.get("chat_id") == chat_id)
        ]

    def sent(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        """Parameters of successful ``sendMessage``/``sendPhoto``/``sendDocument`` calls.

        JSON parameters are decoded (``reply_markup`` is a dict).  ``text`` is the
        text as the bot sent it (with its HTML markup); see `sent_messages` for the
        messages as Telegram rendered them.
        """
        return [call.params for call in self._send_calls(chat_id)]

    def sent_messages(self, chat_id: int | None = None) -> list[JSONDict]:
        """The ``Message`` objects answered to successful sends (markup parsed away)."""
        return [call.result for call in self._send_calls(chat_id)]

    def texts(self, chat_id: int) -> list[str]:
        """``text`` (or ``caption``) of each successful send to ``chat_id``, in order.

        Sends without text or caption (an uncaptioned photo) are left out.
        """
        result = []
        for params in self.sent(chat_id):
            value = params.get("text", params.get("caption"))
            if isinstance(value, str):
                result.append(value)
        return result

    def plain_texts(self, chat_id: int) -> list[str]:
        """Like `texts`, but as Telegram shows them: HTML parsed away, whitespace stripped."""
        result = []
        for message in self.sent_messages(chat_id):
            value = message.get("text", message.get("caption"))
            if isinstance(value, str):
                result.append(value)
        return result

    def calls_to(self, method: str) -> list[Call]:
        """All calls of ``method`` (any case), answered or not."""
        name = self._canonical(method)
        return [call for call in self.calls if call.method == name]

    def message(self, chat_id: int, message_id: int) -> JSONDict | None:
        """The current state of a stored message (after edits), ``None`` if unknown or deleted."""
        stored = self._messages.get(chat_id, {}).get(message_id)
        return copy.deepcopy(stored) if stored is not None else None

    def _summary(self) -> str:
        lines = []
        for call in self.calls[-30:]:
            detail = ""
            if call.response is not None and not call.ok:
                detail = f" -> {call.response.get('description')}"
            params = {k: v for k, v in call.params.items() if k in ("chat_id", "text", "caption")}
            lines.append(f"  {call.method} [{call.status}] {params}{detail}")
        return "\n".join(lines) or "  (no calls)"

    async def wait_for_sent(self, chat_id: int, count: int, timeout: float = GUARD) -> list[dict[str, Any]]:  # noqa: ASYNC109 - part of the fake's interface
        """Wait until at least ``count`` sends to ``chat_id`` succeeded.

        Returns:
            All of them so far (``sent(chat_id)``, at least ``count`` items).

        Raises:
            AssertionError: On timeout, listing what was sent and the recent calls.
        """
        if await self._calls_signal.wait_until(lambda: len(self._send_calls(chat_id)) >= count, timeout):
            return self.sent(chat_id)
        raise AssertionError(
            f"expected {count} message(s) sent to chat {chat_id} within {timeout}s, "
            f"got {len(self._send_calls(chat_id))}: {self.texts(chat_id)!r}\n"
            f"recent calls:\n{self._summary()}"
        )

    async def wait_for_call(self, method: str, count: int = 1, timeout: float = GUARD) -> list[Call]:  # noqa: ASYNC109 - part of the fake's interface
        """Wait until ``count`` calls of ``method`` have been answered (with success or error).

        Returns:
            All answered calls of that method so far.

        Raises:
            AssertionError: On timeout, listing the recent calls.
        """
        name = self._canonical(method)

        def answered() -> list[Call]:
            return [call for call in self.calls if call.method == name and call.done]

        if await self._calls_signal.wait_until(lambda: len(answered()) >= count, timeout):
            return answered()
        raise AssertionError(
            f"expected {count} answered {name} call(s) within {timeout}s, got {len(answered())}\n"
            f"recent calls:\n{self._summary()}"
        )

    async def wait_for_polling(self, timeout: float = GUARD) -> None:  # noqa: ASYNC109 - part of the fake's interface
        """Wait until a long-polling ``getUpdates`` is waiting for updates."""
        if not await self._updates_signal.wait_until(lambda: self._pollers > 0, timeout):
            raise AssertionError(
                f"no long-polling getUpdates within {timeout}s\nrecent calls:\n{self._summary()}"
            )

    # ---------------------------------------------------------------- failures on demand

    def fail_next(
        self,
        method: str,
        kind: str,
        *,
        chat_id: int | None = None,
        count: int = 1,
        retry_after: int = 1,
        migrate_to_chat_id: int | None = None,
        description: str | None = None,
    ) -> None:
        """Make the next ``count`` calls of ``method`` (to ``chat_id`` if given) fail.

        Rules are consumed in the order they were added.  ``kind``:

        * ``"429"``: 429 ``Too Many Requests: retry after N`` with
          ``parameters.retry_after`` (PTB: ``RetryAfter``);
        * ``"403"``: ``Forbidden: bot was blocked by the user`` (``Forbidden``);
        * ``"400"``: ``Bad Request: chat not found`` unless ``description`` (``BadRequest``);
        * ``"migrate"``: 400 with ``parameters.migrate_to_chat_id`` (``ChatMigrated``);
          the new id defaults to ``-100<abs(chat_id)>``;
        * ``"500"``: ``Internal Server Error`` (``NetworkError``);
        * ``"drop"``: close the connection without an answer (``NetworkError``).
        """
        if kind not in FAILURE_KINDS:
            raise ValueError(f"unknown failure kind {kind!r}; use one of {sorted(FAILURE_KINDS)}")
        if count < 1:
            raise ValueError("count must be at least 1")
        self._failures.append(
            _Failure(
                method=self._canonical(method),
                kind=kind,
                chat_id=chat_id,
                remaining=count,
                retry_after=retry_after,
                migrate_to_chat_id=migrate_to_chat_id,
                description=description,
            )
        )

    def hold_sends_after(self, count: int | None) -> None:
        """From the send call after the ``count``-th on, carry each send out but hold its
        answer back until `release_held` (``None``: stop holding new ones)."""
        self._hold_after = count
        self._send_arrivals = 0

    def release_held(self) -> None:
        """Answer the held sends (those whose client is still there) and hold no more."""
        self._hold_after = None
        if self._release is not None:
            self._release.set()
            self._release = None

    def held_calls(self) -> list[Call]:
        """The send calls whose answer is held back."""
        return [c for c in self.calls if c.held]

    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 60.0) -> None:  # noqa: ASYNC109 - part of the fake's interface
        """Wait until ``predicate()`` holds, re-checked whenever a call arrives or is answered."""
        if not await self._calls_signal.wait_until(predicate, timeout):
            raise AssertionError(f"condition not met within {timeout}s\nrecent calls:\n{self._summary()}")

    def _take_failure(self, method: str, params: Mapping[str, Any]) -> _Failure | None:
        for failure in self._failures:
            if failure.method != method:
                continue
            if failure.chat_id is not None and params.get("chat_id") != failure.chat_id:
                continue
            failure.remaining -= 1
            if failure.remaining <= 0:
                self._failures.remove(failure)
            return failure
        return None

    @staticmethod
    def _failure_error(failure: _Failure, params: Mapping[str, Any]) -> ApiError:
        if failure.kind == "429":
            return ApiError(
                429,
                failure.description or f"Too Many Requests: retry after {failure.retry_after}",
                {"retry_after": failure.retry_after},
            )
        if failure.kind == "403":
            return ApiError(403, failure.description or "Forbidden: bot was blocked by the user")
        if failure.kind == "400":
            return ApiError(400, failure.description or ERR_CHAT_NOT_FOUND)
        if failure.kind == "migrate":
            new_id = failure.migrate_to_chat_id
            if new_id is None:
                chat_id = params.get("chat_id")
                new_id = int(f"-100{abs(chat_id)}") if isinstance(chat_id, int) else -1001234567890
            return ApiError(
                400,
                failure.description or "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": new_id},
            )
        return ApiError(500, failure.description or "Internal Server Error")

    # ---------------------------------------------------------------- HTTP plumbing

    def _canonical(self, method: str) -> str:
        handler = self._handlers.get(method.lower())
        if handler is not None:
            return handler.name
        return self._unimplemented.get(method.lower(), method)

    @staticmethod
    async def _read_params(request: web.Request) -> tuple[dict[str, Any], ApiError | None]:
        """Decoded parameters, and the first decoding error (its value is kept raw)."""
        raw: dict[str, Any] = dict(request.query)
        files: dict[str, UploadedFile] = {}
        if request.method == "POST" and request.can_read_body:
            content_type = request.content_type
            if content_type == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    return raw, _bad_request("Bad Request: can't parse JSON encoded request")
                if not isinstance(body, dict):
                    return raw, _bad_request("Bad Request: JSON object expected")
                raw.update(body)
            elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
                form = await request.post()
                for name, value in form.items():
                    if isinstance(value, web.FileField):
                        files[name] = UploadedFile(value.filename, value.content_type, value.file.read())
                    else:
                        raw[name] = value
        params: dict[str, Any] = {}
        error: ApiError | None = None
        for name, value in raw.items():
            try:
                params[name] = _coerce(name, value)
            except ApiError as exc:
                params[name] = value
                error = error or exc
        for name, value in params.items():
            if isinstance(value, str) and value.startswith("attach://"):
                attached = files.get(value.removeprefix("attach://"))
                if attached is not None:
                    params[name] = attached
        for name, uploaded in files.items():
            params.setdefault(name, uploaded)
        return params, error

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        arrived = time.monotonic()
        method = self._canonical(request.match_info["method"])
        params, parse_error = await self._read_params(request)
        call = Call(method=method, params=params, at=arrived)
        self.calls.append(call)
        if method in SEND_METHODS:
            self._send_arrivals += 1
            call.held = self._hold_after is not None and self._send_arrivals > self._hold_after
        self._calls_signal.notify()
        try:
            outcome = await self._answer(request.match_info["token"], call, parse_error)
        except asyncio.CancelledError:
            call.status = 499
            self._calls_signal.notify()
            raise
        if call.held and outcome is not None:
            call.status, call.response = outcome  # done: the person has the message
            self._calls_signal.notify()
            if self._release is None:
                self._release = asyncio.Event()
            await self._release.wait()  # the answer is held back (cancelled if the bot dies)
        if outcome is None:
            call.status = 0
            self._calls_signal.notify()
            if request.transport is not None:
                request.transport.close()
            return web.Response()
        status, body = outcome
        call.status, call.response = status, body
        self._calls_signal.notify()
        return web.json_response(body, status=status, dumps=lambda obj: json.dumps(obj, ensure_ascii=False))

    async def _answer(
        self, token: str, call: Call, parse_error: ApiError | None
    ) -> tuple[int, JSONDict] | None:
        """Status and body for a request; ``None`` to drop the connection."""
        if not _TOKEN_RE.fullmatch(token):
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        if token != self.token:
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        handler = self._handlers.get(call.method.lower())
        if handler is None:
            if call.method.lower() in self._unimplemented:
                error = _bad_request(
                    f"Bad Request: method {call.method} is not implemented by the fake Telegram server"
                )
                return error.status, error.body()
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        if parse_error is not None:
            return parse_error.status, parse_error.body()
        failure = self._take_failure(call.method, call.params)
        if failure is not None:
            if failure.kind == "drop":
                return None
            error = self._failure_error(failure, call.params)
            return error.status, error.body()
        try:
            result = await handler.func(call.params)
        except ApiError as error:
            return error.status, error.body()
        if isinstance(result, _Described):
            return 200, {"ok": True, "result": result.result, "description": result.description}
        return 200, {"ok": True, "result": result}

    # ---------------------------------------------------------------- validation helpers

    def _require_chat(self, params: Mapping[str, Any]) -> tuple[int, JSONDict]:
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise _bad_request(ERR_CHAT_ID_EMPTY)
        if isinstance(chat_id, bool) or not isinstance(chat_id, int | str):
            raise _bad_request(ERR_CHAT_NOT_FOUND)
        if isinstance(chat_id, str) and not re.fullmatch(r"@[A-Za-z0-9_]{4,32}", chat_id):
            raise _bad_request(ERR_CHAT_NOT_FOUND)
        if chat_id == 0:
            raise _bad_request(ERR_CHAT_NOT_FOUND)
        return self._chat_key(chat_id), self._chat(chat_id)

    def _format(
        self,
        text: Any,
        parse_mode: Any,
        entities: Any,
        *,
        limit: int,
        too_long: str,
        empty: str | None,
        entities_name: str,
    ) -> tuple[str, list[JSONDict]]:
        """Parse, strip and length-check text or a caption like Telegram.

        ``empty`` is the error for an empty result, ``None`` if empty is fine.
        """
        text = "" if text is None else str(text)
        mode = parse_mode.lower() if isinstance(parse_mode, str) else ""
        if mode == "html":
            try:
                plain, parsed = parse_html(text, strict=self.strict_html)
            except HtmlParseError as error:
                raise _bad_request(ERR_PARSE_ENTITIES + str(error)) from None
        elif mode in ("markdown", "markdownv2"):
            raise _bad_request(
                f"Bad Request: unsupported parse_mode {parse_mode!r} "
                "(the fake Telegram server implements only HTML)"
            )
        elif mode:
            raise _bad_request("Bad Request: unsupported parse_mode")
        else:
            if entities is not None and not (
                isinstance(entities, list) and all(isinstance(e, dict) for e in entities)
            ):
                raise _bad_request(f"Bad Request: can't parse {entities_name} JSON object")
            plain, parsed = text, list(entities or [])
        plain, parsed = _strip_with_entities(plain, parsed)
        if not plain and empty is not None:
            raise _bad_request(empty)
        if utf16_len(plain) > limit:
            raise _bad_request(too_long)
        return plain, parsed

    @staticmethod
    def _check_reply_markup(markup: Any, *, inline_only: bool = False) -> JSONDict | None:
        """Validate ``reply_markup`` like Telegram; return it if it is an inline keyboard."""
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise _bad_request(ERR_MARKUP_JSON)
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
                raise _bad_request(
                    'Bad Request: field "inline_keyboard" of the InlineKeyboardMarkup '
                    "should be an Array of Arrays"
                )
            for row in rows:
                for button in row:
                    FakeTelegram._check_inline_button(button)
            return markup
        if inline_only:
            raise _bad_request("Bad Request: inline keyboard expected")
        if "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
                raise _bad_request(
                    'Bad Request: field "keyboard" of the ReplyKeyboardMarkup should be an Array of Arrays'
                )
            for row in rows:
                for button in row:
                    text = button if isinstance(button, str) else None
                    if isinstance(button, dict):
                        text = button.get("text")
                    if not isinstance(text, str):
                        raise _bad_request(
                            'Bad Request: can\'t parse keyboard button: Field "text" must be of type String'
                        )
                    if not text.strip():
                        raise _bad_request("Bad Request: keyboard button text must be non-empty")
            return None
        if "remove_keyboard" in markup:
            if markup["remove_keyboard"] is not True:
                raise _bad_request('Bad Request: field "remove_keyboard" must be true')
            return None
        if "force_reply" in markup:
            if markup["force_reply"] is not True:
                raise _bad_request('Bad Request: field "force_reply" must be true')
            return None
        raise _bad_request(ERR_MARKUP_JSON)

    @staticmethod
    def _check_inline_button(button: Any) -> None:
        if not isinstance(button, dict):
            raise _bad_request("Bad Request: can't parse inline keyboard button: Object expected")
        text = button.get("text")
        if not isinstance(text, str):
            raise _bad_request(
                'Bad Request: can\'t parse inline keyboard button: Field "text" must be of type String'
            )
        if not text.strip():
            raise _bad_request("Bad Request: can't parse inline keyboard button: text must be non-empty")
        actions = [name for name in _INLINE_BUTTON_ACTIONS if name in button]
        if not actions:
            raise _bad_request(
                "Bad Request: can't parse inline keyboard button: "
                "Text buttons are unallowed in the inline keyboard"
            )
        if "callback_data" in button:
            data = button["callback_data"]
            if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES:
                raise _bad_request(ERR_BUTTON_DATA)
        if "url" in button:
            url = button["url"]
            parts = urlsplit(url) if isinstance(url, str) else None
            if parts is None or parts.scheme not in ("http", "https", "tg") or not parts.netloc:
                raise _bad_request(
                    f"Bad Request: inline keyboard button URL '{url}' is invalid: Wrong HTTP URL"
                )

    def _find_message(self, chat_key: int, message_id: Any) -> JSONDict | None:
        if not isinstance(message_id, int):
            return None
        return self._messages.get(chat_key, {}).get(message_id)

    def _reply_target(self, chat_key: int, params: Mapping[str, Any]) -> JSONDict | None:
        reply = params.get("reply_parameters")
        if isinstance(reply, dict):
            message_id = reply.get("message_id")
            allow_missing = bool(reply.get("allow_sending_without_reply"))
            if "chat_id" in reply and reply["chat_id"] is not None:
                chat_key = self._chat_key(reply["chat_id"])
        elif params.get("reply_to_message_id") is not None:
            message_id = params.get("reply_to_message_id")
            allow_missing = bool(params.get("allow_sending_without_reply"))
        else:
            return None
        original = self._find_message(chat_key, message_id)
        if original is None:
            if allow_missing:
                return None
            raise _bad_request("Bad Request: message to be replied not found")
        reply_copy = copy.deepcopy(original)
        reply_copy.pop("reply_to_message", None)
        return reply_copy

    def _new_bot_message(
        self, chat_key: int, chat: JSONDict, params: Mapping[str, Any], content: JSONDict
    ) -> JSONDict:
        reply_to = self._reply_target(chat_key, params)
        message: JSONDict = {
            "message_id": self._next_message_id(chat_key),
            "from": self.bot_user,
            "chat": chat,
            "date": int(time.time()),
        }
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        message.update(content)
        self._messages.setdefault(chat_key, {})[message["message_id"]] = message
        return copy.deepcopy(message)

    def _editable_message(self, params: Mapping[str, Any]) -> tuple[int, JSONDict] | None:
        """The stored message an edit addresses, ``None`` for an inline message."""
        if params.get("inline_message_id"):
            return None
        if params.get("message_id") is None:
            raise _bad_request("Bad Request: message identifier is not specified")
        chat_key, _ = self._require_chat(params)
        message = self._find_message(chat_key, params.get("message_id"))
        if message is None:
            raise _bad_request("Bad Request: message to edit not found")
        if message.get("from", {}).get("id") != self.bot_id:
            raise _bad_request("Bad Request: message can't be edited")
        return chat_key, message

    @staticmethod
    def _apply_edit(message: JSONDict, changes: JSONDict) -> JSONDict:
        before = {key: message.get(key) for key in changes}
        after = {key: value if value else None for key, value in changes.items()}
        if before == after:
            raise _bad_request(ERR_NOT_MODIFIED)
        for key, value in after.items():
            if value is None:
                message.pop(key, None)
            else:
                message[key] = value
        message["edit_date"] = int(time.time())
        return copy.deepcopy(message)

    @staticmethod
    def _commands_key(scope: Any, language_code: Any) -> tuple[str, str]:
        scope_obj = scope if isinstance(scope, dict) else {"type": "default"}
        return json.dumps(scope_obj, sort_keys=True), language_code if isinstance(language_code, str) else ""

    # ---------------------------------------------------------------- methods

    async def _get_me(self, params: dict[str, Any]) -> JSONDict:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _log_out(self, params: dict[str, Any]) -> bool:
        return True

    async def _close(self, params: dict[str, Any]) -> bool:
        return True

    def _deliverable(self) -> list[JSONDict]:
        allowed = set(self._allowed_updates) if self._allowed_updates else DEFAULT_UPDATE_TYPES
        return [u for u in self._updates if any(key in allowed for key in u if key != "update_id")]

    async def _get_updates(self, params: dict[str, Any]) -> list[JSONDict]:
        if self._webhook is not None:
            raise ApiError(409, ERR_WEBHOOK_ACTIVE)
        offset = params.get("offset")
        limit = params.get("limit", 100)
        limit = min(max(limit, 1), 100) if isinstance(limit, int) else 100
        timeout = params.get("timeout", 0)
        timeout = max(float(timeout), 0.0) if isinstance(timeout, int | float) else 0.0
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = [str(kind) for kind in allowed] or None
        if isinstance(offset, int) and offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif isinstance(offset, int) and offset < 0:
            self._updates = self._updates[offset:]

        self._poll_generation += 1
        generation = self._poll_generation
        self._updates_signal.notify()  # a newer getUpdates terminates an older one

        def should_return() -> bool:
            return (
                self._closing
                or generation != self._poll_generation
                or self._webhook is not None
                or bool(self._deliverable())
            )

        if timeout > 0 and not should_return():
            self._pollers += 1
            self._updates_signal.notify()
            try:
                await self._updates_signal.wait_until(should_return, timeout)
            finally:
                self._pollers -= 1
        if generation != self._poll_generation:
            raise ApiError(409, ERR_POLL_TERMINATED)
        if self._webhook is not None:
            raise ApiError(409, ERR_WEBHOOK_ACTIVE)
        return copy.deepcopy(self._deliverable()[:limit])

    async def _set_webhook(self, params: dict[str, Any]) -> _Described:
        url = params.get("url") or ""
        if not isinstance(url, str):
            raise _bad_request("Bad Request: bad webhook: can't parse URL")
        if not url:
            return await self._delete_webhook(params)
        parts = urlsplit(url)
        if parts.scheme != "https":
            raise _bad_request("Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        if not parts.hostname:
            raise _bad_request("Bad Request: bad webhook: can't parse URL")
        try:
            port = parts.port or 443
        except ValueError:
            raise _bad_request("Bad Request: bad webhook: can't parse URL") from None
        if port not in _WEBHOOK_PORTS:
            raise _bad_request(
                "Bad Request: bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443"
            )
        secret = params.get("secret_token")
        if secret is not None and (not isinstance(secret, str) or not _SECRET_TOKEN_RE.fullmatch(secret)):
            raise _bad_request("Bad Request: secret token contains unallowed characters")
        max_connections = params.get("max_connections", 40)
        if not isinstance(max_connections, int) or not 1 <= max_connections <= 100:
            raise _bad_request("Bad Request: bad webhook: max_connections must be between 1 and 100")
        if params.get("drop_pending_updates"):
            self._updates.clear()
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = [str(kind) for kind in allowed] or None
        webhook: JSONDict = {"url": url, "max_connections": max_connections}
        if secret:
            webhook["secret_token"] = secret
        already = self._webhook == webhook
        self._webhook = webhook
        self._updates_signal.notify()
        return _Described(True, "Webhook is already set" if already else "Webhook was set")

    async def _delete_webhook(self, params: dict[str, Any]) -> _Described:
        if params.get("drop_pending_updates"):
            self._updates.clear()
        existed = self._webhook is not None
        self._webhook = None
        return _Described(True, "Webhook was deleted" if existed else "Webhook is already deleted")

    async def _get_webhook_info(self, params: dict[str, Any]) -> JSONDict:
        info: JSONDict = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self._webhook is not None:
            info["max_connections"] = self._webhook["max_connections"]
            info["ip_address"] = "127.0.0.1"
            if self._allowed_updates:
                info["allowed_updates"] = list(self._allowed_updates)
        return info

    async def _set_my_commands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise _bad_request("Bad Request: can't parse commands JSON object")
        if len(commands) > MAX_COMMANDS:
            raise _bad_request("Bad Request: BOT_COMMANDS_TOO_MUCH")
        cleaned = []
        for command in commands:
            if not isinstance(command, dict):
                raise _bad_request("Bad Request: can't parse BotCommand: Object expected")
            name, description = command.get("command"), command.get("description")
            if not isinstance(name, str) or not _COMMAND_RE.fullmatch(name):
                raise _bad_request("Bad Request: BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
                raise _bad_request("Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
            cleaned.append({"command": name, "description": description})
        key = self._commands_key(params.get("scope"), params.get("language_code"))
        if cleaned:
            self._commands[key] = cleaned
        else:
            self._commands.pop(key, None)
        return True

    async def _get_my_commands(self, params: dict[str, Any]) -> list[JSONDict]:
        return self.commands(params.get("scope"), params.get("language_code") or "")

    async def _delete_my_commands(self, params: dict[str, Any]) -> bool:
        self._commands.pop(self._commands_key(params.get("scope"), params.get("language_code")), None)
        return True

    async def _send_message(self, params: dict[str, Any]) -> JSONDict:
        chat_key, chat = self._require_chat(params)
        text, entities = self._format(
            params.get("text"),
            params.get("parse_mode"),
            params.get("entities"),
            limit=MAX_TEXT_LENGTH,
            too_long=ERR_TEXT_TOO_LONG,
            empty=ERR_TEXT_EMPTY,
            entities_name="entities",
        )
        inline = self._check_reply_markup(params.get("reply_markup"))
        content: JSONDict = {"text": text}
        if entities:
            content["entities"] = entities
        if inline is not None:
            content["reply_markup"] = inline
        return self._new_bot_message(chat_key, chat, params, content)

    def _caption(self, params: Mapping[str, Any]) -> JSONDict:
        caption, entities = self._format(
            params.get("caption"),
            params.get("parse_mode"),
            params.get("caption_entities"),
            limit=MAX_CAPTION_LENGTH,
            too_long=ERR_CAPTION_TOO_LONG,
            empty=None,
            entities_name="caption_entities",
        )
        content: JSONDict = {}
        if caption:
            content["caption"] = caption
            if entities:
                content["caption_entities"] = entities
        return content

    def _media_message(self, chat_key: int, chat: JSONDict, params: dict[str, Any],
                       content: JSONDict) -> JSONDict:
        """The bot's message with a photo, document or voice (and its keyboard, if any)."""
        inline = self._check_reply_markup(params.get("reply_markup"))
        if inline is not None:
            content["reply_markup"] = inline
        return self._new_bot_message(chat_key, chat, params, content)

    async def _send_photo(self, params: dict[str, Any]) -> JSONDict:
        chat_key, chat = self._require_chat(params)
        photo = params.get("photo")
        if isinstance(photo, UploadedFile):
            seed = _upload_seed(photo)
        elif isinstance(photo, str) and photo:
            seed = photo
        else:
            raise _bad_request("Bad Request: there is no photo in the request")
        content = {"photo": self._photo_sizes(seed), **self._caption(params)}
        return self._media_message(chat_key, chat, params, content)

    async def _send_document(self, params: dict[str, Any]) -> JSONDict:
        chat_key, chat = self._require_chat(params)
        document = params.get("document")
        if isinstance(document, UploadedFile):
            if not document.data:
                raise _bad_request("Bad Request: file must be non-empty")
            file_id, unique_id = _file_id(hashlib.sha1(document.data).hexdigest(), "BQACAgIAAxkBAAI")
            info: JSONDict = {
                "file_id": file_id,
                "file_unique_id": unique_id,
                "file_name": document.filename or "document",
                "mime_type": document.content_type or "application/octet-stream",
                "file_size": len(document.data),
            }
        elif isinstance(document, str) and document:
            file_id, unique_id = _file_id(document, "BQACAgIAAxkBAAI")
            info = {"file_id": file_id, "file_unique_id": unique_id}
        else:
            raise _bad_request("Bad Request: there is no document in the request")
        content = {"document": info, **self._caption(params)}
        return self._media_message(chat_key, chat, params, content)

    async def _send_voice(self, params: dict[str, Any]) -> JSONDict:
        """A voice by file id (only a voice's: Telegram does not change a file's type when
        it is sent again), by URL (OGG/Opus, MP3 or M4A) or uploaded."""
        chat_key, chat = self._require_chat(params)
        voice = params.get("voice")
        if isinstance(voice, UploadedFile):
            seed = _upload_seed(voice)
        elif isinstance(voice, str) and voice.startswith(("http://", "https://")):
            if not voice.lower().split("?")[0].endswith((".ogg", ".oga", ".mp3", ".m4a")):
                raise _bad_request("Bad Request: wrong type of the web page content")
            seed = voice
        elif isinstance(voice, str) and voice.startswith(VOICE_FILE_PREFIX):
            seed = voice
        elif isinstance(voice, str) and voice:
            raise _bad_request("Bad Request: wrong file identifier/HTTP URL specified")
        else:
            raise _bad_request("Bad Request: there is no voice in the request")
        file_id, unique_id = _file_id(seed, VOICE_FILE_PREFIX)
        if seed is voice and voice.startswith(VOICE_FILE_PREFIX):
            file_id = voice  # the same file sent again
        content = {"voice": {"file_id": file_id, "file_unique_id": unique_id, "duration": 1,
                             "mime_type": "audio/ogg"}, **self._caption(params)}
        return self._media_message(chat_key, chat, params, content)

    async def _send_chat_action(self, params: dict[str, Any]) -> bool:
        self._require_chat(params)
        if params.get("action") not in CHAT_ACTIONS:
            raise _bad_request("Bad Request: wrong parameter action in request")
        return True

    async def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        query_id = params.get("callback_query_id")
        if query_id is None or str(query_id) not in self._open_callback_queries:
            raise _bad_request(ERR_QUERY_INVALID)
        text = params.get("text")
        if isinstance(text, str) and utf16_len(text) > MAX_CALLBACK_ANSWER_LENGTH:
            raise _bad_request("Bad Request: MESSAGE_TOO_LONG")
        self._open_callback_queries.discard(str(query_id))
        return True

    async def _edit_message_text(self, params: dict[str, Any]) -> JSONDict | bool:
        text, entities = self._format(
            params.get("text"),
            params.get("parse_mode"),
            params.get("entities"),
            limit=MAX_TEXT_LENGTH,
            too_long=ERR_TEXT_TOO_LONG,
            empty=ERR_TEXT_EMPTY,
            entities_name="entities",
        )
        inline = self._check_reply_markup(params.get("reply_markup"), inline_only=True)
        target = self._editable_message(params)
        if target is None:
            return True
        _, message = target
        if "text" not in message:
            raise _bad_request("Bad Request: there is no text in the message to edit")
        return self._apply_edit(message, {"text": text, "entities": entities, "reply_markup": inline})

    async def _edit_message_caption(self, params: dict[str, Any]) -> JSONDict | bool:
        content = self._caption(params)
        inline = self._check_reply_markup(params.get("reply_markup"), inline_only=True)
        target = self._editable_message(params)
        if target is None:
            return True
        _, message = target
        if "text" in message:
            raise _bad_request("Bad Request: there is no caption in the message to edit")
        return self._apply_edit(
            message,
            {
                "caption": content.get("caption"),
                "caption_entities": content.get("caption_entities"),
                "reply_markup": inline,
            },
        )

    async def _edit_message_reply_markup(self, params: dict[str, Any]) -> JSONDict | bool:
        inline = self._check_reply_markup(params.get("reply_markup"), inline_only=True)
        target = self._editable_message(params)
        if target is None:
            return True
        _, message = target
        return self._apply_edit(message, {"reply_markup": inline})

    async def _delete_message(self, params: dict[str, Any]) -> bool:
        chat_key, _ = self._require_chat(params)
        message_id = params.get("message_id")
        if message_id is None:
            raise _bad_request("Bad Request: message identifier is not specified")
        if self._find_message(chat_key, message_id) is None:
            raise _bad_request("Bad Request: message to delete not found")
        del self._messages[chat_key][message_id]
        return True
