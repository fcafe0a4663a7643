"""The values that cross the line between channels and the core.

An adapter turns a platform update into an :class:`Inbound` and sends the
:class:`Rendered` messages the core prepared for it.  Nothing here knows about a
particular platform; ids are strings end to end.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class InboundKind(StrEnum):
    TEXT = "text"
    ACTION = "action"  # a pressed button
    CONTACT = "contact"  # a shared phone number
    STICKER = "sticker"
    PHOTO = "photo"
    OTHER = "other"  # voice, video, location, anything we do not read


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
    media: str | None = None  # a sent picture, as "<channel>-file:<platform id>"

    @property
    def key(self) -> str:
        return f"{self.channel}:{self.user_id}"


@dataclass(frozen=True, slots=True)
class Button:
    """A choice shown to the person; ``action`` is a short ASCII id (≤ 64 bytes)."""

    label: str
    action: str


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
    paid: bool = False  # Telegram's allow_paid_broadcast (broadcasts, when configured)


@dataclass(frozen=True, slots=True)
class Sent:
    """What a channel answered for a successful send."""

    message_id: str | None = None
