"""Test doubles of our own making: a channel that records what the core sends,
and a harness that runs the real app (real SQLite file, real handlers) on it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bot.app import App
from bot.clock import FakeClock
from bot.config import Settings, load_settings
from bot.errors import SendError
from bot.types import NO_LIMITS, Capabilities, Constraints, Inbound, InboundKind, Rendered, Sent

NOON = datetime(2026, 3, 2, 5, 0, tzinfo=UTC)  # 12:00 in Vietnam: not quiet hours

BUTTONS = Capabilities(buttons=True, max_text=4096, markup="html", contact_button=True)
TEXT_ONLY = Capabilities(buttons=False, max_text=2000, markup="plain")


@dataclass
class RecordingChannel:
    """A channel that keeps every message it is asked to send."""

    name: str = "rec"
    caps: Capabilities = BUTTONS
    rate: float = 1000.0
    constraints: Constraints = NO_LIMITS
    sent: list[tuple[str, Rendered]] = field(default_factory=list)
    fail: list[SendError] = field(default_factory=list)  # raised by the next sends, in order
    fail_chat: dict[str, list[SendError]] = field(default_factory=dict)  # per chat, in order
    # Each local file attached, read when it is sent (as a platform's upload reads it):
    # path → (its mode, its folder's mode, its bytes).
    files: dict[str, tuple[int, int, bytes]] = field(default_factory=dict)

    def chat_limit(self, chat_id: str) -> tuple[float, float]:
        return (1000.0, 1000.0)

    async def send(self, chat_id: str, msg: Rendered) -> Sent:
        for attached in (msg.image, msg.document):
            if attached:
                _upload(self.files, attached)
        if self.fail:
            raise self.fail.pop(0)
        if self.fail_chat.get(chat_id):
            raise self.fail_chat[chat_id].pop(0)
        self.sent.append((chat_id, msg))
        return Sent(str(len(self.sent)))

    async def start(self, on_inbound) -> None:
        pass

    async def stop(self) -> None:
        pass


def _upload(files: dict[str, tuple[int, int, bytes]], attached: str) -> None:
    path = Path(attached)
    if path.is_file():
        files[attached] = (path.stat().st_mode & 0o777, path.parent.stat().st_mode & 0o777,
                           path.read_bytes())


def make_settings(tmp_path: Path, **overrides: str) -> Settings:
    env = {"NHANONG_DB": str(tmp_path / "bot.db")}
    env.update(overrides)
    settings = load_settings(env, file=tmp_path / "none.toml")
    # The recording channel is not a real platform, so its staff id is set directly.
    return settings.model_copy(update={"admins": settings.admins | {("rec", "staff1")}})


class Harness:
    """The real app on a recording channel; ``say``/``press`` return what came back."""

    def __init__(self, tmp_path: Path, caps: Capabilities = BUTTONS, **env: str) -> None:
        self.tmp_path = tmp_path
        self.settings = make_settings(tmp_path, **env)
        self.channel = RecordingChannel(caps=caps)
        self.clock = FakeClock(auto=True)  # pacing waits jump ahead instead of blocking
        self.app: App | None = None

    async def open(self) -> Harness:
        self.app = await App(self.settings, channels=[self.channel], clock=self.clock).open()
        return self

    async def restart(self) -> None:
        """Stop the app and start a new one on the same database file."""
        assert self.app is not None
        await self.app.stop()
        self.channel = RecordingChannel(caps=self.channel.caps)
        await self.open()

    async def close(self) -> None:
        if self.app:
            await self.app.stop()

    async def send(self, inbound: Inbound) -> list[Rendered]:
        before = len(self.channel.sent)
        assert self.app is not None
        await self.app.engine.handle(inbound)
        return [m for c, m in self.channel.sent[before:] if c == inbound.chat_id]

    async def say(self, text: str, user: str = "u1", **kw) -> list[Rendered]:
        return await self.send(
            Inbound("rec", user, user, InboundKind.TEXT, text=text,
                    display_name=kw.pop("name", "Nông Dân"), **kw)
        )

    async def press(self, action: str, user: str = "u1") -> list[Rendered]:
        return await self.send(
            Inbound("rec", user, user, InboundKind.ACTION, action=action, display_name="Nông Dân")
        )

    async def other(self, kind: InboundKind, user: str = "u1", **kw) -> list[Rendered]:
        return await self.send(Inbound("rec", user, user, kind, display_name="Nông Dân", **kw))

    async def member(self, user: str = "u1"):
        assert self.app is not None
        return await self.app.store.members.find("rec", user)

    async def state(self, user: str = "u1"):
        m = await self.member(user)
        assert self.app is not None and m is not None
        return await self.app.store.dialogs.get(m.id)


def text_of(msgs: list[Rendered]) -> str:
    return "\n\n".join(m.text for m in msgs)


def actions_of(msgs: list[Rendered]) -> list[str]:
    return [b.action for m in msgs for row in m.buttons for b in row]


def labels_of(msgs: list[Rendered]) -> list[str]:
    return [b.label for m in msgs for row in m.buttons for b in row]


def record_reads(db, *, this_task: bool = False) -> list[tuple[str, tuple]]:
    """Write down every read the store's ``db`` makes from now on, as (sql, params), for
    EXPLAIN QUERY PLAN checks (``this_task``: only those of the calling task, when the
    bot's own workers read the same store meanwhile)."""
    import asyncio

    seen: list[tuple[str, tuple]] = []
    me = asyncio.current_task() if this_task else None
    fetchall, fetchone = db.fetchall, db.fetchone

    def note(sql: str, params) -> None:
        if me is None or asyncio.current_task() is me:
            seen.append((sql, tuple(params)))

    async def all_(sql, params=(), **kw):
        note(sql, params)
        return await fetchall(sql, params, **kw)

    async def one(sql, params=()):
        note(sql, params)
        return await fetchone(sql, params)

    db.fetchall, db.fetchone = all_, one
    return seen
