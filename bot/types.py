"""The values that cross the line between channels and the core.

An adapter turns a platform update into an :class:`Inbound` and sends the
:class:`Rendered` messages the core prepared for it.  Nothing here knows about a
particular platform; ids are strings end to end.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time
from enum import StrEnum


class InboundKind(StrEnum):
    TEXT = "text"
    ACTION = "action"  # a pressed button
    CONTACT = "contact"  # a shared phone number
    STICKER = "sticker"
    PHOTO = "photo"  # ``media`` holds the picture
    VOICE = "voice"  # a voice message or audio file; ``media`` holds the audio
    UNSUPPORTED = "unsupported"  # the platform withheld the content (a protected account)
    FOLLOW = "follow"  # the person started following the channel (an Official Account)
    UNFOLLOW = "unfollow"  # the person stopped following: like blocking the bot
    OTHER = "other"  # video, location, anything we do not read


@dataclass(frozen=True, slots=True)
class Inbound:
    """One thing a person did in a chat, whatever the platform."""

    channel: str
    user_id: str
    chat_id: str
    kind: InboundKind = InboundKind.TEXT
    text: str | None = None
    action: str | None = None
    phone: str | None = None
    phone_is_own: bool = True
    display_name: str | None = None
    message_id: str | None = None
    reply_to: str | None = None
    language: str | None = None
    is_group: bool = False  # said in a group chat (only the staff chat is read)
    # A sent picture or voice, by reference: an http(s) URL, or "<channel>-file:<platform id>".
    media: str | None = None

    @property
    def key(self) -> str:
        return f"{self.channel}:{self.user_id}"


@dataclass(frozen=True, slots=True)
class Button:
    """A choice shown to the person; ``action`` is a short ASCII id (≤ 64 bytes).

    ``url``: on a channel whose buttons can open a link, the button opens it instead
    (where choices are typed, the action still answers the number)."""

    label: str
    action: str
    url: str | None = None


@dataclass(slots=True)
class Reply:
    """What a handler wants said.

    ``text`` is in the core's small Markdown dialect (``**bold**``, ``_italic_``,
    links, ``- `` lists); values interpolated from people are escaped by the
    translator, so they show exactly as typed.
    """

    text: str
    buttons: list[list[Button]] = field(default_factory=list)
    ask_contact: bool = False
    close_keyboard: bool = False  # take away a contact keyboard shown before
    image: str | None = None
    document: str | None = None
    # A recording to play (a voice message passed on to staff), by reference as
    # ``Inbound.media``; a channel that cannot send it sends the text alone.
    audio: str | None = None
    # The person types the answer (a number, a date): on channels without buttons the
    # choices are listed as words to type, so a typed "1" stays the answer 1.
    typed_answer: bool = False
    # ``image`` and ``document`` were made for this reply only (bot.chatfiles): deleted
    # once it has been sent or has failed.
    temporary: bool = False

    def actions(self) -> list[Button]:
        return [b for row in self.buttons for b in row]


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a channel can show; the core renders for it."""

    buttons: bool
    max_text: int
    markup: str  # "html" or "plain"
    contact_button: bool = False
    documents: bool = False
    max_caption: int = 1024


@dataclass(frozen=True, slots=True)
class Constraints:
    """What a channel allows a broadcast copy (an official account's window, quotas and
    hours; most channels have none).

    The outbox decides per copy before sending, from these and the store's counts:
    a copy outside them is not attempted and ends with its own outcome.
    """

    # A copy may go only this long (seconds) after the person's last interaction.
    window: float | None = None
    # Broadcast copies one person may receive per calendar month / per day (local time).
    monthly_quota: int | None = None
    daily_quota: int | None = None
    # Local hours (start, end) in which broadcast copies may be sent; None: any time.
    hours: tuple[time, time] | None = None


NO_LIMITS = Constraints()


@dataclass(frozen=True, slots=True)
class Rendered:
    """One platform message, ready to send."""

    text: str
    html: bool = False
    buttons: tuple[tuple[Button, ...], ...] = ()
    ask_contact: bool = False
    contact_label: str = ""
    skip_label: str = ""
    remove_keyboard: bool = False
    image: str | None = None
    document: str | None = None
    audio: str | None = None  # see Reply.audio
    # What the message is for, so a channel with several kinds of message (an official
    # account's consultation, transaction and promotion messages; paid broadcasts)
    # picks the right one: "reply" (an answer to the person, or anything said in a
    # conversation), "notice" (a training confirmation or reminder, a check-in reminder:
    # about something the person signed up for), "broadcast" (a push from staff to many
    # people).
    purpose: str = "reply"


@dataclass(frozen=True, slots=True)
class Sent:
    """What a channel answered for a successful send."""

    message_id: str | None = None
